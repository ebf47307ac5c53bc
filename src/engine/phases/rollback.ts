// Rollback: on failure, when asked, the previous model back (etag-guarded) and the upgraded instances back onto it.

import { errorLine, isAbort } from "../../domain/error-text.ts";
import { isPreconditionFailed, isRetryableRefusal } from "../../domain/azure-errors.ts";
import { describeRunning, isBusy, reachedByUpgrade } from "../../domain/in-progress.ts";
import { formatDuration } from "../../shared/clock.ts";
import { sortIds } from "../../domain/ids.ts";
import { AzureApiError, type OperationOutcome } from "../../domain/scale-set.ts";
import { describeImage, driftFrom, holdsImage, holdsPatch, type ModelChange } from "../../domain/change.ts";
import type { ScaleSetModel } from "../../domain/scale-set.ts";
import type { ChangeRequest } from "../../config/types.ts";
import type { ScaleSetApi } from "../ports.ts";
import { FINAL_LISTING_MS, type Run } from "../run.ts";
import { mayAnswerResend } from "./model-update.ts";

/** A cancelled job gets no rollback: the runner kills it seconds later. */
export function shouldRollBack(run: Run): boolean {
  return (
    run.config.rollout.rollbackOnFailure &&
    run.state.modelUpdated &&
    run.state.stop?.kind !== "cancelled" &&
    run.state.leaseLost === undefined
  );
}

/**
 * Puts the previous model back (etag-guarded) and brings the instances upgraded so far back onto it. It gets
 * health-timeout, and never goes past timeout + health-timeout; the API's deadline moves with it. When the
 * previous model cannot be restored, nothing is sent: an upgrade now would only bring instances onto the new model.
 * `leaseUntil`: when the run's lease on the scale set ends; the rollback stops by then (another run may take the scale
 * set over after it), and when the lease is lost.
 */
export async function rollBack(run: Run, api: ScaleSetApi, change: ModelChange, leaseUntil?: number): Promise<void> {
  const { state } = run;
  if (change.rollback.impossible !== undefined) {
    const reason = `No rollback was done: the previous model cannot be restored (${change.rollback.impossible}), so the instances stay on the new model.`;
    state.rollbackSkipped(reason);
    run.log.info(reason);
    return;
  }
  const budget = run.config.rollout.healthTimeoutMs;
  const budgetEnd = Math.min(run.now() + budget, run.deadline + budget);
  // Other runs judge the lease's expiry by their own clocks: the rollback stops a little before it.
  const leaseEnd = leaseUntil === undefined ? Number.POSITIVE_INFINITY : leaseUntil - LEASE_CLOCK_MARGIN_MS;
  const deadline = Math.min(budgetEnd, leaseEnd);
  const byLease = leaseEnd < budgetEnd;
  api.useDeadline?.(deadline);
  const signal = AbortSignal.any([
    run.cancel,
    AbortSignal.timeout(Math.max(0, deadline - run.now())),
    run.end.signal,
    run.leaseLostSignal,
  ]);
  const manual = state.model?.upgradeMode === "Manual";
  const ids = sortIds([...state.started].filter((id) => !state.removed.has(id)));
  run.enter({ kind: "rolling-back" });
  run.emit({ type: "rollback-started", ids });
  try {
    const { scaleSetPatch, extensionPatch } = change.rollback;
    const restoreImage = scaleSetPatch !== undefined && state.written.image;
    const restoreExtension = extensionPatch !== undefined && state.written.extension;
    if (restoreImage || restoreExtension) {
      // What this run wrote must still be there: a change another writer made since is not overwritten. The image's
      // PATCH goes with this read's etag, so nothing can slip in between; the extension takes no If-Match.
      const model = await api.getScaleSet(signal);
      const moved = changedSince(model, state.request, restoreImage, restoreExtension);
      if (moved !== undefined) {
        const reason = `No rollback was done: ${moved}, so another writer changed it since this run's write; the rollback does not overwrite that change. The instances upgraded by this run stay as they are.`;
        state.rollbackSkipped(reason);
        run.log.warning(reason, "No rollback");
        run.emit({ type: "rollback-ended", succeeded: false });
        return;
      }
      if (restoreImage) {
        run.log.info(
          `PATCH scale set back to ${JSON.stringify(scaleSetPatch)} with If-Match ${model.etag ?? "(none)"}.`,
        );
        try {
          state.read(await api.patchScaleSet(scaleSetPatch, model.etag, signal));
        } catch (err) {
          await restoredAnyway(run, api, signal, err, "image", (m) => holdsImage(m, scaleSetPatch));
        }
      }
    }
    if (restoreExtension) {
      if (restoreImage) {
        // The image's PATCH and its operation took a while, and the extension's PATCH takes no If-Match: what this run
        // wrote to the extension is checked again right before it, so a change another writer made meanwhile is not
        // overwritten (a window of one read and one write is left; Azure offers no condition on an extension write).
        const moved = changedSince(await api.getScaleSet(signal), state.request, false, true);
        if (moved !== undefined)
          throw new Error(
            `the extension was not put back: ${moved}, so another writer changed it during the rollback; the rollback does not overwrite that change, and no instance was sent back`,
          );
      }
      run.log.info(`PATCH extension '${extensionPatch.name}' back to its previous values.`);
      try {
        await api.patchExtension(extensionPatch, signal);
      } catch (err) {
        await restoredAnyway(run, api, signal, err, "extension", (m) => holdsPatch(m, extensionPatch));
      }
    }
    // In batches, each batch's gate ends on a listing that shows it back: the last one is fresh for the check below.
    let fresh = manual && ids.length > 0;
    if (fresh) await rollBackInBatches(run, api, ids, deadline, signal);
    // Back on the previous model = latestModelApplied again (Automatic/Rolling: the platform rolls it back).
    for (;;) {
      if (!fresh) run.listed(await api.listInstances(signal));
      fresh = false;
      const stale = ids.filter((id) => state.instances.has(id) && !state.instances.get(id)?.latestModelApplied);
      run.log.info(`Rollback: ${ids.length - stale.length}/${ids.length} instance(s) back on the previous model.`);
      if (stale.length === 0) break;
      if (run.now() >= deadline)
        throw new Error(`instances ${stale.join(", ")} are not back on the previous model within health-timeout`);
      await run.untilNextPoll(deadline - run.now(), undefined, signal);
    }
    state.rollbackEnded({ succeeded: true, instanceIds: ids });
    run.emit({ type: "rollback-ended", succeeded: true });
  } catch (err) {
    const error =
      state.leaseLost !== undefined
        ? `stopped: the run lost its lease on the scale set (${errorLine(err)})`
        : byLease && run.now() >= deadline
          ? `stopped at ${new Date(leaseEnd).toISOString()}, before the run's lease on the scale set ends: it could not be extended to cover the rollback, and another run may take the scale set over then (${errorLine(err)})`
          : errorLine(err);
    run.log.info(`Rollback failed: ${error}`);
    // The record says where the instances stand after what the rollback did (a manualupgrade sent, a model put back).
    try {
      run.listed(await api.listInstances(run.finalSignal(FINAL_LISTING_MS)));
    } catch (listErr) {
      run.log.warning(`Could not list the instances after the rollback: ${errorLine(listErr)}.`);
    }
    state.rollbackEnded({ succeeded: false, instanceIds: ids, error });
    run.emit({ type: "rollback-ended", succeeded: false });
  }
}

