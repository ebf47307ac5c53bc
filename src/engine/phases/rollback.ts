// Rollback: on failure, when asked, the previous model back (etag-guarded) and the upgraded instances back onto it.

import { abortError, describeError, errorLine, isAbort } from "../../domain/error-text.ts";
import { describeRunning, isBusy, isProvisioningFailed, reachedByUpgrade } from "../../domain/in-progress.ts";
import { formatDuration } from "../../shared/clock.ts";
import { listIds, sortIds } from "../../domain/ids.ts";
import {
  AzureApiError,
  OperationEndedError,
  type OperationOutcome,
  type RollingUpgradeStatus,
} from "../../domain/scale-set.ts";
import {
  describeDrift,
  describeImage,
  driftFrom,
  holdsImage,
  holdsPatch,
  movedFromPutBack,
  type ModelChange,
  type PutBack,
} from "../../domain/change.ts";
import type { RollbackModel } from "../../domain/record.ts";
import type { Assessment } from "../../domain/verdict.ts";
import type { ExtensionPatch, InstanceState, ScaleSetModel, ScaleSetPatch } from "../../domain/scale-set.ts";
import type { ChangeRequest } from "../../config/types.ts";
import type { ScaleSetApi } from "../ports.ts";
import { CANCELLED_WRITE_MS, FINAL_LISTING_MS, type Run } from "../run.ts";
import type { RollbackProgress } from "../state.ts";
import { mayAnswerResend, mayHaveLanded } from "../write-copies.ts";
import { isPreconditionFailed, isRetryableRefusal, isScaleSetGone } from "../../domain/azure-errors.ts";
import { namesGoneInstance, stillListed } from "./common.ts";

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
  const impossible = noWayBack(state, change);
  if (impossible !== undefined) {
    const reason = `No rollback was done: the previous model cannot be restored (${impossible}), so the instances stay on the new model.`;
    state.rollbackSkipped(reason);
    run.log.info(reason);
    return;
  }
  const time = rollbackTime(run, api, leaseUntil);
  const manual = state.model?.upgradeMode === "Manual";
  const { ids, held } = toBringBack(state);
  run.enter({ kind: "rolling-back" });
  run.emit({ type: "rollback-started", ids });
  const { scaleSetPatch, extensionPatch } = change.rollback;
  const restoreImage = scaleSetPatch !== undefined && state.written.image;
  const restoreExtension = extensionPatch !== undefined && state.written.extension;
  // What the rollback knows it did: each part of the model it put back, and the instances seen back on that model.
  state.rollbackBegins({ image: restoreImage, extension: restoreExtension });
  if (held.length > 0) {
    state.rollbackHeldByProtection(held);
    run.log.info(`Rollback: ${heldWords(held)}.`);
  }
  const rb: RollbackRun = {
    run,
    api,
    scaleSetPatch: restoreImage ? scaleSetPatch : undefined,
    extensionPatch: restoreExtension ? extensionPatch : undefined,
    ids,
    manual,
    ...time,
    doing: "its first read of the scale set's model",
  };
  try {
    if (state.model?.upgradeMode === "Rolling") rb.rollingBefore = await rollingBeforeRollback(rb);
    if (!(await restoreModel(rb))) return;
    await waitBack(rb);
    // Every instance sent back is back. One left out as protected is back only if it runs the previous model anyway
    // (never reached by the forward upgrade); otherwise the rollback did not bring everything back, and says which.
    const heldOff = heldNotBack(rb, true);
    const leftOut = [...state.rollbackProgress!.heldByProtection].filter((id) => state.instances.has(id));
    const back = sortIds(new Set([...ids, ...leftOut])).filter((id) => !state.removed.has(id) && !heldOff.includes(id));
    if (heldOff.length === 0) {
      state.rollbackEnded({ succeeded: true, instanceIds: back }, restored(rb));
      run.emit({ type: "rollback-ended", succeeded: true });
      return;
    }
    const error = heldWords(heldOff);
    run.log.info(`Rollback: the previous model is restored and every other instance is back; ${error}.`);
    state.rollbackEnded(
      {
        succeeded: false,
        instanceIds: back,
        notBack: heldOff,
        protectedNotBack: heldOff,
        // Put back and seen holding the previous model after every instance came back (waitBack's last read).
        model: "restored",
        error,
      },
      restored(rb),
    );
    run.emit({ type: "rollback-ended", succeeded: false });
  } catch (err) {
    await reportIncomplete(rb, err);
  }
}

/** A rollback under way, as its steps (restoreModel, waitBack, reportIncomplete) share it. */
interface RollbackRun {
  readonly run: Run;
  readonly api: ScaleSetApi;
  /** The image's previous values (its PATCH) when the rollback puts the image back, else undefined. */
  readonly scaleSetPatch: ScaleSetPatch | undefined;
  /** The extension's previous values (its PATCH) when the rollback puts the extension back, else undefined. */
  readonly extensionPatch: ExtensionPatch | undefined;
  /** The instances the rollback brings back onto the previous model (toBringBack). */
  readonly ids: readonly string[];
  /** Manual mode: the rollback sends them back in batches; otherwise the platform rolls them back. */
  readonly manual: boolean;
  /** When the rollback stops: the end of its budget, or `leaseEnd` when that comes first (`byLease`). */
  readonly deadline: number;
  /** A little before the run's lease ends (LEASE_CLOCK_MARGIN_MS); infinity without a lease. */
  readonly leaseEnd: number;
  readonly byLease: boolean;
  /** Aborts on a cancel, at `deadline`, at the run's end, and when the lease is lost. */
  readonly signal: AbortSignal;
  /** The rollback's budget (health-timeout), and whether timeout + health-timeout cut it short. */
  readonly budgetMs: number;
  readonly cutByTimeout: boolean;
  /**
   * Rolling mode: the start time of the latest rolling upgrade before the rollback's writes (null: none ran), which is
   * not the rollback's; undefined when it is not known (the rollback then does not look at Azure's roll).
   */
  rollingBefore?: string | null | undefined;
  /** Rolling mode: a read of Azure's rolling upgrade during the rollback failed, and the log said so (once). */
  rollReadFailed?: boolean;
  /**
   * How the operation of the rollback's last model write ended, when its status said Failed or Canceled (the write
   * applied all the same: restoredAnyway), or, its answer lost, as the scale set's provisioning state said once
   * restoredAnyway had waited the set out of its busy state (no error then: automaticRollEnded takes the instances');
   * undefined when it succeeded or its end is not known (a status read that failed). In Automatic mode that operation
   * lasts the platform's whole roll of the restored model.
   */
  writeEnded?: OperationOutcome | undefined;
  /**
   * What the rollback is doing (a request, or a wait), in words: an error that cuts it off (the rollback's time running
   * out) names it.
   */
  doing: string;
  /**
   * The latest read of the model after the rollback's writes that held what it put back (checkRestored, or
   * reportIncomplete's read): the run judges the rest of it, and every read after the rollback, against the model the
   * rollback left (RunState.rollbackEnded).
   */
  restoredRead?: ScaleSetModel;
}

/** Why the previous model cannot be restored, or undefined when it can. */
function noWayBack(state: Run["state"], change: ModelChange): string | undefined {
  // An image this run wrote with no way back planned is one too (planChange marks it impossible; should a plan ever
  // lose that mark, sending the instances "back" would upgrade them onto the new image and call them rolled back).
  return (
    change.rollback.impossible ??
    (state.written.image &&
    change.changes.some((c) => /imageReference/.test(c.property)) &&
    change.rollback.scaleSetPatch === undefined
      ? "no way back to the image before this run's was planned"
      : undefined)
  );
}

