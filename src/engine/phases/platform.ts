// Platform (Automatic / Rolling mode): each model write, then the platform's roll that follows it, polled until it is
// done, Faulted, or the time is spent.

import { describeDrift } from "../../domain/change.ts";
import { describeError, isAbort } from "../../domain/error-text.ts";
import { isBusy } from "../../domain/in-progress.ts";
import type {
  AzureErrorInfo,
  OperationOutcome,
  PendingOperation,
  RollingUpgradeStatus,
} from "../../domain/scale-set.ts";
import { listIds } from "../../domain/ids.ts";
import type { ModelChange } from "../../domain/change.ts";
import type { ScaleSetApi } from "../ports.ts";
import { movedByOtherWriter, otherWritersPart } from "../record.ts";
import { StopError, type Run } from "../run.ts";
import { modelSettled, startExtensionWrite, startImageWrite } from "./model-update.ts";
import { notePlatformTargets } from "./common.ts";

/**
 * Each write, then the platform's roll that follows it. Azure refuses a model write while the previous one's
 * operation runs, and in these modes that operation may last the whole roll: an image and an extension change
 * are therefore two rolls, one after the other.
 */
export async function rollOnPlatform(run: Run, api: ScaleSetApi, planned: ModelChange): Promise<void> {
  const mode = run.state.model?.upgradeMode ?? "Automatic";
  let change = planned; // rebuilt when the scale set changed under the image write (412)
  const writeImage = async (): Promise<PendingOperation | undefined> => {
    const image = await startImageWrite(run, api, change);
    change = image.change;
    return image.landedUnseen ? modelSettled(run, api) : image.pending;
  };
  const writes = [
    ...(planned.scaleSetPatch ? [writeImage] : []),
    ...(planned.extensionPatch ? [() => startExtensionWrite(run, api, change)] : []),
  ];
  let rolls = 0;
  for (const write of writes) {
    run.enter({ kind: "updating-model" });
    const pending = await run.group("Model update", write);
    if (pending === undefined) continue;
    run.state.rollBegins();
    const first = ++rolls === 1;
    const last = write === writes.at(-1);
    await run.group(`Platform rollout (${mode})`, () => followPlatform(run, api, pending, first, last));
  }
}

/**
 * Follows the platform's roll until the write's operation has ended, the platform no longer rolls and every
 * targeted instance is settled; or it failed, or the time is up. An instance not on the new model keeps the run
 * waiting (until timeout) while it is not failed; health-timeout runs for each instance from when it is first
 * seen on the new model. The instance list is read when the operation ends or a poll interval has passed.
 */
