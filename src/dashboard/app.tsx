/**
 * The dashboard's shell: the header and its navigation, the API key prompt, and the view the
 * URL names.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { forgetApiKey, hasApiKey, setApiKey } from "./api.js";
import { EntitiesView, EntityView } from "./entities-view.js";
import { useKeyState } from "./hooks.js";
import { InstanceView } from "./instance-view.js";
import { InstancesView } from "./instances-view.js";
import { href, useRoute, type Route } from "./route.js";

function KeyPrompt({ rejected }: { rejected: boolean }) {
  const [key, setKey] = useState("");
  return (
    <div class="key-overlay" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        class="key-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (key !== "") setApiKey(key);
        }}
      >
        <h2 id="key-title">API key</h2>
        <p role="alert">
          {rejected
            ? "The server refused this key. Check it and enter it again."
            : "This server asks for its API key. It is kept in this browser tab until you close it."}
        </p>
        <label class="field">
          <span>Key</span>
          <input type="password" name="apiKey" autoComplete="off" autoFocus value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={key === ""}>
          Use this key
        </button>
      </form>
    </div>
  );
}

function View({ route }: { route: Route }) {
  const [section, first, second] = route.path;
  if (section === "instances" && first !== undefined) return <InstanceView key={first} instanceId={first} />;
  if (section === "entities" && first !== undefined && second !== undefined) return <EntityView key={`${first}/${second}`} name={first} entityKey={second} />;
  if (section === "entities") return <EntitiesView route={route} />;
  return <InstancesView route={route} />;
}

export function App() {
  const route = useRoute();
  const keys = useKeyState();
  const section = route.path[0] === "entities" ? "entities" : "instances";
  useEffect(() => {
    const [view, id] = route.path;
    document.title = id !== undefined ? `${id} · Perdure` : view === "entities" ? "Entities · Perdure" : "Orchestrations · Perdure";
  }, [route]);
  return (
    <>
      <header class="top">
        <a class="brand" href={href(["instances"])}>
          Perdure
        </a>
        <nav aria-label="Sections">
          <a href={href(["instances"])} aria-current={section === "instances" ? "page" : undefined}>
            Orchestrations
          </a>
          <a href={href(["entities"])} aria-current={section === "entities" ? "page" : undefined}>
            Entities
          </a>
        </nav>
        {hasApiKey() && (
          <button type="button" class="secondary small" onClick={forgetApiKey}>
            Forget API key
          </button>
        )}
      </header>
      {keys.needed ? <KeyPrompt rejected={keys.rejected} /> : <View route={route} />}
    </>
  );
}
