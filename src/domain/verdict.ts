// Judging instances and the run: is an upgraded instance done, still on its way, failed or unhealthy; does a batch
// break max-unhealthy; what is the final result and each instance's outcome. Pure.

import { describeError } from "./error-text.ts";
import { describeImage, otherImageThan } from "./change.ts";
import type { ChangeRequest } from "../config/types.ts";
import { otherExtensionThan, showsExtensions } from "./model-match.ts";
import type { AzureErrorInfo, ExtensionModel, InstanceError, InstanceState } from "./scale-set.ts";
import { FAILURE_OUTCOMES, type FailureOutcome, type InstanceOutcome, type RolloutResult } from "./record.ts";

export type Assessment =
  | { readonly kind: "done" }
  /** Still on its way: `waitingFor` says what for, e.g. `the new model`, `health (initializing)`. */
  | { readonly kind: "pending"; readonly waitingFor: string }
  | { readonly kind: "failed"; readonly error?: AzureErrorInfo }
  /** On the new model but unhealthy, or not healthy once health-timeout was spent. */
  | { readonly kind: "unhealthy"; readonly detail: string }
  /** No longer in the scale set (scale-in): neither upgraded nor a failure. */
  | { readonly kind: "removed" };

export interface AssessOptions {
  readonly health: "auto" | "off";
  /** The scale set has an Application Health extension or a load-balancer probe. */
  readonly scaleSetHasHealthSignal: boolean;
  /** The error of the upgrade operation that covered the instance, when it failed. */
  readonly operationError?: AzureErrorInfo;
  /** health-timeout is spent: an instance not healthy by now is unhealthy. */
  readonly healthWaitOver: boolean;
  /** The extension the rollout changes: an Error-level status of it is a failure of the rollout. */
  readonly changedExtension?: string;
  /**
   * The image the run's change sets (its inputs, as given): an instance on the latest model that runs another was
   * upgraded onto another writer's model, not this run's (OTHER_WRITERS_MODEL). Not during a rollback.
   */
  readonly expectedImage?: Pick<ChangeRequest, "imageVersion" | "imageId">;
  /**
   * The extensions as the run's write left the model: an instance on the latest model whose listing shows one of them
   * with other settings or another forceUpdateTag was upgraded onto another writer's model (OTHER_WRITERS_MODEL). Not
   * during a rollback.
   */
  readonly expectedExtensions?: readonly ExtensionModel[];
  /**
   * Another writer's change to the model (its description: change.ts describeDrift), found by a read before the
   * listing the instance is judged on: an instance on the latest model runs a model with that change, not this run's,
   * whatever its listing shows (an extension added, or a property the listing leaves out). Not during a rollback.
   */
  readonly latestModelMoved?: string;
}

/**
 * Why a targeted instance did not take the new model: protectFromScaleSetActions was set on it after the rollout
 * planned (not by this action, which never sets it). Not an error Azure returned: Azure accepts the upgrade and skips
 * the instance silently.
 */
export const PROTECTED_SINCE_PLAN: AzureErrorInfo = {
  code: "ProtectedFromScaleSetActions",
  message:
    "protectFromScaleSetActions was set on this instance by another writer after the rollout planned it; Azure skips it, so it is not on the new model. Remove the protection and re-run.",
};

/**
 * Why an instance this run upgraded is not back on the previous model after a rollback: protectFromScaleSetActions was
 * set on it by another writer after its upgrade, and Azure skips a protected instance, so the rollback left it out.
 * The same code as PROTECTED_SINCE_PLAN (the report's help tells them apart by the message's "rollback").
 */
export const PROTECTED_SINCE_UPGRADE: AzureErrorInfo = {
  code: "ProtectedFromScaleSetActions",
  message:
    "protectFromScaleSetActions was set on this instance by another writer after this run upgraded it; Azure skips a protected instance, so the rollback left it out and it is not back on the previous model. Remove the protection, then run the action with rollback: true to bring it back.",
};

/**
 * Why an instance on the scale set's latest model is not on this run's: its image is another, so another writer
 * changed the model during the rollout and the instance was upgraded onto that writer's model (its manualupgrade
 * came after that write). Not an error Azure returned. A failure, so that no further batch starts and the report does
 * not count it as upgraded by this run.
 */