/** The rollback's time (health-timeout, within timeout + health-timeout and the lease); the API's deadline moves. */
function rollbackTime(
  run: Run,
  api: ScaleSetApi,
  leaseUntil: number | undefined,
): Pick<RollbackRun, "deadline" | "leaseEnd" | "byLease" | "signal" | "budgetMs" | "cutByTimeout"> {
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
  return { deadline, leaseEnd, byLease, signal, budgetMs: budget, cutByTimeout: run.deadline < run.now() };
}

/**
 * The instances a rollback brings back onto the previous model (`ids`), and those it leaves out (`held`): protected
 * from scale-set actions on the last listing (by another writer, since this run upgraded them).
 */
function toBringBack(state: Run["state"]): { ids: string[]; held: string[] } {
  // The started instances, and those a manualupgrade whose answer was lost may have reached that no listing has shown
  // since (verification's listing failed, say): sent back too, since they may run the change. One that never got it
  // runs the previous model once it is restored, and its manualupgrade changes nothing.
  const maybe = [...state.maybeStarted].filter((id) => state.unseen.has(id));
  // And every instance the last listing (after this run's model write: verification's) shows on the new model that the
  // run did not start: created on it since the write (autoscale, say). Left out, it would stay on the rolled-out model
  // under a "rolled back" headline. Not those protected from scale-set actions, nor a Flexible VM with a profile of its own.
  const onNewModel = [...state.instances.values()]
    .filter((i) => i.latestModelApplied && !i.protectedFromScaleSetActions && i.ownModel !== true)
    .map((i) => i.instanceId);
  // Not those the platform's roll ended without upgrading (RolloutState.notReached): they run the previous model.
  const all = sortIds(
    [...new Set([...state.started, ...maybe, ...onNewModel])].filter(
      (id) => !state.removed.has(id) && !state.notReached.has(id),
    ),
  );
  // Nor one another writer protected from scale-set actions since its upgrade (someone holding it to look into it):
  // Azure's manualupgrade and the platform's roll skip it. Sent back, it stopped the rollback's gate ("failed or
  // unhealthy on the previous model", though healthy on the rolled-out one), leaving every later instance on the
  // rolled-out model (an audit). Left out, and reported not brought back (PROTECTED_SINCE_UPGRADE).
  const held = all.filter((id) => state.instances.get(id)?.protectedFromScaleSetActions === true);
  return { ids: all.filter((id) => !held.includes(id)), held };
}

/** An instance a rollback cannot bring back: protected from scale-set actions, off the model, Azure not at it. */
function heldOffModel(instance: InstanceState | undefined): boolean {
  return (
    instance !== undefined && instance.protectedFromScaleSetActions && !instance.latestModelApplied && !isBusy(instance)
  );
}

/**
 * The instances the rollback left out as protected that the last listing does not show back on the previous model
 * (`restored`: the model is; otherwise none is back).
 */
function heldNotBack(rb: RollbackRun, restored: boolean): string[] {
  const { run } = rb;
  const { state } = run;
  return sortIds(
    [...state.rollbackProgress!.heldByProtection].filter(
      (id) => !state.removed.has(id) && state.instances.has(id) && !(restored && run.assess(id, true).kind === "done"),
    ),
  );
}

/** Why the rollback did not bring back these instances, left out as protected (PROTECTED_SINCE_UPGRADE). */
function heldWords(ids: readonly string[]): string {
  const one = ids.length === 1;
  return (
    `${one ? `instance ${ids[0]}` : `instances ${listIds(ids)}`} not brought back: protected from scale-set actions ` +
    `(protectFromScaleSetActions) by another writer since this run upgraded ${one ? "it" : "them"}, and Azure skips ` +
    `a protected instance, so the rollback left ${one ? "it" : "them"} out`
  );
}

/**
 * The previous model back: the image's PATCH, then the extension's, after a read that shows what this run wrote still
 * there (the extension's after one more, when the image's went first); each sent again after a 409 (pausedAfterConflict),
 * after a read afresh. False when the first read, or the image's read before it is sent again, shows another writer's
 * change: the rollback is skipped, nothing of it in the model.
 */
async function restoreModel(rb: RollbackRun): Promise<boolean> {
  const { run, api, signal, scaleSetPatch, extensionPatch } = rb;
  const { state } = run;
  const restoreImage = scaleSetPatch !== undefined;
  const restoreExtension = extensionPatch !== undefined;
  if (restoreImage || restoreExtension) {
    for (let attempt = 1; ; attempt++) {
      // What this run wrote must still be there: a change another writer made since is not overwritten. The image's
      // PATCH goes with this read's etag, so nothing can slip in between; the extension takes no If-Match. Read again
      // before the image's PATCH is sent again after a 409: an earlier copy may have landed (below), else the part is
      // not in the model.
      rb.doing =
        attempt === 1
          ? "its first read of the scale set's model"
          : "a read of the scale set's model before sending the PATCH putting the previous image back again";
      const model = await api.getScaleSet(signal);
      if (attempt > 1 && restoreImage && landedEarlier(rb, "image", model, (m) => holdsImage(m, scaleSetPatch))) break;
      const moved = changedSince(model, state.request, restoreImage, restoreExtension) ?? beyondWritten(state, model);
      if (moved !== undefined) {
        const reason = `No rollback was done: ${moved}, so another writer changed it since this run's write; the rollback does not overwrite that change. The instances upgraded by this run stay as they are.`;
        state.rollbackSkipped(reason, true);
        run.log.warning(reason, "No rollback");
        run.emit({ type: "rollback-ended", succeeded: false });
        return false;
      }
      if (!restoreImage) break;
      run.log.info(`PATCH scale set back to ${JSON.stringify(scaleSetPatch)} with If-Match ${model.etag ?? "(none)"}.`);
      rb.doing = "the PATCH putting the previous image back (its request, or the poll of Azure's operation)";
      const send = async (): Promise<void> => state.read(await api.patchScaleSet(scaleSetPatch, model.etag, signal));
      if (await putPartBack(rb, "image", send, (m) => holdsImage(m, scaleSetPatch), attempt)) break;
    }
    if (restoreImage) {
      state.rollbackPart("image", "yes");
      platformRollsBack(rb);
    }
  }
  if (restoreExtension) {
    for (let attempt = 1; ; attempt++) {
      if (restoreImage || attempt > 1) {
        // The image's PATCH and its operation took a while (or a 409's pause did), and the extension's PATCH takes no
        // If-Match: what this run wrote to the extension is checked again right before it, so a change another writer
        // made meanwhile is not overwritten (a window of one read and one write is left; Azure offers no condition on
        // an extension write).
        rb.doing = "a read of the scale set's model before putting the extension back";
        const now = await api.getScaleSet(signal);
        if (attempt > 1 && landedEarlier(rb, "extension", now, (m) => holdsPatch(m, extensionPatch))) break;
        const moved = changedSince(now, state.request, false, true) ?? beyondWritten(state, now);
        if (moved !== undefined) state.rollbackMetOtherWriter();
        if (moved !== undefined)
          throw new Error(
            `the extension was not put back: ${moved}, so another writer changed it during the rollback; the rollback does not overwrite that change, and no instance was sent back`,
          );
      }
      run.log.info(`PATCH extension '${extensionPatch.name}' back to its previous values.`);
      rb.doing = `the PATCH putting extension '${extensionPatch.name}' back (its request, or the poll of Azure's operation)`;
      const send = (): Promise<void> => api.patchExtension(extensionPatch, signal);
      if (await putPartBack(rb, "extension", send, (m) => holdsPatch(m, extensionPatch), attempt)) break;
    }
    state.rollbackPart("extension", "yes");
    platformRollsBack(rb);
  }
  return true;
}

