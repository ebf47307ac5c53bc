import { describe, expect, it } from "vitest";
import { Headroom, ListBudget, lowestOf } from "../../../src/azure/list-budget.ts";

/** Azure's published HighCostGetVMScaleSet bucket: 30 tokens, 10 a minute (one per 6 s). */
const SIZE = 30;
const REFILL_PER_MS = 10 / 60_000;
/** Instances per page of the VMSS-VM list: assumed (the emulator's default; Azure's is not documented). */
const PAGE_SIZE = 50;
/** Azure takes hundreds of ms per page of a large list (see the emulator's latencyMs). */
const PAGE_MS = 500;

interface Simulation {
  /** 429s after a list's first page: what the budget is there to prevent. */
  readonly throttled: number;
  /** 429s on a list's first page (retried after Retry-After by the read retry). */
  readonly firstPageThrottled: number;
  readonly elapsedMs: number;
  /** Per list: the waits the budget asked for (ms), between its pages. */
  readonly waits: number[][];
}

/**
 * `lists` instance lists back to back, on an injected clock, against a token bucket as Azure runs it (full at first,
 * never above its size): each page takes a token (a 429 when there is none), the budget is told what is left, and
 * the list waits as long as the budget says before its next page.
 */
function simulate(instances: number, lists: number): Simulation {
  const pages = Math.max(1, Math.ceil(instances / PAGE_SIZE));
  const budget = new ListBudget();
  let now = 1_000_000;
  let tokens = SIZE;
  let last = now;
  let throttled = 0;
  let firstPageThrottled = 0;
  const waits: number[][] = [];
  const advance = (ms: number): void => {
    now += ms;
    tokens = Math.min(SIZE, tokens + (now - last) * REFILL_PER_MS);
    last = now;
  };
  for (let list = 0; list < lists; list++) {
    const listWaits: number[] = [];
    for (let page = 0; page < pages; page++) {
      advance(PAGE_MS);
      if (tokens < 1 && page === 0) {
        // A list's first page is not held back (the engine paces lists): a 429, read again after its Retry-After.
        firstPageThrottled++;
        advance((1 - tokens) / REFILL_PER_MS + PAGE_MS);
      }
      if (tokens < 1) {
        throttled++;
        continue;
      }
      tokens -= 1;
      budget.page(page === 0, Math.floor(tokens), now);
      const wait = budget.restWaitMs(now, page < pages - 1);
      if (wait > 0) listWaits.push(wait);
      advance(wait);
    }
    waits.push(listWaits);
  }
  return { throttled, firstPageThrottled, elapsedMs: now - 1_000_000, waits };
}

/** The least time `lists` lists can take: every page's latency, or the bucket's refill for the pages beyond it. */
function idealMs(instances: number, lists: number): number {
  const pages = lists * Math.max(1, Math.ceil(instances / PAGE_SIZE));
  return Math.max(pages * PAGE_MS, (pages - SIZE) / REFILL_PER_MS);
}

