// The pace of long-running operation status reads (pure: no SDK, no clock).

/**
 * When to read an operation's status first (from its acceptance) and next (given how long it has run, and how long the
 * read just made took: a spacing runs from a read's start while the read took at most half of it, from its answer
 * otherwise). `ended`: it is over, after `ms`.
 */
export interface Pace {
  firstMs(): number;
  nextMs(elapsedMs: number, readMs?: number): number;
  /** Noticed as ended `ms` after it was accepted; `statusUrl`: its status URL, whose last answer may say how long it took. */
  ended(ms: number, statusUrl?: string): void;
}

/**
 * How long an operation took, from the status document that said it succeeded (`{"startTime","endTime","status"}`, as
 * Compute writes it: contract notes, the recordings); undefined when either time is missing or does not parse, or the
 * operation has not succeeded. Both times are Azure's, so no clock skew enters; the difference is all that is used.
 */
export function tookMs(document: unknown): number | undefined {
  const { status, startTime, endTime } = (document ?? {}) as {
    status?: unknown;
    startTime?: unknown;
    endTime?: unknown;
  };
  // Only an operation that succeeded sets an expectation (a failed or canceled one says nothing of how long a batch
  // takes), and only its entry is taken again by its pace (follow() ends a pace only on success).
  if (typeof status !== "string" || status.toLowerCase() !== "succeeded") return undefined;
  if (typeof startTime !== "string" || typeof endTime !== "string") return undefined;
  const ms = Date.parse(endTime) - Date.parse(startTime);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * The pace of operation status reads: fast (fastMs) for the first poll-interval, where short operations end (a model
 * update in Manual mode, a batch of instances already current), unless an upgrade is expected to last longer; then at
 * poll-interval (slowMs); fast again around the end an upgrade is expected at, which is how long the last one took
 * (batches of one rollout take alike). So the end of an operation is noticed within seconds, and reads stay near one
 * per poll-interval. When the status bucket (GetOperation: 45, 15 more a minute) runs low, no faster than it refills;
 * never faster than Retry-After asks.
 *
 * How long the last upgrade took is Azure's own figure when its last status said (endTime − startTime, see tookMs),
 * else how long after its acceptance its end was noticed, which overstates it by up to a read's spacing. The fast reads
 * around the expected end are spaced so that one comes just after it (END_MARGIN_SHARE of a fast read's spacing): a
 * batch that takes what the last one took is noticed at once, not up to a fast spacing later, for at most one more read.
 */
export class OperationPolls {
  static readonly LOW_HEADROOM = 10;
  /** GetOperation refills 15 a minute: one read per 4 s keeps a low bucket from emptying. */
  static readonly REFILL_MS = 4_000;
  /** The read aligned on the expected end comes this share of a fast read's spacing after it (Azure's answer and its
   *  clock may be a little late; 0.5 s when reads are 5 s apart). */
  static readonly END_MARGIN_SHARE = 0.1;
  static readonly MAX_REMEMBERED = 32;
  readonly #fastMs: number;
  readonly #slowMs: number;
  #remaining: number | undefined;
  #retryAfterMs: number | undefined;
  #lastUpgradeMs: number | undefined;
  /** Whether #lastUpgradeMs is Azure's own figure (exact) rather than when the end was noticed (late by up to a read's spacing). */
  #lastFromAzure = false;
  /** How long operations took by their status documents, by status URL path, until their pace takes it. */
  readonly #took = new Map<string, number>();

  constructor(fastMs: number, slowMs: number) {
    this.#fastMs = fastMs;
    this.#slowMs = Math.max(fastMs, slowMs);
  }

  /** A status read was answered: what its bucket has left, and the Retry-After it carried. */
  answered(remaining: number | undefined, retryAfterMs: number | undefined): void {
    if (remaining !== undefined) this.#remaining = remaining;
    this.#retryAfterMs = retryAfterMs;
  }

  /** An operation's status read was answered: `document` is its body, parsed (see tookMs). */
  statusBody(url: string, document: unknown): void {
    const ms = tookMs(document);
    if (ms === undefined) return;
    // Taken by the operation's pace when it ends; one whose follower stopped first (an abort, a failed final read)
    // leaves its entry: a few a run, dropped once they pile up.
    if (this.#took.size >= OperationPolls.MAX_REMEMBERED) this.#took.clear();
    this.#took.set(pathOf(url), ms);
  }

  pace(kind?: "upgrade"): Pace {
    const expected = kind === "upgrade" ? this.#lastUpgradeMs : undefined;
    const target = expected === undefined ? undefined : expected + this.#fastMs * OperationPolls.END_MARGIN_SHARE;
    // The fast window around the end expected opens a poll interval before it when the expectation is when the last
    // end was noticed (an overstatement), and two fast spacings before the read aligned on it when it is Azure's own
    // figure: a batch up to ten seconds shorter than the last (with 5 s fast reads) is still noticed within a fast
    // spacing, and a longer one by the fast reads after it, for fewer reads than a whole interval of fast ones.
    // Fixed for this operation, as the expectation is: another's end meanwhile does not move them.
    const windowStart =
      expected === undefined || target === undefined
        ? undefined
        : this.#lastFromAzure
          ? target - 2 * this.#fastMs
          : expected - this.#slowMs;
    const nextMs = (elapsed: number, readMs = 0): number => {
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
      // The spacing runs from the start of the read just made: one read per poll interval, not per interval and a
      // round trip (at 15 s and 150 ms answers, a second later every six reads: the first batch's end noticed later).
      // A read that took more than half the spacing (the SDK's retries within it, a struggling Azure) is followed by
      // the whole spacing from its answer, as is one that said the bucket runs low (the alignment on the expected end
      // and the clamp to the fast window below may still bring the next read sooner).
      const spacing = fast ? this.#fastMs : this.#slowMs;
      let ms = low
        ? Math.max(this.#slowMs, OperationPolls.REFILL_MS)
        : readMs > 0 && readMs <= spacing / 2
          ? spacing - readMs
          : spacing;
      // One fast read just after the end expected, rather than somewhere in the fast spacing after it: the fast reads
      // before it share the time to it evenly (never more than a fast spacing apart, so no more of them), and one
      // that would come within a quarter spacing of the read just made is not added. An upgrade expected to end
      // within a fast spacing (a batch already current) is read as before: the first-interval reads catch it. Measured
      // from now (the answer), whatever the read took: each read lands on what is left to the target.
      if (!low && nearEnd && target !== undefined && expected !== undefined && expected >= this.#fastMs) {
        const left = target - elapsed;
        if (left >= this.#fastMs / 4) ms = left / Math.ceil(left / this.#fastMs);
      }
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
      ended: (ms, statusUrl) => {
        const took = statusUrl === undefined ? undefined : this.#took.get(pathOf(statusUrl));
        if (statusUrl !== undefined) this.#took.delete(pathOf(statusUrl));
        // Azure's figure, never more than the noticed one (the end came before it was noticed).
        if (kind !== "upgrade") return;
        this.#lastUpgradeMs = took === undefined ? ms : Math.min(ms, took);
        this.#lastFromAzure = took !== undefined;
      },
    };
  }
}

/** A status URL's path, lower case: the key its reads share (the query carries api-version and `monitor`). */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname.toLowerCase();
  } catch {
    return url.toLowerCase();
  }
}
