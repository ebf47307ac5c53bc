// The rollout record: what a run did and reached, the one input of every report. Plain data.

import type { CloudName, Target } from "../config/types.ts";
import { listIds } from "./ids.ts";
import type { AzureErrorInfo, HealthState, ImageReference, RollingUpgradeStatus, UpgradeMode } from "./scale-set.ts";

/**
 * `rolled-back`: a rollout that failed and was undone by rollback-on-failure. `reverted`: a `rollback: true` run that
 * brought the model and every targeted instance back onto the recorded previous values.
 */
export type RolloutResult = "succeeded" | "failed" | "unchanged" | "planned" | "rolled-back" | "cancelled" | "reverted";

/**
 * Whether a run that ended so fails the job: a failure, a cancel, and a rollout rolled back (the release did not ship)
 * do; a succeeded, reverted (`rollback: true`), unchanged or planned (dry run) one does not.
 */
export function failsJob(result: RolloutResult): boolean {
  switch (result) {
    case "failed":
    case "cancelled":
    case "rolled-back":
      return true;
    case "succeeded":
    case "reverted":
    case "unchanged":
    case "planned":
      return false;
    default:
      // Not a result this action writes (a record's text changed on the way): the job fails rather than passes.
      return true;
  }
}

export interface PropertyChange {
  /** Model path, e.g. `storageProfile.imageReference.version` or `extensions[customScript].settings.fileUris`. */
  readonly property: string;
  /** Display values; SAS query strings already removed. */
  readonly before: string;
  readonly after: string;
}

export interface PreviousModel {
  readonly imageReference: ImageReference;
  readonly extension?: {
    readonly name: string;
    /** SAS query strings removed. */
    readonly fileUris?: readonly string[];
    readonly forceUpdateTag?: string;
  };
}

export type InstanceOutcome =
  | "updated" // was stale, now on the latest model
  | "already-current" // on the latest model before the rollout started
  | "failed" // its upgrade failed
  | "unhealthy" // upgraded but reports unhealthy / did not turn healthy within health-timeout
  | "straggler" // still not on the latest model when the run ended (timeout, platform did not finish)
  | "skipped-protected" // protectFromScaleSetActions
  | "skipped-own-model" // a Flexible VM attached with a profile of its own: the scale set's model is not its model
  | "not-started" // left untouched (stop, cancel, dry run)
  | "rolled-back" // upgraded, then brought back onto the previous model
  | "removed" // left the scale set during the run (scale-in): not upgraded, not a failure
  | "unknown"; // the run lost track of it: an upgrade may have reached it, but no listing after that succeeded

/** The outcomes that make the job fail, in the order the report lists them: the one list of them. */
export const FAILURE_OUTCOMES = ["failed", "unhealthy", "straggler"] as const;
export type FailureOutcome = (typeof FAILURE_OUTCOMES)[number];

export interface InstanceRecord {
  readonly instanceId: string;
  readonly name: string;
  /** latestModelApplied when the rollout planned (after the model update). */
  readonly latestModelBefore: boolean;
  /**
   * latestModelApplied at the end, as the last listing that showed the instance said it (an `unknown` instance: from
   * before the upgrade that may have reached it, so not a finding; the outcome says which).
   */
  readonly latestModelAfter: boolean;
  readonly outcome: InstanceOutcome;
  /** 1-based batch number, when it was planned into a batch. */
  readonly batch?: number;
  /**
   * Its state and image on the last listing that showed it since its upgrade was sent (absent for an `unknown` instance
   * no listing showed since: what was listed before is not its state).
   */
  readonly provisioningState?: string;
  readonly powerState?: string;
  readonly health?: HealthState;
  /** Image the instance runs at the end (version/exactVersion or id), for display. */
  readonly image?: string;
  readonly error?: AzureErrorInfo;
}

/**
 * `stopped`: ended by the run's stop other than a cancel or the timeout (the run lost its lease on the scale set), or
 * by its manualupgrade's failure that ended the run (no answer; the instances verification finds say what it did).
 * `skipped`: every instance of the batch left the scale set before it started; nothing was sent.
 * `unfinished`: its gate ended with instances still waited for and none failed or unhealthy: not on the latest model
 * when health-timeout ended (Azure's upgrade ended, and left them on the model they ran; or it still runs), or their
 * health not in when the stop was already certain without them (a breach of max-unhealthy by earlier failures).
 */
export type BatchResult =
  | "succeeded"
  | "failed"
  | "unhealthy"
  | "unfinished"
  | "cancelled"
  | "timed-out"
  | "stopped"
  | "skipped"
  | "not-started"
  | "planned";