describe("ListBudget: the instance list's throttling bucket", () => {
  it.each([
    { instances: 10, lists: 5, firstPage429s: 0 },
    { instances: 1_000, lists: 5, firstPage429s: 0 },
    // Lists back to back with no pause (the engine paces them; not here): a list leaves the bucket empty, the next
    // one's first page, not held back, meets a 429 once (retried after Retry-After); then the budget paces the rest.
    { instances: 3_000, lists: 3, firstPage429s: 1 },
    { instances: 5_000, lists: 3, firstPage429s: 1 },
  ])(
    "$instances instances, $lists lists in a row: no 429 but $firstPage429s, no slower than the bucket allows",
    ({ instances, lists, firstPage429s }) => {
      const run = simulate(instances, lists);
      expect(run.throttled).toBe(0);
      expect(run.firstPageThrottled).toBe(firstPage429s);
      // Within 5 % (and a minute) of the least time the bucket allows: never waits it does not need.
      expect(run.elapsedMs).toBeLessThanOrEqual(idealMs(instances, lists) * 1.05 + 60_000);
    },
  );

  it("a list of one page never waits", () => {
    expect(simulate(10, 5).waits.flat()).toEqual([]);
  });

  it("a list the bucket holds waits at most once, after its first page, then runs through", () => {
    const run = simulate(1_000, 5); // 20 pages a list
    expect(run.waits[0]).toEqual([]); // a full bucket holds it
    for (const waits of run.waits) expect(waits.length).toBeLessThanOrEqual(1);
  });

  it("a list bigger than the bucket waits for one page's token at a time, and once for the last bucketful", () => {
    const run = simulate(5_000, 3); // 100 pages a list, more than the 30 the bucket holds
    const tokenMs = 1 / REFILL_PER_MS;
    for (const waits of run.waits) {
      // While the rest is more than the bucket holds: one token (6 s) per page, never all of the rest at once.
      const long = waits.filter((w) => w > tokenMs + PAGE_MS);
      expect(long.length).toBeLessThanOrEqual(1);
      // The last bucketful is waited for at most once: no more than the bucket's refill from empty.
      for (const wait of long) expect(wait).toBeLessThanOrEqual(SIZE * tokenMs);
    }
    expect(run.waits[0]!.length).toBeGreaterThan(0);
  });

  it("caps the tokens it expects at the bucket's size, however long since the last page", () => {
    const budget = new ListBudget();
    // A list of 40 pages, the bucket then empty.
    for (let page = 0; page < 40; page++) budget.page(page === 0, 0, page);
    budget.page(true, 0, 100); // the next list starts; an hour later the bucket holds 30, not 360
    const hourLater = 100 + 3_600_000;
    // 39 pages to go, more than the bucket holds: no wait while it holds a token.
    expect(budget.restWaitMs(hourLater, true)).toBe(0);
    // Right after that first page, the bucket is empty: the next page waits for its token (6 s), not for all 39.
    expect(budget.restWaitMs(100, true)).toBe(6_000);
    expect(budget.restWaitMs(100, false)).toBe(0);
    expect(budget.size).toBe(SIZE);
  });

  it("remembers each kind of list (its $filter) on its own: a short filtered list does not wait for a whole list's tokens", () => {
    const budget = new ListBudget();
    const latest = "properties/latestModelApplied eq true";
    // A whole list of 20 pages leaves 8 tokens; then a filtered list of 4 pages, then the next whole list.
    for (let page = 0; page < 20; page++) budget.page(page === 0, 27 - page, page);
    for (let page = 0; page < 4; page++) budget.page(page === 0, 7 - page, 100 + page, latest);
    budget.page(true, 3, 200, latest); // the next filtered list: its last one had 4 pages, 3 more fit
    expect(budget.restWaitMs(200, true)).toBe(0);
    budget.page(true, 2, 300); // the next whole list: 19 more pages than the 2 tokens left, so it waits
    expect(budget.restWaitMs(300, true)).toBeGreaterThan(0);
  });

  it("knows nothing before a list: no wait", () => {
    expect(new ListBudget().restWaitMs(0, true)).toBe(0);
  });
});

describe("Headroom", () => {
  it("is the lowest count heard of in the last minute, on the clock it is given", () => {
    const headroom = new Headroom();
    expect(headroom.lowest(0)).toBeUndefined();
    headroom.record(
      "Microsoft.Compute/HighCostGetVMScaleSet3Min;107,Microsoft.Compute/HighCostGetVMScaleSet30Min;827",
      0,
    );
    headroom.record("Microsoft.Compute/GetOperation3Min;40", 30_000);
    expect(headroom.lowest(30_000)).toBe(40);
    headroom.record("Microsoft.Compute/GetOperation3Min;3", 40_000);
    expect(headroom.lowest(50_000)).toBe(3);
    // The 107 was heard a minute ago: it has refilled meanwhile.
    expect(headroom.lowest(61_000)).toBe(3);
    expect(headroom.lowest(100_001)).toBeUndefined();
  });

  it.each([
    { header: "a;5,b;3", lowest: 3 },
    { header: "", lowest: undefined },
    { header: "a;x", lowest: undefined },
  ])("lowestOf($header) = $lowest", ({ header, lowest }) => {
    expect(lowestOf(header)).toBe(lowest);
  });
});
