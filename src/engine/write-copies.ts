// Whether a write that failed may have landed all the same, from the copies the adapter counted (ScaleSetApi.writeSends:
// only those that may have landed) or, when it counts none, from the error. Used by every writer of the run: the model
// and extension writes, manualupgrade, the rollback, the tags.

import { AzureApiError } from "../domain/scale-set.ts";
import type { ScaleSetApi, WriteKind } from "./ports.ts";

/** An error that is not Azure's answer: the request may or may not have reached it (a connection lost, say). */
function unanswered(err: unknown): boolean {
  return !(err instanceof AzureApiError) || err.statusCode === undefined;
}

/**
 * Whether a write that failed with `err` may have landed all the same: a copy that may have landed went out since
 * `before` (writeSends counts those with no answer, and those Azure accepted; a request that never left, its sign-in
 * failed say, counts none). An adapter that does not count copies leaves it to the error: no answer from Azure, or a
 * 409 that may answer a resend.
 */
export function mayHaveLanded(
  api: Pick<ScaleSetApi, "writeSends">,
  kind: WriteKind,
  before: number | undefined,
  err: unknown,
): boolean {
  if (api.writeSends === undefined) return unanswered(err) || (err instanceof AzureApiError && err.statusCode === 409);
  return landedCopy(api, kind, before);
}

/**
 * Whether a refusal may be the answer to the SDK's resend of a write Azure took (its first answer lost): only when a
 * copy that may have landed went out before it (writeSends counts no refused copy). An adapter that does not count
 * copies leaves it to the old assumption: a 409 may be.
 */
export function mayAnswerResend(
  api: Pick<ScaleSetApi, "writeSends">,
  kind: WriteKind,
  before: number | undefined,
  err: AzureApiError,
): boolean {
  return api.writeSends === undefined ? err.statusCode === 409 : landedCopy(api, kind, before);
}

/**
 * The SDK put a copy of the write on the wire since `before` that may have landed (no answer, or an answer other than
 * a refusal), though the call ended in an error (a resend refused, its retries spent). Refused copies are not counted
 * (writeSends); false when the adapter does not count.
 */
export function landedCopy(api: Pick<ScaleSetApi, "writeSends">, kind: WriteKind, before: number | undefined): boolean {
  const after = api.writeSends?.(kind);
  return before !== undefined && after !== undefined && after - before >= 1;
}
