/**
 * Starts producers a slice at a time (issue 12 part 2). Starting a producer may block the
 * event loop for milliseconds (a `shell` spawn takes ~14 ms, more under load), and a node
 * starts hundreds at once. Started back to back, 256 spawns hold the main thread for seconds,
 * and finished items' completions wait for all of them: the first commit came 3.5–4.6 s after
 * the first producer finished, then in bursts.
 *
 * The old loop measured only the synchronous part of each attempt, which ends at its first
 * `await`; the spawns themselves ran afterwards, one after another, in the microtask queue. This
 * queue waits for each producer's start (its `execute` has been called and returned) before
 * it looks at the clock, so a slice really is {@link START_SLICE_MS} of starting. Between
 * slices it yields a turn of the event loop (child exits, database replies, timers) and lets a
 * completion write that is under way finish first, so completions flush steadily while a
 * batch starts.
 */

/** Longest stretch of starting producers before the event loop gets a turn, ms. */
export const START_SLICE_MS = 20;

export class StartQueue<T> {
  private queue: T[] = [];
  private head = 0;
  private pumping = false;

  /**
   * @param start starts one entry; resolves once its producer has started (or its attempt ended)
   * @param yieldTo between slices: work that goes first (a completion write), or undefined
   */
  constructor(
    private readonly start: (entry: T) => Promise<unknown>,
    private readonly yieldTo: () => Promise<unknown> | undefined,
    private readonly sliceMs = START_SLICE_MS,
  ) {}

  /** Entries waiting to start. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Queues entries; they start in order, a slice at a time. */
  push(entries: T[]): void {
    for (const e of entries) this.queue.push(e);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      let until = Date.now() + this.sliceMs;
      while (this.head < this.queue.length) {
        if (Date.now() > until) {
          await new Promise((r) => setImmediate(r));
          await this.yieldTo();
          until = Date.now() + this.sliceMs;
        }
        const entry = this.queue[this.head]!;
        this.head += 1;
        await this.start(entry).catch(() => {});
      }
    } finally {
      this.queue = [];
      this.head = 0;
      this.pumping = false;
    }
  }
}
