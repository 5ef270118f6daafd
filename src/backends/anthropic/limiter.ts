/**
 * A counting semaphore: at most `limit` tasks run at once; the rest wait in arrival order. Why not a pool of
 * promises: callers (the pipeline's pass 1) hand us one request at a time and await each, so a queue of
 * waiting resolvers is all the state needed.
 */
export class Semaphore {
  readonly limit: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get inFlight(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same) or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