/**
 * One copy of a rollback model write (`send`, the image's or the extension's PATCH): true when it is in the model (its
 * answer, or restoredAnyway's read after an error, says so; `rb.writeEnded` says how its operation ended), false when
 * Azure refused it with 409 and pausedAfterConflict waited (the caller reads the model afresh and sends it again).
 * Throws any other error, and a 409 the rollback's time leaves no pause for.
 */
async function putPartBack(
  rb: RollbackRun,
  what: "image" | "extension",
  send: () => Promise<void>,
  holds: (model: ScaleSetModel) => boolean,
  attempt: number,
): Promise<boolean> {
  const sendsBefore = rb.api.writeSends?.(what === "image" ? "scale-set" : "extension");
  try {
    await send();
    rb.writeEnded = undefined;
    return true;
  } catch (err) {
    try {
      const over = await restoredAnyway(rb.run, rb.api, rb.signal, err, { what, holds, sendsBefore });
      rb.writeEnded = err instanceof OperationEndedError ? err.outcome : over;
      return true;
    } catch (refused) {
      if (refused !== err || !(await pausedAfterConflict(rb, err, attempt, what))) throw refused;
      return false;
    }
  }
}

/**
 * The read before a rollback write is sent again after a 409 whose own read failed: an earlier copy may have landed all
 * the same (restoredAnyway's assumption), and then the part is put back (true). Otherwise it is said not to be (the
 * part "no", not left "unknown", whatever comes next: a skip, say).
 */
function landedEarlier(
  rb: RollbackRun,
  what: "image" | "extension",
  model: ScaleSetModel,
  holds: (model: ScaleSetModel) => boolean,
): boolean {
  if (!holds(model)) {
    rb.run.state.rollbackPart(what, "no");
    return false;
  }
  rb.run.state.read(model);
  rb.run.log.info(`The model holds the previous ${what} values: an earlier copy of the rollback's PATCH landed.`);
  rb.writeEnded = undefined;
  return true;
}

/** A rollback write refused with 409: tried again after poll-interval, doubled each time, at most MAX_ROLLBACK_BACKOFF_MS. */
function rollbackBackoff(run: Run, attempt: number): number {
  return Math.min(MAX_ROLLBACK_BACKOFF_MS, run.config.rollout.pollIntervalMs * 2 ** (attempt - 1));
}

/**
 * A rollback model write refused with 409 Conflict (another operation holds the scale set: the forward upgrade a timeout
 * cut off, or one of Azure's own) that restoredAnyway's read shows not applied, or could not read: paused for
 * poll-interval, doubled each
 * time (at most MAX_ROLLBACK_BACKOFF_MS), and the caller sends it again after a fresh read, as the forward model
 * update does (model-update.ts, pauseAfterConflict) and the rollback's own batches do (upgradeBack), while the
 * rollback's time allows. False when it is not such a refusal, another writer was seen, or the time does not allow
 * the pause. Before (fuzz seed 257, 2026-12-07), one 409 ended the rollback, the model still holding the run's change.
 */
async function pausedAfterConflict(
  rb: RollbackRun,
  err: unknown,
  attempt: number,
  what: "image" | "extension",
): Promise<boolean> {
  const { run } = rb;
  if (!(err instanceof AzureApiError) || err.statusCode !== 409) return false;
  if (run.state.rollbackProgress?.otherWriter) return false;
  const delay = rollbackBackoff(run, attempt);
  if (run.now() + delay >= rb.deadline) return false;
  run.log.info(
    `The rollback's ${what} PATCH was refused (${errorLine(err)}): trying again in ${formatDuration(delay)}.`,
  );
  rb.doing = `the wait before sending the rollback's ${what} PATCH again (Azure refused it: ${errorLine(err)})`;
  await run.sleep(delay, rb.signal);
  // The sleep ends early, without an error, on an abort (a cancel, the rollback's time, a lost lease): an abort as the
  // SDK says one (isAbort), which reportIncomplete words by what fired.
  if (rb.signal.aborted) throw abortError();
  return true;
}

/**
 * Automatic/Rolling: a part of the previous model is back in the model (its write landed), so the platform rolls the
 * instances onto it: they are sent back. Not before: a write refused or cut off before it landed sent nothing, and the
 * instances are not reported as sent back. The model write's operation lasts Azure's whole roll in these modes; the
 * rollback's time may run out during it (reportIncomplete then marks them, once a read shows the write landed): before
 * (an audit, 2026-12-07), the instances Azure did bring back were then reported "updated", and none as brought back.
 */
function platformRollsBack(rb: RollbackRun): void {
  if (!rb.manual) rb.run.state.rollbackSent(rb.ids);
}

/**
 * The instances back on the previous model: sent back in batches (Manual) or rolled back by the platform, each seen
 * back within the rollback's time, and the model then still the one put back.
 */
