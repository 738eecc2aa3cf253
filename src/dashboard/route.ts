/**
 * Where the page is: the view and its parameters live in the URL's fragment
 * (`#/instances?status=Failed`, `#/instances/<id>`, `#/entities/<name>/<key>`), so a link can be
 * shared, the back button works, and the server serves one page whatever the view.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";

export interface Route {
  /** The path's segments, decoded: ["instances", "<id>"]. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
}

/** Reads a fragment such as `#/instances/a%20b?status=Failed`. */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, "");
  const mark = text.indexOf("?");
  const pathText = mark === -1 ? text : text.slice(0, mark);
  const path = pathText.split("/").filter((s) => s !== "").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path, query: new URLSearchParams(mark === -1 ? "" : text.slice(mark + 1)) };
}

export type QueryValues = Readonly<Record<string, string | undefined>>;

/** The fragment of a view: `href(["instances", id])`, with the query's non-empty values. */
export function href(path: readonly string[], query: QueryValues = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(name, value);
  const search = params.toString();
  return `#/${path.map(encodeURIComponent).join("/")}${search === "" ? "" : `?${search}`}`;
}

/** Goes to a view; `replace` changes the current history entry instead of adding one. */
export function navigate(path: readonly string[], query: QueryValues = {}, replace = false): void {
  const target = href(path, query);
  if (target === location.hash) return;
  if (replace) {
    history.replaceState(history.state, "", target);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = target;
  }
}

/** The current route, updated on every change of the fragment. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseHash(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
