// Platform (Automatic / Rolling mode): each model write, then the platform's roll that follows it, polled until it is
// done, Faulted, or the time is spent.

import { describeError } from "../../domain/error-text.ts";
import { isBusy } from "../../domain/in-progress.ts";
import { planBatches } from "../../domain/batches.ts";
import type {
  InstanceState,
  OperationOutcome,
  PendingOperation,
  RollingUpgradeStatus,
} from "../../domain/scale-set.ts";
import { listIds } from "../../domain/verdict.ts";
import { StopError, type Run } from "../run.ts";
import { startExtensionWrite, startImageWrite } from "./model-update.ts";

/**
 * Each write, then the platform's roll that follows it. Azure refuses a model write while the previous one's
 * operation runs, and in these modes that operation may last the whole roll: an image and an extension change
 * are therefore two rolls, one after the other.
 */
export async function rollOnPlatform(run: Run): Promise<void> {
  const mode = run.model?.upgradeMode ?? "Automatic";
  const writes = [
    ...(run.change?.scaleSetPatch ? [() => startImageWrite(run)] : []),
    ...(run.change?.extensionPatch ? [() => startExtensionWrite(run)] : []),
  ];
  for (const write of writes) {
    run.phase = "updating the model";
    const pending = await run.group("Model update", write);
    if (pending !== undefined) await run.group(`Platform rollout (${mode})`, () => followPlatform(run, pending));
  }
}

/**
 * Follows the platform's roll until the write's operation has ended, the platform no longer rolls and every
 * targeted instance is settled; or it failed, or the time is up. An instance not on the new model keeps the run
 * waiting (until timeout) while it is not failed; health-timeout runs for each instance from when it is first
 * seen on the new model. The instance list is read when the operation ends or a poll interval has passed.
 */
async function followPlatform(run: Run, pending: PendingOperation): Promise<void> {
  const { healthTimeoutMs } = run.config.rollout;
  const mode = run.model?.upgradeMode;
  const label = mode === "Rolling" ? "rolling upgrade" : "automatic upgrade";
  run.phase = `waiting for Azure's ${label}`;
  const operation: { ended: boolean; outcome?: OperationOutcome | undefined } = { ended: false };
  const ended = pending.done.then((outcome) => void Object.assign(operation, { ended: true, outcome }));
  const onModelSince = new Map<string, number>();
  let ids: string[] | undefined;
  for (;;) {
    await run.untilNextPoll(run.timeLeft(), operation.ended ? undefined : ended);
    run.checkTime(run.phase);
    // Read the verdicts first and the instances after, so a failure is described with the states that caused it.
    const opEnded = operation.ended;
    const rolling = mode === "Rolling" ? await rollingStatus(run) : undefined;
    const instances = await run.list();
    ids ??= notePlatformTargets(run, instances);
    const now = run.now();
    for (const id of ids) {
      const state = run.instances.get(id);
      if (state?.latestModelApplied && !isBusy(state) && !onModelSince.has(id)) onModelSince.set(id, now);
      const since = onModelSince.get(id);
      run.assessments.set(id, run.assess(id, since !== undefined && now >= since + healthTimeoutMs));
    }
    run.progress(ids, label);
    if (rolling?.code === "Faulted" || rolling?.code === "Cancelled") {
      const what = `Azure's rolling upgrade ${rolling.code === "Faulted" ? "faulted" : "was cancelled"}`;
      const counts = `${rolling.successfulInstanceCount} succeeded, ${rolling.failedInstanceCount} failed, ${rolling.pendingInstanceCount} pending`;
      throw platformFailure(
        run,
        ids,
        `${what}${rolling.error ? ` (${describeError(rolling.error)})` : ""}: ${counts}.`,
      );
    }
    if (opEnded && operation.outcome === undefined) throw run.interrupted(run.phase);
    if (opEnded && operation.outcome !== undefined && operation.outcome.status !== "Succeeded") {
      const { status, error } = operation.outcome;
      throw platformFailure(
        run,
        ids,
        `Azure's ${label} ${status.toLowerCase()}${error ? ` (${describeError(error)})` : ""}.`,
      );
    }
    const stillRolling = rolling?.code === "RollingForward" || rolling?.code === "RollingBack";
    if (opEnded && !stillRolling && ids.every((id) => run.assessments.get(id)?.kind !== "pending")) {
      for (const id of ids) run.settled.add(id);
      return;
    }
  }
}

/** The write made every instance stale: the platform is to roll every unprotected one. */
export function notePlatformTargets(run: Run, instances: readonly InstanceState[]): string[] {
  run.noteTargets(
    planBatches(
      instances.map((i) => ({ ...i, latestModelApplied: false })),
      run.config.rollout,
    ),
  );
  const ids = [...run.targets];
  for (const id of ids) run.started.add(id);
  run.log.info(`Azure rolls ${ids.length} instance(s) onto the new model; the action follows it.`);
  return ids;
}

/** rollingUpgrades/latest, when it is the upgrade this run started (not one that ended before the action started). */
async function rollingStatus(run: Run): Promise<RollingUpgradeStatus | undefined> {
  const status = await run.api.getLatestRollingUpgrade(run.work);
  if (status === undefined || (run.rollingBefore !== undefined && status.startTime === run.rollingBefore.startTime))
    return undefined;
  run.rolling = status;
  run.log.info(
    `Rolling upgrade ${status.code}: ${status.successfulInstanceCount} succeeded, ${status.failedInstanceCount} failed, ` +
      `${status.inProgressInstanceCount} in progress, ${status.pendingInstanceCount} pending.`,
  );
  return status;
}

/** `<what happened> Failed or unhealthy: 0 (vmss1_0): …. Not on the new model: 1, 2.` */
function platformFailure(run: Run, ids: readonly string[], what: string): StopError {
  const bad = ids.filter((id) => run.isBadNow(id) && run.assessments.get(id)?.kind !== "pending");
  const waiting = ids.filter((id) => run.assessments.get(id)?.kind === "pending");
  const parts = [
    what,
    ...(bad.length > 0 ? [`Failed or unhealthy: ${run.describeAll(bad)}.`] : []),
    ...(waiting.length > 0 ? [`Not on the new model: ${listIds(waiting)}.`] : []),
  ];
  return new StopError({ kind: "failed", reason: parts.join(" ") });
}