async function waitBack(rb: RollbackRun): Promise<void> {
  const { run, api, ids, manual, deadline, signal } = rb;
  const { state } = run;
  const restoreImage = rb.scaleSetPatch !== undefined;
  const restoreExtension = rb.extensionPatch !== undefined;
  // In batches, each batch's gate ends on a listing that shows it back: the last one is fresh for the check below.
  let fresh = manual && ids.length > 0;
  if (fresh)
    await rollBackInBatches(
      run,
      api,
      ids,
      deadline,
      signal,
      (when) => checkRestored(rb, when),
      (id) => movedFrom(rb, id),
      (what) => (rb.doing = what),
    );
  // Automatic/Rolling: the platform rolls every instance back once the model is restored.
  if (!manual) state.rollbackSent(ids);
  // Back on the previous model = latestModelApplied again (Automatic/Rolling: the platform rolls it back), and there,
  // judged on it as a Manual batch's gate judges it (below).
  let checkedStale = false;
  for (;;) {
    rb.doing = manual
      ? "a listing of the instances after the rollback batches"
      : `the wait for the platform to roll instances ${listIds(ids)} back`;
    if (!fresh) await run.list(api, signal);
    fresh = false;
    // One protected by another writer since the rollback started will not come back (Azure skips it): left out, as
    // toBringBack leaves out one protected before.
    state.rollbackHeldByProtection(
      ids.filter((id) => heldOffModel(state.instances.get(id)) && !state.rollbackProgress!.back.has(id)),
    );
    const held = state.rollbackProgress!.heldByProtection;
    const wanted = ids.filter((id) => !held.has(id));
    const over = run.now() >= deadline;
    const stale = wanted.filter((id) => state.instances.has(id) && !state.instances.get(id)?.latestModelApplied);
    // Automatic/Rolling: one on the previous model is judged as a Manual batch's gate judges it (run.assess, health
    // waited for within the rollback's time): with its provisioning Failed (the platform's roll back failed it, or left
    // it failed) or unhealthy, it is not back; still being upgraded, or its health not yet reported, it is waited for.
    // Before (2026-12-07), a failed one counted as brought back, and later (an audit) an unhealthy one did: the summary
    // said the previous model was back, and the run rolled-back.
    // Manual: each batch's gate judged its own instances; those it counted back are judged again on this listing, as
    // the forward gates judge the earlier batches' (their wait is over). Before (a review, session 33), one that turned
    // unhealthy on the previous model during a later rollback batch was reported rolled back, and the rollback done.
    let verdicts = manual
      ? wanted
          .filter((id) => state.rollbackProgress!.back.has(id) && state.instances.get(id)?.latestModelApplied === true)
          .map((id) => [id, run.assess(id, true)] as const)
      : wanted
          .filter((id) => state.instances.get(id)?.latestModelApplied === true)
          .map((id) => [id, run.assess(id, over)] as const);
    // Azure's roll of the restored model is over (Rolling: faulted or cancelled): one on the previous model, idle,
    // whose Unhealthy this rollback still waits out is judged as it stands, not waited for to the end of the
    // rollback's time (a review, 2026-12-07: the rollback then ran out its time and no longer named the fault). Looked
    // at only while such an instance is waited for; otherwise below, as before.
    const unhealthyWaited = new Set(
      verdicts
        .filter(([id, a]) => {
          const instance = state.instances.get(id);
          return a.kind === "pending" && instance?.health === "unhealthy" && !isBusy(instance);
        })
        .map(([id]) => id),
    );
    const looked = unhealthyWaited.size > 0;
    const rollEnded = looked ? await rollbackRollEnded(rb) : undefined;
    if (rollEnded !== undefined)
      verdicts = verdicts.map(([id, a]) => (unhealthyWaited.has(id) ? ([id, run.assess(id, true)] as const) : [id, a]));
    const of = (...kinds: Assessment["kind"][]): string[] =>
      verdicts.filter(([, a]) => kinds.includes(a.kind)).map(([id]) => id);
    const failedBack = of("failed");
    const unhealthyBack = of("unhealthy");
    const waiting = of("pending");
    const notBack = [...stale, ...failedBack, ...unhealthyBack, ...waiting];
    state.rollbackNotBack([...failedBack, ...unhealthyBack]);
    if (!manual) state.rollbackBack(wanted.filter((id) => state.instances.has(id) && !notBack.includes(id)));
    const failedWords = notBackWords(run, verdicts);
    const badWords = [
      ...(failedWords ? [failedWords] : []),
      ...(waiting.length > 0 ? [`${listIds(waiting)} on it, waited for (its upgrade or its health)`] : []),
    ];
    run.log.info(
      `Rollback: ${wanted.length - notBack.length}/${wanted.length} instance(s) back on the previous model${badWords.length > 0 ? ` (${badWords.join("; ")})` : ""}.`,
    );
    if (notBack.length === 0) break;
    // Rolling: Azure's rolling upgrade of the restored model that faulted (Azure refuses to start one while too many
    // instances are unhealthy, say) or was cancelled brings no more instance back: the rollback ends on it at once.
    // Before (a review, 2026-12-07), it waited out its whole time and said only that the time ran out. Automatic: the
    // same once the roll's operation ended Failed (an instance's upgrade back failed): automaticRollEnded. Not while an
    // instance on the restored model is waited for (its health may come).
    const ended =
      waiting.length > 0
        ? undefined
        : ((looked ? rollEnded : await rollbackRollEnded(rb)) ??
          automaticRollEnded(rb, [...stale, ...failedBack, ...unhealthyBack]));
    if (ended !== undefined)
      throw new RollbackVerdict(
        [
          ended,
          ...(stale.length > 0 ? [`Azure will not bring back instances ${listIds(stale)}`] : []),
          ...(failedWords ? [failedWords] : []),
        ].join("; "),
      );
    // Only failed or unhealthy ones left and nothing else to wait for: Azure's roll reached them and is done with them.
    if (stale.length === 0 && waiting.length === 0) throw new RollbackVerdict(failedWords);
    // Manual: every batch's gate saw its instances on the model; stale ones now mean the model moved since.
    if (manual && !checkedStale && (restoreImage || restoreExtension)) {
      checkedStale = true;
      await checkRestored(rb, "the instances may run that writer's model");
    }
    if (over || run.now() >= deadline)
      throw new RollbackVerdict(
        [
          `instances ${[...stale, ...waiting].join(", ")} are not back on the previous model${waiting.length > 0 ? " and healthy" : ""} within health-timeout`,
          ...(failedWords ? [failedWords] : []),
        ].join("; "),
      );
    rb.doing = `the wait for instances ${listIds([...stale, ...waiting])} to come back onto the previous model${waiting.length > 0 ? " (and healthy)" : ""}`;
    await run.untilNextPoll(deadline - run.now(), undefined, signal);
  }
  // latestModelApplied says "on the model as it is now": the model must still be the one put back. A read that fails
  // (not another writer's change) leaves the rollback done: every instance was seen back.
  if (restoreImage || restoreExtension) {
    rb.doing = "a read of the scale set's model after the rollback";
    await checkRestored(rb, "the instances may run that writer's model", run.cutOffReadSignal()).catch((err) => {
      if (state.rollbackProgress!.otherWriter) throw err;
      run.log.warning(`Could not read the scale set's model once more after the rollback: ${errorLine(err)}.`);
    });
  }
}

/** Rolling mode: the start time of the latest rolling upgrade before the rollback writes (see RollbackRun). */
async function rollingBeforeRollback(rb: RollbackRun): Promise<string | null | undefined> {
  const { run, api, signal } = rb;
  // The forward roll's, as last read (every poll of it reads it); read once when it never was.
  const known = run.state.rolling ?? run.state.rollingBefore;
  if (known !== undefined) return known.startTime;
  rb.doing = "a read of Azure's latest rolling upgrade";
  try {
    return (await api.getLatestRollingUpgrade(signal))?.startTime ?? null;
  } catch (err) {
    if (isAbort(err)) throw err;
    run.log.warning(`Could not read Azure's latest rolling upgrade before the rollback: ${errorLine(err)}.`);
    return undefined;
  }
}

/**
 * Rolling mode: Azure's rolling upgrade since the rollback's writes, in words, when it faulted or was cancelled (it will
 * bring no more instance back); undefined otherwise, and when that is not known.
 */
async function rollbackRollEnded(rb: RollbackRun): Promise<string | undefined> {
  const { api, signal } = rb;
  if (rb.manual || rb.rollingBefore === undefined) return undefined;
  const doing = rb.doing;
  rb.doing = "a read of Azure's rolling upgrade of the restored model";
  let status: RollingUpgradeStatus | undefined;
  try {
    status = await api.getLatestRollingUpgrade(signal);
  } catch (err) {
    // A look, not the rollback's work: a read refused (a custom role without rollingUpgrades/read) or failing past
    // the SDK's retries leaves the rollback waiting on the listings, as before it looked (a review, 2026-12-07: the
    // failed read ended the rollback as failed while Azure went on rolling instances back).
    if (isAbort(err)) throw err;
    if (rb.rollReadFailed !== true)
      rb.run.log.warning(
        `Could not read Azure's rolling upgrade of the restored model (${errorLine(err)}): the rollback goes on, judged on the instances' listings.`,
      );
    rb.rollReadFailed = true;
    return undefined;
  } finally {
    rb.doing = doing;
  }
  if (status?.startTime === undefined || status.startTime === rb.rollingBefore) return undefined;
  if (status.code !== "Faulted" && status.code !== "Cancelled") return undefined;
  const counts = `${status.successfulInstanceCount} succeeded, ${status.failedInstanceCount} failed, ${status.pendingInstanceCount} pending`;
  return `Azure's rolling upgrade of the restored model ${status.code === "Faulted" ? "faulted" : "was cancelled"}${status.error ? ` (${describeError(status.error)})` : ""}: ${counts}`;
}

/**
 * Automatic/Rolling: the instances on the previous model judged failed or unhealthy there (waitBack), and why, in words;
 * undefined when there are none.
 */
