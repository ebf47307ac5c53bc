// The pipeline policies the adapter adds to the SDK's: the read retry in place of the SDK's retry policy (retry.ts),
// and below it a policy that watches every raw response — throttling headroom, list pages, operation status — and
// keeps the Retry-After of writes within the deadline.

import { armErrorIn, jsonOf, noteRefusedRead, retryAfterMs } from "./errors.ts";
import { lowestOf, type Headroom, type ListBudget } from "./list-budget.ts";
import type { OperationPolls } from "./operation-pace.ts";
import type { OperationErrors } from "./operations.ts";
import { readRetryPolicy, throttledPastDeadline, type RetryTiming } from "./retry.ts";
import type { Logger } from "../engine/ports.ts";
import type { Pipeline, PipelinePolicy } from "./pipeline-types.ts";

/** The SDK's retry policy's name (@typespec/ts-http-runtime defaultRetryPolicyName). */
const SDK_RETRY_POLICY = "defaultRetryPolicy";

export interface Watchers {
  readonly headroom: Headroom;
  readonly lists: ListBudget;
  readonly operations: OperationPolls;
  readonly operationErrors: OperationErrors;
  /**
   * Told of every attempt of a write (method other than GET), resends by the SDK's retry included, that may have
   * landed: it got no answer (a connection lost, a cut-off), or an answer other than a refusal. A copy Azure refused
   * (any 4xx: 409, 412, 429 …; or 503, busy) did not land, and is not told.
   */
  readonly sent?: (method: string, url: string) => void;
}

/**
 * Whether a write answered with `status` may have been applied: a success, or a server error other than 503 (a 500 or
 * a gateway's 502/504 may come after the resource provider took it). A 4xx and a 503 (ServerBusy) are refusals.
 */
function mayHaveLanded(status: number): boolean {
  return status < 400 || (status >= 500 && status !== 503);
}

/**
 * Puts the read retry in the place of the SDK's retry policy (which it keeps for writes) and the watching policy below
 * it, so that the latter sees every attempt.
 */
export function installPolicies(
  pipeline: Pipeline,
  deadline: () => number,
  timing: RetryTiming,
  logger: Logger,
  watchers: Watchers,
): void {
  const [sdkRetry] = pipeline.removePolicy({ name: SDK_RETRY_POLICY });
  pipeline.addPolicy(readRetryPolicy(sdkRetry, deadline, timing, logger), { phase: "Retry" });
  pipeline.addPolicy(watchingPolicy(deadline, timing.now, watchers), { afterPhase: "Sign" });
}

/**
 * The scale set's instance list (and each of its nextLink pages): GET …/virtualMachineScaleSets/{name}/virtualMachines.
 * Not the standalone VM list a Flexible set is also read with (…/providers/Microsoft.Compute/virtualMachines): Azure
 * counts that against other buckets, whose figures must not move the instance list's budget.
 */
export function isInstanceList(pathname: string): boolean {
  return /\/virtualMachineScaleSets\/[^/]+\/virtualMachines$/i.test(pathname);
}

/**
 * Below the retry policies, so it sees (and may rewrite) every raw response:
 * - reads: records the throttling headroom (so the engine can slow its polling), the instance list's pages (ListBudget),
 *   an operation status's bucket and pace (OperationPolls) and, when it ended Failed or Canceled, its error;
 * - a write throttled (429/503) with a Retry-After past the deadline fails now, saying so, instead of sleeping into the
 *   timeout (the SDK's retry waits whatever Retry-After says, uncapped); reads are the read retry's business;
 * - any other Retry-After (an operation poll's pace) is capped at the time left.
 */
function watchingPolicy(deadline: () => number, now: () => number, watchers: Watchers): PipelinePolicy {
  return {
    name: "vmssRolloutWatch",
    sendRequest: async (request, next) => {
      let response: Awaited<ReturnType<typeof next>>;
      // Aborted before it was handed on (a cancel, the deadline): it never left, so it cannot have landed.
      const abortedBefore = request.abortSignal?.aborted === true;
      try {
        response = await next(request);
      } catch (err) {
        if (request.method !== "GET" && !abortedBefore) watchers.sent?.(request.method, request.url);
        throw err;
      }
      if (request.method !== "GET" && mayHaveLanded(response.status)) watchers.sent?.(request.method, request.url);
      const at = now();
      if (request.method === "GET") {
        if (response.status >= 400) noteRefusedRead(request, response.bodyAsText);
        const header = response.headers.get("x-ms-ratelimit-remaining-resource") ?? "";
        watchers.headroom.record(header, at);
        const url = new URL(request.url);
        if (isInstanceList(url.pathname) && response.status < 300)
          watchers.lists.page(
            !/skiptoken/i.test(url.search),
            lowestOf(header),
            at,
            url.searchParams.get("$filter") ?? "",
          );
        // An operation's status: its throttling bucket, the pace Azure asks for (capped below), how it ended.
        if (/\/operations\/[^/]+$/i.test(url.pathname) && response.status < 300) {
          watchers.operations.answered(lowestOf(header), retryAfterMs(response.headers, at));
          const document = jsonOf(response.bodyAsText);
          watchers.operations.statusBody(request.url, document);
          const error = armErrorIn(document);
          if (error !== undefined) watchers.operationErrors.record(request.url, error);
        }
      }
      const waitMs = retryAfterMs(response.headers, at);
      const leftMs = Math.max(0, deadline() - at);
      if (waitMs === undefined || waitMs <= leftMs) return response;
      if (response.status === 429 || response.status === 503) {
        if (request.method === "GET") return response;
        throw throttledPastDeadline(response, waitMs, leftMs);
      }
      response.headers.delete("retry-after-ms");
      response.headers.delete("x-ms-retry-after-ms");
      response.headers.set("retry-after", String(Math.floor(leftMs / 1000)));
      return response;
    },
  };
}
