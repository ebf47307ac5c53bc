// Batches (Manual mode): manualupgrade each batch (refusals retried or reported), then the health gate: poll until
// every instance of it is settled, judging every instance upgraded so far against max-unhealthy.

import {
  isPreempted,
  isScaleSetGone,
  isRetryableRefusal,
  redactError,
  refusalMeaning,
  refusalWords,
} from "../../domain/azure-errors.ts";
import { formatDuration } from "../../shared/clock.ts";
import { isBusy, reachedByUpgrade } from "../../domain/in-progress.ts";
import { describeDrift, driftFrom } from "../../domain/change.ts";
import { describeError, isAbort } from "../../domain/error-text.ts";
import { AzureApiError, type AzureErrorInfo, type OperationOutcome } from "../../domain/scale-set.ts";
import type { BatchRecord, BatchResult } from "../../domain/record.ts";
import { listIds } from "../../domain/ids.ts";
import { breachesMaxUnhealthy, describeBreach } from "../../domain/verdict.ts";
import { batchLabel } from "../phase.ts";
import { mayAnswerResend, mayHaveLanded } from "../write-copies.ts";
import type { ScaleSetApi } from "../ports.ts";
import { movedByOtherWriter } from "../record.ts";
import { StopError, type Run } from "../run.ts";
import { namesGoneInstance, stillListed } from "./common.ts";

/** manualupgrade refused with 409 Conflict, or preempted: retries, after poll-interval, doubled each time. */
const MAX_UPGRADE_RETRIES = 5;
const MAX_BACKOFF_MS = 120_000;

/**
 * How a gate ended. `breached`: instances of the batch were still waited for, but those already failed break
 * max-unhealthy whatever the others become (breachCertain), so they were not waited for further.
 */
type GateEnd = "settled" | "breached" | "timeout" | "cancelled";

/** A manualupgrade Azure accepted and the end of its operation (undefined: waiting was aborted). */
interface Upgrade {
  /** The batch's instances (less those that left the scale set): the gate judges them. */
  readonly ids: readonly string[];
  /** The instances the operation that ended was sent for (default: ids); an earlier copy may have reached others. */
  readonly sent?: readonly string[];
  readonly outcome: OperationOutcome | undefined;
}

/** Each planned batch in turn (after pause-between-batches), until one breaks max-unhealthy or the time is up. */
export async function upgradeInBatches(run: Run, api: ScaleSetApi): Promise<void> {
  const { rollout } = run.config;
  if (run.state.targets.size === 0) {
    run.log.info("Every instance is on the latest model: no upgrade needed.");
    return;
  }
  const batches = run.state.batches;
  const of = batches.length;
  for (const batch of batches) {
    const label = batchLabel(batch.index, of);
    if (batch.index > 1 && rollout.pauseBetweenBatchesMs > 0) {
      run.enter({ kind: "pausing", batch: batch.index, of });
      // A pause that would outlast the time left ends the run now, not at timeout: nothing would follow it.
      if (rollout.pauseBetweenBatchesMs >= run.timeLeft())
        throw new StopError({
          kind: "timeout",
          reason:
            `Stopped before ${label}: its pause-between-batches (${formatDuration(rollout.pauseBetweenBatchesMs)}) ` +
            `would outlast the ${formatDuration(Math.max(0, run.timeLeft()))} that timeout ` +
            `(${formatDuration(rollout.timeoutMs)}) leaves the rollout.`,
        });
      run.log.info(`Pausing ${formatDuration(rollout.pauseBetweenBatchesMs)} before ${label}.`);
      await run.sleep(Math.min(rollout.pauseBetweenBatchesMs, run.timeLeft()), run.work);
      // A change another writer made to the model during the pause is looked for now, before the batch sends its
      // instances onto it (runBatch stops on one). Without a pause, a change during a batch shows in its gate's
      // listing (its instances are no longer on the latest model), and one that lands between the gate and the next
      // manualupgrade shows in that batch's listing (its instances run another image than this run's: verdict.ts,
      // otherWritersModel). A read that fails says nothing.
      try {
        run.state.read(await api.getScaleSet(run.work));
      } catch (err) {
        if (isAbort(err)) throw err;
      }
    }
    run.checkTime({ kind: "before-batch", batch: batch.index, of });
    const title = `Batch ${batch.index}/${of}${batch.canary ? " (canary)" : ""}: ${batch.instanceIds.join(", ")}`;
    await run.group(title, () => runBatch(run, api, batch, of));
  }
}

