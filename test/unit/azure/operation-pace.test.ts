import { describe, expect, it } from "vitest";
import { jsonOf } from "../../../src/azure/errors.ts";
import { OperationPolls, tookMs, type Pace } from "../../../src/azure/operation-pace.ts";

const FAST = 5_000;
const SLOW = 15_000;

/**
 * The times (ms since the operation started) at which the status is read (its answer comes), until the first read at
 * or after `endMs`. Each read takes `latencyMs` (Azure answers in hundreds of ms), which the pace is told of.
 */
function readsUntil(pace: Pace, endMs: number, latencyMs = 0): number[] {
  const reads: number[] = [];
  let t = 0;
  for (;;) {
    t += pace.nextMs(t, reads.length > 0 ? latencyMs : 0) + latencyMs;
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
    // 8 s, noticed at 10 s: the next is read fast, spaced to meet 10.5 s (three reads 3.5 s apart).
    ["a short upgrade expected: fast reads in the first interval", 8_000, [3_500, 7_000]],
  ])("%s", (_name, lastMs, firstReads) => {
    const polls = new OperationPolls(FAST, SLOW);
    readsUntil(polls.pace("upgrade"), lastMs);
    expect(readsUntil(polls.pace("upgrade"), 60_000).slice(0, 2)).toEqual(firstReads);
  });

  it.each([0, 150, 1_200])(
    "keeps its spacing from one read's start to the next, however long a read takes (%i ms)",
    (latencyMs) => {
      const reads = readsUntil(new OperationPolls(FAST, SLOW).pace(), 60_000, latencyMs);
      expect(reads.slice(0, 5)).toEqual([5_000, 10_000, 15_000, 30_000, 45_000].map((t) => t + latencyMs));
    },
  );

  it("waits its whole spacing after a read that took more than half of it (retries within it), or said the bucket runs low, or asked for more", () => {
    const pace = new OperationPolls(FAST, SLOW).pace();
    expect(pace.nextMs(20_000, 9_000)).toBe(SLOW);
    expect(pace.nextMs(5_000, 4_000)).toBe(FAST);
    const low = new OperationPolls(FAST, SLOW);
    low.answered(5, undefined);
    expect(low.pace().nextMs(20_000, 300)).toBe(SLOW);
    const retryAfter = new OperationPolls(FAST, SLOW);
    retryAfter.answered(undefined, 20_000);
    expect(retryAfter.pace().nextMs(20_000, 300)).toBe(20_000);
  });

  it.each([150, 1_200, 2_000])(
    "without Azure's figure, an end just after the one expected is still noticed at once (reads taking %i ms)",
    (latencyMs) => {
      const polls = new OperationPolls(FAST, SLOW);
      readsUntil(polls.pace("upgrade"), 60_000); // noticed at 60 s: the figure expected
      // Azure answers as things stand when a read is sent; its answer comes `latencyMs` later.
      const pace = polls.pace("upgrade");
      let answered = 0;
      let sent = 0;
      for (let readMs = 0; sent < 60_400; readMs = latencyMs) {
        sent = answered + pace.nextMs(answered, readMs);
        answered = sent + latencyMs;
      }
      expect(sent - 60_400).toBeLessThanOrEqual(FAST * 0.1);
    },
  );

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
      what: "an upgrade after one of 8 s (noticed at 10 s): within a fast spacing, spaced to meet its end",
      kind: "upgrade" as const,
      before: 8_000,
      first: 3_500,
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

