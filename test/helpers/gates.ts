/**
 * Test-controlled pauses for activities, and temporary folders that are always removed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A promise the test opens once; every waiter then goes on. */
export interface Gate {
  readonly promise: Promise<void>;
  readonly isOpen: boolean;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  let isOpen = false;
  const promise = new Promise<void>((resolve) => {
    open = () => {
      isOpen = true;
      resolve();
    };
  });
  return {
    promise,
    get isOpen() {
      return isOpen;
    },
    open,
  };
}

/** Callers queue up in `pass()`; the test lets them through one at a time, in arrival order. */
export class Turnstile {
  readonly #queue: Array<() => void> = [];
  #opened = false;

  /** Callers waiting now. */
  get waiting(): number {
    return this.#queue.length;
  }

  pass(): Promise<void> {
    if (this.#opened) return Promise.resolve();
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  /** Lets the longest waiting caller through; false when nobody waits. */
  releaseOne(): boolean {
    const next = this.#queue.shift();
    next?.();
    return next !== undefined;
  }

  /** Lets everybody through, now and later. */
  openForGood(): void {
    this.#opened = true;
    while (this.releaseOne());
  }
}

/** A fresh temporary folder; `remove()` deletes it with everything in it. */
export function tempDir(prefix = "perdure-e2e-"): { readonly dir: string; path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A logger that drops everything, for workers created outside `startRuntime`. */
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