async function runBatch(run: Run, api: ScaleSetApi, batch: BatchRecord, of: number): Promise<void> {
  const { rollout } = run.config;
  const label = batchLabel(batch.index, of);
  run.enter({ kind: "upgrading", batch: batch.index, of });
  run.emit({ type: "batch-started", batch: batch.index, of, ids: batch.instanceIds });
  const started = run.now();
  // Instances gone since the last listing are not sent: a manualupgrade naming one is refused whole. On a Flexible set
  // the listing joins two paged lists, and one may miss a VM that is there: listed once more before any is left out.
  let present = stillListed(run, batch.instanceIds);
  if (present.length < batch.instanceIds.length && run.state.model?.orchestrationMode === "Flexible") {
    await run.list(api, run.work);
    present = stillListed(run, batch.instanceIds);
  }
  if (present.length === 0) {
    skipped(run, batch.index);
    return;
  }
  // Another writer changed the model after this run's write (a read or a tag write's answer showed it): the batch
  // would upgrade its instances onto that writer's model, and the report would call it this run's. Nothing is sent.
  const moved = run.state.otherWriter;
  if (moved !== undefined) {
    const notStarted = run.notStarted();
    // Instances of earlier batches a listing since showed moved by it (upgraded onto that writer's model, or left
    // behind on this run's): said, as the gate's breach does.
    const { words } = movedByOtherWriter(run.state, [...run.state.started]);
    throw new StopError({
      kind: "failed",
      reason:
        `Stopped before ${label}: the scale set's model was changed by another writer after this run's ` +
        `${run.state.modelUpdated ? "write" : "plan (it found the requested values in the model)"} ` +
        `(${describeDrift(moved)}), so no further instance was upgraded: they would have got that writer's model, ` +
        `not this run's. ${words}${notStarted.length > 0 ? `Not started: ${listIds(notStarted)}. ` : ""}` +
        `Find out who changed it, then run the action again: it plans on the model as it is then.`,
    });
  }
  run.state.batchChanged(batch.index, { startedAt: new Date(started).toISOString(), result: "not-started" });

  run.log.info(`manualupgrade ${present.join(", ")}`);
  let upgrade: Upgrade;
  try {
    upgrade = await sendUpgrade(run, api, present, batch.index, label);
  } catch (err) {
    // The run stops on it (a refusal, no answer, the scale set gone): the batch row says so, not "not started" next
    // to instances verification may find upgraded (a manualupgrade whose answer was lost).
    // A refusal that touched nothing has said so on the row already (refused(): failed, with Azure's error).
    if (run.state.batches.find((b) => b.index === batch.index)?.result === "not-started")
      endedByThrow(run, batch.index, started, err);
    throw err;
  }
  if (upgrade.outcome === undefined) {
    const result = run.interruptedBatch();
    run.state.batchChanged(batch.index, { durationMs: run.now() - started, result });
    run.emit({ type: "batch-ended", batch: batch.index, result });
    throw run.interrupted();
  }
  const ids = upgrade.ids;
  const outcome = upgrade.outcome;
  if (ids.length === 0) {
    // Azure refused it for instances gone since the last listing, and a listing showed every one of them gone.
    skipped(run, batch.index, run.now() - started);
    return;
  }
  // A status that could not be read says nothing of the instances: the gate judges them on its listings alone.
  const operationError =
    outcome.status === "Succeeded" || outcome.unread === true
      ? undefined
      : (outcome.error ?? { code: outcome.status, message: "" });
  if (operationError) run.state.operationFailed(upgrade.sent ?? ids, operationError);
  run.log.info(
    outcome.unread === true
      ? `manualupgrade: how it ended could not be read${outcome.error ? ` (${describeError(outcome.error)})` : ""}; its instances are judged on the listings.`
      : `manualupgrade ${outcome.status.toLowerCase()} after ${formatDuration(run.now() - started)}` +
          `${operationError ? `: ${describeError(operationError)}` : ""}.`,
  );

  let end: Awaited<ReturnType<typeof gate>>;
  try {
    end = await gate(run, api, ids, label, batch.index === of, batch.canary);
  } catch (err) {
    // A listing that failed stops the run during the gate: Azure ran this batch's upgrade, so its row says the run
    // stopped there, not "not started" beside instances the report shows upgraded (an audit, 2026-12-06).
    endedByThrow(run, batch.index, started, err, operationError);
    throw err;
  }
  const bad = ids.filter((id) => run.isBadNow(id));
  const result: BatchResult =
    end === "cancelled" || end === "timeout"
      ? run.interruptedBatch()
      : bad.length === 0
        ? "succeeded"
        : operationError || bad.some((id) => run.state.assessments.get(id)?.kind === "failed")
          ? "failed"
          : bad.some((id) => run.state.assessments.get(id)?.kind === "unhealthy")
            ? "unhealthy"
            : // Still waiting for the new model when the wait ended, none failed or unhealthy: not an unhealthy batch
              // (a review, 2026-12-07: an instance Azure's upgrade left on its old image, reporting healthy, was
              // shown in an "unhealthy" batch, pointing at its health probe).
              "unfinished";
  run.state.batchChanged(batch.index, {
    durationMs: run.now() - started,
    result,
    ...(operationError && { error: redactError(operationError) }),
  });
  run.log.info(`Batch ${batch.index}: ${result} in ${formatDuration(run.now() - started)}.`);
  run.emit({ type: "batch-ended", batch: batch.index, result });
  if (end !== "settled" && end !== "breached") throw run.interrupted();

  // Every instance upgraded so far, judged on this poll's listing: an earlier one that turned unhealthy counts too.
  // After a gate that ended on a certain breach, the instances still waited for are said apart: whether they would
  // have made it is not known, and the stop did not depend on it.
  const upgraded = [...run.state.started].filter((id) => !run.state.removed.has(id));
  const notWaited = end === "breached" ? ids.filter((id) => run.state.assessments.get(id)?.kind === "pending") : [];
  const allBad = upgraded.filter((id) => run.isBadNow(id) && !notWaited.includes(id));
  if (
    breachesMaxUnhealthy({
      upgraded: upgraded.length,
      bad: allBad.length,
      maxUnhealthyPercent: rollout.maxUnhealthyPercent,
      canary: batch.canary,
    })
  ) {
    const notStarted = run.notStarted();
    const share = batch.canary
      ? "the canary batch tolerates no failure"
      : describeBreach({
          upgraded: upgraded.length,
          bad: allBad.length,
          maxUnhealthyPercent: rollout.maxUnhealthyPercent,
        });
    const left =
      (notWaited.length > 0
        ? `Still waited for when the stop was certain, and not waited for further: ${run.describeAll(notWaited)}. `
        : "") + (notStarted.length > 0 ? `Not started: ${listIds(notStarted)}.` : "No instance was left untouched.");
    const moved = await otherWriterOfModel(run, api);
    throw new StopError({
      kind: "failed",
      reason:
        moved === undefined
          ? `Stopped after ${label}: ${allBad.length} of ${upgraded.length} upgraded instance(s) ${badWords(run, allBad)} (${share}): ` +
            `${run.describeAll(allBad)}. ${left}`
          : otherWritersBreach(run, { label, moved, allBad, upgraded: upgraded.length, share, left }),
    });
  }
}