async function followPlatform(
  run: Run,
  api: ScaleSetApi,
  pending: PendingOperation,
  firstRoll: boolean,
  lastWrite: boolean,
): Promise<void> {
  const { healthTimeoutMs } = run.config.rollout;
  const mode = run.state.model?.upgradeMode;
  const label = mode === "Rolling" ? "rolling upgrade" : "automatic upgrade";
  run.enter({ kind: "platform", label });
  const operation: { ended: boolean; outcome?: OperationOutcome | undefined } = { ended: false };
  const ended = pending.done.then((outcome) => void Object.assign(operation, { ended: true, outcome }));
  const onModelSince = new Map<string, number>();
  // The targets a listing showed this roll working on (touchedByRoll), and of those the ones it showed on the new model.
  const touched = new Set<string>();
  const onNewModel = new Set<string>();
  let ids: string[] | undefined;
  let movedOnChecked = false;
  for (;;) {
    await run.untilNextPoll(run.timeLeft(), operation.ended ? undefined : ended);
    run.checkTime();
    // Read the verdicts first and the instances after, so a failure is described with the states that caused it.
    const opEnded = operation.ended;
    const rolling = mode === "Rolling" ? await rollingStatus(run, api) : undefined;
    const instances = await run.list(api, run.work);
    ids ??= notePlatformTargets(run, instances);
    const now = run.now();
    const seen = touchedByRoll(run, ids, rolling);
    for (const id of seen.onModel) onNewModel.add(id);
    for (const id of [...seen.onModel, ...seen.busy]) touched.add(id);
    for (const id of ids) {
      const state = run.state.instances.get(id);
      if (state?.latestModelApplied && !isBusy(state) && !onModelSince.has(id)) onModelSince.set(id, now);
      const since = onModelSince.get(id);
      run.judge(id, since !== undefined && now >= since + healthTimeoutMs);
    }
    run.progress(ids, label);
    if (rolling?.code === "Faulted" || rolling?.code === "Cancelled") {
      const what = `Azure's rolling upgrade ${rolling.code === "Faulted" ? "faulted" : "was cancelled"}`;
      // Whether Azure put the instances this roll failed back on the model they ran before.
      const putsBack = rolling.code === "Faulted" && run.state.model?.rollbackFailedInstances === true;
      const counts = `${rolling.successfulInstanceCount} succeeded, ${rolling.failedInstanceCount} failed, ${rolling.pendingInstanceCount} pending`;
      throw platformFailure(
        run,
        ids,
        `${what}${rolling.error ? ` (${describeError(rolling.error)})` : ""}: ${counts}.`,
        {
          error: {
            code: `RollingUpgrade${rolling.code}`,
            message: `${what}, and this instance is not on the new model: Azure did not upgrade it${putsBack ? ", or upgraded it and put it back (rollbackFailedInstancesOnPolicyBreach)" : ""}; Azure will not finish it.`,
          },
          touchedMessage:
            `${what}, and this instance is not on the new model, though a listing showed it being upgraded or on the ` +
            `new model during this roll${putsBack ? " (Azure puts the instances its faulted roll failed back on the model they ran before: rollbackFailedInstancesOnPolicyBreach)" : ""}; Azure will not finish it.`,
          counts: rolling,
          touched,
          onNewModel,
          firstRoll,
        },
      );
    }
    if (opEnded && operation.outcome === undefined) throw run.interrupted();
    if (opEnded && operation.outcome !== undefined && operation.outcome.status !== "Succeeded") {
      const { status, error, unread } = operation.outcome;
      // Only reading how it ended failed (a 403, a 404, Azure's 5xx after the retries): not called a failed upgrade.
      throw platformFailure(
        run,
        ids,
        unread === true
          ? `How Azure's ${label} ended could not be read${error ? ` (${describeError(error)})` : ""}; its instances are listed as they are.`
          : `Azure's ${label} ${status.toLowerCase()}${error ? ` (${describeError(error)})` : ""}.`,
        unread === true
          ? undefined
          : {
              error: {
                code: error?.code ?? `Operation${status}`,
                message: `Azure's ${label} ended (${status}), and this instance is not on the new model; it will not finish it.${error ? ` ${describeError(error)}` : ""}`,
              },
              // No counts: a rolling upgrade read in this poll is not over (that is the branch above), or not this
              // write's, so it does not say which instances Azure left alone.
              touched,
              onNewModel,
              firstRoll,
            },
      );
    }
    const stillRolling = rolling?.code === "RollingForward" || rolling?.code === "RollingBack";
    if (!opEnded || stillRolling) continue;
    const waiting = ids.filter((id) => run.state.assessments.get(id)?.kind === "pending");
    if (waiting.length === 0) {
      run.state.waitOver(ids);
      return;
    }
    // Every instance still waited for runs the model this run rolled out, idle, and is not on the latest model: another
    // writer changed the model after Azure's roll reached it. Waiting on would wait for a roll of that writer's model
    // (which Azure starts, or not, for that writer): not this run's. Checked on one read of the model, once. One that
    // reports unhealthy there is left behind too (and reported unhealthy).
    if (!movedOnChecked && waiting.every(leftBehindIn(run))) {
      const { read, drift } = await modelDrift(run, api);
      // A read that failed is tried again at the next poll; one that was answered decides.
      movedOnChecked = read;
      // The image's roll, with the extension's write to come: that write reads the model, finds the change and stops
      // before it (model-update.ts, stopOnOtherWriter: "Stopped before the extension write"), as it does for a change
      // made between the rolls. Only the image went out: "this run's model" would not be true.
      if (drift !== undefined && !lastWrite) {
        run.state.waitOver(ids);
        return;
      }
      if (drift !== undefined) {
        const { words, own } = movedByOtherWriter(run.state, waiting);
        throw new StopError({
          kind: "failed",
          reason:
            `Azure's ${label} rolled this run's model out, and another writer changed the scale set's model since ` +
            `(${drift}). ${words}` +
            (own.length > 0 ? `${own.length} instance(s) are unhealthy on it: ${run.describeAll(own)}. ` : "") +
            `The run does not wait for a roll of that writer's change (Azure rolls it in ${mode ?? "Automatic"} ` +
            `mode when it takes it): that roll is not this run's, and it would put that writer's model on them. ` +
            `Find out who changed the model before a re-run.`,
        });
      }
    }
  }
}

