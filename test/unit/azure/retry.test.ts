import { describe, expect, it } from "vitest";
import { backoffMs, DEFAULT_RETRY_TIMING, nextAttempt } from "../../../src/azure/retry.ts";

const TIMING = { baseMs: 1_000, maxMs: 30_000, attemptsWithoutDeadline: 8 };

describe("backoffMs: capped exponential backoff with jitter", () => {
  it.each([
    { attempt: 0, random: 0, ms: 500 },
    { attempt: 0, random: 0.999_999, ms: 1_000 },
    { attempt: 1, random: 0.5, ms: 1_500 },
    { attempt: 3, random: 0.999_999, ms: 8_000 },
    { attempt: 5, random: 0.999_999, ms: 30_000 },
    { attempt: 40, random: 0, ms: 15_000 },
  ])("attempt $attempt, random $random → $ms ms", ({ attempt, random, ms }) => {
    expect(backoffMs(attempt, TIMING, random)).toBe(ms);
  });

  it("the defaults: 1 s doubling up to 30 s, 8 attempts while no deadline is set", () => {
    expect(DEFAULT_RETRY_TIMING).toMatchObject(TIMING);
  });
});

describe("nextAttempt: within the deadline, never past it", () => {
  it.each([
    {
      what: "Retry-After is honoured as it is",
      attempt: 0,
      retryAfter: 7_000,
      leftMs: 60_000,
      waitMs: 7_000,
      retry: true,
    },
    { what: "no Retry-After: backoff", attempt: 2, retryAfter: undefined, leftMs: 60_000, waitMs: 4_000, retry: true },
    {
      what: "a wait past the deadline gives up",
      attempt: 0,
      retryAfter: 61_000,
      leftMs: 60_000,
      waitMs: 61_000,
      retry: false,
    },
    {
      what: "a backoff past the deadline gives up",
      attempt: 4,
      retryAfter: undefined,
      leftMs: 10_000,
      waitMs: 16_000,
      retry: false,
    },
    {
      what: "attempts go on as long as the deadline allows",
      attempt: 100,
      retryAfter: 1_000,
      leftMs: 2_000,
      waitMs: 1_000,
      retry: true,
    },
    {
      what: "no deadline: a bounded number of attempts",
      attempt: 6,
      retryAfter: 0,
      leftMs: Infinity,
      waitMs: 0,
      retry: true,
    },
    { what: "no deadline: then it gives up", attempt: 7, retryAfter: 0, leftMs: Infinity, waitMs: 0, retry: false },
  ])("$what", ({ attempt, retryAfter, leftMs, waitMs, retry }) => {
    expect(nextAttempt(attempt, retryAfter, leftMs, TIMING, 0.999_999)).toEqual({ waitMs, retry });
  });
});
