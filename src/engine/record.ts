// The RolloutRecord, built from what the engine knows at the end of a run: a pure function of a RolloutState. Also
// the sentences that describe instances and the run's failure, which the engine uses for its stop reasons. Pure.

import { redactError } from "../domain/azure-errors.ts";
import { scaleSetPortalUrl, scaleSetResourceId } from "../domain/deployment.ts";
import { listIds, sortIds } from "../domain/ids.ts";
import {
  describeDrift,
  describeImage,
  imageNotRestorable,
  isNoOp,
  type ModelChange,
  type ModelDrift,
} from "../domain/change.ts";
import { redactText } from "../shared/redact.ts";
import type {
  BatchRecord,
  InstanceRecord,
  LeaseHeldBy,
  LeaseNotReleased,
  PreviousModel,
  RollbackOfRecord,
  RolloutRecord,
  RolloutResult,
  ScaleSetRecordStatus,
} from "../domain/record.ts";
import {
  protectedOnlyNotBack,
  protectedRollbackAdvice,
  protectedRollbackParts,
  changedSinceRollbackWords,
  rollbackModelSentence,
} from "../domain/record.ts";
import { releaseOf } from "../domain/release.ts";
import { needsAttention } from "../domain/batches.ts";
import { displayChange, trustedRunUrl } from "../domain/rollout-tags.ts";
import type { RollbackPlan } from "../domain/rollback-plan.ts";
import type { RolloutTagRecord } from "../domain/rollout-tags.ts";
import type { Config } from "../config/types.ts";
import type {
  AzureErrorInfo,
  ExtensionModel,
  ImageReference,
  InstanceState,
  RollingUpgradeStatus,
  ScaleSetModel,
} from "../domain/scale-set.ts";
import {
  describeInstance,
  finalResult,
  instanceOutcome,
  isBad,
  isFailedOutcome,
  isRunning,
  limitList,
  MODEL_CHANGED_SINCE_UPGRADE,
  UNHEALTHY_MODEL_CHANGED_SINCE,
  UNHEALTHY_SENT_BACK,
  HEALTH_PENDING_SENT_BACK,
  EXTENSION_NOT_WRITTEN,
  otherWritersModelOf,
  PROTECTED_SINCE_UPGRADE,
  runsImage,
  runsRolledOutModel,
  sentBackElsewhere,
  type Assessment,
} from "../domain/verdict.ts";
import { isBusy, isProvisioningFailed } from "../domain/in-progress.ts";
import { describeError } from "../domain/error-text.ts";

/** A rollback run's plan (domain/rollback-plan.ts), once made. */
export type RollbackOrigin = Extract<RollbackPlan, { ok: true }>;

/** The rollout record this run keeps on the scale set's tags: what it is, and whether Azure has it. */
export interface TagRecordState {
  /** The record as this run last meant it (outcome included). */
  readonly record: RolloutTagRecord;
  /** Azure holds it with this outcome (undefined: not written yet, or the write failed). */
  readonly written?: RolloutTagRecord["outcome"];
  /** Why the last write of it was not done (a refusal, an Azure error). */
  readonly problem?: string;
  /**
   * Not known written, but a write of it may have landed (its answer lost, and no read said): the scale set may hold
   * it. A later write that did not land leaves it so.
   */
  readonly mayBeWritten?: boolean;
  /** The run has said that the record was not written (a warning said once). */
  readonly warned?: boolean;
  /**
   * Its own not fitting, the run removed the older record it would have replaced: left there, a later rollback: true
   * would take that older change for the last and undo it in place of this run's. A withdrawal puts it back.
   */
  readonly droppedOlder?: boolean;
}

/** Why the rollout stopped early. The reason is one sentence; instance details are appended at the end. */
export interface Stop {
  readonly kind: "failed" | "timeout" | "cancelled";
  readonly reason: string;
  /**
   * An error stopped the run (Run.stopFromError: an answer lost, a request refused), not a verdict of the rollout's
   * (max-unhealthy, another writer, a refusal it explains). When the final listing shows the change written and every
   * instance on it, healthy, the run succeeded all the same (failureReason); the record keeps the error (`stoppedByError`).
   */
  readonly fromError?: boolean;
}

