/**
 * The last `capacity` bytes a shell printed, addressed by stream offset (bytes printed
 * since the session started), so a client that reconnects can ask for exactly what it
 * missed. Older output is overwritten: memory per session is fixed whatever the shell does.
 */
export class OutputRing {
  private readonly buffer: Buffer;
  private start = 0;
  private size = 0;
  /** Bytes ever written: the offset of the next byte. */
  private written = 0;

  constructor(readonly capacity: number) {
    this.buffer = Buffer.alloc(capacity);
  }

  get end(): number {
    return this.written;
  }

  /** Offset of the oldest byte still held. */
  get oldest(): number {
    return this.written - this.size;
  }

  push(chunk: Buffer): void {
    this.written += chunk.length;
    if (chunk.length >= this.capacity) {
      chunk.copy(this.buffer, 0, chunk.length - this.capacity);
      this.start = 0;
      this.size = this.capacity;
      return;
    }
    let tail = (this.start + this.size) % this.capacity;
    const first = Math.min(chunk.length, this.capacity - tail);
    chunk.copy(this.buffer, tail, 0, first);
    chunk.copy(this.buffer, 0, first);
    tail = (tail + chunk.length) % this.capacity;
    const overflow = this.size + chunk.length - this.capacity;
    if (overflow > 0) {
      this.start = (this.start + overflow) % this.capacity;
      this.size = this.capacity;
    } else {
      this.size += chunk.length;
    }
  }

  /**
   * The output from `offset` on. `from` is where the returned bytes start: later than
   * `offset` when some of it was already overwritten (`lost`). An offset that cannot be
   * ours (negative, in the future) counts as 0: the client gets everything held.
   */
  since(offset: number): { data: Buffer; from: number; lost: boolean } {
    const wanted = Number.isSafeInteger(offset) && offset >= 0 && offset <= this.written ? offset : 0;
    const from = Math.max(wanted, this.oldest);
    const length = this.written - from;
    const begin = (this.start + (from - this.oldest)) % this.capacity;
    const first = Math.min(length, this.capacity - begin);
    const data = Buffer.concat([this.buffer.subarray(begin, begin + first), this.buffer.subarray(0, length - first)]);
    return { data, from, lost: from > wanted };
  }
}
