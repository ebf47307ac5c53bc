// The pace of long-running operation status reads (pure: no SDK, no clock).

/**
 * When to read an operation's status first (from its acceptance) and next (given how long it has run). `ended`: it is
 * over, after `ms`.
 */
export interface Pace {
  firstMs(): number;
  nextMs(elapsedMs: number): number;
  ended(ms: number): void;
}

/**
 * The pace of operation status reads: fast (fastMs) for the first poll-interval, where short operations end (a model
 * update in Manual mode, a batch of instances already current), unless an upgrade is expected to last longer; then at
 * poll-interval (slowMs); fast again around the end an upgrade is expected at, which is how long the last one took
 * (batches of one rollout take alike). So the end of an operation is noticed within seconds, and reads stay near one
 * per poll-interval. When the status bucket (GetOperation: 45, 15 more a minute) runs low, no faster than it refills;
 * never faster than Retry-After asks.
 */
export class OperationPolls {
  static readonly LOW_HEADROOM = 10;
  /** GetOperation refills 15 a minute: one read per 4 s keeps a low bucket from emptying. */
  static readonly REFILL_MS = 4_000;
  readonly #fastMs: number;
  readonly #slowMs: number;
  #remaining: number | undefined;
  #retryAfterMs: number | undefined;
  #lastUpgradeMs: number | undefined;

  constructor(fastMs: number, slowMs: number) {
    this.#fastMs = fastMs;
    this.#slowMs = Math.max(fastMs, slowMs);
  }

  /** A status read was answered: what its bucket has left, and the Retry-After it carried. */
  answered(remaining: number | undefined, retryAfterMs: number | undefined): void {
    if (remaining !== undefined) this.#remaining = remaining;
    this.#retryAfterMs = retryAfterMs;
  }

  pace(kind?: "upgrade"): Pace {
    const expected = kind === "upgrade" ? this.#lastUpgradeMs : undefined;
    const nextMs = (elapsed: number): number => {
      const windowStart = expected === undefined ? undefined : expected - this.#slowMs;
      const nearEnd =
        expected !== undefined &&
        windowStart !== undefined &&
        elapsed >= windowStart &&
        elapsed < expected + 2 * this.#slowMs;
      // The first interval is read fast for the operations that end within it, unless the end expected is later
      // than that (a batch of upgrades, after the first): then its fast reads would all be wasted.
      const early = elapsed < this.#slowMs && (windowStart === undefined || windowStart <= this.#slowMs);
      const fast = early || nearEnd;
      const low = this.#remaining !== undefined && this.#remaining <= OperationPolls.LOW_HEADROOM;
      let ms = low ? Math.max(this.#slowMs, OperationPolls.REFILL_MS) : fast ? this.#fastMs : this.#slowMs;
      // Never sleep past the moment the fast window opens: a slow read landing just before it would otherwise push
      // the next read a whole interval on, and the end would be noticed up to an interval late.
      if (!low && !fast && windowStart !== undefined && elapsed < windowStart)
        ms = Math.min(ms, Math.max(windowStart - elapsed, 1));
      return Math.max(ms, this.#retryAfterMs ?? 0);
    };
    return {
      // An instance upgrade replaces an OS disk or reapplies extensions: Azure never ends one within a moment of
      // accepting it, so a read at once only spends a token of the GetOperation bucket. Its first read comes on its
      // pace (the fast reads of the first interval, or the slow ones when a long upgrade is expected); a batch of
      // instances already current is noticed at the first fast read. Other operations (a tag write ends at once, a model
      // update soon) are read at once.
      firstMs: () => (kind === "upgrade" ? nextMs(0) : 0),
      nextMs,
      ended: (ms) => {
        if (kind === "upgrade") this.#lastUpgradeMs = ms;
      },
    };
  }
}