/** What the engine knows about a run: everything the record and its sentences are made of. */
export interface RolloutState {
  readonly config: Config;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly model: ScaleSetModel | undefined;
  readonly change: ModelChange | undefined;
  readonly modelUpdated: boolean;
  /** A model write cut off in flight whose effect could not be read back (see the state's modelWriteUnknown). */
  readonly modelWriteUnknown?: "image" | "extension" | undefined;
  /** A model write cut off in flight that the model did not hold when last read (see the state's modelWriteCutOff). */
  readonly modelWriteCutOff?: "image" | "extension" | undefined;
  /** Whether a later read may still settle that write (false: another writer's value replaced whatever it did). */
  readonly writeUnknownSettleable?: boolean;
  /** The parts of the change this run wrote. */
  readonly written: { readonly image: boolean; readonly extension: boolean };
  /** The rolling upgrade this run started, as last read. */
  readonly rolling: RollingUpgradeStatus | undefined;
  /** Every instance as the last listing showed it. */
  readonly instances: ReadonlyMap<string, InstanceState>;
  /** latestModelApplied when the rollout planned. */
  readonly before: ReadonlyMap<string, boolean>;
  readonly protected: ReadonlySet<string>;
  /** Instances the rollout has to bring onto the model. */
  readonly targets: ReadonlySet<string>;
  /** Targets that left the scale set during the run (scale-in). */
  readonly removed: ReadonlySet<string>;
  /** Instances whose upgrade Azure accepted. */
  readonly started: ReadonlySet<string>;
  /**
   * Targets of a rolling upgrade that ended (faulted, cancelled) without upgrading them, by Azure's counts too
   * (platform.ts, platformFailure), that verification's listing showed off the new model and idle: not started, and
   * not rolled back.
   */
  readonly notReached: ReadonlySet<string>;
  readonly assessments: ReadonlyMap<string, Assessment>;
  readonly batchOf: ReadonlyMap<string, number>;
  /** Each instance's name on the last listing that showed it (RunState.names). */
  readonly names: ReadonlyMap<string, string>;
  readonly batches: readonly BatchRecord[];
  readonly rolledBack: ReadonlySet<string>;
  /** Instances a rollback sent back that did not come back (failed, or still on their way when it ended). */
  readonly sentBackNotBack: ReadonlySet<string>;
  /**
   * Instances a rollback left out, and did not see back: protected from scale-set actions by another writer since this
   * run upgraded them (PROTECTED_SINCE_UPGRADE).
   */
  readonly rollbackHeldBack?: ReadonlySet<string>;
  /** The image an instance on the latest model must run, and the extensions as the run left them (RunState). */
  readonly expectedImage?: Pick<Config["change"], "imageVersion" | "imageId"> | undefined;
  readonly expectedExtensions?: readonly ExtensionModel[] | undefined;
  /** A rollback put a part of the model back, or may have (RunState.rollbackWrote). */
  readonly rollbackWrote?: boolean;
  /** Another writer's change the latest read found in the model (RunState.otherWriter). */
  readonly otherWriter?: ModelDrift | undefined;
  /** That change, when the instance's last listing came after the read that found it (RunState.otherWriterBefore). */
  otherWriterBefore?(id: string): ModelDrift | undefined;
  /** Such a change was found, or found taken back, after the last listing of every instance (RunState). */
  readonly movedSinceListing?: boolean;
  /** Another writer set the image the run asks for before its image write, which it then did not send (RunState). */
  readonly otherWritersImage?: string | undefined;
  readonly rollback: RolloutRecord["rollback"];
  /** Why no rollback was attempted although one was asked for. */
  readonly noRollback: { readonly reason: string; readonly otherWriter?: boolean } | undefined;
  readonly stop: Stop | undefined;
  /** When the last listing was taken (-∞: never). */
  readonly listedAt: number;
  /** Instances an upgrade may have reached that no listing has shown since: their state is unknown. */
  readonly unseen: ReadonlySet<string>;
  /** When Azure accepted this run's last write of the model (-∞: none). */
  readonly wroteAt: number;
  /** Verification read the model, after every write of the way forward (RunState.modelReadAtEnd). */
  readonly modelReadAtEnd?: boolean;
  /** The scale set was deleted during the run. */
  readonly deleted: boolean;
  /** The run holding the lease when this run could not take it. */
  readonly leaseHeldBy?: LeaseHeldBy | undefined;
  /** This run's lease, not released by its last tag write (or perhaps not: cut off after it went out). */
  readonly leaseNotReleased?: LeaseNotReleased | undefined;
  /** What the scale set held before this run's first model write (undefined: nothing written). */
  readonly previousModel: PreviousModel | undefined;
  /** A rollback run's plan (rollback: true). */
  readonly rollbackOrigin?: RollbackOrigin | undefined;
  /** The rollout record this run keeps on the scale set. */
  readonly tagRecord?: TagRecordState | undefined;
}

/**
 * The model before this run's write (RunState.previousModel, whatever the transport did), else the plan's when the run
 * changes something; undefined when the run found every value it asks for already in the model (a re-run, nothing to
 * change; or another writer set the requested image before this run's write: RunState.imageSetByOther). The record's
 * `previousModel` (the `previous-model` output) and what the GitHub deployment is told (Run, onWriteStart): one answer.
 */
export function recordedPrevious(state: Pick<RolloutState, "previousModel" | "change">): PreviousModel | undefined {
  const { previousModel, change } = state;
  return previousModel ?? (change !== undefined && change.changes.length > 0 ? change.previousModel : undefined);
}