describe("OperationPolls: Azure's own figure for how long the last upgrade took", () => {
  const URL_ =
    "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/op-1?p=x&api-version=2024-07-01";
  const status = (startTime: string, endTime?: string, state = "Succeeded"): string =>
    JSON.stringify({ startTime, ...(endTime !== undefined && { endTime }), status: state, name: "op-1" });

  it.each([
    {
      what: "Compute's format (seven decimals, +00:00)",
      body: status("2023-12-19T09:03:23.4791291+00:00", "2023-12-19T09:05:01.0001291+00:00"),
      ms: 97_521,
    },
    { what: "ISO with Z", body: status("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:08.000Z"), ms: 8_000 },
    { what: "still running", body: status("2026-01-01T00:00:00Z", undefined, "InProgress"), ms: undefined },
    { what: "no endTime", body: status("2026-01-01T00:00:00Z"), ms: undefined },
    { what: "an end before the start", body: status("2026-01-01T00:00:09Z", "2026-01-01T00:00:08Z"), ms: undefined },
    { what: "times that do not parse", body: status("yesterday", "today"), ms: undefined },
    { what: "not JSON", body: "<html>", ms: undefined },
    { what: "empty (the monitor URL's answer)", body: "", ms: undefined },
  ])("tookMs: $what", ({ body, ms }) => {
    expect(tookMs(jsonOf(body))).toBe(ms);
  });

  it.each([0, 300, 1_200])(
    "a batch as long as the last one is noticed within a tenth of the fast spacing of its end (reads taking %i ms), not up to a whole spacing",
    (latencyMs) => {
      const polls = new OperationPolls(FAST, SLOW);
      // The first batch took 97.5 s on Azure's clock; its end was noticed later, on the slow grid.
      const first = polls.pace("upgrade");
      let t = 0;
      while (t < 97_500) t += first.nextMs(t, t > 0 ? latencyMs : 0) + latencyMs;
      polls.statusBody(URL_, jsonOf(status("2026-01-01T00:00:00.000Z", "2026-01-01T00:01:37.500Z")));
      first.ended(t, URL_);
      expect(t).toBeGreaterThan(97_500 + FAST * 0.1 + latencyMs); // the figure noticed overstates it
      const reads = readsUntil(polls.pace("upgrade"), 97_500, latencyMs);
      const noticedAt = reads[reads.length - 1] ?? 0;
      expect(noticedAt - 97_500).toBeLessThanOrEqual(FAST * 0.1 + latencyMs);
    },
  );

  it("without Azure's figure, and for a batch shorter or longer than the last, the end is still noticed within the fast spacing", () => {
    for (const endMs of [90_000, 97_500, 105_000]) {
      const polls = new OperationPolls(FAST, SLOW);
      readsUntil(polls.pace("upgrade"), 97_500, 300);
      const reads = readsUntil(polls.pace("upgrade"), endMs, 300);
      expect((reads[reads.length - 1] ?? 0) - endMs).toBeLessThanOrEqual(FAST + 300);
    }
  });

  it.each([0, 300, 1_200])(
    "reads no more often for it (reads taking %i ms): reads at least a quarter spacing apart, and at most one more than a batch with no expectation",
    (latencyMs) => {
      const polls = new OperationPolls(FAST, SLOW);
      const first = polls.pace("upgrade");
      let t = 0;
      const unexpected: number[] = [];
      while (t < 97_500) unexpected.push((t += first.nextMs(t, t > 0 ? latencyMs : 0) + latencyMs));
      polls.statusBody(URL_, jsonOf(status("2026-01-01T00:00:00.000Z", "2026-01-01T00:01:37.500Z")));
      first.ended(t, URL_);
      const aligned = readsUntil(polls.pace("upgrade"), 97_500, latencyMs);
      expect(aligned.length).toBeLessThanOrEqual(unexpected.length + 1);
      for (let i = 1; i < aligned.length; i++)
        expect((aligned[i] ?? 0) - (aligned[i - 1] ?? 0)).toBeGreaterThanOrEqual(FAST / 4);
    },
  );

  it.each([0, 300, 1_200])(
    "Azure's exact figure narrows the fast window: fewer reads for a next batch that outlasts it than after a noticed figure (reads taking %i ms)",
    (latencyMs) => {
      // The next batch takes a minute longer than the last, so each pace reads through its whole fast window: the
      // count then measures the window (a batch that ends inside it stops the count at a point that depends on where
      // each grid happens to fall, either way).
      const after = (azure: boolean): number[] => {
        const polls = new OperationPolls(FAST, SLOW);
        const first = polls.pace("upgrade");
        let t = 0;
        while (t < 97_500) t += first.nextMs(t, t > 0 ? latencyMs : 0) + latencyMs;
        if (azure) polls.statusBody(URL_, jsonOf(status("2026-01-01T00:00:00.000Z", "2026-01-01T00:01:37.500Z")));
        first.ended(t, azure ? URL_ : undefined);
        return readsUntil(polls.pace("upgrade"), 97_500 + 60_000, latencyMs);
      };
      expect(after(true).length).toBeLessThan(after(false).length);
    },
  );

  it.each([
    {
      what: "Failed",
      body: JSON.stringify({ startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T00:00:08Z", status: "Failed" }),
    },
    {
      what: "Canceled",
      body: JSON.stringify({ startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T00:00:08Z", status: "Canceled" }),
    },
  ])("an operation that ended $what sets no expectation", ({ body }) => {
    expect(tookMs(jsonOf(body))).toBeUndefined();
  });

  it("an upgrade Azure says took no time (a batch already current) does not bring the next one's first read forward", () => {
    const polls = new OperationPolls(FAST, SLOW);
    const first = polls.pace("upgrade");
    first.nextMs(0);
    polls.statusBody(URL_, jsonOf(status("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z")));
    first.ended(FAST, URL_);
    expect(polls.pace("upgrade").firstMs()).toBe(FAST);
  });

  it("a status read of another operation (a model update) does not move an upgrade's expectation", () => {
    const polls = new OperationPolls(FAST, SLOW);
    readsUntil(polls.pace("upgrade"), 97_500);
    const update = polls.pace();
    polls.statusBody(URL_, jsonOf(status("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:02.000Z")));
    update.ended(2_000, URL_);
    expect(polls.pace("upgrade").firstMs()).toBe(SLOW);
  });
});