/**
 * A rollback PATCH answered with an error that may follow a copy Azure applied: the SDK resends a PATCH whose answer
 * was lost, and the resend meets 412 (the first copy moved the etag its If-Match names), or 409 (the first copy's
 * update still runs), or gets no answer at all. One read says which: when the model holds the previous values the
 * rollback PATCH sent, the model is restored (waited for until the scale set is no longer busy) and the rollback goes
 * on; otherwise the error stands. Assumption: another writer putting back those very values in that moment is taken
 * for the rollback's own write, which is what the model then holds either way.
 */
async function restoredAnyway(
  run: Run,
  api: ScaleSetApi,
  signal: AbortSignal,
  err: unknown,
  what: "image" | "extension",
  holds: (model: ScaleSetModel) => boolean,
): Promise<void> {
  const maybeApplied =
    !(err instanceof AzureApiError) ||
    err.statusCode === undefined ||
    isPreconditionFailed(err) ||
    isRetryableRefusal(err);
  if (isAbort(err) || !maybeApplied) throw err;
  let model = await api.getScaleSet(signal);
  if (!holds(model)) throw err;
  run.log.info(
    `The rollback's ${what} PATCH failed (${errorLine(err)}), but the model holds the previous values: Azure applied it (an earlier copy whose answer was lost).`,
  );
  while (describeRunning(model, undefined, []) !== undefined) {
    await run.untilNextPoll(Number.POSITIVE_INFINITY, undefined, signal);
    model = await api.getScaleSet(signal);
  }
  run.state.read(model);
}

/** Why the model no longer holds what this run wrote (`request`, on the parts it wrote), or undefined when it does. */
function changedSince(
  model: ScaleSetModel,
  request: ChangeRequest,
  image: boolean,
  extension: boolean,
): string | undefined {
  const drift = driftFrom(model, request, { image, extension });
  switch (drift?.kind) {
    case undefined:
      return undefined;
    case "refused":
      return `the scale set's model no longer takes this run's change (${drift.reason})`;
    case "image":
      return `the model's image is now ${describeImage(drift.image)}, not what this run wrote`;
    case "extension":
      return `extension '${drift.name}' no longer holds what this run wrote`;
  }
}