function notBackWords(run: Run, verdicts: readonly (readonly [string, Assessment])[]): string | undefined {
  const provisioningFailed = (id: string): boolean => isProvisioningFailed(run.state.instances.get(id));
  const failed = verdicts.filter(([, a]) => a.kind === "failed").map(([id]) => id);
  const onFailed = failed.filter(provisioningFailed);
  const otherwise = verdicts.flatMap(([id, a]) =>
    a.kind === "failed" && !provisioningFailed(id) ? [`${id}: ${a.error ? describeError(a.error) : "failed"}`] : [],
  );
  const unhealthy = verdicts.flatMap(([id, a]) => (a.kind === "unhealthy" ? [`${id}: ${a.detail}`] : []));
  const words = [
    ...(onFailed.length > 0
      ? [`instances ${listIds(onFailed)} are on the previous model with their provisioning Failed`]
      : []),
    ...(otherwise.length > 0 ? [`instances failed on the previous model (${otherwise.join("; ")})`] : []),
    ...(unhealthy.length > 0 ? [`instances unhealthy on the previous model (${unhealthy.join("; ")})`] : []),
  ];
  return words.length > 0 ? words.join("; ") : undefined;
}

/**
 * Automatic mode: the platform's roll of the restored model, in words, when it is over without bringing back `stale`
 * (the instances the listing just read shows off the restored model): the operation of the rollback's last model write,
 * which lasts that whole roll, ended Failed or Canceled (an instance's upgrade back failed, say), and the listing, read
 * after that end, shows none of them being upgraded. The forward roll ends on the same evidence (followPlatform: the
 * write's operation ended, not Succeeded). Only the operation's end after the rollback's write counts, never an
 * instance's state alone: one already failed before the write (the one whose failure set the rollback off, say) was
 * still the platform's to roll back. Undefined otherwise, and whenever the end is not known (a lost answer: the
 * rollback then waits, as before).
 */
function automaticRollEnded(rb: RollbackRun, stale: readonly string[]): string | undefined {
  const { run, writeEnded } = rb;
  if (rb.manual || run.state.model?.upgradeMode === "Rolling" || writeEnded === undefined) return undefined;
  if (writeEnded.status === "Succeeded") return undefined;
  // One being upgraded still (an end Azure reported before every instance's): its upgrade is waited for.
  const busy = (id: string): boolean => {
    const instance = run.state.instances.get(id);
    return instance !== undefined && isBusy(instance);
  };
  if (stale.some(busy)) return undefined;
  const { status } = writeEnded;
  // Read from the scale set's provisioning state (its answer lost): the error is the instances', as Azure lists it.
  const error = writeEnded.error ?? stale.map((id) => run.state.instances.get(id)?.error).find((e) => e !== undefined);
  return `Azure's automatic upgrade of the restored model ${status.toLowerCase()}${error ? ` (${describeError(error)})` : ""}`;
}

/**
 * A rollback that did not complete: its error as the user reads it, and the record of where the model and the
 * instances stand (read once more, within the final steps' time).
 */
async function reportIncomplete(rb: RollbackRun, err: unknown): Promise<void> {
  const { run, api, ids, scaleSetPatch, extensionPatch } = rb;
  const { state } = run;
  const restoreImage = scaleSetPatch !== undefined;
  const restoreExtension = extensionPatch !== undefined;
  const progress = (): RollbackProgress => state.rollbackProgress!;
  let error =
    state.leaseLost !== undefined
      ? `stopped: the run lost its lease on the scale set (${errorLine(err)})`
      : run.cancel.aborted && isAbort(err)
        ? "cancelled: the job was cancelled during the rollback, which stopped where it was"
        : rb.byLease && run.now() >= rb.deadline && isAbort(err)
          ? `stopped at ${new Date(rb.leaseEnd).toISOString()}, before the run's lease on the scale set ends: it could not be extended to cover the rollback, and another run may take the scale set over then (${errorLine(err)})`
          : ranOutOfTime(rb) && isAbort(err)
            ? // The SDK's own words ("The operation was aborted …") read as a cancel, and name neither the time nor
              // the request it cut off (an audit).
              `stopped: the rollback's time (health-timeout, ${formatDuration(rb.budgetMs)}${rb.cutByTimeout ? ", cut short by timeout + health-timeout" : ""}) ran out during ${rb.doing}, which it cut off`
            : // Azure's answer to a request, or the end of its operation: Azure's words alone ("Conflict: …") did not
              // say which of the rollback's requests it answered.
              err instanceof AzureApiError
              ? `Azure answered ${rb.doing} with ${errorLine(err)}`
              : errorLine(err);
  run.log.info(`Rollback stopped: ${error}`);
  // The record says where the model stands: a part put back may have been changed by another writer since.
  // Both reads share one budget (after a cancel, the few seconds of the final steps: the model is not read then).
  // The final tag write after them keeps its part (CANCELLED_WRITE_MS): after a cancel, the reads and the write took
  // a second more than the runner's few seconds (an audit, 2026-12-06).
  const finalReads = run.finalSignal(FINAL_LISTING_MS, CANCELLED_WRITE_MS);
  const touched = [progress().image, progress().extension].some((p) => p === "yes" || p === "unknown");
  if (touched && !progress().otherWriter && !run.cancel.aborted) {
    try {
      const model = await api.getScaleSet(finalReads);
      state.read(model);
      // A part whose write was cut off and not read back: this read says whether it landed.
      if (progress().image === "unknown" && scaleSetPatch !== undefined)
        state.rollbackPart("image", holdsImage(model, scaleSetPatch) ? "yes" : "no");
      if (progress().extension === "unknown" && extensionPatch !== undefined)
        state.rollbackPart("extension", holdsPatch(model, extensionPatch) ? "yes" : "no");
      const moved = movedSince(rb, model, {
        image: progress().image === "yes",
        extension: progress().extension === "yes",
      });
      if (moved !== undefined) {
        state.rollbackMetOtherWriter();
        error = `another writer changed the scale set's model during the rollback (${moved}); ${error}`;
        run.log.info(`Rollback: ${error}`);
      } else rb.restoredRead = model;
    } catch (readErr) {
      // Deleted during the rollback (its model PATCH or a batch met the 404 first): the run ends on it, as anywhere.
      if (isScaleSetGone(readErr)) return run.scaleSetGone(readErr, "during the rollback");
      run.log.warning(`Could not read the scale set's model after the rollback: ${errorLine(readErr)}.`);
    }
  }
  // Automatic/Rolling: a part of the model the reads say was put back (a write cut off in its operation, which lasts
  // Azure's roll, landed all the same) is one the platform rolls the instances onto.
  if (progress().image === "yes" || progress().extension === "yes") platformRollsBack(rb);
  // And where the instances stand after what it did (a manualupgrade sent, a model put back): one that a listing
  // since shows on the previous model, idle and healthy is back (its batch's gate ended before it was). One still being
  // upgraded is not, whatever its latestModelApplied says: an operation started before the rollback's (the forward
  // upgrade a timeout cut off, whose 409 stopped the rollback batch that sent it back) has not ended, and may still
  // move it. Before (fuzz seeds 220 and 246, 2026-12-07) it counted as back, so the record said every instance was
  // back while the rollback failed.
  let listed = false;
  try {
    await run.list(api, finalReads);
    listed = true;
    if (modelAfter(progress()) === "restored") {
      state.rollbackBack(
        [...progress().sent].filter((id) => {
          const instance = state.instances.get(id);
          return instance !== undefined && !isBusy(instance) && run.assess(id, true).kind === "done";
        }),
      );
      // And one counted back earlier that this listing shows failed or unhealthy on the previous model is not back
      // (its wait is over), as waitBack's final check judges them when the rollback completes (a review, session 33:
      // a rollback stopped by a later batch's failure reported it brought back).
      state.rollbackNotBack(
        [...progress().back].filter((id) => {
          const kind = run.assess(id, true).kind;
          return kind === "failed" || kind === "unhealthy";
        }),
      );
      // The rollback's time ran out while it waited for the health of instances on the previous model (an Unhealthy
      // one is waited for within that time, as a gate waits): this listing, its wait over, names those that failed or
      // are unhealthy there, which the time-out alone did not say.
      if (ranOutOfTime(rb) && isAbort(err)) {
        const onPrevious = ids.filter((id) => {
          const instance = state.instances.get(id);
          return instance?.latestModelApplied === true && !isBusy(instance) && !progress().back.has(id);
        });
        const words = notBackWords(
          run,
          onPrevious.map((id) => [id, run.assess(id, true)] as const),
        );
        if (words !== undefined) error = `${words}; ${error}`;
      }
    }
  } catch (listErr) {
    // The scale set's own VM list answering 404: deleted (the rollback's error alone cannot tell, a Flexible VM's 404
    // reads the same).
    if (isScaleSetGone(listErr)) return run.scaleSetGone(listErr, "during the rollback");
    run.log.warning(`Could not list the instances after the rollback: ${errorLine(listErr)}.`);
  }
  // Cut off once its work was done (its last request answered after its time ran out, say): these reads show the
  // rollback complete, so it succeeded, and the record keeps the error as a note (as a forward run's stoppedByError).
  const done = listed ? cutOffWhenDone(rb, err) : undefined;
  if (done !== undefined) {
    try {
      // The model read again after the listing, as the completed rollback's last read (waitBack): still the one put
      // back, so "on the latest model" in that listing meant the previous one.
      await checkRestored(rb, "the instances may run that writer's model", finalReads);
      const back = sortIds(done);
      state.rollbackBack(back);
      run.log.info(
        `Rollback: ${error}; the final check after it found the previous model restored and every instance it was to bring back on it, so the rollback is done all the same.`,
      );
      state.rollbackEnded({ succeeded: true, stoppedByError: error, instanceIds: back }, restored(rb));
      run.emit({ type: "rollback-ended", succeeded: true });
      return;
    } catch (readErr) {
      if (isScaleSetGone(readErr)) return run.scaleSetGone(readErr, "during the rollback");
      if (progress().otherWriter) error = `${errorLine(readErr)}; ${error}`;
      else run.log.warning(`Could not read the scale set's model after the rollback: ${errorLine(readErr)}.`);
    }
  }
  if (progress().otherWriter) {
    // Seen "on the model" may have meant on the other writer's: only an instance that runs the image the rollback
    // put back counts as back (an extension-only rollback cannot tell, so none does).
    state.rollbackNotBack(
      [...progress().back].filter((id) => {
        const image = state.instances.get(id)?.imageReference;
        const onPrevious =
          restoreImage &&
          image !== undefined &&
          holdsImage({ imageReference: image }, scaleSetPatch) &&
          !restoreExtension;
        return !onPrevious;
      }),
    );
  }
  // Left out as protected (toBringBack), or found so on the way: not back either, unless the listing shows them on the
  // restored model (never reached by the forward upgrade).
  const heldOff = heldNotBack(rb, modelAfter(progress()) === "restored");
  state.rollbackBack([...progress().heldByProtection].filter((id) => state.instances.has(id) && !heldOff.includes(id)));
  if (heldOff.length > 0) error = `${error}; ${heldWords(heldOff)}`;
  const back = sortIds([...progress().back].filter((id) => !state.removed.has(id)));
  const notBack = sortIds(
    new Set(
      [...ids, ...progress().heldByProtection].filter((id) => !progress().back.has(id) && !state.removed.has(id)),
    ),
  );
  const model = modelAfter(progress());
  state.rollbackEnded(
    {
      succeeded: false,
      instanceIds: back,
      ...(notBack.length > 0 && { notBack }),
      ...(heldOff.length > 0 && { protectedNotBack: heldOff }),
      model,
      error,
    },
    model === "restored" ? restored(rb) : undefined,
  );
  run.emit({ type: "rollback-ended", succeeded: false });
}