/**
 * What the instances counted against max-unhealthy are, in a reason: those still waited for when their gate ended
 * (not on the new model, or their health not in) are said too, where their batch reads "unfinished" (a review,
 * 2026-12-07: "failed or are unhealthy" beside an "unfinished" batch).
 */
function badWords(run: Run, ids: readonly string[]): string {
  return ids.some((id) => run.state.assessments.get(id)?.kind === "pending")
    ? "failed, are unhealthy or were not on the new model and healthy within health-timeout"
    : "failed or are unhealthy";
}

/**
 * A breach of max-unhealthy found with another writer's change in the model: that change leads the reason, and the
 * instances it put off this run's model (left behind on this run's model, or upgraded onto that writer's) are told
 * apart from those that failed or are unhealthy on their own account. Before, the reason opened on "N of M upgraded
 * instance(s) failed or are unhealthy" when none had (a fuzz run, 2026-12-07), which reads as a broken release.
 */
function otherWritersBreach(
  run: Run,
  breach: {
    readonly label: string;
    readonly moved: string;
    readonly allBad: readonly string[];
    readonly upgraded: number;
    readonly share: string;
    readonly left: string;
  },
): string {
  const { label, moved, allBad, upgraded, share, left } = breach;
  const { words, own } = movedByOtherWriter(run.state, allBad);
  // A change that moved none of them: the instances' own failures lead, and the change is said after.
  if (own.length === allBad.length)
    return (
      `Stopped after ${label}: ${allBad.length} of ${upgraded} upgraded instance(s) ${badWords(run, allBad)} (${share}): ` +
      `${run.describeAll(allBad)}. ${left} Another writer also changed the scale set's model during the rollout (${moved}).`
    );
  return (
    `Stopped after ${label}: the scale set's model was changed by another writer during the rollout (${moved}). ` +
    words +
    (own.length > 0
      ? `${own.length} instance(s) failed or are unhealthy on their own account: ${run.describeAll(own)}. `
      : "") +
    `In all ${allBad.length} of ${upgraded} upgraded instance(s) are not on this run's model or not healthy (${share}). ` +
    left
  );
}