export interface BatchRecord {
  /** 1-based. */
  readonly index: number;
  readonly canary: boolean;
  readonly instanceIds: readonly string[];
  /** ISO time; undefined when not started. */
  readonly startedAt?: string;
  readonly durationMs?: number;
  readonly result: BatchResult;
  readonly error?: AzureErrorInfo;
}

/** What was released, by which workflow run: from the runner's GITHUB_* variables, with links built from them. */
export interface ReleaseRecord {
  /** `owner/repo`. */
  readonly repository: string;
  /** Full ref, e.g. `refs/tags/v1.4.0`. */
  readonly ref?: string;
  /** The tag or branch name (`v1.4.0`, `main`); undefined for other refs (a pull request's merge ref). */
  readonly refName?: string;
  readonly refType?: "tag" | "branch";
  readonly sha?: string;
  /** The first 7 characters of sha. */
  readonly shortSha?: string;
  readonly workflow?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
  readonly links: {
    readonly repository: string;
    /** The tag or branch (its tree). */
    readonly ref?: string;
    readonly commit?: string;
    /** The workflow run (its attempt, when known) that made this rollout. */
    readonly run?: string;
  };
}

/**
 * The scale set's model after a rollback: every part this run wrote put back (`restored`), some of them
 * (`partly-restored`), none (`unchanged`: it still holds this run's change), changed by another writer during the
 * rollback or after it (`changedSince` says what), or not known (a write cut off in flight and not read back).
 */
export type RollbackModel = "restored" | "partly-restored" | "unchanged" | "changed-by-another-writer" | "unknown";

/**
 * A rollback that restored the model and brought back every instance but those protected from scale-set actions since
 * this run upgraded them: those instances (sorted); undefined for any other rollback. The run still fails (a mixed
 * state is no success), but the report says exactly this rather than "the rollback failed".
 */
export function protectedOnlyNotBack(rollback: RolloutRecord["rollback"]): readonly string[] | undefined {
  if (rollback === undefined || rollback.succeeded || rollback.model !== "restored") return undefined;
  const held = rollback.protectedNotBack ?? [];
  const notBack = rollback.notBack ?? [];
  if (held.length === 0 || notBack.some((id) => !held.includes(id))) return undefined;
  return held;
}

/**
 * How far such a rollback got (`rolled back 3 of 4 instances`) and what it left (`instance 0 is protected from
 * scale-set actions and still runs the new model`); see protectedOnlyNotBack.
 */
export function protectedRollbackParts(
  rollback: NonNullable<RolloutRecord["rollback"]>,
  held: readonly string[],
): { readonly done: string; readonly left: string } {
  const back = rollback.instanceIds.length;
  const all = new Set([...rollback.instanceIds, ...held]).size;
  const one = held.length === 1;
  return {
    done: `rolled back ${back} of ${all} instance${all === 1 ? "" : "s"}`,
    left: protectedLeftWords(`${one ? "instance" : "instances"} ${listIds(held)}`, held.length),
  };
}

/** `<who> is protected from scale-set actions and still runs the new model` (`count` of them): what a rollback left. */
export function protectedLeftWords(who: string, count: number): string {
  const one = count === 1;
  return `${who} ${one ? "is" : "are"} protected from scale-set actions and still ${one ? "runs" : "run"} the new model`;
}

/** What to do about the instances a rollback left out as protected (protectedOnlyNotBack). */
export function protectedRollbackAdvice(held: readonly string[]): string {
  const one = held.length === 1;
  return `remove the protection, then run the action with rollback: true again (it brings back only what is not back yet) or upgrade ${one ? "it" : "them"} onto the scale set's model by hand`;
}

/**
 * Another writer's change to the model a rollback put back, found by a read after it (`changedSince`, in words), as a
 * sentence: the previous model is not the scale set's any more.
 */
export function changedSinceRollbackWords(changedSince: string): string {
  return `Another writer changed the scale set's model after the rollback put the previous one back (${changedSince}), so the model is no longer the previous one: check it before you run the rollout again.`;
}

/**
 * Where a rollback left the scale set's model, as a sentence: another writer's change since, or rollbackModelWords;
 * "" when the rollback's error already says another writer changed the model during it (the run's own words, e.g. "…:
 * another writer changed it during the rollback"), which the sentence would only repeat.
 */
export function rollbackModelSentence(rollback: NonNullable<RolloutRecord["rollback"]>): string {
  if (rollback.changedSince !== undefined) return changedSinceRollbackWords(rollback.changedSince);
  if (rollback.model === "changed-by-another-writer" && /another writer changed/i.test(rollback.error ?? "")) return "";
  return rollbackModelWords(rollback.model);
}