/**
 * After the run's final tag write: a read after a rollback that put the previous model back found another writer's
 * change to it (RolloutRecord rollback.changedSince) after the instances were last listed (RunState.movedSinceListing),
 * so what that listing says of them (on the latest model) is from before it. One listing more, within the final
 * steps' time, so that the record shows them as they are; one that fails leaves the last one, and the log says so.
 */
export async function listAfterChangeSinceRollback(run: Run, api: ScaleSetApi): Promise<void> {
  const { state } = run;
  if (state.rollback?.changedSince === undefined || !state.movedSinceListing || state.deleted) return;
  api.useDeadline?.(run.finalBy(FINAL_LISTING_MS));
  try {
    await run.list(api, run.finalSignal(FINAL_LISTING_MS));
  } catch (err) {
    run.log.warning(
      `Could not list the instances after another writer's change to the model the rollback put back: ${errorLine(err)}. The states shown are the last ones read.`,
    );
  }
}

/**
 * The instances a rollback that `err` stopped was to bring back, when it had done its work all the same (else
 * undefined), on the reads after it (reportIncomplete's): an
 * error stopped it (a request refused, or cut off by its time), not its own verdict (RollbackVerdict), a cancel or a
 * lost lease; every part of the model is put back and was read so, with no other writer seen; and every instance it
 * was to bring back (those left out as protected too) is listed on the restored model, not being upgraded, and judged
 * done there as its gate judges one (provisioning, health: run.assess with its wait over). In Manual mode each was also
 * seen back after a rollback batch that sent it (progress().back): a batch never sent is not done, whatever its
 * instances show. Before (an audit, 2026-12-07), a rollback whose last request (the model PATCH in Automatic mode, a
 * batch's manualupgrade in Manual mode) was answered after its time ran out was reported failed ("the rollback did not
 * complete"), though the model was restored and every instance back on it.
 */
function cutOffWhenDone(rb: RollbackRun, err: unknown): readonly string[] | undefined {
  const { run, ids } = rb;
  const { state } = run;
  const progress = state.rollbackProgress!;
  if (err instanceof RollbackVerdict || run.cancel.aborted || state.leaseLost !== undefined) return undefined;
  if (progress.otherWriter || modelAfter(progress) !== "restored") return undefined;
  const mustBeBack = [...new Set([...ids, ...progress.heldByProtection])].filter((id) => !state.removed.has(id));
  const allBack = mustBeBack.every((id) => {
    const instance = state.instances.get(id);
    return (
      instance !== undefined &&
      instance.latestModelApplied &&
      !isBusy(instance) &&
      run.assess(id, true).kind === "done" &&
      (!rb.manual || progress.back.has(id) || progress.heldByProtection.has(id))
    );
  });
  return allBack ? mustBeBack : undefined;
}

/**
 * The rollback's own verdict that stops it (instances not back, failed or unhealthy on the previous model; Azure's roll
 * of it ended), as opposed to an error (a request refused or cut off): a later read does not overturn a verdict.
 */
class RollbackVerdict extends Error {}

/** The rollback's own time (its deadline, not the lease's) ran out: its signal fired on its timer. */
function ranOutOfTime(rb: RollbackRun): boolean {
  if (rb.byLease) return false;
  const reason: unknown = rb.signal.reason;
  return rb.run.now() >= rb.deadline || (reason instanceof Error && reason.name === "TimeoutError");
}

/** Why the model no longer holds what the rollback put back (the parts of `put`), or undefined when it does. */
function movedSince(
  rb: RollbackRun,
  model: ScaleSetModel,
  put: { image: boolean; extension: boolean },
): string | undefined {
  return movedFromPutBack(model, putBack(rb, put));
}