/** A batch the run stopped in by a throw: its row says stopped (or cancelled, timed out), with how long it ran. */
function endedByThrow(run: Run, index: number, started: number, err: unknown, error?: AzureErrorInfo): void {
  const result = isAbort(err) || run.cancel.aborted ? run.interruptedBatch() : "stopped";
  run.state.batchChanged(index, {
    durationMs: run.now() - started,
    result,
    ...(error && { error: redactError(error) }),
  });
  run.emit({ type: "batch-ended", batch: index, result });
}

/**
 * After a failed gate: whether the scale set's model still holds this run's change. When another writer changed it
 * during the rollout, the upgraded instances are "not on the latest model" because of that change, not of this run's:
 * the reason says so, leading with that change in words (describeDrift). One read, on failure only; a read that fails
 * says nothing.
 */
async function otherWriterOfModel(run: Run, api: ScaleSetApi): Promise<string | undefined> {
  try {
    let drift = run.state.otherWriter;
    if (drift === undefined) {
      const model = await api.getScaleSet(run.work);
      drift = driftFrom(model, run.state.request) ?? run.state.driftBeyondWritten(model);
    }
    return drift === undefined ? undefined : describeDrift(drift);
  } catch {
    return undefined;
  }
}

/** A batch every instance of which left the scale set before it could be upgraded: nothing was. */
function skipped(run: Run, index: number, durationMs?: number): void {
  run.log.info(`Batch ${index}: every instance of it has left the scale set; nothing was upgraded.`);
  run.state.batchChanged(index, { result: "skipped", ...(durationMs !== undefined && { durationMs }) });
  run.emit({ type: "batch-ended", batch: index, result: "skipped" });
}

