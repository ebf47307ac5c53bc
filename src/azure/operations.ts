// Long-running operations: following one at the pace OperationPolls sets, and telling how it ended — Succeeded, or
// Failed / Canceled with ARM's error from the operation's status body (kept by the pipeline, see OperationErrors).

import { isAbort } from "../domain/error-text.ts";
import { sleep } from "../shared/clock.ts";
import { unreadEnd, type AzureErrorInfo, type OperationOutcome, type PendingOperation } from "../domain/scale-set.ts";
import { abortError, isRestError, toApiError } from "./errors.ts";
import type { Pace } from "./operation-pace.ts";

/** What this module uses of core-lro's PollerLike. */
export interface Poller<T> {
  submitted(): Promise<void>;
  poll(options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  readonly isDone: boolean;
  readonly result?: T | undefined;
  /** core-lro's state: its `status` tells a failed or canceled operation; `config.operationLocation` its status URL. */
  readonly operationState?: { readonly status?: string } | undefined;
}

/**
 * The errors of operations that ended Failed or Canceled, as their status bodies said (`{"status":"Failed","error":
 * {"code","message"}}`), by status URL path. core-lro keeps the code only inside the text of the Error it throws.
 */
export class OperationErrors {
  readonly #byPath = new Map<string, AzureErrorInfo>();

  static key(url: string): string {
    return new URL(url).pathname.toLowerCase();
  }

  record(url: string, error: AzureErrorInfo): void {
    this.#byPath.set(OperationErrors.key(url), error);
  }