/** The record of the run. `failure`: the run's failure as said before any rollback (see failureReason). */
export function buildRecord(state: RolloutState, failure: string | undefined, finishedAt: number): RolloutRecord {
  const { config, model, change, rolling, rollback } = state;
  // A deleted scale set: what the run knew of its instances and batches is about a resource that no longer exists.
  const instances = state.deleted ? [] : instanceRecords(state);
  const ended =
    config.rollout.dryRun && failure === undefined
      ? "planned"
      : finalResult({
          cancelled: state.stop?.kind === "cancelled",
          failed: failure !== undefined,
          workDone: state.modelUpdated || state.targets.size > 0,
          rolledBack: rollback?.succeeded === true,
        });
  const previousModel = recordedPrevious(state);
  // A rollback run (rollback: true) that brought everything back says so.
  const result = ended === "succeeded" && state.rollbackOrigin !== undefined ? "reverted" : ended;
  const reason = rolloutReason(state, result, failure);
  // Why the image before cannot be put back, as the change planned says (a rollback run's own change has none).
  const notRestorable = change !== undefined && !config.rollback ? imageNotRestorable(change) : undefined;
  const resourceId = model?.id || scaleSetResourceId(config);
  return {
    target: { ...config.target, resourceId, portalUrl: scaleSetPortalUrl(config, resourceId) },
    cloud: config.cloud.name,
    ...(model && { upgradeMode: model.upgradeMode, orchestrationMode: model.orchestrationMode }),
    dryRun: config.rollout.dryRun,
    startedAt: new Date(state.startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - state.startedAt,
    result,
    ...(reason !== undefined && { reason: redactText(reason) }),
    ...(failure === undefined && state.stop?.fromError === true && { stoppedByError: redactText(state.stop.reason) }),
    changes: change?.changes ?? [],
    modelUpdated: state.modelUpdated,
    ...(notRestorable !== undefined && { imageNotRestorable: redactText(notRestorable) }),
    ...(state.modelWriteUnknown && { modelWriteUnknown: state.modelWriteUnknown }),
    ...(!state.modelWriteUnknown && state.modelWriteCutOff && { modelWriteCutOff: state.modelWriteCutOff }),
    ...(change?.scaleSetPatch !== undefined &&
      change.extensionPatch !== undefined &&
      state.written.image !== state.written.extension && {
        partWritten: state.written.image ? ("image" as const) : ("extension" as const),
      }),
    // The model before this run's write, whatever the transport did; the plan's when nothing was written. None when
    // the run found every value it asks for already in the model (a re-run, nothing to change): the model it read
    // is the new one, and what came before it is the earlier run's to know (its record, rollback: true).
    ...(previousModel !== undefined && { previousModel }),
    batches: state.deleted ? [] : state.batches,
    instances,
    ...(state.deleted && { scaleSetDeleted: true }),
    ...(state.leaseHeldBy && { leaseHeldBy: state.leaseHeldBy }),
    ...(state.leaseNotReleased && { leaseNotReleased: state.leaseNotReleased }),
    ...(!state.deleted &&
      state.listedAt === Number.NEGATIVE_INFINITY &&
      model !== undefined && { instancesListed: false }),
    ...(rolling && { rolling: { ...rolling, ...(rolling.error && { error: redactError(rolling.error) }) } }),
    ...(rollback && {
      rollback: {
        ...rollback,
        ...(rollback.stoppedByError && { stoppedByError: redactText(rollback.stoppedByError) }),
        ...(rollback.error && { error: redactText(rollback.error) }),
        ...(rollback.changedSince && { changedSince: redactText(rollback.changedSince) }),
      },
    }),
    ...(!rollback &&
      state.noRollback &&
      failure !== undefined && { noRollback: { ...state.noRollback, reason: redactText(state.noRollback.reason) } }),
    ...(state.otherWritersImage !== undefined &&
      !state.written.image && { imageSetByAnother: redactText(state.otherWritersImage) }),
    ...(!rollback &&
      !state.deleted &&
      state.otherWriter !== undefined && {
        modelChangedByAnother: {
          change: redactText(describeDrift(state.otherWriter)),
          // Beyond what this run wrote (another part, or another setting of its extension): a rollback puts back
          // this run's values only, and leaves that change in the model.
          overwritten: state.otherWriter.kind === "refused" || state.otherWriter.beyond === undefined,
        },
      }),
    ...(state.rollbackOrigin && { rollbackOf: rollbackOfRecord(state.rollbackOrigin, config.github?.serverUrl) }),
    ...(config.github && { release: releaseOf(config.github) }),
    ...(state.tagRecord && {
      scaleSetRecord: scaleSetRecordStatus(state.tagRecord, {
        // A write of unknown outcome that another writer's replaced: the model holds neither side of the record.
        replaced: state.modelWriteUnknown !== undefined && state.writeUnknownSettleable === false,
        // The record written as planned before a model write (the lease's take or cover) is kept, though no model
        // write landed or may have: taking it back failed (record-tags.ts, withdrawal), or the lease was lost.
        unwritten: !state.modelUpdated && state.modelWriteUnknown === undefined && state.modelWriteCutOff === undefined,
      }),
    }),
  };
}

/** The origin's run link is kept only when it is that run's page on this run's GitHub server (trustedRunUrl). */
function rollbackOfRecord(plan: RollbackOrigin, serverUrl: string | undefined): RollbackOfRecord {
  const { origin } = plan;
  const url = origin.run ? trustedRunUrl(origin.run, serverUrl) : undefined;
  const run = origin.run && { ...origin.run, url };
  if (run && url === undefined) delete run.url;
  return {
    ...(run && { run }),
    at: origin.at,
    outcome: origin.outcome,
    changes: origin.changes.map(displayChange),
    finishing: plan.finishing,
  };
}

function scaleSetRecordStatus(
  tagRecord: TagRecordState,
  { replaced, unwritten }: { readonly replaced: boolean; readonly unwritten: boolean },
): ScaleSetRecordStatus {
  const { record, written, problem, mayBeWritten } = tagRecord;
  if (written !== undefined && replaced) {
    return {
      written: true,
      undoable: false,
      note: "another writer's change replaced what this run may have written, so the model holds neither the values the record says this run wrote nor those before them: rollback: true would refuse",
    };
  }
  // Not a change to undo: rollback: true finds the model on the values before it (unless another writer changed it
  // since) and writes nothing. Said, so that the record left on the scale set is not taken for a change made.
  if (written !== undefined && unwritten && record.rollbackOf === undefined) {
    return {
      written: true,
      undoable: false,
      note: redactText(
        `the record on the scale set names the change as planned (outcome ${written}), but this run did not write it; taking the record back failed (${problem ?? "the run did not get to it"}): rollback: true finds the model on the values before it and writes nothing`,
      ),
    };
  }
  const blocking = record.changes.filter(
    (c) => c.notRestorable !== undefined && !(c.property === "force-update-tag" && c.before === undefined),
  );
  const nothingBack = record.changes.every((c) => c.notRestorable !== undefined);
  const undoable = record.rollbackOf === undefined && blocking.length === 0 && !nothingBack;
  const note =
    written === undefined
      ? mayBeWritten === true
        ? `the rollout record may have been written (the scale set may hold it): ${problem ?? "unknown reason"}`
        : `the rollout record was not written: ${problem ?? "unknown reason"}`
      : record.rollbackOf !== undefined
        ? "this run was a rollback, and rollback: true does not undo a rollback"
        : !undoable
          ? `the change cannot be undone from the record: ${record.changes
              .filter((c) => c.notRestorable !== undefined)
              .map((c) => c.notRestorable)
              .join("; ")}`
          : written !== record.outcome
            ? `the record holds outcome ${written} (${problem ?? "the last write did not go through"})`
            : undefined;
  return {
    written: written !== undefined,
    ...(written === undefined && mayBeWritten === true && { maybeWritten: true as const }),
    undoable: written !== undefined && undoable,
    ...(note && { note: redactText(note) }),
  };
}

/** Why the run failed, in one line; undefined when it did not. */
export function failureReason(state: RolloutState): string | undefined {
  const instances = instanceRecords(state);
  // An error stopped the run, after which the final listing shows every instance where the run was taking it: what
  // the run was there to do is done (the last batch's answer was lost, say). Calling it failed would send a person,
  // or rollback-on-failure, to undo a rollout that succeeded.
  if (
    state.stop?.fromError === true &&
    state.stop.kind === "failed" &&
    doneDespiteStop(state) &&
    stateFailure(state, instances) === undefined
  )
    return undefined;
  if (state.stop === undefined) return stateFailure(state, instances);
  // A failed stop's reason says what stopped it and where; instances it leaves of unknown state are added (a review,
  // 2026-12-07: only a timeout's or a cancel's summary named them).
  if (state.stop.kind === "failed" || state.model === undefined) {
    const unseen = unseenWords(state, instances);
    return unseen === undefined ? state.stop.reason : `${state.stop.reason} ${unseen}`;
  }
  return `${state.stop.reason} ${stateSummary(state, instances)}`;
}

/**
 * Whether a run an error stopped may still be judged on the instances alone: its change is all in the model as it
 * wrote it (nothing of unknown outcome, nothing another writer changed since), every instance was listed after its
 * last write, and its instances were planned (a stop before the plan leaves no targets to judge).
 */
function doneDespiteStop(state: RolloutState): boolean {
  const { change } = state;
  if (state.config.rollout.dryRun || state.model === undefined || change === undefined || state.deleted) return false;
  if (state.modelWriteUnknown !== undefined || state.modelWriteCutOff !== undefined) return false;
  const wroteAll =
    isNoOp(change) ||
    (state.written.image === (change.scaleSetPatch !== undefined) &&
      state.written.extension === (change.extensionPatch !== undefined));
  // No instance the run left alone is in trouble on the latest model (troubled() names only a failed one for a stopped run).
  const troubledBystander = [...state.instances].some(
    ([id, instance]) => !state.targets.has(id) && troubleOf(state, id, instance) !== undefined,
  );
  return (
    wroteAll &&
    !troubledBystander &&
    // Another writer's change before the last write (one the instances upgraded then took) shows only in a read of
    // the model sent after it (verification's): without one, whether they run this run's model is not known.
    state.modelReadAtEnd === true &&
    state.otherWriter === undefined &&
    state.movedSinceListing !== true &&
    state.unseen.size === 0 &&
    state.listedAt > state.wroteAt &&
    state.targets.size > 0
  );
}

/**
 * A started instance whose model the last listing could not tell (InstanceState.modelUnknown: its extensions' read
 * refused), and that is not in trouble otherwise: reported `unknown`, with Azure's refusal as its error.
 */
function modelUnknown(state: RolloutState, id: string): boolean {
  const assessment = state.assessments.get(id);
  return (
    state.started.has(id) &&
    state.instances.get(id)?.modelUnknown !== undefined &&
    !(assessment !== undefined && isBad(assessment))
  );
}

/** Why the run failed, judged on the instances as last listed (no stop to explain it); undefined when it did not. */
function stateFailure(state: RolloutState, instances: readonly InstanceRecord[]): string | undefined {
  // A target still there and never sent, in a run that went through every batch (a listing missed it when its batch
  // was sent): not on the new model, so not a success either. On the new model all the same (another writer
  // upgraded it): a failure only when it is not healthy there.
  const neverSent = (r: InstanceRecord): boolean =>
    r.outcome === "not-started" && (!r.latestModelAfter || needsAttention(r)) && !state.config.rollout.dryRun;
  const failed = instances.filter((r) => isFailedOutcome(r.outcome) || neverSent(r));
  // The model moved (or moved back) after the instances were last listed, and no listing came after (it failed, or
  // had no time left; or it went out before the read that found the change): what they run is not known.
  if (failed.length === 0 && state.movedSinceListing === true && state.started.size > 0)
    return (
      `The scale set's model was changed by another writer after the instances were last listed ` +
      `(${state.otherWriter !== undefined ? describeDrift(state.otherWriter) : "a change found, then taken back"}), ` +
      `so whether they run this run's model is not known: check the scale set's model and its instances.`
    );
  // Whether they run the new model could not be told (their extensions' read refused): not a success.
  const unknown = instances.filter((r) => r.outcome === "unknown" && modelUnknown(state, r.instanceId));
  const one = unknown.length === 1;
  const unknownWords =
    unknown.length === 0
      ? ""
      : `Whether ${one ? "instance" : "instances"} ${limitList(
          unknown.map((r) => `${r.instanceId}${r.error !== undefined ? ` (${describeError(r.error)})` : ""}`),
        )} ${one ? "runs" : "run"} the new model is not known: Azure refused the read of ${one ? "its" : "their"} ` +
        `extensions, so the run cannot call ${one ? "it" : "them"} updated. Check ` +
        `${one ? "it" : "them"} (az vm extension list), or let the identity read ${one ? "its" : "their"} extensions, and run again.`;
  if (failed.length === 0) return unknownWords === "" ? undefined : unknownWords;
  // The targets still there, and the instances the run judged without targeting them (on the latest model).
  const answerable =
    [...state.targets].filter((id) => !state.removed.has(id)).length +
    instances.filter(
      (r) => !state.targets.has(r.instanceId) && (r.outcome === "already-current" || isFailedOutcome(r.outcome)),
    ).length;
  const failedIds = failed.map((r) => r.instanceId);
  const tail = unknownWords === "" ? "" : ` ${unknownWords}`;
  // Another writer's change moved some of them: it leads, as it does at a gate (manual-batches.ts), and the instances
  // it moved are told from those that did not make it on their own account.
  const drift = state.otherWriter;
  const moved = drift !== undefined ? movedByOtherWriter(state, failedIds) : undefined;
  if (drift !== undefined && moved !== undefined && moved.own.length < failedIds.length)
    return (
      `The scale set's model was changed by another writer during the run (${describeDrift(drift)}). ` +
      moved.words +
      (moved.own.length > 0
        ? `${moved.own.length} instance(s) did not end on the new model and healthy on their own account: ` +
          `${describeAll(state, moved.own)}. `
        : "") +
      `In all ${failed.length} of ${answerable} instance(s) are not on this run's model or not healthy.${tail}`
    );
  return (
    `${failed.length} of ${answerable} instance(s) did not end on the new model and healthy: ` +
    `${describeAll(state, failedIds)}.${tail}`
  );
}

/**
 * A forceUpdateTag this run wrote that its rollback left in the model: the extension had none before, and a PATCH
 * cannot remove one (domain/change.ts). The rest of the model is restored; the tag is not (an audit, 2026-12-06: the
 * reason said "the previous model is restored" alone). "" otherwise.
 */
function keptTagWords(state: RolloutState): string {
  const patch = state.change?.extensionPatch;
  if (patch?.forceUpdateTag === undefined || !state.written.extension) return "";
  if (state.change?.rollback.extensionPatch?.forceUpdateTag !== undefined) return "";
  return (
    ` Extension '${patch.name}' keeps this run's forceUpdateTag ${JSON.stringify(patch.forceUpdateTag)}: it had ` +
    `none before, and a PATCH cannot remove one.`
  );
}

/** The record's reason: the failure, and what the rollback did or why there was none. */
export function rolloutReason(
  state: RolloutState,
  result: RolloutResult,
  failure: string | undefined,
): string | undefined {
  if (result === "succeeded" || result === "unchanged") return undefined;
  if (result === "planned") {
    return (
      `Dry run: ${state.change?.changes.length ?? 0} model change(s) and ${state.targets.size} instance(s) to upgrade` +
      `${state.batches.length > 0 ? ` in ${state.batches.length} batch(es)` : ""}; nothing was written.`
    );
  }
  const { rollback } = state;
  let reason = failure ?? "";
  const held = protectedOnlyNotBack(rollback);
  if (rollback?.succeeded && rollback.changedSince !== undefined) {
    // Put back, then changed by another writer: not "restored" (the instances brought back run the previous model).
    const back = rollback.instanceIds;
    reason += ` Rolled back: the rollback put the previous model back${back.length === 1 ? ` and brought instance ${listIds(back)} back onto it` : back.length > 1 ? ` and brought instances ${listIds(back)} back onto it` : ""}. ${changedSinceRollbackWords(rollback.changedSince)}`;
  } else if (rollback?.succeeded) {
    const back = rollback.instanceIds;
    reason += ` Rolled back: the previous model is restored${back.length === 1 ? ` and instance ${listIds(back)} runs it again` : back.length > 1 ? ` and instances ${listIds(back)} run it again` : ""}.`;
    reason += keptTagWords(state);
  } else if (rollback && held !== undefined) {
    // Everything back but instances protected since their upgrade: said as it is, not as "the rollback failed".
    const { done, left } = protectedRollbackParts(rollback, held);
    const back = rollback.instanceIds.length > 0 ? ` (${listIds(rollback.instanceIds)})` : "";
    reason += ` The rollback restored the previous model and ${done}${back}; ${left}: ${protectedRollbackAdvice(held)}.`;
  } else if (rollback) {
    reason += ` The rollback failed too: ${rollback.error ?? "unknown error"}.`;
    const model = rollbackModelSentence(rollback);
    if (model !== "") reason += ` ${model}`;
    if (rollback.instanceIds.length > 0) reason += ` Brought back: ${listIds(rollback.instanceIds)}.`;
    if (rollback.notBack !== undefined && rollback.notBack.length > 0) {
      reason += ` Not brought back: ${listIds(rollback.notBack)}`;
      // Of those, the ones whose upgrade back failed (named: the rollback's error is theirs, not the forward one's).
      // And those back on the previous model but not healthy there.
      const sentNotBack = state.sentBackNotBack;
      const whys = new Map(
        [...sentNotBack].map((id) => [
          id,
          notBack(state, sentNotBack, id, state.instances.get(id), state.assessments.get(id)).rollbackNotBack,
        ]),
      );
      const why = (id: string) => whys.get(id);
      const failedBack = sortIds(
        [...sentNotBack].filter((id) => isProvisioningFailed(state.instances.get(id)) && why(id) === "failed"),
      );
      const unhealthyOnPrevious = sortIds([...sentNotBack].filter((id) => why(id) === "unhealthy"));
      const pendingOnPrevious = sortIds(
        [...sentNotBack].filter((id) => {
          const instance = state.instances.get(id);
          return why(id) === "straggler" && instance !== undefined && !isBusy(instance);
        }),
      );
      const parts = [
        ...(failedBack.length > 0 ? [`failed on the way back: ${listIds(failedBack)}`] : []),
        ...(unhealthyOnPrevious.length > 0
          ? [`on the previous model but unhealthy there: ${listIds(unhealthyOnPrevious)}`]
          : []),
        ...(pendingOnPrevious.length > 0
          ? [`on the previous model, its health there not in yet: ${listIds(pendingOnPrevious)}`]
          : []),
      ];
      reason += parts.length > 0 ? ` (${parts.join("; ")}).` : ".";
    }
  } else if (state.noRollback) {
    reason += ` ${state.noRollback.reason}`;
  }
  return reason;
}

/** `Updated: 0, 1. Not on the new model: 2 (…). Sent the upgrade, not listed since (…): 3. Not started: 4, 5.` */
export function stateSummary(state: RolloutState, instances: readonly InstanceRecord[]): string {
  const ids = (pick: (r: InstanceRecord) => boolean): string[] => instances.filter(pick).map((r) => r.instanceId);
  const updated = ids((r) => r.outcome === "updated");
  const failed = ids((r) => isFailedOutcome(r.outcome));
  const notStarted = ids((r) => r.outcome === "not-started");
  const removed = ids((r) => r.outcome === "removed");
  const unseen = unseenWords(state, instances);
  const parts = [
    updated.length > 0 ? `Updated: ${listIds(updated)}.` : "No instance was updated.",
    ...(failed.length > 0 ? [`Not on the new model or unhealthy: ${describeAll(state, failed)}.`] : []),
    ...(unseen !== undefined ? [unseen] : []),
    ...(notStarted.length > 0 ? [`Not started: ${listIds(notStarted)}.`] : []),
    ...(removed.length > 0 ? [`Left the scale set: ${listIds(removed)}.`] : []),
  ];
  return parts.join(" ");
}

/**
 * The instances sent an upgrade that no listing since shows (the last one failed, or had no time): where they stand
 * is not known. Before (a fuzz run, 2026-12-07), a reason named only the updated ones, and the summary's "state
 * unknown" rows went unexplained. Undefined when there are none.
 */
function unseenWords(state: RolloutState, instances: readonly InstanceRecord[]): string | undefined {
  const unseen = instances.filter((r) => r.outcome === "unknown" && state.unseen.has(r.instanceId));
  if (unseen.length === 0) return undefined;
  return `Sent the upgrade, not listed since (where they stand is not known): ${listIds(unseen.map((r) => r.instanceId))}.`;
}

/**
 * How an instance the run did not target, on the last listing, is in trouble on the latest model, as an outcome fact:
 * its provisioning failed; or, where the run gates on health (`health: auto`) and it runs, it reports unhealthy and
 * already did when the run planned (an instance created during the run gets no health-timeout here, so a warming-up
 * one is not judged on one listing). Never in a dry run. A run that stopped names only a failed one.
 */
function troubled(state: RolloutState, id: string, instance: InstanceState): { troubled?: "failed" | "unhealthy" } {
  const trouble = troubleOf(state, id, instance);
  // A run that stopped (a refusal, a stop mid-rollout) judges no health of instances it left alone (one listing is no
  // health-timeout); but a provisioning Failed is a fact of the listing: not "already current" (an audit, 2026-12-07:
  // a re-run stopped by its own batch's failure called the instance the run before had failed "already current", and
  // counted it on the new model).
  if (state.stop !== undefined) return trouble === "failed" ? { troubled: "failed" } : {};
  return trouble === undefined ? {} : { troubled: trouble };
}

/** The trouble troubled() names, whether the run stopped or not. */
function troubleOf(state: RolloutState, id: string, instance: InstanceState): "failed" | "unhealthy" | undefined {
  if (state.config.rollout.dryRun || !instance.latestModelApplied) return undefined;
  if (isProvisioningFailed(instance)) return "failed";
  const gated = state.config.rollout.health === "auto" && isRunning(instance);
  return gated && instance.health === "unhealthy" && state.before.has(id) ? "unhealthy" : undefined;
}

/**
 * A target its forward upgrade left on the new model (judged done) that a rollback sent back and did not bring back,
 * as the last listing shows it: its provisioning failed on the way back (`failed`), it is idle on the previous model and
 * reports unhealthy there (`unhealthy`), or Azure is still at it or its health there is not in (`straggler`). Otherwise (the rollback's request refused,
 * or not yet reaching it) it stays as the forward verdict says, and so does a target the forward upgrade had already
 * failed or left unhealthy (one left unhealthy and unhealthy on the previous model too is said to be there).
 */
function notBack(
  state: RolloutState,
  sentNotBack: ReadonlySet<string>,
  id: string,
  instance: InstanceState | undefined,
  assessment: Assessment | undefined,
): { rollbackNotBack?: "failed" | "unhealthy" | "straggler" } {
  if (!sentNotBack.has(id) || instance === undefined) return {};
  // Unhealthy on the new model, sent back, and unhealthy on the previous one too: still unhealthy, said where it is now
  // (UNHEALTHY_SENT_BACK), not "Upgraded, but not healthy" beside the previous image.
  if (assessment?.kind === "unhealthy")
    return !isBusy(instance) && !isProvisioningFailed(instance) && healthBack(state, instance) === "unhealthy"
      ? { rollbackNotBack: "unhealthy" }
      : {};
  // Done on the new model, or still waited for when its gate ended (a stop already certain without it): sent back.
  if (assessment?.kind !== "done" && assessment?.kind !== "pending") return {};
  if (isProvisioningFailed(instance)) return { rollbackNotBack: "failed" };
  if (isBusy(instance)) return { rollbackNotBack: "straggler" };
  if (endedElsewhere(state, instance) !== undefined) return { rollbackNotBack: "failed" };
  const health = healthBack(state, instance);
  return health === "unhealthy"
    ? { rollbackNotBack: "unhealthy" }
    : health === "pending"
      ? { rollbackNotBack: "straggler" }
      : {};
}

/**
 * A target sent back and not back, idle and not failed, that runs the previous model again, and is not healthy there
 * (health gated as the rollback's gate gates it): `unhealthy` when it reports so (UNHEALTHY_SENT_BACK), `pending` when
 * its health is not in (Initializing, or none yet: the rollback ended before it could be, HEALTH_PENDING_SENT_BACK; a
 * review, session 33: it was called unhealthy, and was healthy a moment later). On the previous model: the rollback
 * restored the model and the instance is on it, or it runs an image other than this run's where the model was not
 * changed by another writer (endedElsewhere's case). Undefined otherwise.
 */
function healthBack(state: RolloutState, instance: InstanceState): "unhealthy" | "pending" | undefined {
  const model = state.rollback?.model;
  const onPrevious =
    (model === "restored" && instance.latestModelApplied) ||
    (model !== "changed-by-another-writer" &&
      state.expectedImage !== undefined &&
      runsImage(instance, state.expectedImage) === false);
  if (!onPrevious) return undefined;
  const gated =
    state.config.rollout.health === "auto" &&
    isRunning(instance) &&
    ((state.model?.hasHealthSignal ?? false) || instance.health !== undefined);
  if (!gated || instance.health === "healthy") return undefined;
  return instance.health === "unhealthy" ? "unhealthy" : "pending";
}

/**
 * A target sent back and not back, idle and not failed, whose listing shows an image other than the one this run rolled
 * out: the previous image, or another writer's, the model having moved during the rollback (an audit, 2026-12-07: such
 * instances were reported `updated`, on the new model, in the outputs and the headline). Its error, or undefined.
 */
function endedElsewhere(state: RolloutState, instance: InstanceState): AzureErrorInfo | undefined {
  const expected = state.expectedImage;
  if (expected === undefined || instance.imageReference === undefined) return undefined;
  // Only where the rollback found another writer's model (else an instance it judged not back, failed or unhealthy on
  // the previous model, would be said to run another writer's), and never over the instance's own failure.
  if (state.rollback?.model !== "changed-by-another-writer") return undefined;
  if (isBusy(instance) || isProvisioningFailed(instance)) return undefined;
  return runsImage(instance, expected) === false ? sentBackElsewhere(imageLabel(instance.imageReference)) : undefined;
}

/**
 * A target this run upgraded that runs the model the run rolled out and is yet not on the latest model, on the last
 * listing: another writer changed the model after its upgrade (MODEL_CHANGED_SINCE_UPGRADE). It stays unfinished (a
 * straggler), and the error says why: not Azure still at it, as an instance left waiting for the new model otherwise
 * is. Never one Azure is upgrading, one a rollback sent back, or one the run never sent. One that reports unhealthy on
 * that model is unhealthy there (UNHEALTHY_MODEL_CHANGED_SINCE, a fuzz run, 2026-12-07: it was reported unfinished,
 * the release's effect on it hidden behind the other writer's change).
 */
function movedOn(
  state: RolloutState,
  sentNotBack: ReadonlySet<string>,
  id: string,
  instance: InstanceState,
  assessment: Assessment | undefined,
): AzureErrorInfo | undefined {
  if (assessment?.kind !== "pending" || instance.latestModelApplied || isBusy(instance)) return undefined;
  if (!state.started.has(id) || state.rolledBack.has(id) || sentNotBack.has(id)) return undefined;
  // A rollback that wrote the model (or may have) moved it away from this run's itself: no other writer to name.
  if (state.rollbackWrote === true) return undefined;
  const rolledOut = runsRolledOutModel(instance, {
    ...(state.expectedImage && { image: state.expectedImage }),
    ...(state.expectedExtensions && { extensions: state.expectedExtensions }),
  });
  if (!rolledOut) return undefined;
  const unhealthy =
    !state.config.rollout.dryRun &&
    state.config.rollout.health === "auto" &&
    isRunning(instance) &&
    instance.health === "unhealthy";
  return unhealthy ? UNHEALTHY_MODEL_CHANGED_SINCE : MODEL_CHANGED_SINCE_UPGRADE;
}

/**
 * A target the platform (Automatic, Rolling) rolled onto this run's image, while the change's extension part was never
 * written (refused, or the run stopped before it; not one whose write's outcome is unknown): on the latest model, which
 * is not this run's (EXTENSION_NOT_WRITTEN). Unfinished, not updated. Never after a rollback that wrote the model.
 */
function partOnly(
  state: RolloutState,
  id: string,
  instance: InstanceState,
  assessment: Assessment | undefined,
): AzureErrorInfo | undefined {
  const change = state.change;
  if (change?.scaleSetPatch === undefined || change.extensionPatch === undefined) return undefined;
  if (state.model === undefined || state.model.upgradeMode === "Manual") return undefined;
  if (!state.written.image || state.written.extension) return undefined;
  if (state.modelWriteUnknown === "extension" || state.modelWriteCutOff === "extension") return undefined;
  if (state.rollbackWrote === true || state.rolledBack.has(id)) return undefined;
  if (!state.started.has(id) || assessment?.kind !== "done" || !instance.latestModelApplied) return undefined;
  return EXTENSION_NOT_WRITTEN;
}

/**
 * An instance the run did not target (created since its plan: autoscale) on the latest model, which runs another
 * writer's model (its image, an extension, or a change a read found before its listing): another writer changed the
 * model after the run's write, and the instance was created on that writer's model. A failure, as a target upgraded
 * onto it is (assessInstance), not `already-current`. Not after a rollback that wrote the model (the previous model is
 * the rollback's own), nor when the run's write did not land, nor for an instance protected from scale-set actions.
 */
function untargetedOnOtherModel(state: RolloutState, id: string, instance: InstanceState): AzureErrorInfo | undefined {
  if (state.targets.has(id) || !instance.latestModelApplied || instance.protectedFromScaleSetActions) return undefined;
  if (!state.modelUpdated || state.rollbackWrote === true) return undefined;
  const moved = state.otherWriterBefore?.(id);
  return otherWritersModelOf(instance, {
    ...(state.expectedImage && { expectedImage: state.expectedImage }),
    ...(state.expectedExtensions && { expectedExtensions: state.expectedExtensions }),
    ...(moved !== undefined && { latestModelMoved: describeDrift(moved) }),
  });
}

/** Every instance listed or targeted, in instance-ID order, with its outcome. */
export function instanceRecords(state: RolloutState): InstanceRecord[] {
  const sentNotBack = state.sentBackNotBack; // computed once, not per instance
  const heldBack = state.rollbackHeldBack; // the same
  return sortIds(new Set([...state.instances.keys(), ...state.targets])).map((id): InstanceRecord => {
    const current = state.instances.get(id);
    const assessment = state.assessments.get(id);
    const unknownModel = modelUnknown(state, id);
    const batch = state.batchOf.get(id);
    // Sent an upgrade that no listing has shown since: what the last listing said of its state and image is from before
    // that upgrade, not a finding, so it is not reported as its state (its outcome is `unknown`; a review, session 33:
    // the summary's table showed the old image and "Succeeded" beside "state unknown" for instances Azure had upgraded).
    const seen = state.unseen.has(id) ? undefined : current;
    const image = seen?.imageReference ? imageLabel(seen.imageReference) : undefined;
    // Why an instance the model moved away from is unfinished comes first: an unrelated extension's error it also
    // reports does not explain that.
    const otherModel = current !== undefined ? untargetedOnOtherModel(state, id, current) : undefined;
    const imageOnly = current !== undefined ? partOnly(state, id, current, assessment) : undefined;
    const back = notBack(state, sentNotBack, id, current, assessment);
    const moved = current !== undefined ? movedOn(state, sentNotBack, id, current, assessment) : undefined;
    const error =
      moved ??
      (back.rollbackNotBack === "failed" && current !== undefined ? endedElsewhere(state, current) : undefined) ??
      (back.rollbackNotBack === "unhealthy" ? UNHEALTHY_SENT_BACK : undefined) ??
      (back.rollbackNotBack === "straggler" && current !== undefined && !isBusy(current)
        ? HEALTH_PENDING_SENT_BACK
        : undefined) ??
      imageOnly ??
      otherModel ??
      (unknownModel ? current?.modelUnknown : undefined) ??
      current?.error ??
      (assessment?.kind === "failed" ? assessment.error : undefined) ??
      // Left out by the rollback, protected since its upgrade: why it is not back (its own failure, if any, first).
      (heldBack?.has(id) === true ? PROTECTED_SINCE_UPGRADE : undefined);
    return {
      instanceId: id,
      name: current?.name ?? state.names.get(id) ?? id,
      latestModelBefore: state.before.get(id) ?? current?.latestModelApplied ?? false,
      latestModelAfter: current?.latestModelApplied ?? false,
      outcome: instanceOutcome({
        // A target protected since the plan is not skipped: another writer protected it after this run planned it,
        // and it is reported as what it is (updated, or failed with PROTECTED_SINCE_PLAN, or not started).
        protected:
          state.protected.has(id) || (!state.targets.has(id) && (current?.protectedFromScaleSetActions ?? false)),
        ownModel: current?.ownModel ?? false,
        removed: state.removed.has(id),
        targeted: state.targets.has(id),
        started: state.started.has(id),
        ...(assessment && { assessment }),
        rolledBack: state.rolledBack.has(id),
        ...back,
        unknown: state.unseen.has(id) || unknownModel,
        partOnly: imageOnly !== undefined,
        unhealthyOnRolledOut: moved === UNHEALTHY_MODEL_CHANGED_SINCE,
        // Left by the platform's roll, off the new model and idle on verification's listing (confirmNotReached). Why
        // is in the run's reason (and the summary's "Not started" line): nothing of the instance's own.
        notReached: state.notReached.has(id),
        ...(current !== undefined && { latestModelApplied: current.latestModelApplied }),
        ...(otherModel !== undefined
          ? { troubled: "failed" as const }
          : current !== undefined && troubled(state, id, current)),
      }),
      ...(batch !== undefined && { batch }),
      ...(seen?.provisioningState !== undefined && { provisioningState: seen.provisioningState }),
      ...(seen?.powerState !== undefined && { powerState: seen.powerState }),
      ...(seen?.health !== undefined && { health: seen.health }),
      ...(image !== undefined && { image }),
      ...(error !== undefined && { error: redactError(error) }),
    };
  });
}

/**
 * One instance on the last listing, with why it is unhealthy or what it waits for. One that runs the model this run
 * rolled out while another writer's change moved the latest model on (movedOn) waits for nothing of this run's: said
 * so, as the record's table and help say it.
 */
export function describeTarget(
  state: RolloutState,
  id: string,
  sentNotBack: ReadonlySet<string> = state.sentBackNotBack,
): string {
  const assessment = state.assessments.get(id);
  const current = state.instances.get(id);
  const base = describeInstance(id, current, assessment?.kind === "failed" ? assessment.error : undefined);
  if (assessment?.kind === "unhealthy") return `${base} (${assessment.detail})`;
  const moved = current !== undefined ? movedOn(state, sentNotBack, id, current, assessment) : undefined;
  if (moved === UNHEALTHY_MODEL_CHANGED_SINCE)
    return `${base} (unhealthy on the model this run rolled out, which another writer changed since its upgrade)`;
  if (moved !== undefined)
    return `${base} (it runs the model this run rolled out, which another writer changed since its upgrade)`;
  if (assessment?.kind === "pending") return `${base} (waiting for ${assessment.waitingFor})`;
  return base;
}

/**
 * Whether another writer's change to the model is why this upgraded instance is not on this run's model, on the last
 * listing: `moved-on` when it runs the model this run rolled out and the latest model moved on after its upgrade
 * (describeTarget's words), `unhealthy-moved-on` the same while it reports unhealthy on that model (unhealthy on its
 * own account too), `theirs` when it was judged on that writer's model (verdict.ts, ModelChangedByAnotherWriter);
 * undefined for anything else (failed, unhealthy, waiting on its own account).
 */
export function otherWritersPart(
  state: RolloutState,
  id: string,
  sentNotBack: ReadonlySet<string> = state.sentBackNotBack,
): "moved-on" | "unhealthy-moved-on" | "theirs" | undefined {
  const assessment = state.assessments.get(id);
  if (assessment?.kind === "failed" && assessment.error?.code === "ModelChangedByAnotherWriter") return "theirs";
  const current = state.instances.get(id);
  // One the run did not target (autoscale), created on that writer's model: failed as such by the record.
  if (current !== undefined && untargetedOnOtherModel(state, id, current) !== undefined) return "theirs";
  const moved = current !== undefined ? movedOn(state, sentNotBack, id, current, assessment) : undefined;
  return moved === MODEL_CHANGED_SINCE_UPGRADE
    ? "moved-on"
    : moved === UNHEALTHY_MODEL_CHANGED_SINCE
      ? "unhealthy-moved-on"
      : undefined;
}

/**
 * The instances of `ids` another writer's change moved, in words: those left behind on this run's model, those upgraded
 * onto that writer's; and the rest (`own`: failed, unhealthy or waiting on their own account) for the caller to word.
 */
export function movedByOtherWriter(
  state: RolloutState,
  ids: readonly string[],
): { readonly words: string; readonly own: readonly string[] } {
  const sentNotBack = state.sentBackNotBack;
  const parts = new Map(ids.map((id) => [id, otherWritersPart(state, id, sentNotBack)]));
  const movedOn = ids.filter((id) => parts.get(id) === "moved-on");
  const theirs = ids.filter((id) => parts.get(id) === "theirs");
  const moved = new Set([...movedOn, ...theirs]);
  return {
    words:
      (movedOn.length > 0
        ? `${movedOn.length} instance(s) upgraded before that change run this run's model but are no longer on the ` +
          `latest model: ${listIds(movedOn)}. `
        : "") +
      (theirs.length > 0
        ? `${theirs.length} instance(s) were upgraded onto that writer's model, not this run's: ${listIds(theirs)}. `
        : ""),
    own: ids.filter((id) => !moved.has(id)),
  };
}

/** describeTarget of each, at most five (see limitList). */
export function describeAll(state: RolloutState, ids: readonly string[]): string {
  const sentNotBack = state.sentBackNotBack; // computed once, not per instance
  return limitList(ids.map((id) => describeTarget(state, id, sentNotBack)));
}

/** The image an instance runs, for display: its ID, or its exact version, or the reference in words. */
export function imageLabel(ref: ImageReference): string {
  return (
    ref.id ??
    ref.sharedGalleryImageId ??
    ref.communityGalleryImageId ??
    ref.exactVersion ??
    ref.version ??
    describeImage(ref)
  );
}