export function otherWritersModel(image: string, expected: string): AzureErrorInfo {
  return {
    code: "ModelChangedByAnotherWriter",
    message: `The instance is on the scale set's latest model, but it runs image ${image}, not ${expected}: another writer changed the model during the rollout, and the instance was upgraded onto that writer's model.`,
  };
}

/**
 * Why an instance on the scale set's latest model is not on this run's: it shows an extension (`difference`, e.g.
 * "extension 'x' has other settings") otherwise than the model this run rolls out, so another writer changed the model and
 * the instance was upgraded onto that writer's model. As otherWritersModel, for the extensions.
 */
function otherWritersExtension(difference: string): AzureErrorInfo {
  return {
    code: "ModelChangedByAnotherWriter",
    message: `The instance is on the scale set's latest model, but its ${difference} than the model this run rolled out: another writer changed the model during the rollout, and the instance was upgraded onto that writer's model.`,
  };
}

/**
 * Why an instance on the scale set's latest model is not on this run's, when what it shows does not say (an extension
 * added, or a property the listing leaves out): a read of the model before its listing found another writer's change
 * (`drift`, as describeDrift words it). As otherWritersModel.
 */
function otherWritersLatestModel(drift: string, compared = false): AzureErrorInfo {
  return {
    code: "ModelChangedByAnotherWriter",
    message: compared
      ? // A Flexible VM whose latestModelApplied Azure leaves out matches the latest model on what its listing shows,
        // which need not show that writer's change (a property the VM list leaves out): it may have taken that change,
        // or run this run's model with the latest model moved on since its upgrade. Either way, not this run's.
        `The VM matches the scale set's latest model on what its listing shows (Azure does not say whether it is on it), but another writer changed that model during the rollout (${drift}): the VM runs that writer's change, or this run's model with the latest model moved on since its upgrade. Either way the latest model is not this run's.`
      : `The instance is on the scale set's latest model, but that model is no longer the one this run rolled out (${drift}): another writer changed the model during the rollout, and the instance was upgraded onto that writer's model.`,
  };
}

/**
 * Why an instance this run upgraded is not on the latest model although it runs the model the run rolled out (its
 * image and its extensions as the run left them): another writer changed the model after its upgrade. Not an error
 * Azure returned; the instance waits for nothing Azure is doing. The report's help says what that means.
 */
export const MODEL_CHANGED_SINCE_UPGRADE: AzureErrorInfo = {
  code: "ModelChangedSinceUpgrade",
  message:
    "The instance runs the model this run rolled out, but another writer changed the scale set's model after its upgrade, so it is not on the latest model. Upgrading it again (a re-run, or the platform in Automatic or Rolling mode) would put that writer's model on it.",
};

/**
 * Why an instance this run upgraded is unhealthy and not on the latest model: it runs the model this run rolled out and
 * reports unhealthy on it, and another writer changed the model after its upgrade. Unhealthy on this run's model, not
 * unfinished (MODEL_CHANGED_SINCE_UPGRADE would hide what the release did to it). Not an error Azure returned.
 */
export const UNHEALTHY_MODEL_CHANGED_SINCE: AzureErrorInfo = {
  code: "UnhealthyOnRolledOutModel",
  message:
    "The instance runs the model this run rolled out and reports unhealthy on it. Another writer changed the scale set's model after its upgrade, so it is not on the latest model either; upgrading it again would put that writer's model on it.",
};

/**
 * Why an instance a rollback sent back is neither back nor on the model this run rolled out: it runs the previous model
 * again, idle and not failed, and reports unhealthy there. Not an error Azure returned. Unhealthy, not updated: before, it kept its forward verdict and was reported
 * `updated`, on the new model, in the outputs and the headline (a review, session 33).
 */
export const UNHEALTHY_SENT_BACK: AzureErrorInfo = {
  code: "UnhealthyOnPreviousModel",
  message:
    "A rollback batch sent the instance back onto the previous model, and it reports unhealthy there: it no longer runs the model this run rolled out, and the rollback did not count it back.",
};