/**
 * The model a rollback that put every part back left (its patches), and its latest read holding them: what the run
 * judges the reads after the rollback on (RunState.rollbackEnded).
 */
function restored(rb: RollbackRun): { readonly putBack: PutBack; readonly read?: ScaleSetModel } {
  return { putBack: putBack(rb), ...(rb.restoredRead !== undefined && { read: rb.restoredRead }) };
}

/** What the rollback put back (its patches), of the parts of `put`. */
function putBack(
  rb: RollbackRun,
  put: { image: boolean; extension: boolean } = { image: true, extension: true },
): PutBack {
  return {
    ...(put.image && rb.scaleSetPatch !== undefined && { image: rb.scaleSetPatch }),
    ...(put.extension && rb.extensionPatch !== undefined && { extension: rb.extensionPatch }),
  };
}

/** The model must still hold what the rollback put back: another writer's change since is not taken for it. */
async function checkRestored(rb: RollbackRun, when: string, readSignal: AbortSignal = rb.signal): Promise<void> {
  const { run, api } = rb;
  const doing = rb.doing;
  rb.doing = "a read of the scale set's model (does it still hold the previous one?)";
  const model = await api.getScaleSet(readSignal);
  rb.doing = doing;
  run.state.read(model);
  const moved = movedSince(rb, model, {
    image: rb.scaleSetPatch !== undefined,
    extension: rb.extensionPatch !== undefined,
  });
  if (moved !== undefined) {
    run.state.rollbackMetOtherWriter();
    throw new Error(
      `${moved}: another writer changed it during the rollback, so ${when}; the rollback does not overwrite that change`,
    );
  }
  rb.restoredRead = model;
}

/**
 * An instance the model seems to have left: not being upgraded, on the image the rollback put back, not on the model.
 */
function movedFrom(rb: RollbackRun, id: string): boolean {
  const { scaleSetPatch } = rb;
  const instance = rb.run.state.instances.get(id);
  return (
    scaleSetPatch !== undefined &&
    instance?.imageReference !== undefined &&
    !instance.latestModelApplied &&
    !isBusy(instance) &&
    holdsImage({ imageReference: instance.imageReference }, scaleSetPatch)
  );
}

/** The model after a rollback that did not complete: every part put back, none, some, or not known. */
function modelAfter(progress: RollbackProgress): RollbackModel {
  if (progress.otherWriter) return "changed-by-another-writer";
  const parts = [progress.image, progress.extension].filter((p) => p !== undefined);
  if (parts.length === 0) return "unknown";
  if (parts.every((p) => p === "yes")) return "restored";
  if (parts.includes("unknown")) return "unknown";
  return parts.includes("yes") ? "partly-restored" : "unchanged";
}

/**
 * A rollback PATCH answered with an error that may follow a copy Azure applied: the SDK resends a PATCH whose answer
 * was lost, and the resend meets 412 (the first copy moved the etag its If-Match names), or 409 (the first copy's
 * update still runs), or gets no answer at all. One read says which: when the model holds the previous values the
 * rollback PATCH sent, the model is restored (waited for until the scale set is no longer busy) and the rollback goes
 * on; otherwise the error stands. Assumption: another writer putting back those very values in that moment is taken
 * for the rollback's own write, which is what the model then holds either way. Cut off in flight (an abort): one read
 * says whether the model holds it, for the report (the state's rollback progress), and the rollback stops.
 * Returns how the write's operation ended as the scale set's provisioning state says once it is no longer busy
 * (Succeeded or Failed; in Automatic mode that operation is Azure's roll of the restored model), or undefined.
 */
async function restoredAnyway(
  run: Run,
  api: ScaleSetApi,
  signal: AbortSignal,
  err: unknown,
  write: { what: "image" | "extension"; holds: (model: ScaleSetModel) => boolean; sendsBefore: number | undefined },
): Promise<OperationOutcome | undefined> {
  const { what, holds } = write;
  const { state } = run;
  // The model read: not this run's change any more, nor the previous values: another writer's.
  const judge = (model: ScaleSetModel): boolean => {
    state.read(model);
    const held = holds(model);
    state.rollbackPart(what, held ? "yes" : "no");
    const drift = driftFrom(model, state.request, { image: what === "image", extension: what === "extension" });
    if (!held && drift !== undefined) state.rollbackMetOtherWriter();
    return held;
  };
  if (isAbort(err)) {
    // Cut off in flight (a cancel, the rollback's time, a lost lease): Azure may have it. One read says which, as for
    // the forward write (model-update.ts, writeCutOff); the rollback stops either way (a part left unknown is read
    // again at its end).
    state.rollbackPart(what, "unknown");
    await api.getScaleSet(run.cutOffReadSignal()).then(judge, () => undefined);
    throw err;
  }
  // Whether a copy may have landed: one with no answer, or one Azure accepted whose status read failed after it (the
  // adapter counts both, and no refused copy). A 412 or 409 may also mean another writer: read too, so the rollback
  // says so. A refusal of every copy otherwise (a 400, a 403): not put back, nothing to read.
  const kind = what === "image" ? "scale-set" : "extension";
  const maybeApplied =
    mayHaveLanded(api, kind, write.sendsBefore, err) ||
    (err instanceof AzureApiError && (isPreconditionFailed(err) || isRetryableRefusal(err)));
  if (!maybeApplied) throw err;
  state.rollbackPart(what, "unknown");
  // A read of its own: the rollback's signal may be spent by now. A read that fails leaves the write unknown (read
  // again at the rollback's end), and the PATCH's own error stands.
  let model: ScaleSetModel;
  try {
    model = await api.getScaleSet(signal.aborted ? run.cutOffReadSignal() : signal);
  } catch {
    throw err;
  }
  if (!judge(model)) throw err;
  run.log.info(
    err instanceof OperationEndedError
      ? // Its operation ran and ended so (in Automatic and Rolling mode it lasts the platform's roll: an instance's
        // upgrade back failed, say); the write itself took.
        `The rollback's ${what} PATCH is applied (the model holds the previous values), but its operation ended ${err.outcome.status} (${errorLine(err)}).`
      : `The rollback's ${what} PATCH failed (${errorLine(err)}), but the model holds the previous values: Azure applied it (the error came after it: a resend's refusal, or a read of its operation's status).`,
  );
  while (describeRunning(model, undefined, []) !== undefined) {
    await run.untilNextPoll(Number.POSITIVE_INFINITY, undefined, signal);
    model = await api.getScaleSet(signal);
  }
  run.state.read(model);
  // The write landed, and the set is no longer busy: its operation is over, and the provisioning state says how (its
  // own answer, lost, would have). Before (an audit, 2026-12-07), a lost answer left its end unknown, and an Automatic
  // rollback whose roll had failed on an instance waited out health-timeout for it.
  const provisioning = model.provisioningState?.toLowerCase();
  return provisioning === "failed"
    ? { status: "Failed" }
    : provisioning === "succeeded"
      ? { status: "Succeeded" }
      : undefined;
}

/**
 * What another writer changed in the model outside what this run wrote (RunState.driftBeyondWritten): putting the
 * previous values back and upgrading the instances onto the model would give them that writer's change too.
 */
function beyondWritten(state: Run["state"], model: ScaleSetModel): string | undefined {
  const drift = state.driftBeyondWritten(model);
  switch (drift?.kind) {
    case undefined:
    case "refused":
      return undefined;
    case "image":
      return `the model's image is now ${describeImage(drift.image)}, which this run did not write`;
    case "extension":
      return describeDrift(drift);
  }
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
      return `the scale set's model no longer takes this run's change (${drift.fact})`;
    case "image":
      return `the model's image is now ${describeImage(drift.image)}, not what this run wrote`;
    case "extension":
      return `extension '${drift.name}' no longer holds what this run wrote`;
  }
}

