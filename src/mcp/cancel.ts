// How a call in flight is cancelled: the client sent notifications/cancelled for it, or left.
// What an AbortController does for the gateway's own bookkeeping (a flag, and listeners run
// once), without the EventTarget: a controller with its signal and the two listeners every
// call registered cost ~4 µs per call on its hot path (bench/README.md, "MCP scenarios").
// The listeners run in the order they were added.
export class Cancel {
  #aborted = false;
  #listeners: (() => void)[] | null = null;

  get aborted(): boolean { return this.#aborted; }

  /** Cancels: each listener runs once; later calls do nothing. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const listeners = this.#listeners;
    this.#listeners = null;
    if (listeners !== null) for (const fn of listeners) fn();
  }

  /** Runs `fn` once when cancelled (not at once when already cancelled: check `aborted`). Returns what forgets it. */
  onAbort(fn: () => void): () => void {
    if (this.#aborted) return forgotten;
    (this.#listeners ??= []).push(fn);
    return () => {
      const i = this.#listeners?.indexOf(fn) ?? -1;
      if (i !== -1) this.#listeners!.splice(i, 1);
    };
  }
}

function forgotten(): void {}