/**
 * Why an instance a rollback sent back is unfinished: it runs the previous model again, idle and not failed, but its
 * health there was not in when the rollback ended (Initializing, or none reported yet). Not an error Azure returned.
 */
export const HEALTH_PENDING_SENT_BACK: AzureErrorInfo = {
  code: "HealthPendingOnPreviousModel",
  message:
    "A rollback batch sent the instance back onto the previous model, and the rollback ended before it reported healthy there: it no longer runs the model this run rolled out, and is not counted back.",
};

/**
 * Why an instance Azure rolled onto this run's image (Automatic, Rolling mode) is not on this run's model: the change's
 * extension part, to be written after the image, was not (refused, or the run stopped before it), so the latest model
 * holds the new image with the extension as it was. Not an error Azure returned; Azure is not still at it.
 */
export const EXTENSION_NOT_WRITTEN: AzureErrorInfo = {
  code: "ExtensionChangeNotWritten",
  message:
    "Azure rolled the instance onto the image this run wrote, but the run's extension change was not written to the model (the run's reason says why): the instance runs the new image with the extension as it was, not the model this run rolls out.",
};

/**
 * Whether an instance not on the latest model runs the model the run rolled out: the image it asks for (the same
 * reference, named the same way) and every extension of that model as the run left it, each shown by the listing with
 * the same settings and forceUpdateTag (model-match.ts showsExtensions). Positive evidence only: anything the listing
 * leaves out (an extension, its settings, its tag) never counts as a match, as a Flexible VM whose latestModelApplied
 * Azure leaves out is never taken as on the model on facts it does not show.
 */
export function runsRolledOutModel(
  state: InstanceState,
  rolledOut: {
    readonly image?: Pick<ChangeRequest, "imageVersion" | "imageId">;
    readonly extensions?: readonly ExtensionModel[];
  },
): boolean {
  const image = rolledOut.image;
  if (image === undefined || rolledOut.extensions === undefined) return false;
  return runsImage(state, image) === true && showsExtensions(rolledOut.extensions, state.extensions);
}

/** Whether `state` runs `image` (an image ID, or a platform version); undefined when its listing shows no image. */
export function runsImage(
  state: InstanceState,
  image: Pick<ChangeRequest, "imageVersion" | "imageId">,
): boolean | undefined {
  const ref = state.imageReference;
  if (ref === undefined) return undefined;
  const same = (a: string | undefined, b: string | undefined): boolean =>
    a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
  return image.imageId !== undefined
    ? same(ref.id, image.imageId)
    : ref.id === undefined && same(ref.version, image.imageVersion);
}

/**
 * Why an instance a rollback sent back, idle and not failed, is neither back nor on the model this run rolled out: it
 * runs `image` (the previous one, or another writer's), and the scale set's model moved during the rollback. Not an
 * error Azure returned.
 */
export function sentBackElsewhere(image: string): AzureErrorInfo {
  return {
    code: "ModelChangedByAnotherWriter",
    message: `A rollback batch sent the instance back, and it runs image ${image}, not the model this run rolled out; another writer changed the scale set's model during the rollback, so it is not on the latest model either.`,
  };
}

/** Power states in which an instance runs no application and reports no vmHealth. */
const NOT_RUNNING = new Set(["stopped", "stopping", "deallocated", "deallocating"]);

/** Whether the instance runs (or says nothing of its power): only then does it report health. */
export function isRunning(state: Pick<InstanceState, "powerState">): boolean {
  return state.powerState === undefined || !NOT_RUNNING.has(state.powerState.toLowerCase());
}

/**
 * Where an upgraded (or upgrading) instance stands, from one listing. An Error-level status fails the instance only
 * when its provisioning failed or the status belongs to the extension the rollout changes; any other (an unrelated
 * monitoring extension, say) stays in the record as information. Instances that are not running (stopped,
 * deallocated) report no health, so the health gate does not apply to them.
 */