/** Whether an instance was left behind by another writer's change (otherWritersPart); sentBackNotBack taken once. */
function leftBehindIn(run: Run): (id: string) => boolean {
  const sentNotBack = run.state.sentBackNotBack;
  return (id) => {
    const part = otherWritersPart(run.state, id, sentNotBack);
    return part === "moved-on" || part === "unhealthy-moved-on";
  };
}

/** Another writer's change to the model, as one read shows it (describeDrift's words); `read: false` when it failed. */
async function modelDrift(run: Run, api: ScaleSetApi): Promise<{ read: boolean; drift?: string }> {
  try {
    run.state.read(await api.getScaleSet(run.work));
  } catch (err) {
    if (isAbort(err)) throw err;
    return { read: false };
  }
  const drift = run.state.otherWriter;
  return drift === undefined ? { read: true } : { read: true, drift: describeDrift(drift) };
}

/**
 * The targets this listing shows the roll working on. `onModel`: on the new model (after the write, only an upgrade
 * puts one there). `busy`: off it and being updated while the rolling upgrade rolls (`rolling`, read just before the
 * listing), no more of them than Azure counts in progress (RollingBack: or failed); an instance busy for another
 * reason (a repair, a reimage, one already Updating when the run wrote) can still pass for one of Azure's when Azure's
 * own does not show busy yet, so `busy` is weaker evidence (platformFailure). In Automatic mode (no counts) a busy one
 * off the new model says nothing.
 */
function touchedByRoll(
  run: Run,
  ids: readonly string[],
  rolling: RollingUpgradeStatus | undefined,
): { onModel: string[]; busy: string[] } {
  const onModel: string[] = [];
  const busy: string[] = [];
  for (const id of ids) {
    const state = run.state.instances.get(id);
    if (state?.latestModelApplied === true) onModel.push(id);
    else if (state !== undefined && isBusy(state)) busy.push(id);
  }
  const room =
    rolling?.code === "RollingForward"
      ? rolling.inProgressInstanceCount
      : rolling?.code === "RollingBack"
        ? rolling.inProgressInstanceCount + rolling.failedInstanceCount
        : 0;
  return { onModel, busy: busy.length <= room ? busy : [] };
}

/** rollingUpgrades/latest, when it is the upgrade this run started (not one that ended before the action started). */
async function rollingStatus(run: Run, api: ScaleSetApi): Promise<RollingUpgradeStatus | undefined> {
  const status = await api.getLatestRollingUpgrade(run.work);
  const before = run.state.rollingBefore;
  if (status === undefined || (before !== undefined && status.startTime === before.startTime)) return undefined;
  run.state.rollingRead(status);
  run.log.info(
    `Rolling upgrade ${status.code}: ${status.successfulInstanceCount} succeeded, ${status.failedInstanceCount} failed, ` +
      `${status.inProgressInstanceCount} in progress, ${status.pendingInstanceCount} pending.`,
  );
  return status;
}

