// Rollback: on failure, when asked, the previous model back (etag-guarded) and the upgraded instances back onto it.

import { errorLine } from "../../domain/error-text.ts";
import { sortIds } from "../../domain/ids.ts";
import { AzureApiError } from "../../domain/scale-set.ts";
import type { Run } from "../run.ts";

/** A cancelled job gets no rollback: the runner kills it seconds later. */
export function shouldRollBack(run: Run): boolean {
  return run.config.rollout.rollbackOnFailure && run.modelUpdated && run.stop?.kind !== "cancelled";
}

/**
 * Puts the previous model back (etag-guarded) and brings the instances upgraded so far back onto it. It gets
 * health-timeout, and never goes past timeout + health-timeout; the API's deadline moves with it. When the
 * previous model cannot be restored, nothing is sent: an upgrade now would only bring instances onto the new model.
 */
export async function rollBack(run: Run): Promise<void> {
  const change = run.change!;
  if (change.rollback.impossible !== undefined) {
    run.noRollback = `No rollback was done: the previous model cannot be restored (${change.rollback.impossible}), so the instances stay on the new model.`;
    run.log.info(run.noRollback);
    return;
  }
  const budget = run.config.rollout.healthTimeoutMs;
  const deadline = Math.min(run.now() + budget, run.deadline + budget);
  run.api.useDeadline?.(deadline);
  const signal = AbortSignal.any([run.cancel, AbortSignal.timeout(Math.max(0, deadline - run.now())), run.end.signal]);
  const manual = run.model?.upgradeMode === "Manual";
  const ids = sortIds([...run.started].filter((id) => !run.removed.has(id)));
  run.phase = "rolling back";
  try {
    if (change.rollback.scaleSetPatch !== undefined && run.written.image) {
      const model = await run.api.getScaleSet(signal);
      run.log.info(
        `PATCH scale set back to ${JSON.stringify(change.rollback.scaleSetPatch)} with If-Match ${model.etag ?? "(none)"}.`,
      );
      run.model = await run.api.patchScaleSet(change.rollback.scaleSetPatch, model.etag, signal);
    }
    if (change.rollback.extensionPatch !== undefined && run.written.extension) {
      run.log.info(`PATCH extension '${change.rollback.extensionPatch.name}' back to its previous values.`);
      await run.api.patchExtension(change.rollback.extensionPatch, signal);
    }
    if (manual && ids.length > 0) {
      run.log.info(`manualupgrade ${ids.join(", ")} back onto the previous model.`);
      const outcome = await run.api.upgradeInstances(ids, signal);
      if (outcome.status !== "Succeeded")
        throw new AzureApiError(outcome.error?.code ?? outcome.status, outcome.error?.message ?? "");
    }
    // Back on the previous model = latestModelApplied again (Automatic/Rolling: the platform rolls it back).
    for (;;) {
      await run.list(signal);
      const stale = ids.filter((id) => run.instances.has(id) && !run.instances.get(id)?.latestModelApplied);
      run.log.info(`Rollback: ${ids.length - stale.length}/${ids.length} instance(s) back on the previous model.`);
      if (stale.length === 0) break;
      if (run.now() >= deadline)
        throw new Error(`instances ${stale.join(", ")} are not back on the previous model within health-timeout`);
      await run.untilNextPoll(deadline - run.now(), undefined, signal);
    }
    for (const id of ids) run.rolledBack.add(id);
    run.rollback = { succeeded: true, instanceIds: ids };
  } catch (err) {
    const error = errorLine(err);
    run.log.info(`Rollback failed: ${error}`);
    run.rollback = { succeeded: false, instanceIds: ids, error };
  }
}