/** How long before its lease ends a rollback stops (clock skew between runners). */
export const LEASE_CLOCK_MARGIN_MS = 5_000;

/** A rollback write refused with 409: tried again after poll-interval, doubled up to this (rollbackBackoff). */
const MAX_ROLLBACK_BACKOFF_MS = 120_000;

/**
 * One rollback batch's manualupgrade, as the forward batches send theirs (manual-batches.ts). A refusal of a copy the
 * SDK sent more than once may answer a resend of a request Azure took (its first answer lost), so the instances are
 * listed: when every one is back on the model or being upgraded, Azure took it, and the batch's gate waits for them. A
 * 409 of a copy sent once is another operation's (the forward upgrade a timeout cut off, still running, say): tried
 * again after poll-interval (doubled, at most 2 minutes apart) as long as the rollback's time allows, without the
 * instances already back; those of its instances being upgraded by that operation are held back, and the others sent
 * at once.
 */
async function upgradeBack(
  run: Run,
  api: ScaleSetApi,
  chunk: readonly string[],
  label: string,
  deadline: number,
  signal: AbortSignal,
  doing: (what: string) => void,
): Promise<OperationOutcome> {
  let ids = [...chunk];
  for (let attempt = 1; ; attempt++) {
    const sendsBefore = api.writeSends?.("upgrade");
    doing(`${label}'s manualupgrade of instances ${listIds(ids)} (its request, or the poll of Azure's operation)`);
    try {
      return await api.upgradeInstances(ids, signal);
    } catch (err) {
      if (isAbort(err) || !(err instanceof AzureApiError) || err.statusCode === undefined) throw err;
      // An instance that left the scale set since the last listing (autoscale: 400 InvalidParameter; a Flexible VM's
      // 404), as the forward batches do: a listing says which, and the request goes again without it. A 404 with the
      // scale set gone ends the rollback (its reads after it say deleted). An audit (2026-12-06): the whole rollback
      // failed on a scale-in, leaving the later batches on the new model.
      const instanceGone = await namesGoneInstance(run, api, err, signal);
      if (isScaleSetGone(err) && !instanceGone) throw err;
      if (instanceGone) {
        await run.list(api, signal);
        const still = stillListed(run, ids);
        if (still.length < ids.length) {
          run.log.info(
            `[${label}] manualupgrade refused (${errorLine(err)}): sending it again without the instance(s) that left the scale set.`,
          );
          ids = still;
          if (ids.length === 0) return { status: "Succeeded" };
          continue;
        }
      }
      const maybeTaken = mayAnswerResend(api, "upgrade", sendsBefore, err);
      if (err.statusCode !== 409 && !maybeTaken) throw err;
      await run.list(api, signal);
      const instance = (id: string) => run.state.instances.get(id);
      if (maybeTaken && ids.every((id) => reachedByUpgrade(instance(id)))) {
        run.log.info(
          `[${label}] manualupgrade was refused (${err.statusCode} ${err.code}), but every instance of it is back on the model or being upgraded: Azure took an earlier copy of the request, whose answer was lost.`,
        );
        return { status: "Succeeded" };
      }
      // A 409 of a copy sent once while some of its instances are being upgraded by another operation (the forward
      // upgrade a timeout cut off, say): the others are sent now, without them, and those are tried again after the
      // pause. Before (fuzz seed 356, 2026-12-07), the whole batch waited on them, and its other instances were never
      // brought back.
      const busy = maybeTaken
        ? []
        : ids.filter((id) => {
            const state = instance(id);
            return state !== undefined && isBusy(state);
          });
      if (err.statusCode === 409 && busy.length > 0 && busy.length < ids.length) {
        run.log.info(
          `[${label}] manualupgrade refused (${errorLine(err)}): instance(s) ${listIds(busy)} being upgraded by another operation; sending the others now, and those again after a pause.`,
        );
        const others = ids.filter((id) => !busy.includes(id));
        const outcome = await upgradeBack(run, api, others, label, deadline, signal, doing);
        if (outcome.status !== "Succeeded") return outcome;
        ids = busy;
      }
      const delay = rollbackBackoff(run, attempt);
      if (err.statusCode !== 409 || run.now() + delay >= deadline) throw err;
      ids = ids.filter((id) => {
        const state = instance(id);
        return !(state !== undefined && state.latestModelApplied && !isBusy(state));
      });
      if (ids.length === 0) return { status: "Succeeded" };
      run.log.info(`[${label}] manualupgrade refused (${errorLine(err)}): trying again in ${formatDuration(delay)}.`);
      doing(`${label}'s wait before sending its manualupgrade again (Azure refused it: ${errorLine(err)})`);
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
  checkRestored: (when: string) => Promise<void>,
  movedFrom: (id: string) => boolean,
  doing: (what: string) => void,
): Promise<void> {
  const { state } = run;
  const size = Math.max(1, ...state.batches.map((b) => b.instanceIds.length));
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
  for (const [index, chunk] of chunks.entries()) {
    const label = `rollback batch ${index + 1} of ${chunks.length}`;
    // The batches before took a while: the model must still be the previous one, or this batch would bring its
    // instances onto another writer's model.
    if (index > 0) await checkRestored(`${label} and the later ones were not sent`);
    run.log.info(`[${label}] manualupgrade ${chunk.join(", ")} back onto the previous model.`);
    state.rollbackSent(chunk);
    const outcome = await upgradeBack(run, api, chunk, label, deadline, signal, doing);
    if (outcome.status !== "Succeeded")
      throw new AzureApiError(outcome.error?.code ?? outcome.status, outcome.error?.message ?? "");
    for (;;) {
      doing(`${label}'s wait for instances ${listIds(chunk)} to be back on the previous model and healthy`);
      await run.list(api, signal);
      const over = run.now() >= deadline;
      // One protected by another writer since the rollback started: Azure's manualupgrade skipped it, and it will not
      // come back whatever the wait. Left out, as toBringBack leaves out one protected before.
      state.rollbackHeldByProtection(chunk.filter((id) => heldOffModel(state.instances.get(id))));
      const held = state.rollbackProgress!.heldByProtection;
      const present = chunk.filter((id) => state.instances.has(id) && !held.has(id));
      // Not recorded: an instance keeps the rollout's own verdict (and its error) in the report.
      const verdicts = present.map((id) => [id, run.assess(id, over)] as const);
      state.rollbackBack(verdicts.filter(([, a]) => a.kind === "done").map(([id]) => id));
      const bad = verdicts.filter(([, a]) => a.kind === "failed" || a.kind === "unhealthy").map(([id]) => id);
      const waiting = verdicts.filter(([, a]) => a.kind === "pending").map(([id]) => id);
      run.log.info(
        `[${label}] ${present.length - bad.length - waiting.length}/${present.length} back on the previous model and healthy.`,
      );
      if (bad.length > 0)
        throw new RollbackVerdict(
          `${label}: instance(s) ${bad.join(", ")} failed or are unhealthy on the previous model`,
        );
      if (waiting.length === 0) break;
      // An instance done with its upgrade, on the previous image, that Azure does not show on the model: the model moved
      // away from under it (another writer). One read says so at once, rather than after the rollback's whole time.
      if (!over && waiting.some(movedFrom)) await checkRestored(`${label}'s instances are not on it`);
      if (over) {
        throw new RollbackVerdict(
          `${label}: instance(s) ${waiting.join(", ")} are not back on the previous model and healthy within health-timeout`,
        );
      }
      await run.untilNextPoll(deadline - run.now(), undefined, signal);
    }
  }
}