/** How the platform's roll ended, for platformFailure. */
interface RollOver {
  /** What an instance it left off the new model is failed with. */
  readonly error: AzureErrorInfo;
  /** Azure's own counts, when the roll is a rolling upgrade that ended (Faulted, Cancelled). */
  readonly counts?: Pick<RollingUpgradeStatus, "code" | "pendingInstanceCount" | "failedInstanceCount">;
  /**
   * What an instance it left off the new model that a listing showed it working on is failed with, when that says
   * more than `error`.
   */
  readonly touchedMessage?: string;
  /** The instances a listing showed this roll working on: on the new model or being upgraded (touchedByRoll). */
  readonly touched: ReadonlySet<string>;
  /** Of those, the ones a listing showed on the new model: the evidence Azure's counts are weighed against. */
  readonly onNewModel: ReadonlySet<string>;
  /** This is the run's first roll (an extension's roll follows the image's when a run changes both). */
  readonly firstRoll: boolean;
}

/**
 * `<what happened> Failed or unhealthy: 0 (vmss1_0): …. Left on the model they ran before …: 1, 2.` `over`: the
 * platform's roll is over (faulted, cancelled, failed), and will not bring an instance it left off the new model and
 * no longer works on there (so not "Azure may still finish it"). Such an instance is not started (RolloutState.notReached:
 * it runs the model it ran before, and a rollback leaves it as it is) only where nothing says Azure touched it: the
 * run's first roll (after an image roll, an extension's leaves instances on the new image), never seen being upgraded
 * by the roll or on the new model (touchedByRoll), and Azure's own counts of the rolling upgrade leave no room for an
 * instance it upgraded and put back unseen (rollbackFailedInstancesOnPolicyBreach), which the run cannot tell apart
 * (leftAlone). Otherwise it is failed with `over.error` (`over.touchedMessage` for one it was seen working on).
 */
function platformFailure(run: Run, ids: readonly string[], what: string, over?: RollOver): StopError {
  const { assessments } = run.state;
  // Rolling, faulted: Azure's rolling upgrade judged the health of the instances it upgraded (its
  // maxUnhealthyUpgradedInstancePercent) and stopped on it. One on the new model, idle, reporting Unhealthy, that this
  // run still waits on within its health-timeout is judged as it stands ("reports unhealthy"), as Azure judged it, not
  // left "unfinished". First, so that leftAlone counts it among the failures Azure's counts hold (a review,
  // 2026-12-07: judged after, the instances Azure never reached were failed). One still Initializing, or a roll
  // cancelled, is not: Azure did not judge it unhealthy.
  if (over?.counts?.code === "Faulted") {
    const judged = ids.filter((id) => {
      const state = run.state.instances.get(id);
      return (
        assessments.get(id)?.kind === "pending" &&
        state?.latestModelApplied === true &&
        state.health === "unhealthy" &&
        !isBusy(state)
      );
    });
    // Their wait is over (verification judges them so too).
    run.state.waitOver(judged);
    for (const id of judged) run.judge(id, true);
  }
  const left =
    over === undefined
      ? []
      : ids.filter((id) => {
          const state = run.state.instances.get(id);
          return (
            assessments.get(id)?.kind === "pending" &&
            state !== undefined &&
            !state.latestModelApplied &&
            !isBusy(state)
          );
        });
  const candidates = over?.firstRoll === true ? left.filter((id) => !over.touched.has(id)) : [];
  const untouched = new Set(over !== undefined && leftAlone(run, ids, left, over) ? candidates : []);
  run.state.platformEndedBefore([...untouched]);
  const failedLeft = left.filter((id) => !untouched.has(id));
  if (over !== undefined) {
    const put = (id: string) => over.touchedMessage !== undefined && over.touched.has(id);
    run.state.operationFailed(
      failedLeft.filter((id) => !put(id)),
      over.error,
    );
    if (over.touchedMessage !== undefined)
      run.state.operationFailed(failedLeft.filter(put), { code: over.error.code, message: over.touchedMessage });
  }
  for (const id of failedLeft) run.judge(id, true);
  const notLeft = ids.filter((id) => !untouched.has(id));
  const bad = notLeft.filter((id) => run.isBadNow(id) && assessments.get(id)?.kind !== "pending");
  const waiting = notLeft.filter((id) => assessments.get(id)?.kind === "pending");
  // Of those, the ones on the new model and idle whose health was still waited for (Unhealthy or Initializing within
  // health-timeout): said apart, not as "not on the new model" (a review, 2026-12-07).
  const healthWaited = waiting.filter((id) => {
    const state = run.state.instances.get(id);
    return state?.latestModelApplied === true && !isBusy(state);
  });
  const healthWaitedSet = new Set(healthWaited);
  const upgrading = waiting.filter((id) => !healthWaitedSet.has(id));
  const parts = [
    what,
    ...(bad.length > 0 ? [`Failed or unhealthy: ${run.describeAll(bad)}.`] : []),
    ...(untouched.size > 0
      ? [`Left on the model they ran before (Azure will not upgrade them now): ${listIds(untouched)}.`]
      : []),
    // Waiting: not on the new model yet, or on it with their upgrade still running (verdict.ts: busy is pending).
    ...(upgrading.length > 0 ? [`Not on the new model, or still being upgraded: ${listIds(upgrading)}.`] : []),
    ...(healthWaited.length > 0
      ? [
          `On the new model, not healthy yet when the roll ended (within health-timeout): ${run.describeAll(healthWaited)}.`,
        ]
      : []),
  ];
  return new StopError({ kind: "failed", reason: parts.join(" ") });
}

