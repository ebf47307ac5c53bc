import { describe, expect, it } from "vitest";
import { formatDuration, pollDelay, sleep, throttlePace } from "../../../src/shared/clock.ts";

describe("pollDelay", () => {
  it.each([
    { remaining: undefined, untilDeadline: 60_000, expected: 15_000 },
    { remaining: 200, untilDeadline: 60_000, expected: 15_000 },
    { remaining: 10, untilDeadline: 60_000, expected: 30_000 }, // low headroom: slower
    { remaining: 3, untilDeadline: 120_000, expected: 60_000 }, // nearly exhausted: slower still
    { remaining: 3, untilDeadline: 20_000, expected: 20_000 }, // never past the deadline
    { remaining: undefined, untilDeadline: -5, expected: 0 },
  ])(
    "interval 15s, remaining $remaining, deadline in $untilDeadline ms → $expected ms",
    ({ remaining, untilDeadline, expected }) => {
      expect(pollDelay(15_000, remaining, untilDeadline)).toBe(expected);
    },
  );
});

describe("throttlePace", () => {
  it.each([
    { remaining: undefined, expected: 15_000 },
    { remaining: 11, expected: 15_000 },
    { remaining: 10, expected: 30_000 },
    { remaining: 3, expected: 60_000 },
  ])("interval 15s, remaining $remaining → $expected ms", ({ remaining, expected }) => {
    expect(throttlePace(15_000, remaining)).toBe(expected);
  });
});

describe("formatDuration", () => {
  it.each([
    [850, "850 ms"],
    [42_000, "42s"],
    [185_000, "3m 05s"],
    [3_720_000, "1h 02m 00s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("sleep", () => {
  it("returns as soon as the signal aborts, without rejecting", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
