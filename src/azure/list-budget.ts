// Throttling arithmetic of reads (pure: no SDK, no clock of its own — every method is told the time): what Azure's
// throttling buckets have left (Headroom) and how long the rest of an instance list must wait for its bucket
// (ListBudget).

/** `policy;count,policy;count` → the smallest count; undefined when the header has none. */
export function lowestOf(header: string): number | undefined {
  const counts = header
    .split(",")
    .map((entry) => Number(entry.trim().split(";")[1]))
    .filter((n) => Number.isFinite(n));
  return counts.length > 0 ? Math.min(...counts) : undefined;
}

/**
 * What Azure's throttling buckets have left, per policy, from `x-ms-ratelimit-remaining-resource`
 * (`Microsoft.Compute/HighCostGetVMScaleSet3Min;107,Microsoft.Compute/HighCostGetVMScaleSet30Min;827`). A bucket not
 * heard of for a minute has refilled meanwhile and no longer counts.
 */
export class Headroom {
  static readonly FORGET_AFTER_MS = 60_000;
  readonly #seen = new Map<string, { remaining: number; at: number }>();

  record(header: string, now: number): void {
    for (const entry of header.split(",")) {
      const [policy, count] = entry.trim().split(";");
      const remaining = Number(count);
      if (policy && count !== undefined && Number.isFinite(remaining)) this.#seen.set(policy, { remaining, at: now });
    }
  }

  /** The smallest count left among the buckets heard of lately; undefined when none. */
  lowest(now: number): number | undefined {
    const recent = [...this.#seen.values()]
      .filter((s) => now - s.at < Headroom.FORGET_AFTER_MS)
      .map((s) => s.remaining);
    return recent.length > 0 ? Math.min(...recent) : undefined;
  }
}

/**
 * The instance list's throttling bucket (HighCostGetVMScaleSet: every page of a list takes a token). From the counts
 * Azure reports on list pages it knows what one list costs (the pages of the last one) and, from how much the bucket
 * refilled between two lists, how fast it refills; so, after a list's first page, it can tell how long to wait until
 * the rest of the list fits, instead of running into a 429 halfway through it.
 *
 * Correct at every size by construction: the bucket never holds more than its size, so the tokens expected are capped
 * at it; and a rest of list bigger than the bucket can never fit at once, so such a list only waits for the next
 * page's token (it then runs at the refill rate, the fastest Azure allows, with no 429).
 */
export class ListBudget {
  /**
   * Azure's published HighCostGetVMScaleSet limit per scale set: 10 a minute, 30 in the bucket (MicrosoftDocs/azure-docs
   * articles/virtual-machines/compute-throttling-limits.md; the VMSS-VM List is not in the table, AKS logs and the 2023
   * recordings name HighCostGetVMScaleSet for it). Used until measured otherwise.
   */
  static readonly PUBLISHED_REFILL_PER_MS = 10 / 60_000;
  static readonly PUBLISHED_BUCKET_SIZE = 30;
  /** The refill assumed until one is measured: the published one (tests against a faster clock tell theirs). */
  readonly #assumedRefillPerMs: number;
  /** Pages of the list in progress, and of the last complete one of each kind (its `$filter`, "" for none): a list
   *  filtered on latestModelApplied is another size than the whole list. */
  #pages = 0;
  #kind = "";
  readonly #lastPages = new Map<string, number>();
  #last: { remaining: number; at: number } | undefined;
  #refillPerMs: number | undefined;
  /** The most the bucket was seen to hold (a lower bound of its size). */
  #fullest = 0;

  constructor(assumedRefillPerMs: number = ListBudget.PUBLISHED_REFILL_PER_MS) {
    this.#assumedRefillPerMs = assumedRefillPerMs;
  }

  /** A list page was answered at `at` (epoch ms); `first`: it starts a new list, of `kind` (its `$filter`). */
  page(first: boolean, remaining: number | undefined, at: number, kind = ""): void {
    if (first) {
      if (this.#pages > 0) this.#lastPages.set(this.#kind, this.#pages);
      this.#pages = 0;
      this.#kind = kind;
    }
    this.#pages++;
    if (remaining === undefined) return;
    const before = remaining + 1; // what the bucket held when this page took its token
    if (first && this.#last !== undefined && at > this.#last.at) {
      // Counts are whole tokens (rounded down), so the refill seen is off by up to one: count one less, to be safe.
      const refilled = before - this.#last.remaining - 1;
      if (refilled > 0) {
        const rate = refilled / (at - this.#last.at);
        // A bucket that may have filled up refilled less than it could have: then the rate is only a lower bound.
        this.#refillPerMs = before >= this.#fullest ? Math.max(this.#refillPerMs ?? 0, rate) : rate;
      }
    }
    this.#fullest = Math.max(this.#fullest, before);
    this.#last = { remaining, at };
  }

  /** The bucket's size: the published one, or more when Azure was seen to hold more. */
  get size(): number {
    return Math.max(ListBudget.PUBLISHED_BUCKET_SIZE, this.#fullest);
  }

  /**
   * Milliseconds to wait at `now` before the next page of the list in progress (`more`: one follows — the page had a
   * nextLink; 0 when not): until the pages it still needs (as many as the last list of the same kind had, less the
   * pages read, and at least the next one) fit in the bucket, or, when they never can (more than the bucket holds),
   * until the next page's token is there. 0 when nothing is known yet.
   */
  restWaitMs(now: number, more: boolean): number {
    if (!more) return 0;
    const rest = Math.max(1, (this.#lastPages.get(this.#kind) ?? 0) - this.#pages);
    return this.#waitForMs(rest <= this.size ? rest : 1, now);
  }

  /** Until the bucket holds `tokens` (at most its size), at the refill rate measured or published. */
  #waitForMs(tokens: number, now: number): number {
    if (this.#last === undefined) return 0;
    const rate = this.#refillPerMs ?? this.#assumedRefillPerMs;
    const size = this.size;
    // The bucket never holds more than its size, however long since it was last heard of.
    const expected = Math.min(size, this.#last.remaining + rate * Math.max(0, now - this.#last.at));
    const needed = Math.min(tokens, size);
    return expected >= needed ? 0 : Math.ceil((needed - expected) / rate);
  }
}