/** Where a rollback that did not complete left the scale set's model, as a sentence. */
export function rollbackModelWords(model: RollbackModel | undefined): string {
  switch (model) {
    case "restored":
      return "The previous model is restored.";
    case "partly-restored":
      return "The model is partly restored: it holds part of this run's change.";
    case "unchanged":
      return "The model still holds this run's change.";
    case "changed-by-another-writer":
      return "Another writer changed the model during the rollback: check the scale set's model.";
    case "unknown":
      return "Whether the previous model was restored is unknown: check the scale set's model.";
    case undefined:
      return "";
  }
}

/** The states a GitHub deployment status can take (GitHub REST: deployment statuses). */
export type DeploymentState = "in_progress" | "success" | "failure" | "error" | "inactive";

/** The GitHub deployment the run recorded (`deployment-environment`). */
export interface DeploymentRecord {
  readonly environment: string;
  /** undefined when GitHub refused to create it (see warning). */
  readonly id?: number;
  /** The statuses GitHub accepted, in order. */
  readonly statuses: readonly DeploymentState[];
  /** Why the deployment is missing or incomplete (a GitHub API error); the rollout is not affected. */
  readonly warning?: string;
}

/** This run's lease, which its last tag write did not release (RolloutRecord.leaseNotReleased). */
export interface LeaseNotReleased {
  readonly why: string;
  /** ISO-8601 UTC: when the lease expires. */
  readonly until: string;
  /** Whether the lease is on the scale set at all is unknown (a write of it whose outcome no read settled). */
  readonly maybe: boolean;
}

/** Another run's lease on the scale set, as its tags name it. */
export interface LeaseHeldBy {
  /** `octo/app run 42 (attempt 2)`, or a run outside GitHub Actions with its token. */
  readonly run: string;
  /** The run's page, only when it is on this run's own GitHub server (tags are anyone's to write). */
  readonly link?: string;
  /** ISO-8601 UTC: when the lease expires unless renewed. */
  readonly until: string;
}

