/**
 * Hooks the views share: polling that can be paused, a ticking clock for bars that grow, the API
 * key state, and row virtualization for long lists.
 *
 * @module
 */
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
} from "@tanstack/virtual-core";
import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import { currentKeyState, onKeyState, type KeyState } from "./api.js";

/**
 * Runs `load` now and whenever `deps` change, then again `intervalMs` after each run ends while
 * `live` holds and the page is visible. A run whose deps went stale meanwhile is ignored by the
 * caller through the `isCurrent` it gets. The first run starts as soon as the view is in the
 * page (a layout effect), not after the browser has painted it, so the data comes sooner.
 */
export function usePoll(load: (isCurrent: () => boolean) => Promise<void>, intervalMs: number, live: boolean, deps: readonly unknown[]): void {
  const latest = useRef(load);
  latest.current = load;
  useLayoutEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      if (!document.hidden) await latest.current(() => current);
      if (current && live) timer = setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      current = false;
      if (timer !== undefined) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live, intervalMs, ...deps]);
}

/** The time now, updated every `intervalMs` while `running` holds. */
export function useNow(intervalMs: number, running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, running]);
  return now;
}

/** Whether the API asks for a key (and refused one), and the version that bumps when a key is set. */
export function useKeyState(): KeyState {
  const [state, setState] = useState(currentKeyState);
  useEffect(() => onKeyState(setState), []);
  return state;
}

/** The rows of a list of `count` rows of `rowHeight` pixels that the scroll element shows. */
export function useVirtualRows(count: number, rowHeight: number, scrollRef: RefObject<HTMLElement | null>): { items: VirtualItem[]; total: number } {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const options = {
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    overscan: 12,
    onChange: () => rerender(undefined),
  };
  const [virtualizer] = useState(() => new Virtualizer<HTMLElement, Element>(options));
  virtualizer.setOptions(options);
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => virtualizer._willUpdate());
  return { items: virtualizer.getVirtualItems(), total: virtualizer.getTotalSize() };
}