/**
 * manualupgrade until Azure accepts it, then its operation's end. Azure refusing it means it touched no instance:
 * - 409 Conflict (another operation holds the scale set), or an operation preempted or cancelled after it was
 *   accepted: retried after poll-interval, doubled each time, at most MAX_UPGRADE_RETRIES times and within timeout;
 * - 400 InvalidParameter (an instance left the scale set since the last listing): listed again and sent once more
 *   without the instances that are gone;
 * - anything else (401, 403, 404 …) stops the run, the batch's instances not started.
 */
async function sendUpgrade(
  run: Run,
  api: ScaleSetApi,
  initial: readonly string[],
  index: number,
  label: string,
): Promise<Upgrade> {
  let ids = [...initial];
  // The batch's instances as sent (less those that left the scale set): what the gate judges.
  let batch = [...initial];
  let listedAgain = false;
  for (let attempt = 1; ; attempt++) {
    let refusal: AzureApiError;
    let accepted = false;
    const sendsBefore = api.writeSends?.("upgrade");
    try {
      const pending = await api.startUpgradeInstances(ids, run.work);
      accepted = true;
      run.upgradeStarted(ids, true);
      const outcome = await pending.done;
      run.emit({ type: "upgrade-ended", ids, outcome });
      if (outcome === undefined || !isPreempted(outcome) || attempt > MAX_UPGRADE_RETRIES)
        return { ids: batch, sent: ids, outcome };
      refusal = new AzureApiError(
        outcome.error?.code ?? outcome.status,
        outcome.error?.message ?? "Azure ended the operation before it finished",
      );
    } catch (err) {
      if (isAbort(err) || run.cancel.aborted) {
        // Cut off (cancel, deadline) while the POST was in flight: Azure may have taken it. The instances are maybe
        // started: verification lists them and counts those an upgrade reached (verify.ts).
        if (!accepted) run.state.upgradeMaybeStarted(ids, run.now());
        return { ids, outcome: undefined };
      }
      // Not an answer from Azure (a connection lost after the SDK's retries): whether it arrived is unknown, and so
      // is the state of its instances until a listing shows them.
      if (!(err instanceof AzureApiError) || err.statusCode === undefined) {
        // Unless no copy of it left (its sign-in failed, say): then its instances are not started.
        if (mayHaveLanded(api, "upgrade", sendsBefore, err)) run.state.upgradeMaybeStarted(ids, run.now());
        throw err;
      }
      // The run ends on a scale set gone (rollout.ts). A 404 may also name a Flexible VM deleted since the listing (its
      // instance ID is the VM's name: ResourceNotFound for Microsoft.Compute/virtualMachines/<name>, assumed, not
      // recorded): one read of the scale set says which; an instance gone is sent again without it, as below.
      const instanceGone = await namesGoneInstance(run, api, err, run.work);
      if (isScaleSetGone(err) && !instanceGone) throw err;
      const setFound = isScaleSetGone(err); // and read just now (namesGoneInstance)
      refusal = err;
      const maybeTaken = mayAnswerResend(api, "upgrade", sendsBefore, err);
      if (err.statusCode === 409 || maybeTaken) {
        // A 409 may be the answer to the SDK's resend of a manualupgrade Azure took, its first answer lost: the first
        // copy's instances are busy, so the copy is refused. So may any refusal of a copy sent again (a 5xx, a 429).
        // Whether Azure took it is read from the instances, not assumed; a copy sent once was not taken, and its
        // instances busy are another operation's (the listing still shows which are on the model already).
        const seen = await afterConflict(run, api, ids, err, maybeTaken);
        if (seen === "taken") return { ids: batch, outcome: { status: "Succeeded" } };
        const done = new Set(seen.done);
        ids = ids.filter((id) => !done.has(id));
        if (ids.length === 0) return { ids: batch, outcome: { status: "Succeeded" } };
      }
      if (instanceGone && !listedAgain) {
        listedAgain = true;
        await run.list(api, run.work);
        const still = stillListed(run, ids);
        if (still.length < ids.length) {
          run.log.info(
            `manualupgrade refused (${describeError(err)}): sending it again without the instance(s) that left the scale set.`,
          );
          ids = still;
          batch = batch.filter((id) => run.state.instances.has(id));
          // Nothing left to send: the batch is what is left of it (instances an earlier copy reached are judged).
          if (ids.length === 0) return { ids: batch, outcome: { status: "Succeeded" } };
          continue;
        }
      }
      if (!isRetryableRefusal(err) || attempt > MAX_UPGRADE_RETRIES) {
        const found = setFound
          ? "the scale set is there (read just now), and its listing still shows these instances"
          : undefined;
        throw refused(run, err, index, label, attempt, found);
      }
    }
    const delay = Math.min(MAX_BACKOFF_MS, run.config.rollout.pollIntervalMs * 2 ** (attempt - 1));
    if (delay >= run.timeLeft())
      throw refused(run, refusal, index, label, attempt, "the timeout leaves no time to try again");
    run.log.info(
      `manualupgrade ${refusalWords(refusal)} (${describeError(refusal)}): trying again in ${formatDuration(delay)} (attempt ${attempt + 1}).`,
    );
    run.emit({ type: "upgrade-retry", ids, attempt: attempt + 1, delayMs: delay });
    await run.sleep(delay, run.work);
    run.checkTime();
    run.log.info(`manualupgrade ${ids.join(", ")}`);
  }
}