export interface RolloutRecord {
  /** resourceId: the scale set's ARM ID; portalUrl: a link to the scale set in the Azure portal of the run's cloud. */
  readonly target: Target & { readonly resourceId: string; readonly portalUrl: string };
  readonly cloud: CloudName;
  readonly upgradeMode?: UpgradeMode;
  /** The scale set's orchestration mode, once it was read. */
  readonly orchestrationMode?: "Uniform" | "Flexible";
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly result: RolloutResult;
  /** One sentence a person can act on, for every result but succeeded/unchanged. */
  readonly reason?: string;
  /**
   * An error stopped the run before it saw its work end (the last batch's answer lost, say), and the final listing
   * showed the change written and every instance on it, healthy: the run succeeded, and this is the error, said.
   */
  readonly stoppedByError?: string;
  /** Patched properties, before → after (redacted). Empty when the model already held the values. */
  readonly changes: readonly PropertyChange[];
  /** true when the action wrote the model. */
  readonly modelUpdated: boolean;
  /**
   * Why the image before this run's change cannot be put back, so that the change has no way back at all: the model
   * named the newest version (`latest`, a gallery image without a version), which Azure would resolve to the newest
   * again; it had no version; or Azure would refuse it now (deprecated by its publisher, or no longer offered in the
   * region, as the image catalog said before the write). No rollback input is offered then. Absent when the image can
   * be put back, was not changed, and for a `rollback: true` run.
   */
  readonly imageNotRestorable?: string;
  /**
   * A model write (the image's or the extension's) was cut off in flight by a cancel or the deadline, and the scale set
   * could not be read again: whether Azure applied it is unknown. `modelUpdated` does not count it (nothing proves
   * it). Absent otherwise.
   */
  readonly modelWriteUnknown?: "image" | "extension";
  /**
   * A model write the run's stop cut off in flight that the model did not hold when last read: Azure may still apply a
   * request it had received, so "not applied" would claim more than the run knows.
   */
  readonly modelWriteCutOff?: "image" | "extension";
  /**
   * A change of the image and an extension of which only one part was written (the other refused, or never sent):
   * which. Absent when every part of the change was written, or none.
   */
  readonly partWritten?: "image" | "extension";
  readonly previousModel?: PreviousModel;
  readonly batches: readonly BatchRecord[];
  readonly instances: readonly InstanceRecord[];
  /**
   * false: no listing of the instances succeeded, so `instances` holds only what the run knew of (possibly nothing),
   * not the scale set's instances. Absent: they were listed, or the run never needed to.
   */
  readonly instancesListed?: boolean;
  /** true: the scale set was deleted during the run (Azure answered 404 for it); `instances` and `batches` are empty. */
  readonly scaleSetDeleted?: boolean;
  readonly rolling?: RollingUpgradeStatus;
  readonly rollback?: {
    readonly succeeded: boolean;
    /**
     * A rollback an error stopped (its last request answered after its time ran out, say), after which the final check
     * found it done: the previous model restored and every instance it was to bring back there and healthy. It
     * succeeded all the same; this is that error (as `stoppedByError` is for the rollout).
     */
    readonly stoppedByError?: string;
    /** The instances brought back onto the previous model (seen back on it; in Manual mode, healthy too). */
    readonly instanceIds: readonly string[];
    /** A rollback that did not complete: the instances it was to bring back and did not see back. */
    readonly notBack?: readonly string[];
    /**
     * Of `notBack`, those it left out as protected from scale-set actions (by another writer since this run upgraded
     * them; Azure skips a protected instance): they run the rolled-out model.
     */
    readonly protectedNotBack?: readonly string[];
    /**
     * The scale set's model after the rollback (undefined: a record from before this field, or a rollback that
     * completed and found no change since).
     */
    readonly model?: RollbackModel;
    /**
     * The rollback put every part of the model back, and a read after it found another writer's change (in words):
     * the model is no longer the previous one (`model` is `changed-by-another-writer`). The instances it brought back
     * run the previous model, which is not the scale set's latest.
     */
    readonly changedSince?: string;
    readonly error?: string;
  };
  /**
   * rollback-on-failure was set and the run failed, but no rollback was done: why (another writer changed the model
   * since this run's write, the lease was lost or spent, the previous model cannot be restored). `otherWriter`: the
   * model holds another writer's change now, which putting the previous values back by hand would overwrite.
   */
  readonly noRollback?: { readonly reason: string; readonly otherWriter?: boolean };
  /**
   * Another writer's change the run's last read of the model found, when no rollback of this run's followed (one that
   * did would have checked for it): `change` in words (`its image is now …`); `overwritten`: it is in what this run
   * wrote, so going back to the previous values would overwrite it (`rollback: true` refuses then, unless the model
   * holds the previous values again). The report warns before it offers a rollback.
   */
  readonly modelChangedByAnother?: { readonly change: string; readonly overwritten: boolean };
  /**
   * Another writer set the image this run asks for between the run's read and its image write (refused, 412), so the
   * run wrote no image: how, in words. The image in the model, and what came before it, are that writer's: the record
   * offers no way back to them, and a rollback leaves them.
   */
  readonly imageSetByAnother?: string;
  /** The run holding the scale set's lease when this run could not take it (it wrote nothing). */
  readonly leaseHeldBy?: LeaseHeldBy;
  /**
   * This run's lease on the scale set, which its last tag write did not release: why, and until when it lasts (another
   * run of the action waits for it, or stops, until then). `maybe`: the write was cut off after it had gone out (a
   * cancel's few seconds), so Azure may have taken it and the lease may be gone.
   */
  readonly leaseNotReleased?: LeaseNotReleased;
  /** What was released and by which run; undefined outside GitHub Actions. */
  readonly release?: ReleaseRecord;
  /** A `rollback: true` run: the change it undid (or, `finishing`, the rollback it finished), from the scale set's record. */
  readonly rollbackOf?: RollbackOfRecord;
  /** The rollout record this run keeps on the scale set's tags; undefined when it wrote no model. */
  readonly scaleSetRecord?: ScaleSetRecordStatus;
  /** The GitHub deployment recorded for this run (deployment-environment), added once its final status is sent. */
  readonly deployment?: DeploymentRecord;
}

/** The change a rollback run undid, as the record on the scale set told it. */
export interface RollbackOfRecord {
  /** The run that made the change (undefined: a run outside GitHub Actions). */
  readonly run?: {
    readonly repository: string;
    readonly runId: string;
    readonly attempt?: string;
    readonly workflow?: string;
    readonly url?: string;
  };
  /** When that run wrote the model (ISO). */
  readonly at: string;
  /** How that run ended, as it recorded (`in-progress`: it never said: killed, say). */
  readonly outcome: string;
  /** That run's change, before → after (file URIs without their query). */
  readonly changes: readonly PropertyChange[];
  /** The record was itself a rollback's: this run finished it rather than undo it. */
  readonly finishing: boolean;
}

/** Whether the scale set holds this run's rollout record, so that `rollback: true` can undo the change. */
export interface ScaleSetRecordStatus {
  /** Azure holds the record: with its final outcome, or with the one a `note` names when the last write did not land. */
  readonly written: boolean;
  /** Not known written, but Azure may hold it: a write of it got no answer, and no read said whether it landed. */
  readonly maybeWritten?: true;
  /** `rollback: true` can undo this run's change from it. */
  readonly undoable: boolean;
  /** Why not, when not written or not undoable. */
  readonly note?: string;
}