  take(url: string | undefined): AzureErrorInfo | undefined {
    if (url === undefined) return undefined;
    const key = OperationErrors.key(url);
    const error = this.#byPath.get(key);
    this.#byPath.delete(key);
    return error;
  }
}

/** Thrown by follow() for an operation that ended Failed or Canceled: how it ended. */
export class OperationEnded extends Error {
  readonly outcome: OperationOutcome;
  constructor(outcome: OperationOutcome) {
    super(outcome.error?.message || `The operation ended ${outcome.status}.`);
    this.name = "OperationEnded";
    this.outcome = outcome;
  }
}

/**
 * A poller for an operation whose result is void (manualupgrade), made not to read the operation's `Location` once its
 * status (`Azure-AsyncOperation`) says Succeeded. core-lro reads it then (the SDK declares final-state-via `location`
 * for this POST) to fetch a result there is none of: on Azure it answers an empty 200. Skipping it saves one
 * GetOperation read and one round trip per batch (issue #18). A Failed or Canceled status is read from the status URL
 * as before, and so is every status when Azure gave only a `Location` (then it is the status URL itself).
 * How: core-lro keeps the URL to read last in its live state (`operationState.config.resourceLocation`, set when the
 * first answer arrives, core-lro 3.x); it is removed once the request is answered. Should that shape change, nothing is
 * removed and the read is made as before.
 */
export function withoutResultRead<T>(poller: Poller<T>): Poller<T> {
  return {
    submitted: async () => {
      await poller.submitted();
      const config = (
        poller.operationState as { config?: { resourceLocation?: unknown; metadata?: { mode?: unknown } } } | undefined
      )?.config;
      if (config?.metadata?.mode === "OperationLocation" && typeof config.resourceLocation === "string")
        delete config.resourceLocation;
    },
    poll: (options) => poller.poll(options),
    get isDone() {
      return poller.isDone;
    },
    get result() {
      return poller.result;
    },
    get operationState() {
      return poller.operationState;
    },
  };
}

/** What core-client hands an `onResponse` callback, as far as tagsAnswerIsFinal reads and changes it. */
export interface RawAnswer {
  readonly status: number;
  readonly rawHeaders?: Record<string, string>;
  readonly parsedBody?: unknown;
}

/**
 * An `onResponse` for the run's last tags-only PATCH of the scale set (ScaleSetApi.writeTags with `last`: the lease's
 * release at the end, which no write of the run follows): when Azure answers 200 with the scale set and its tags are
 * exactly those sent, that answer is the write's result, and core-lro is made to take it so (its operation headers are
 * removed from the answer it reads: a 200 without them is an operation that is over). Neither the operation's status
 * nor the scale set is read after it: two round trips fewer between the verdict and the run's end (issue #18).
 * Why the answer suffices: with If-Match, the 200 is the moment the write landed (a 412 otherwise); its body is the
 * scale set as written, its tags included. The operation Azure starts for it has nothing to apply: tags are outside
 * the virtual machine profile, so no instance takes anything from it (emulator/README.md, "Tags and the lease").
 * Only the last tag write: a write sent while that operation runs may meet 409 on Azure ("The request failed due to
 * conflict with a concurrent request", microsoft/onefuzz#2124) or preempt it (`OperationPreempted`,
 * kubernetes/autoscaler#9835), and whether the etag moves when it ends is not recorded. A 201 or 202, an answer
 * without the tags sent, or one whose shape core-client changed is left as it is and followed as before.
 * How: core-client passes the same header object to `onResponse` and to core-lro (@typespec/ts-http-runtime
 * sendRequest, core-lro 3.x); should that change, removing them changes nothing.
 */
export function tagsAnswerIsFinal(sent: Readonly<Record<string, string>>): (answer: RawAnswer) => void {
  return (answer) => {
    if (answer.status !== 200 || answer.rawHeaders === undefined) return;
    const tags = (answer.parsedBody as { tags?: unknown } | null | undefined)?.tags;
    if (typeof tags !== "object" || tags === null || Array.isArray(tags)) return;
    const held = tags as Record<string, unknown>;
    const names = Object.keys(sent);
    if (Object.keys(held).length !== names.length || names.some((n) => held[n] !== sent[n])) return;
    for (const header of ["azure-asyncoperation", "operation-location", "location"]) delete answer.rawHeaders[header];
  };
}

function operationLocation(poller: Poller<unknown>): string | undefined {
  const config = (poller.operationState as { config?: { operationLocation?: unknown } } | undefined)?.config;
  return typeof config?.operationLocation === "string" ? config.operationLocation : undefined;
}

/**
 * Follows an operation until it ends, reading its status when `pace` says (the SDK's poller would read it at one fixed
 * interval). Resolves with its result; rejects with OperationEnded when it failed or was canceled, with the SDK's
 * error when a status read failed, or with an AbortError.
 */
export async function follow<T>(
  poller: Poller<T>,
  signal: AbortSignal | undefined,
  pace: Pace,
  errors: OperationErrors,
): Promise<T> {
  const options = signal ? { abortSignal: signal } : undefined;
  await poller.submitted();
  const started = Date.now();
  try {
    const first = pace.firstMs();
    // An operation Azure answered as done (200) is not waited for.
    if (first > 0 && !poller.isDone) {
      await sleep(first, signal ?? new AbortController().signal);
      if (signal?.aborted) throw abortError();
    }
    let readStarted = Date.now();
    await poller.poll(options);
    while (!poller.isDone) {
      const now = Date.now();
      await sleep(pace.nextMs(now - started, now - readStarted), signal ?? new AbortController().signal);
      if (signal?.aborted) throw abortError();
      readStarted = Date.now();
      await poller.poll(options);
    }
  } catch (err) {
    // A status read that failed (core-lro then also calls the operation failed) is a read error, not the outcome.
    if (isAbort(err) || isRestError(err)) throw err;
    const status = poller.operationState?.status;
    const recorded = errors.take(operationLocation(poller));
    if (status === "canceled") throw new OperationEnded({ status: "Canceled", ...(recorded && { error: recorded }) });
    if (status === "failed")
      throw new OperationEnded({
        status: "Failed",
        error: recorded ?? { code: "OperationFailed", message: err instanceof Error ? err.message : String(err) },
      });
    throw err;
  }
  pace.ended(Date.now() - started, operationLocation(poller));
  return poller.result as T;
}

/**
 * Resolves once the initial request was answered (an HTTP error rejects); `done` follows the operation and never
 * rejects: an aborted wait is undefined, anything else that ends it (a poll refused, sign-in lost) a Failed outcome.
 */
export async function accepted<T>(
  poller: Poller<T>,
  signal: AbortSignal | undefined,
  pace: Pace,
  errors: OperationErrors,
  describeAuthError: (err: unknown) => string | undefined,
): Promise<PendingOperation> {
  await poller.submitted();
  const done = follow(poller, signal, pace, errors).then(
    (): OperationOutcome => ({ status: "Succeeded" }),
    (err: unknown): OperationOutcome | undefined => {
      if (isAbort(err)) return undefined;
      if (err instanceof OperationEnded) return err.outcome;
      // A status read that failed: the operation's own end is unknown (unread), not Failed.
      return unreadEnd(toApiError(err, describeAuthError));
    },
  );
  return { done };
}