export function assessInstance(state: InstanceState | undefined, options: AssessOptions): Assessment {
  if (state === undefined) return { kind: "removed" };
  const provisioning = state.provisioningState?.toLowerCase();
  const busy = provisioning === "updating" || provisioning === "creating";
  if (provisioning === "failed") return { kind: "failed", ...withError(state.error ?? options.operationError) };
  const own = changedExtensionError(state, options.changedExtension);
  if (own !== undefined && !busy) return { kind: "failed", error: own };
  // Whether it runs the model could not be told (its extensions' read refused: InstanceState.modelUnknown): judged on
  // its health alone, so that one VM Azure will not describe does not stop the run; the record reports it unknown.
  const modelUnknown = !state.latestModelApplied && state.modelUnknown !== undefined;
  if (!state.latestModelApplied) {
    if (options.operationError !== undefined && !busy) return { kind: "failed", error: options.operationError };
    // Assessed instances were targeted (not protected when the rollout planned: those are never started). One that is
    // protected now had protectFromScaleSetActions set by another writer since: manualupgrade (and the platform's
    // roll) skip it, so it will not reach the new model whatever the wait. Failed at once, naming why, so that the
    // gate counts it against max-unhealthy and the verdict reports it as it is, rather than as skipped.
    if (state.protectedFromScaleSetActions && !busy) return { kind: "failed", error: PROTECTED_SINCE_PLAN };
    if (!modelUnknown) return { kind: "pending", waitingFor: "the new model" };
  }

  // Still being updated or created, yet on the latest model: Azure may show latestModelApplied as soon as the model is
  // being applied (not documented either way), and the health it reports then is from before. Its upgrade is waited
  // for while its wait lasts (health-timeout); once that is over (an instance judged before, busy with some other
  // operation now) it is judged on its health as it stands.
  if (busy && !options.healthWaitOver)
    return { kind: "pending", waitingFor: `its upgrade to finish (provisioning ${state.provisioningState ?? ""})` };
  const otherModel = modelUnknown ? undefined : otherWritersModelOf(state, options);
  if (otherModel !== undefined) return { kind: "failed", error: otherModel };

  // health: auto gates where there is a signal (the scale set has one, or the instance reports vmHealth anyway) and
  // the instance runs.
  const running = isRunning(state);
  const gated = options.health === "auto" && running && (options.scaleSetHasHealthSignal || state.health !== undefined);
  if (!gated || state.health === "healthy") return { kind: "done" };
  // Unhealthy is waited out like Initializing while the wait lasts: with Binary Health States (an HTTP 200 or not) the
  // Application Health extension has no Initializing state, so an instance whose application is still starting after
  // its upgrade reports Unhealthy (learn.microsoft.com "Using Application Health extension with Virtual Machine Scale
  // Sets"). Failing it at once failed every canary of a slow-starting application (a review, 2026-12-07), as neither
  // Azure's rolling upgrade (which judges health after pauseTimeBetweenBatches) nor other rollout tools (a health
  // check grace period, an initial delay) do. Once the wait is over (an instance of an earlier batch, or health-timeout
  // spent), Unhealthy fails it at once.
  if (state.health === "unhealthy")
    return options.healthWaitOver
      ? { kind: "unhealthy", detail: "reports unhealthy" }
      : { kind: "pending", waitingFor: "health (unhealthy so far)" };
  const last = state.health ?? "no health reported yet";
  if (options.healthWaitOver) return { kind: "unhealthy", detail: `not healthy within health-timeout (last: ${last})` };
  return { kind: "pending", waitingFor: `health (${last})` };
}

/**
 * Why an instance on the scale set's latest model does not run this run's model but another writer's: its image, then
 * an extension as it shows it, then (what it shows does not say) a change of that writer's a read found before its
 * listing. Undefined when nothing says so. For a target (assessInstance), and for an instance the run did not target,
 * created on that writer's model since the plan (engine/record.ts).
 */
export function otherWritersModelOf(
  state: InstanceState,
  options: Pick<AssessOptions, "expectedImage" | "expectedExtensions" | "latestModelMoved">,
): AzureErrorInfo | undefined {
  const expected = options.expectedImage && otherImageThan(state.imageReference, options.expectedImage);
  if (expected !== undefined && state.imageReference !== undefined)
    return otherWritersModel(describeImage(state.imageReference), expected);
  const otherExtension =
    options.expectedExtensions && state.extensions && otherExtensionThan(options.expectedExtensions, state.extensions);
  if (otherExtension !== undefined) return otherWritersExtension(otherExtension);
  if (options.latestModelMoved !== undefined)
    return otherWritersLatestModel(options.latestModelMoved, state.modelCompared === true);
  return undefined;
}

