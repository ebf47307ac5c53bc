// Time helpers of the rollout engine: an abortable sleep, durations for people, and how long to wait between polls.

/** Waits `ms`, or less when `signal` aborts. Never rejects: callers look at the signal afterwards. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * A duration for people, the one format of the log and the report: `850 ms`, `12s`, `4m 05s`, `1h 02m 05s` (whole
 * seconds rounded to the nearest, so the report's times add up); `–` for a negative or non-finite duration.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const total = Math.round(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

/**
 * Below these counts left in Azure's throttling bucket (x-ms-ratelimit-remaining-resource), polling slows down.
 * The published Compute limits refill a few calls per minute per resource (e.g. HighCostGetVMScaleSet: 10/min,
 * bucket 30), so a handful left means the next minutes of polling could be refused with 429.
 */
const LOW_REMAINING = 10;
const VERY_LOW_REMAINING = 3;

/** The poll interval for this throttling headroom: doubled when it is low, quadrupled when nearly exhausted. */
export function throttlePace(intervalMs: number, rateLimitRemaining: number | undefined): number {
  if (rateLimitRemaining !== undefined && rateLimitRemaining <= VERY_LOW_REMAINING) return intervalMs * 4;
  if (rateLimitRemaining !== undefined && rateLimitRemaining <= LOW_REMAINING) return intervalMs * 2;
  return intervalMs;
}

/** The wait before the next poll: the interval at the pace the throttling headroom allows, never past the deadline. */
export function pollDelay(intervalMs: number, rateLimitRemaining: number | undefined, msUntilDeadline: number): number {
  return Math.max(0, Math.min(throttlePace(intervalMs, rateLimitRemaining), msUntilDeadline));
}