/**
 * After a 409 on manualupgrade (or another refusal of a copy the SDK sent again): one listing of every instance, to tell a refusal that touched nothing from the answer
 * to a resent copy of a request Azure took (its first answer lost; `maybeTaken`: more than one copy went out). Until
 * the listing, the instances of a request that may have been taken count as maybe
 * started (unseen; verification lists again if the run stops here). Instances the listing shows on the latest model
 * were reached by an upgrade (every instance was stale after the model write): started, and not sent again. When every
 * instance still to send is on it or being upgraded, Azure took the request: all count as started and the gate waits
 * for them. Assumption: an operation of another writer busy on exactly those instances at that moment would be taken
 * for this run's; the gate then judges them on what they become, so the report still says where they stand.
 */
async function afterConflict(
  run: Run,
  api: ScaleSetApi,
  ids: readonly string[],
  err: AzureApiError,
  maybeTaken: boolean,
): Promise<"taken" | { readonly done: readonly string[] }> {
  if (maybeTaken) run.state.upgradeMaybeStarted(ids, run.now());
  await run.list(api, run.work);
  const { instances } = run.state;
  const reached = ids.filter((id) => reachedByUpgrade(instances.get(id)));
  const busy = reached.filter((id) => {
    const instance = instances.get(id);
    return instance !== undefined && isBusy(instance);
  });
  const busySet = new Set(busy);
  const done = reached.filter((id) => !busySet.has(id));
  run.state.upgradeReached(done);
  if (maybeTaken && reached.length === ids.length) {
    run.log.info(
      `manualupgrade was refused (${err.statusCode} ${err.code}), but every instance of it is upgraded or being upgraded: Azure took an earlier copy of the request, whose answer was lost.`,
    );
    run.upgradeStarted(busy, true);
    return "taken";
  }
  return { done };
}

