import { describe, expect, it } from "vitest";
import { OperationPolls, type Pace } from "../../../src/azure/operation-pace.ts";

const FAST = 5_000;
const SLOW = 15_000;

/**
 * The times (ms since the operation started) at which the status is read, until the first read at or after `endMs`.
 * Each read takes `latencyMs` (Azure answers in hundreds of ms), which moves the reads off a neat grid.
 */
function readsUntil(pace: Pace, endMs: number, latencyMs = 0): number[] {
  const reads: number[] = [];
  let t = 0;
  for (;;) {
    t += pace.nextMs(t) + latencyMs;
    reads.push(t);
    if (t >= endMs) {
      pace.ended(t);
      return reads;
    }
  }
}

describe("OperationPolls", () => {
  it("reads fast during the first poll interval, then once per interval", () => {
    const reads = readsUntil(new OperationPolls(FAST, SLOW).pace(), 60_000);
    expect(reads.slice(0, 4)).toEqual([5_000, 10_000, 15_000, 30_000]);
  });

  it.each([
    [97_500, 0],
    [97_500, 300],
    [96_000, 300],
    [101_000, 300],
    [130_000, 300],
    [97_500, 1_200],
  ])(
    "notices an upgrade that ends at %i ms (reads taking %i ms) within the fast interval once one upgrade set the expectation",
    (endMs, latencyMs) => {
      const polls = new OperationPolls(FAST, SLOW);
      readsUntil(polls.pace("upgrade"), 97_500, latencyMs); // the first batch: noticed on the slow grid
      const reads = readsUntil(polls.pace("upgrade"), endMs, latencyMs);
      const noticedAt = reads[reads.length - 1] ?? 0;
      expect(noticedAt - endMs).toBeLessThanOrEqual(FAST + latencyMs);
    },
  );

  it.each([
    ["a long upgrade expected: no fast reads in the first interval", 97_500, [SLOW, 2 * SLOW]],
    ["a short upgrade expected: fast reads in the first interval", 8_000, [FAST, 2 * FAST]],
  ])("%s", (_name, lastMs, firstReads) => {
    const polls = new OperationPolls(FAST, SLOW);
    readsUntil(polls.pace("upgrade"), lastMs);
    expect(readsUntil(polls.pace("upgrade"), 60_000).slice(0, 2)).toEqual(firstReads);
  });

  it("stays near one read per interval away from the expected end", () => {
    const polls = new OperationPolls(FAST, SLOW);
    readsUntil(polls.pace("upgrade"), 300_000);
    const reads = readsUntil(polls.pace("upgrade"), 300_000);
    const beforeWindow = reads.filter((t) => t > SLOW && t < 300_000 - 2 * SLOW);
    for (let i = 1; i < beforeWindow.length; i++)
      expect((beforeWindow[i] ?? 0) - (beforeWindow[i - 1] ?? 0)).toBe(SLOW);
  });

  it("slows to the bucket's refill when GetOperation headroom runs low, and honours Retry-After", () => {
    const polls = new OperationPolls(FAST, SLOW);
    const pace = polls.pace();
    polls.answered(5, undefined);
    expect(pace.nextMs(0)).toBe(SLOW);
    polls.answered(40, 30_000);
    expect(pace.nextMs(0)).toBe(30_000);
  });
});

describe("OperationPolls: the first status read", () => {
  it.each([
    { what: "a tag write or a model update: at once", kind: undefined, before: undefined, first: 0 },
    { what: "the first upgrade: at the first fast read", kind: "upgrade" as const, before: undefined, first: FAST },
    {
      what: "an upgrade after one of 97.5 s: a poll interval on",
      kind: "upgrade" as const,
      before: 97_500,
      first: SLOW,
    },
    {
      what: "an upgrade after one of 8 s: at the first fast read",
      kind: "upgrade" as const,
      before: 8_000,
      first: FAST,
    },
  ])("$what", ({ kind, before, first }) => {
    const polls = new OperationPolls(FAST, SLOW);
    if (before !== undefined) readsUntil(polls.pace("upgrade"), before);
    expect(polls.pace(kind).firstMs()).toBe(first);
  });

  it("waits at least what Retry-After asks before reading an upgrade", () => {
    const polls = new OperationPolls(FAST, SLOW);
    polls.answered(40, 30_000);
    expect(polls.pace("upgrade").firstMs()).toBe(30_000);
  });
});
