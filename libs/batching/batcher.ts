/**
 * Runs one call for many callers: an item that comes while no call of its kind is in flight
 * goes alone, at once; items that come while one is in flight go together in the next one.
 * Alone, a caller waits exactly as long as before; a class clicking at once costs a few calls
 * instead of one each. Used for Postgres statements (each one a write that wakes a backend and
 * a round trip on the API's one event loop) and for engine reads (a network inspect costs the
 * engine a scan of all its networks; one list answers for every lab that asked meanwhile).
 *
 * `run` takes a batch and answers one result per item, in order. A batch that fails (a
 * statement Postgres refuses) is tried again one item at a time, so one bad item fails alone.
 *
 * `key` (optional): items with the same key never share a call (an `INSERT ... ON CONFLICT DO
 * UPDATE` cannot touch one row twice); the later one waits for the next.
 * `gatherMs` (optional): for calls nobody waits for (the audit trail, written after the
 * answer went out), an item that finds nothing in flight waits this long for others first.
 */
export class Batcher<I, O> {
  private waiting: { item: I; done: (error: unknown, result?: O) => void }[] = [];
  private running = false;
  private gathering: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxItems: number; key?: (item: I) => string; gatherMs?: number },
  ) {}

  /** Resolves with this item's result once its call ran. */
  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, done: (error, result) => (error === undefined ? resolve(result as O) : reject(error)) });
      if (!this.options.gatherMs) return void this.drain();
      if (this.running || this.gathering) return;
      this.gathering = setTimeout(() => this.flush(), this.options.gatherMs);
    });
  }

  /** Sends what is waiting now, without waiting for more (a process that stops: before its pool closes). */
  flush(): void {
    clearTimeout(this.gathering);
    this.gathering = undefined;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length) {
        const batch = this.nextBatch();
        try {
          const results = await this.run(batch.map((w) => w.item));
          if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${results.length} results`);
          batch.forEach((w, i) => w.done(undefined, results[i]));
        } catch (error) {
          const failure = error ?? new Error('batched call failed');
          if (batch.length === 1) batch[0].done(failure);
          else for (const w of batch) await this.run([w.item]).then(([result]) => w.done(undefined, result), (e: unknown) => w.done(e ?? failure));
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The oldest waiting items, up to maxItems, no two with the same key; the rest keep their place. */
  private nextBatch() {
    const { maxItems, key } = this.options;
    if (!key) return this.waiting.splice(0, maxItems);
    const keys = new Set<string>();
    const batch: typeof this.waiting = [];
    const left: typeof this.waiting = [];
    for (const w of this.waiting) {
      const k = key(w.item);
      if (batch.length < maxItems && !keys.has(k)) {
        keys.add(k);
        batch.push(w);
      } else {
        left.push(w);
      }
    }
    this.waiting = left;
    return batch;
  }
}