/** The stop for a manualupgrade Azure refused: what it said, what it likely means, what was left untouched. */
function refused(
  run: Run,
  err: AzureApiError,
  index: number,
  label: string,
  attempts: number,
  why?: string,
): StopError {
  run.state.batchChanged(index, { result: "failed", error: redactError({ code: err.code, message: err.message }) });
  const status = err.statusCode !== undefined ? `${err.statusCode} ` : "";
  const meaning = refusalMeaning(err, attempts, why);
  // Instances of the batch a listing since showed upgraded (a copy of the request Azure took, see afterConflict).
  const batch = run.state.batches.find((b) => b.index === index)?.instanceIds ?? [];
  const reached = batch.filter((id) => run.state.started.has(id));
  const notStarted = run.notStarted();
  return new StopError({
    kind: "failed",
    reason:
      `Azure refused manualupgrade for ${label} (${status}${describeError({ code: err.code, message: err.message })})` +
      `${meaning ? `: ${meaning}` : ""}. ` +
      (reached.length > 0
        ? `An earlier copy of it reached ${listIds(reached)}; it touched none of the others. `
        : "Azure touched none of its instances. ") +
      (notStarted.length > 0 ? `Not started: ${listIds(notStarted)}.` : ""),
  });
}

/**
 * Polls (one listing per poll, see readForGate) until every instance of `ids` is settled: on the new model and
 * healthy, failed, or unhealthy; the instances of earlier batches are judged again on each listing. Health is waited
 * for until health-timeout; the whole run's deadline and a cancel end it early. `last`: the last batch, whose listing
 * verification judges every instance on, so it lists every instance.
 */
async function gate(
  run: Run,
  api: ScaleSetApi,
  ids: readonly string[],
  label: string,
  last: boolean,
  canary: boolean,
): Promise<GateEnd> {
  const healthDeadline = run.now() + run.config.rollout.healthTimeoutMs;
  let poll = 0;
  for (;;) {
    if (run.cancel.aborted) return "cancelled";
    const healthWaitOver = run.now() >= healthDeadline;
    // The model is read beside the first poll's listing (every poll's, in the last batch: see readForGate). Another
    // writer's change that landed before the batch's manualupgrade (an extension added or changed, a property the VM
    // list leaves out) put the batch's instances on that writer's model, and no listing shows it: they are on the
    // latest model. Without that read, every later batch went on upgrading instances onto it under this run's name,
    // and only verification's read found it (a fuzz run, 2026-12-07). Found, the batch is judged on it here and the
    // next batch is not sent (runBatch). One GET a batch, beside the listing, so the gate takes no longer.
    const withModel = last || poll === 0;
    try {
      await readForGate(run, api, ids, last, withModel);
    } catch (err) {
      if (!isAbort(err)) throw err;
      return run.cancel.aborted ? "cancelled" : "timeout";
    }
    poll += 1;
    // That read found the change, and the listing went out before its answer: listed again at once (once), so that
    // the batch's instances are judged knowing it (on the latest model, they run that writer's model). The last
    // batch's is verification's to list again (RunState.movedSinceListing).
    if (
      !last &&
      poll === 1 &&
      run.state.otherWriter !== undefined &&
      ids.some((id) => run.state.otherWriterBefore(id) === undefined)
    )
      continue;
    run.judgeSettled();
    for (const id of ids) run.judge(id, healthWaitOver);
    run.progress(ids, label);
    const pending = ids.filter((id) => run.state.assessments.get(id)?.kind === "pending");
    if (pending.length === 0 || healthWaitOver) {
      run.state.waitOver(ids);
      return "settled";
    }
    // The stop is certain already (a canary failed, or enough failed beyond max-unhealthy): waiting out health-timeout
    // for the others would change nothing but how late the run stops (and rolls back, if asked). Those still waited
    // for keep their wait: a later listing judges them on it, not as unhealthy for a timeout they did not spend.
    if (breachCertain(run, canary)) {
      run.state.waitOver(ids.filter((id) => !pending.includes(id)));
      return "breached";
    }
    if (run.timeLeft() <= 0) return "timeout";
    await run.untilNextPoll(Math.min(run.timeLeft(), healthDeadline - run.now()));
  }
}

/**
 * Whether max-unhealthy is broken by the instances upgraded so far that have failed, counting none of those still
 * waited for: those can only add to the count, so nothing they become can undo the stop. Failed only: an unhealthy
 * instance of an earlier batch may report healthy again by the gate's end (health flaps), and it is judged then, as
 * before (a review, session 33: counting it stopped a rollout whose every instance ended healthy).
 */