/**
 * Whether Azure's counts say it never started the candidates (those of `left` no listing showed it working on). Azure
 * never counts pending an instance it put on the new model, so when the targets off the new model and never seen on it
 * (the gone ones too) are no more than its pending count, and its pending ones are all targets, the candidates are
 * pending. Its failures must be accounted for outside those: targets the run sees failed or unhealthy, and, with
 * rollbackFailedInstancesOnPolicyBreach on and the roll Faulted, those of `left` a listing showed on the new model (it
 * put them back). One it upgraded and put back between two listings, never seen on the new model, is a failure the run
 * cannot account for: then every one it left is failed. Only a sighting on the new model counts here; one busy off it
 * (touchedByRoll's weaker evidence) only keeps that instance from being called not started. Left to Azure's word: that
 * its pending count holds no instance other than the run's targets, and that a target the run sees failed or unhealthy
 * on the new model (or once seen there) is one it counts failed.
 */
function leftAlone(run: Run, ids: readonly string[], left: readonly string[], over: RollOver): boolean {
  const { counts, onNewModel } = over;
  if (counts === undefined) return false;
  // Targets Azure may count pending: off the new model and never seen on it, or no longer listed (a scale-in: Azure
  // may still count it pending, as the emulator does until its batch comes), which only errs toward failed.
  const offModel = new Set(
    ids.filter((id) => {
      const state = run.state.instances.get(id);
      return (state === undefined || run.state.removed.has(id) || !state.latestModelApplied) && !onNewModel.has(id);
    }),
  );
  // Failures the run sees itself, outside those: one of them (failed before the run, say) is one Azure counts pending.
  const failedSeen = ids.filter((id) => {
    const kind = run.state.assessments.get(id)?.kind;
    return !offModel.has(id) && (kind === "failed" || kind === "unhealthy");
  }).length;
  // Those it was seen to put on the new model and left off it, idle: with rollbackFailedInstancesOnPolicyBreach, the
  // ones its faulted roll put back, which it counts failed (without it, a failed one stays on the new model, failed or
  // unhealthy; a cancelled roll puts none back).
  const putBack =
    counts.code === "Faulted" && run.state.model?.rollbackFailedInstances === true
      ? left.filter((id) => onNewModel.has(id)).length
      : 0;
  return offModel.size <= counts.pendingInstanceCount && counts.failedInstanceCount <= failedSeen + putBack;
}