/** How long before its lease ends a rollback stops (clock skew between runners). */
const LEASE_CLOCK_MARGIN_MS = 5_000;

/** A rollback batch's manualupgrade refused with 409: tried again after poll-interval, doubled up to this. */
const MAX_ROLLBACK_BACKOFF_MS = 120_000;

/**
 * One rollback batch's manualupgrade, as the forward batches send theirs (manual-batches.ts). A refusal of a copy the
 * SDK sent more than once may answer a resend of a request Azure took (its first answer lost), so the instances are
 * listed: when every one is back on the model or being upgraded, Azure took it, and the batch's gate waits for them. A
 * 409 of a copy sent once is another operation's (the forward upgrade a timeout cut off, still running, say): tried
 * again after poll-interval (doubled, at most 2 minutes apart) as long as the rollback's time allows, without the
 * instances already back.
 */
async function upgradeBack(
  run: Run,
  api: ScaleSetApi,
  chunk: readonly string[],
  label: string,
  deadline: number,
  signal: AbortSignal,
): Promise<OperationOutcome> {
  let ids = [...chunk];
  for (let attempt = 1; ; attempt++) {
    const sendsBefore = api.writeSends?.("upgrade");
    try {
      return await api.upgradeInstances(ids, signal);
    } catch (err) {
      if (isAbort(err) || !(err instanceof AzureApiError) || err.statusCode === undefined) throw err;
      const maybeTaken = mayAnswerResend(api, "upgrade", sendsBefore, err);
      if (err.statusCode !== 409 && !maybeTaken) throw err;
      run.listed(await api.listInstances(signal));
      const instance = (id: string) => run.state.instances.get(id);
      if (maybeTaken && ids.every((id) => reachedByUpgrade(instance(id)))) {
        run.log.info(
          `[${label}] manualupgrade was refused (${err.statusCode} ${err.code}), but every instance of it is back on the model or being upgraded: Azure took an earlier copy of the request, whose answer was lost.`,
        );
        return { status: "Succeeded" };
      }
      const delay = Math.min(MAX_ROLLBACK_BACKOFF_MS, run.config.rollout.pollIntervalMs * 2 ** (attempt - 1));
      if (err.statusCode !== 409 || run.now() + delay >= deadline) throw err;
      ids = ids.filter((id) => {
        const state = instance(id);
        return !(state !== undefined && state.latestModelApplied && !isBusy(state));
      });
      if (ids.length === 0) return { status: "Succeeded" };
      run.log.info(`[${label}] manualupgrade refused (${errorLine(err)}): trying again in ${formatDuration(delay)}.`);
      await run.sleep(delay, signal);
    }
  }
}

/**
 * Manual mode: the upgraded instances back onto the previous model in batches no larger than the rollout's, each
 * behind the same health gate as a forward batch (back on the model and healthy, within the rollback's time), so
 * that a rollback never takes down more instances at once than the rollout did. A batch that does not come back
 * healthy ends the rollback; the later ones are not sent.
 */
async function rollBackInBatches(
  run: Run,
  api: ScaleSetApi,
  ids: readonly string[],
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  const { state } = run;
  const size = Math.max(1, ...state.batches.map((b) => b.instanceIds.length));
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
  for (const [index, chunk] of chunks.entries()) {
    const label = `rollback batch ${index + 1} of ${chunks.length}`;
    run.log.info(`[${label}] manualupgrade ${chunk.join(", ")} back onto the previous model.`);
    const outcome = await upgradeBack(run, api, chunk, label, deadline, signal);
    if (outcome.status !== "Succeeded")
      throw new AzureApiError(outcome.error?.code ?? outcome.status, outcome.error?.message ?? "");
    for (;;) {
      run.listed(await api.listInstances(signal));
      const over = run.now() >= deadline;
      const present = chunk.filter((id) => state.instances.has(id));
      const verdicts = present.map((id) => [id, run.assess(id, over)] as const);
      const bad = verdicts.filter(([, a]) => a.kind === "failed" || a.kind === "unhealthy").map(([id]) => id);
      const waiting = verdicts.filter(([, a]) => a.kind === "pending").map(([id]) => id);
      run.log.info(
        `[${label}] ${present.length - bad.length - waiting.length}/${present.length} back on the previous model and healthy.`,
      );
      if (bad.length > 0)
        throw new Error(`${label}: instance(s) ${bad.join(", ")} failed or are unhealthy on the previous model`);
      if (waiting.length === 0) break;
      if (over)
        throw new Error(
          `${label}: instance(s) ${waiting.join(", ")} are not back on the previous model and healthy within health-timeout`,
        );
      await run.untilNextPoll(deadline - run.now(), undefined, signal);
    }
  }
}