function breachCertain(run: Run, canary: boolean): boolean {
  const { state } = run;
  const upgraded = [...state.started].filter((id) => !state.removed.has(id));
  const bad = upgraded.filter((id) => state.assessments.get(id)?.kind === "failed");
  return breachesMaxUnhealthy({
    upgraded: upgraded.length,
    bad: bad.length,
    maxUnhealthyPercent: run.config.rollout.maxUnhealthyPercent,
    canary,
  });
}

/**
 * The listing a gate poll judges on, reading no more pages than it needs, so that reads do not grow with the scale
 * set (issue #18). When every instance must be known (`complete`: the last batch, whose listing the verdict reads),
 * one list of every instance: as few pages as any pair of filtered lists, often one fewer. Otherwise first the
 * instances on the latest model (`$filter=properties/latestModelApplied eq true`): once a batch's operation has ended,
 * those are the instances it upgraded and those of earlier batches, with their instance view, which is all the gate
 * judges. When that listing does not show every instance the gate judges (one is not on the new model yet, failed, or
 * left the scale set), the others (`eq false`) are read right after: the two together show every instance. An
 * instance known before that neither shows (it left the scale set, or its latestModelApplied changed between the two
 * reads) is settled by one list of every instance. Instances a filtered listing leaves out keep their last state, and
 * are never judged on it. A Flexible scale set is listed whole (one listing: its scale-set VM list and its standalone
 * VM list).
 */
async function readForGate(
  run: Run,
  api: ScaleSetApi,
  ids: readonly string[],
  complete: boolean,
  withModel: boolean,
): Promise<void> {
  const { state } = run;
  // `withModel`: the model is read alongside the listing (gate). The last batch's listing is the one verification
  // judges on: read alongside it, not after it on the way to the end (verify.ts readModelOnceMore, issue #18's wall
  // time). A change it finds is one the listing may not show yet (RunState.movedSinceListing, otherWriterBefore).
  const seq = state.mark();
  const alongside = withModel ? readModelAlongside(run, api) : undefined;
  try {
    await listForGate(run, api, ids, complete, seq, alongside);
  } finally {
    await alongside;
  }
}

/** readForGate's listing; `alongside` (the model's read, never rejecting) is taken in before the listing is. */
async function listForGate(
  run: Run,
  api: ScaleSetApi,
  ids: readonly string[],
  complete: boolean,
  seq: number,
  alongside: Promise<void> | undefined,
): Promise<void> {
  const { state } = run;
  // Flexible: whether Azure honours the filter on its VM list is not documented, so it is listed whole, once a poll.
  if (complete || state.model?.orchestrationMode === "Flexible") {
    const instances = await api.listInstances(run.work);
    await alongside;
    run.listed(instances, seq);
    return;
  }
  const judged = [...new Set([...ids, ...state.started])].filter((id) => !state.removed.has(id));
  const latest = await api.listInstances(run.work, "latest");
  const shown = new Map(latest.map((i) => [i.instanceId, i]));
  if (judged.every((id) => shown.has(id))) {
    await alongside;
    run.listedSome(latest, "latest", seq);
    return;
  }
  // The later read wins for an instance both show.
  for (const instance of await api.listInstances(run.work, "not-latest")) shown.set(instance.instanceId, instance);
  const known = [...state.instances.keys(), ...judged];
  await alongside;
  if (known.some((id) => !shown.has(id))) {
    await run.list(api, run.work);
    return;
  }
  run.listed([...shown.values()], seq);
}

/** A read of the model beside a listing; one that fails says nothing (verification reads it then). */
async function readModelAlongside(run: Run, api: ScaleSetApi): Promise<void> {
  try {
    run.state.read(await api.getScaleSet(run.work));
  } catch {
    // Verification reads it again: RunState.modelSeenSinceListing stays false.
  }
}