function changedExtensionError(state: InstanceState, extension: string | undefined): InstanceError | undefined {
  if (extension === undefined) return undefined;
  const errors = state.errors ?? (state.error ? [state.error] : []);
  return errors.find((e) => e.extension?.toLowerCase() === extension.toLowerCase());
}

/** An assessment that counts against max-unhealthy. */
export function isBad(assessment: Assessment): boolean {
  return assessment.kind === "failed" || assessment.kind === "unhealthy";
}

export interface UnhealthyCheck {
  /** Instances upgraded so far (all batches started, this one included). */
  readonly upgraded: number;
  /** Of those, the ones that failed, turned unhealthy or never reached the new model. */
  readonly bad: number;
  readonly maxUnhealthyPercent: number;
  /** The canary batch tolerates no failure. */
  readonly canary: boolean;
}

/** true when the rollout must start no further batch. */
export function breachesMaxUnhealthy(check: UnhealthyCheck): boolean {
  if (check.bad === 0) return false;
  if (check.canary) return true;
  return check.bad * 100 > check.maxUnhealthyPercent * check.upgraded;
}

/**
 * Why a breach of max-unhealthy stopped the run, in words that cannot contradict it: the share with as many decimals
 * as it takes to show it above the limit (21 of 104 is 20.2%, not "20%, more than 20%"), and the count the limit allows.
 */
export function describeBreach(check: Omit<UnhealthyCheck, "canary">): string {
  const { upgraded, bad, maxUnhealthyPercent: max } = check;
  const exact = (bad * 100) / upgraded;
  const shown =
    [0, 1, 2, 3].map((digits) => String(Number(exact.toFixed(digits)))).find((text) => Number(text) > max) ??
    `more than ${max}`;
  const allowed = Math.floor((max * upgraded) / 100);
  return `${shown}% of the upgraded instances, more than max-unhealthy ${max}% allows (at most ${allowed} of ${upgraded})`;
}

export interface OutcomeFacts {
  /**
   * Skipped as protected: protected when the rollout planned, or not targeted and protected now. A targeted instance
   * protected after the plan is not skipped: its assessment says what became of it (PROTECTED_SINCE_PLAN).
   */
  readonly protected: boolean;
  /** A Flexible VM attached with a profile of its own (InstanceState.ownModel). */
  readonly ownModel?: boolean;
  /** It left the scale set during the run. */
  readonly removed: boolean;
  /** It was not on the latest model when the rollout planned. */
  readonly targeted: boolean;
  /** Its upgrade was started (a batch with it began, or the platform rolls it). */
  readonly started: boolean;
  /** The last assessment of a started instance. */
  readonly assessment?: Assessment;
  readonly rolledBack: boolean;
  /**
   * A rollback sent it back and it did not come back: `failed` (its upgrade back failed, or ended elsewhere),
   * `unhealthy` (on the previous model, idle, and reporting unhealthy there: UNHEALTHY_SENT_BACK), or `straggler`
   * (Azure was still upgrading it when the run ended, or its health on the previous model was not in). Either way not on the model this run rolled out any
   * more, whatever its last assessment on the way there said.
   */
  readonly rollbackNotBack?: "failed" | "unhealthy" | "straggler";
  /** The run does not know its state: its upgrade may have reached it, but no listing since succeeded. */
  readonly unknown?: boolean;
  /**
   * Only a part of the run's change reached it: the platform rolled it onto the image, and the extension's part was
   * never written (EXTENSION_NOT_WRITTEN). Unfinished, not updated, whatever its assessment on that model says.
   */
  readonly partOnly?: boolean;
  /**
   * The platform's roll ended without upgrading it (RolloutState.notReached: by Azure's own counts too), and
   * verification's listing showed it off the new model and idle: untouched, not a failure of its own.
   */
  readonly notReached?: boolean;
  /** latestModelApplied on the last listing (undefined: never listed). */
  readonly latestModelApplied?: boolean;
  /**
   * Waiting for the latest model only because another writer moved it on after its upgrade, while it runs the model
   * this run rolled out and reports unhealthy there (UNHEALTHY_MODEL_CHANGED_SINCE): unhealthy, not unfinished.
   */
  readonly unhealthyOnRolledOut?: boolean;
  /**
   * Not targeted and on the latest model, but in trouble on the last listing (needsAttention): its provisioning
   * `failed`, or `unhealthy`. Its model is the one asked for, and it does not run it well: a failure of the run, not
   * `already-current` (a re-run after a failed upgrade, an instance created on a broken new model).
   */
  readonly troubled?: "failed" | "unhealthy";
}

