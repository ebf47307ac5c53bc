// Reads retried with backoff. The SDK's retry policy gives up on reads too soon (4 attempts for a 500 or a dropped
// connection; a 429 without Retry-After not retried at all; see createComputeScaleSetApi), so GETs — the scale set,
// every page of the instance list, rollingUpgrades/latest, operation status polls — go through readRetryPolicy
// instead: retried for as long as the deadline allows. Writes keep the SDK's own policy (see the note there).

import { formatDuration, sleep } from "../shared/clock.ts";
import { AzureApiError } from "../domain/scale-set.ts";
import type { Logger } from "../engine/ports.ts";
import { abortError, correlationIdOf, isConnectionError, isRetryableStatus, retryAfterMs } from "./errors.ts";
import type { PipelinePolicy, PipelineResponse } from "./pipeline-types.ts";

export interface RetryTiming {
  /** The first wait when Azure names none; it doubles with each attempt … */
  readonly baseMs: number;
  /** … up to this. */
  readonly maxMs: number;
  /** Attempts in all while no deadline is set (useDeadline); with one, attempts go on until it. */
  readonly attemptsWithoutDeadline: number;
  readonly now: () => number;
  /** Waits `ms`, or less when `signal` aborts (never rejects). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** In [0, 1): the jitter. */
  readonly random: () => number;
}

/**
 * 1 s, 2 s, 4 s … 30 s (each less a random part of up to half, so that clients throttled together do not come back
 * together): the HighCostGetVMScaleSet bucket of the instance list refills a token every 6 s (10 a minute), GetOperation
 * every 4 s, so waits of this order let a throttled read through within a few attempts without hammering the bucket.
 */
export const DEFAULT_RETRY_TIMING: RetryTiming = {
  baseMs: 1_000,
  maxMs: 30_000,
  attemptsWithoutDeadline: 8,
  now: () => Date.now(),
  sleep,
  random: () => Math.random(),
};

/** The wait before attempt `attempt + 1` (`attempt` ≥ 0 failed ones so far) when Azure names none. Pure. */
export function backoffMs(attempt: number, timing: Pick<RetryTiming, "baseMs" | "maxMs">, random: number): number {
  const ceiling = Math.min(timing.maxMs, timing.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + 0.5 * random));
}

/**
 * What to do after a failed attempt (`attempt` counts from 0): wait `waitMs` and try again, or give up — when the wait
 * would end past the deadline (`leftMs` before it), or, with no deadline, after `attemptsWithoutDeadline`. Pure.
 */
export function nextAttempt(
  attempt: number,
  retryAfter: number | undefined,
  leftMs: number,
  timing: Pick<RetryTiming, "baseMs" | "maxMs" | "attemptsWithoutDeadline">,
  random: number,
): { readonly waitMs: number; readonly retry: boolean } {
  const waitMs = retryAfter ?? backoffMs(attempt, timing, random);
  if (leftMs === Number.POSITIVE_INFINITY) return { waitMs, retry: attempt + 1 < timing.attemptsWithoutDeadline };
  return { waitMs, retry: waitMs <= leftMs };
}

/**
 * The error for a throttled answer (429 or 503) whose Retry-After asks to wait `waitMs`, more than the `leftMs` left
 * before the deadline: shared by the read retry (below) and the watch policy in pipeline.ts, which sees writes' answers.
 */
export function throttledPastDeadline(response: PipelineResponse, waitMs: number, leftMs: number): AzureApiError {
  return new AzureApiError(
    "TooManyRequests",
    `Azure throttled the request (HTTP ${response.status}) and asked to wait ${Math.ceil(waitMs / 1000)}s, ` +
      `more than the ${Math.floor(leftMs / 1000)}s left before the timeout.`,
    response.status,
    correlationIdOf(response),
  );
}

/**
 * Takes the place of the SDK's retry policy (phase Retry; the sign-in policy is below it, so each attempt has a valid
 * token). GETs are sent again after a 429, 408 or 5xx (except 501/505) or when the connection failed (reset, refused,
 * timed out), waiting what Retry-After / x-ms-retry-after-ms says or else backoffMs, for as long as the deadline allows
 * and never past it; an abort ends the wait at once. When it gives up, the last answer goes on to the SDK (which
 * throws it as a RestError) — a throttled one that asked to wait past the deadline becomes an AzureApiError saying so.
 * Other methods go to `writes` (the SDK's own retry policy).
 */
export function readRetryPolicy(
  writes: PipelinePolicy | undefined,
  deadline: () => number,
  timing: RetryTiming,
  logger: Logger,
): PipelinePolicy {
  return {
    name: "vmssRolloutReadRetry",
    sendRequest: async (request, next) => {
      if (request.method !== "GET") return writes ? writes.sendRequest(request, next) : next(request);
      const signal = request.abortSignal as AbortSignal | undefined;
      for (let attempt = 0; ; attempt++) {
        let response: PipelineResponse | undefined;
        let error: unknown;
        try {
          response = await next(request);
          if (!isRetryableStatus(response.status)) return response;
        } catch (err) {
          if (signal?.aborted || !isConnectionError(err)) throw err;
          error = err;
        }
        const retryAfter = response && retryAfterMs(response.headers, timing.now());
        const leftMs = Math.max(0, deadline() - timing.now());
        const { waitMs, retry } = nextAttempt(attempt, retryAfter, leftMs, timing, timing.random());
        const what = response ? `HTTP ${response.status}` : `no answer (${(error as { code?: string }).code ?? "?"})`;
        if (!retry) {
          if (
            response &&
            retryAfter !== undefined &&
            waitMs > leftMs &&
            (response.status === 429 || response.status === 503)
          )
            throw throttledPastDeadline(response, waitMs, leftMs);
          if (response) return response;
          throw error;
        }
        const url = new URL(request.url);
        const message = `Azure answered GET ${url.pathname} with ${what}: trying again in ${formatDuration(waitMs)} (attempt ${attempt + 2}).`;
        if (waitMs >= 1_000) logger.info(message);
        else logger.debug(message);
        await timing.sleep(waitMs, signal ?? new AbortController().signal);
        if (signal?.aborted) throw abortError();
      }
    },
  };
}