export function instanceOutcome(facts: OutcomeFacts): InstanceOutcome {
  if (facts.removed || facts.assessment?.kind === "removed") return "removed";
  if (facts.protected) return "skipped-protected";
  if (facts.ownModel === true) return "skipped-own-model";
  // Never on the new model: a rollback had nothing to bring back.
  if (facts.notReached === true) return "not-started";
  if (facts.rolledBack) return "rolled-back";
  if (facts.rollbackNotBack !== undefined) return facts.unknown === true ? "unknown" : facts.rollbackNotBack;
  if (facts.unknown === true) return "unknown";
  // Not planned into a batch: current only if a listing showed it so (the plan may never have been made).
  if (!facts.targeted) {
    if (facts.latestModelApplied === false) return "not-started";
    return facts.troubled ?? "already-current";
  }
  if (!facts.started) return "not-started";
  // Started but never judged (the run stopped while Azure was upgrading it): not known to be on the new model.
  if (facts.assessment === undefined) return "straggler";
  switch (facts.assessment.kind) {
    case "done":
      return facts.partOnly === true ? "straggler" : "updated";
    case "failed":
      return "failed";
    case "unhealthy":
      return "unhealthy";
    case "pending":
      return facts.unhealthyOnRolledOut === true ? "unhealthy" : "straggler";
  }
}

/** Outcomes that make the job fail. */
export function isFailedOutcome(outcome: InstanceOutcome): outcome is FailureOutcome {
  return (FAILURE_OUTCOMES as readonly InstanceOutcome[]).includes(outcome);
}

export interface ResultFacts {
  readonly cancelled: boolean;
  /** Stopped early (max-unhealthy, timeout, Azure error) or an instance ended failed/unhealthy/straggler. */
  readonly failed: boolean;
  /** The model was written or instances had to be brought onto it. */
  readonly workDone: boolean;
  /** A rollback ran and succeeded. */
  readonly rolledBack: boolean;
}

export function finalResult(facts: ResultFacts): RolloutResult {
  if (facts.cancelled) return "cancelled";
  if (facts.failed) return facts.rolledBack ? "rolled-back" : "failed";
  return facts.workDone ? "succeeded" : "unchanged";
}

/** `3 (vmss1_3): provisioning Failed, power running, health unhealthy, VMExtensionProvisioningError: …` */
export function describeInstance(instanceId: string, state: InstanceState | undefined, error?: AzureErrorInfo): string {
  if (state === undefined) return `${instanceId}: no longer in the scale set`;
  const parts = [
    `provisioning ${state.provisioningState ?? "unknown"}`,
    `power ${state.powerState ?? "unknown"}`,
    ...(state.health !== undefined ? [`health ${state.health}`] : []),
    ...(state.latestModelApplied ? [] : ["not on the latest model"]),
  ];
  const shown = state.error ?? error;
  if (shown !== undefined) parts.push(describeError(shown));
  // A Flexible VM's ID is its name: said once.
  return `${instanceId}${state.name && state.name !== instanceId ? ` (${state.name})` : ""}: ${parts.join(", ")}`;
}

/** At most `max` items joined by `; `, then `; and N more` (a reason stays one readable line on large scale sets). */
export function limitList(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join("; ");
  return `${items.slice(0, max).join("; ")}; and ${items.length - max} more`;
}

function withError(error: AzureErrorInfo | undefined): { error?: AzureErrorInfo } {
  return error === undefined ? {} : { error };
}
