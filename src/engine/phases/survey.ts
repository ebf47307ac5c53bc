// Plan: read the scale set, refuse what Azure would refuse, wait for an operation already running, compute the
// change, warn about options that cannot work (option-warnings.ts), and (on one listing) the targets and batches.

import { describeRunning } from "../../domain/in-progress.ts";
import { errorLine, isAbort } from "../../domain/error-text.ts";
import { canaryWarnings, optionWarnings, platformResumeWarning, resumeWarning } from "../../domain/option-warnings.ts";
import { describeImage, isNoOp } from "../../domain/change.ts";
import { planBatches, type BatchPlan } from "../../domain/batches.ts";
import { pausesOutlastTimeout, type PlannedSize } from "../../domain/time-fit.ts";
import { sasFindings } from "../../domain/sas.ts";
import { formatDuration } from "../../shared/clock.ts";
import type { ModelChange } from "../../domain/change.ts";
import {
  galleryImageVersionId,
  regionKey,
  type GalleryImageLookup,
  type InstanceState,
  type ImageDeprecation,
  type PlatformImageLookup,
  type ScaleSetModel,
} from "../../domain/scale-set.ts";
import type { ScaleSetApi } from "../ports.ts";
import { StopError, type Run } from "../run.ts";
import { planRollback } from "../../domain/rollback-plan.ts";
import { describeIdentity, displayChange, sameIdentity } from "../../domain/rollout-tags.ts";
import { checkImageBack, lookUpImageBack } from "./image-back.ts";

/**
 * Reads the scale set, plans the change (a refusal stops the run) and, when nothing is to be written, the batches.
 * Returns the change planned. `afterWait`: planned again after waiting for it (another run's lease, say), in words.
 */
export async function planRun(run: Run, api: ScaleSetApi, afterWait?: string): Promise<ModelChange> {
  const { target, rollout } = run.config;
  let model = await api.getScaleSet(run.work);
  run.state.read(model);
  run.log.info(
    `Scale set ${target.resourceGroup}/${model.name}: ${model.orchestrationMode}, upgrade mode ${model.upgradeMode}, ` +
      `image ${describeImage(model.imageReference)}, etag ${model.etag ?? "(none)"}.`,
  );
  if (run.config.rollback) planRollbackRun(run, model);
  const first = run.planOn(model); // refuse before waiting on anything
  // The version a rollback would put back is looked up beside the new one (one round trip before the first write, not
  // two); checkImageBack takes the answer when the model planned on after any wait names the same image.
  const back = lookUpImageBack(run, api, model, first);
  await checkImageVersion(run, api, model, first);
  await checkGalleryImage(run, api, model, first);

  const waited = await waitForScaleSet(run, api, model, !rollout.dryRun);
  model = waited.model;
  if (run.config.rollback) planRollbackRun(run, model);
  // The image a rollback would put back, on the model the change is planned on (after any wait).
  await checkImageBack(run, api, model, run.planOn(model), back);
  const plan = run.planOn(model);
  if (isNoOp(plan)) run.log.info("The model already holds the requested values: nothing to write.");
  for (const c of plan.changes) run.log.info(`Change ${c.property}: ${c.before} → ${c.after}`);
  // Planned again after waiting for another run's lease: each warning is said once.
  for (const w of optionWarnings(run.config, model, plan, run.state.request))
    if (run.state.firstWarning(w.title, w.message)) run.log.warning(w.message, w.title);

  // Nothing is written (a dry run, or the model holds the values): the one listing to plan on is now. Otherwise it
  // follows the model update, when Azure reports which instances the write made stale.
  const waitedOnListing = (rollout.dryRun || isNoOp(plan)) && (await planOnListing(run, api, plan, !rollout.dryRun));
  checkSasTokens(run, plan);
  await checkTimeFits(
    api,
    run,
    model,
    plan,
    waited.waited || waitedOnListing ? "the operation in progress" : afterWait,
  );
  for (const resume of [
    platformResumeWarning(model, rollout, plan, run.state.targets.size),
    resumeWarning(rollout, plan, run.state.targets.size),
  ])
    if (resume !== undefined && run.state.firstWarning(resume.title, resume.message))
      run.log.warning(resume.message, resume.title);
  if (rollout.dryRun) run.log.info("Dry run: nothing is written.");
  return plan;
}

/**
 * The SAS tokens of extension-file-uris (domain/sas.ts), for a run that upgrades instances onto them: one expired
 * already is refused having written nothing (every instance's download would fail once the model is written); one not
 * yet valid, one that runs out before timeout, or one that grants no read is a warning (it may be made to work: a
 * stored access policy, a start minutes away).
 */
function checkSasTokens(run: Run, plan: ModelChange): void {
  const fileUris = run.state.request.extension?.fileUris;
  if (fileUris === undefined || (isNoOp(plan) && run.state.targets.size === 0)) return;
  const findings = sasFindings(fileUris, run.now(), run.deadline);
  const expired = findings.filter((f) => f.kind === "expired");
  const why =
    "The extension downloads each file on every instance it upgrades, after the model is written, and Azure Storage " +
    "refuses a request whose SAS token is out of its time or permissions.";
  if (expired.length > 0)
    throw new StopError({
      kind: "failed",
      reason:
        `extension-file-uris ${expired.map((f) => f.text).join("; ")}. ${why} Nothing was written. Give a SAS token ` +
        `that is valid until the rollout ends (timeout ${formatDuration(run.config.rollout.timeoutMs)}).`,
    });
  const rest = findings.filter((f) => f.kind !== "expired");
  if (rest.length === 0) return;
  const message =
    `extension-file-uris ${rest.map((f) => f.text).join("; ")}. ${why} Check the token: valid from now until the ` +
    `rollout ends (timeout ${formatDuration(run.config.rollout.timeoutMs)}), with read (sp=r).`;
  if (run.state.firstWarning("SAS token may fail the downloads", message))
    run.log.warning(message, "SAS token may fail the downloads");
}

/**
 * Before the first write, whether the time left can see the rollout through; a run that cannot is stopped having
 * written nothing, rather than time out after writing the model:
 * - in Manual mode, the pauses between its batches must be shorter than the time left (time-fit.ts): the batches of the
 *   instances a listing showed, or, before a model write (whose listing follows it), of the scale set's capacity;
 * - after a wait (`waitedFor`: an operation in progress, another run's lease), more than one poll-interval must be left,
 *   the least in which a batch's end is seen (the inputs alone warn of a timeout within one poll-interval).
 * Not for a run with nothing to do.
 */
async function checkTimeFits(
  api: ScaleSetApi,
  run: Run,
  model: ScaleSetModel,
  plan: ModelChange,
  waitedFor: string | undefined,
): Promise<void> {
  const { rollout } = run.config;
  const noOp = isNoOp(plan);
  if (noOp && run.state.targets.size === 0) return;
  const left = run.timeLeft();
  if (model.upgradeMode === "Manual") {
    const size: PlannedSize | undefined =
      rollout.dryRun || noOp
        ? { instances: run.state.targets.size, from: "listed" }
        : model.capacity !== undefined
          ? { instances: model.capacity, from: "capacity" }
          : undefined;
    let refusal = size && pausesOutlastTimeout(rollout, size, left);
    // The capacity counts instances no batch sends (protected from scale-set actions, a Flexible VM with its own
    // profile): before refusing, the instances are listed, and those a write would make stale counted.
    if (refusal !== undefined && size?.from === "capacity") {
      try {
        const sent = (await api.listInstances(run.work)).filter((i) => !i.protectedFromScaleSetActions && !i.ownModel);
        refusal = pausesOutlastTimeout(rollout, { instances: sent.length, from: "listed" }, run.timeLeft());
      } catch (err) {
        // A listing that fails cannot lower the count: the refusal on the capacity stands.
        if (isAbort(err)) throw err;
      }
    }
    if (refusal !== undefined) throw new StopError({ kind: "failed", reason: refusal });
  }
  if (waitedFor !== undefined && !rollout.dryRun && left <= rollout.pollIntervalMs) {
    throw new StopError({
      kind: "timeout",
      reason:
        `Timed out before the first write: waiting for ${waitedFor} left ${formatDuration(Math.max(0, left))} of ` +
        `timeout (${formatDuration(rollout.timeoutMs)}), not more than one poll-interval ` +
        `(${formatDuration(rollout.pollIntervalMs)}), too little to see a batch through. Nothing was written; run the ` +
        `action again, or lengthen timeout.`,
    });
  }
}

/**
 * A platform image version the scale set's region does not offer is refused before anything is written (the lease and
 * the record included, on the first plan; a plan again after a lease wait comes after the lease, and the record in
 * progress is taken back at the end), naming the newest versions there. Azure would refuse the model write itself (404
 * PlatformImageNotFound), but only after the run took the lease and wrote its record. A lookup that fails otherwise
 * (the identity may not read the image catalog, say), or a region that lists no version of the image at all although
 * the scale set runs it (an image the region's catalog does not serve, as an Edge Zone's), leaves the check to that
 * write.
 */
async function checkImageVersion(run: Run, api: ScaleSetApi, model: ScaleSetModel, change: ModelChange): Promise<void> {
  const version = change.scaleSetPatch?.imageReference?.version;
  const { publisher, offer, sku } = model.imageReference;
  const { location } = model;
  if (api.findPlatformImage === undefined || version === undefined || version.toLowerCase() === "latest") return;
  if (publisher === undefined || offer === undefined || sku === undefined || location === undefined) return;
  let lookup: PlatformImageLookup;
  try {
    lookup = await api.findPlatformImage({ location, publisher, offer, sku, version }, run.work);
  } catch (err) {
    if (isAbort(err)) throw err;
    run.log.info(
      `Could not check that ${publisher}:${offer}:${sku} has version '${version}' in ${location} (${errorLine(err)}); Azure checks it when the model is written.`,
    );
    return;
  }
  const image = `${publisher}:${offer}:${sku}`;
  if (lookup.found) {
    checkDeprecation(run, lookup.deprecation, { publisher, offer, sku, version }, location);
    return;
  }
  if (lookup.newest.length === 0) {
    run.log.info(
      `Azure lists no version of ${image} in ${location}, which the scale set runs: whether it has version '${version}' is left to the model write.`,
    );
    return;
  }
  const what = run.config.rollback
    ? `The image version the rollback would put back, '${version}', is no longer offered`
    : `image-version '${version}' does not exist`;
  throw new StopError({
    kind: "failed",
    reason: `${what}: Azure offers no such version of ${image} in ${location}; its newest there: ${lookup.newest.join(", ")}. Nothing was written.`,
  });
}

/**
 * `offer "x" instead (…)`: what the publisher names instead of a deprecated version (Azure's words, quoted), and that
 * the action does not make that change (it sets versions only); undefined: none.
 */
function alternativeOf(deprecation: ImageDeprecation): string | undefined {
  const alternative = deprecation.alternative;
  if (alternative === undefined) return undefined;
  const what = alternative.type === "Offer" ? "offer" : "plan";
  return `${what} ${JSON.stringify(alternative.value.slice(0, 200))} instead (a change of ${what}, which this action does not make)`;
}

/**
 * A platform image version its publisher deprecated: Azure deploys no new instance from it (learn.microsoft.com,
 * "Deprecated images FAQ"; a VM create naming one is refused 404 ImageVersionDeprecated, GOAD#248; assumed the same for
 * a scale set's model write, which would come after the lease and the record), so it is refused before anything is
 * written; so is one whose scheduled date has passed. One scheduled within the run's timeout is a warning that says so
 * (batches after it would fail); one scheduled later, a warning with its date.
 */
function checkDeprecation(
  run: Run,
  deprecation: ImageDeprecation | undefined,
  image: { readonly publisher: string; readonly offer: string; readonly sku: string; readonly version: string },
  location: string,
): void {
  if (deprecation === undefined) return;
  const urn = `${image.publisher}:${image.offer}:${image.sku}:${image.version}`;
  const which = run.config.rollback ? "The image version the rollback would put back" : "image-version";
  const list = `az vm image list --all --location ${location} --publisher ${image.publisher} --offer ${image.offer} --sku ${image.sku}`;
  const alternative = alternativeOf(deprecation);
  const passed = deprecation.at !== undefined && deprecation.at <= run.now();
  if (deprecation.state === "Deprecated" || passed) {
    const instead = run.config.rollback
      ? "A rollback cannot put it back: roll forward with image-version set to a version that is not deprecated"
      : "Name a version that is not deprecated";
    throw new StopError({
      kind: "failed",
      reason: `${which} '${urn}' is deprecated by its publisher: Azure deploys no new instance from it in ${location} (ImageVersionDeprecated). Nothing was written. ${instead} (${list} shows them)${alternative ? `; its publisher names ${alternative}` : ""}.`,
    });
  }
  const at = deprecation.at;
  const when = at !== undefined ? ` on ${new Date(at).toISOString()}` : "";
  const soon =
    at !== undefined && at <= run.deadline
      ? " That is within this run's timeout: batches upgraded after it would fail."
      : " Roll out a newer version before then.";
  const message = `${which} '${urn}' is scheduled for deprecation${when}: after then Azure deploys no new instance from it (a scale-out of the scale set, for one, fails).${soon}${alternative ? ` Its publisher names ${alternative}.` : ""}`;
  if (run.state.firstWarning("Image version scheduled for deprecation", message))
    run.log.warning(message, "Image version scheduled for deprecation");
}

/**
 * A gallery image version in image-id that does not exist, is not ready, or is not published (or not yet replicated)
 * to the scale set's region is refused before anything is written, as an image-version the region does not offer is.
 * Azure would refuse the model write (GalleryImageNotFound: "The gallery image … is not available in <region> region.
 * Please contact image owner to replicate to this region, or change your requested region.", learn.microsoft.com
 * "Troubleshoot shared images"), after the lease and the record. The common case in a release pipeline: a tag pushed
 * before its image version is published or has replicated. A lookup that fails otherwise (no right to read the
 * gallery, another tenant's gallery) leaves the check to that write. A managed image, and `latest`, are not checked.
 */
async function checkGalleryImage(run: Run, api: ScaleSetApi, model: ScaleSetModel, change: ModelChange): Promise<void> {
  const id = change.scaleSetPatch?.imageReference?.id;
  const parts = id !== undefined ? galleryImageVersionId(id) : undefined;
  const { location } = model;
  if (api.findGalleryImageVersion === undefined || parts === undefined || location === undefined) return;
  if (parts.version.toLowerCase() === "latest") return;
  const image = `gallery image '${parts.gallery}/${parts.image}'`;
  let lookup: GalleryImageLookup;
  try {
    lookup = await api.findGalleryImageVersion(parts, run.work);
  } catch (err) {
    if (isAbort(err)) throw err;
    run.log.info(
      `Could not check that ${image} has version '${parts.version}' published to ${location} (${errorLine(err)}); Azure checks it when the model is written.`,
    );
    return;
  }
  const what = run.config.rollback
    ? `The image the rollback would put back, version '${parts.version}' of ${image},`
    : `image-id version '${parts.version}' of ${image}`;
  const refuse = (why: string): never => {
    throw new StopError({ kind: "failed", reason: `${what} ${why}. Nothing was written.` });
  };
  if (!lookup.found) {
    refuse(
      lookup.newest.length > 0
        ? `does not exist; its newest versions: ${lookup.newest.join(", ")}`
        : `does not exist (nor does any version of that image, in resource group ${parts.resourceGroup} of subscription ${parts.subscriptionId})`,
    );
    return; // refuse() throws; the return narrows `lookup` for the compiler
  }
  // An Edge Zone scale set uses the version's extended-location replicas, which this check does not read.
  if (model.extendedLocation !== undefined) return;
  const region = lookup.regions.find((r) => regionKey(r.name) === regionKey(location));
  if (region === undefined)
    refuse(
      `is not published to ${location}, the scale set's region (its target regions: ${lookup.regions.map((r) => r.name).join(", ") || "none"}): add ${location} to the image version's target regions, then run again`,
    );
  // The region's own replication state decides: a version being updated (a region added elsewhere, hours long) or
  // failed in another region is usable where its replica is Completed (Azure/AgentBaker#6741, #8373).
  const replication = region?.replication?.toLowerCase();
  if (replication === "completed") return;
  if (replication === "replicating")
    refuse(`is still replicating to ${location}: run again once its replication there has completed`);
  if (replication === "failed")
    refuse(`failed to replicate to ${location}: replicate it there again (or publish a new version), then run again`);
  // No word of the region's replica: only a version still being created (or deleted) is refused.
  const state = lookup.provisioningState?.toLowerCase();
  if (state === "creating" || state === "deleting")
    refuse(`is not ready: its provisioning state is ${lookup.provisioningState}; run again once Azure has created it`);
}

/**
 * `rollback: true`: the change request from the rollout record on the scale set (domain/rollback-plan.ts), or the
 * refusal that stops the run before anything is written. Planned again on a later read (after a wait): the record
 * must be the same one, and the model must still hold what it says.
 */
function planRollbackRun(run: Run, model: ScaleSetModel): void {
  const plan = planRollback(model);
  if (!plan.ok) throw new StopError({ kind: "failed", reason: plan.reason });
  const before = run.state.rollbackOrigin;
  if (before !== undefined) {
    if (sameIdentity(before.origin, plan.origin)) return;
    throw new StopError({
      kind: "failed",
      reason: `The rollout record on the scale set changed while the rollback waited (now ${describeIdentity(plan.origin)}): another run changed the scale set; nothing was written. Run the rollback again to undo the latest change.`,
    });
  }
  run.state.rollbackPlanned(plan);
  const what = plan.origin.changes.map(displayChange).map((c) => `${c.property} ${c.before} → ${c.after}`);
  run.log.info(
    plan.finishing
      ? `Rollback: the last change recorded on the scale set is itself a rollback (by ${describeIdentity(plan.origin)}: ${what.join("; ")}); rollback: true does not undo a rollback, it finishes it.`
      : `Rollback of the change made by ${describeIdentity(plan.origin)} (it ended: ${plan.origin.outcome}): ${what.join("; ")}.`,
  );
  for (const kept of plan.kept) run.log.info(`Rollback: ${kept}.`);
}

/**
 * Waits (within the timeout) for a scale-set update or a rolling upgrade already running: reads of the scale set
 * and of its latest rolling upgrade, which are cheap. A dry run only says what is running.
 */
async function waitForScaleSet(
  run: Run,
  api: ScaleSetApi,
  model: ScaleSetModel,
  wait: boolean,
): Promise<{ readonly model: ScaleSetModel; readonly waited: boolean }> {
  let current = model;
  let announced = false;
  for (;;) {
    const rolling = current.upgradeMode === "Manual" ? undefined : await api.getLatestRollingUpgrade(run.work);
    run.state.sawRollingBefore(rolling);
    const busy = describeRunning(current, rolling, []);
    if (busy === undefined) {
      if (announced) run.log.info(`The operation in progress has ended (${run.elapsed()} elapsed).`);
      run.state.read(current);
      return { model: current, waited: announced };
    }
    if (!wait) {
      run.log.info(`An operation is in progress: ${busy}. A real run would wait for it first.`);
      return { model: current, waited: false };
    }
    run.enter({ kind: "waiting-for-operation", busy });
    if (!announced) run.log.info(`Waiting for an operation already in progress: ${busy}.`);
    announced = true;
    await run.pause();
    current = await api.getScaleSet(run.work);
    run.state.read(current);
  }
}

/**
 * A listing started before the plan needs it, and when it was started: the batch plan's listing, read while the model
 * write's operation and the record's tag write run (issue #18: at 1,000 instances a list is twenty pages, about as long
 * as the model update). Started once the last model write is in the model (updateModel's `lastWriteIn`), so it shows
 * every instance the write made stale, as a listing after it would.
 */
export interface EarlyListing {
  readonly instances: Promise<readonly InstanceState[]>;
  readonly at: number;
  /** Its place in the order of reads (RunState.mark), taken as it went out. */
  readonly seq: number;
}

/** Starts the listing now; planOnListing takes it. A run that stops first drops it (its failure is not a stray). */
export function listEarly(run: Run, api: ScaleSetApi): EarlyListing {
  const at = run.now();
  const seq = run.state.mark();
  const instances = api.listInstances(run.work);
  instances.catch(() => undefined);
  return { instances, at, seq };
}

/**
 * Lists the instances (waiting, one list per poll, for instance operations already running) and plans on them.
 * A dry run of a change plans as if the write had made every instance stale, as it would. `early`: the first listing,
 * already started (listEarly). Says whether it waited.
 */
export async function planOnListing(
  run: Run,
  api: ScaleSetApi,
  change: ModelChange,
  wait: boolean,
  early?: EarlyListing,
): Promise<boolean> {
  let instances = await firstListing(run, api, early);
  let announced = false;
  for (
    let busy = describeRunning(undefined, undefined, instances);
    busy !== undefined;
    busy = describeRunning(undefined, undefined, instances)
  ) {
    if (!wait) {
      run.log.info(`An operation is in progress: ${busy}. A real run would wait for it first.`);
      break;
    }
    run.enter({ kind: "waiting-for-operation", busy });
    if (!announced) run.log.info(`Waiting for an operation already in progress: ${busy}.`);
    announced = true;
    await run.pause();
    instances = await run.list(api, run.work);
    if (describeRunning(undefined, undefined, instances) === undefined)
      run.log.info(`The operation in progress has ended (${run.elapsed()} elapsed).`);
  }
  const predicted = isNoOp(change) ? instances : instances.map((i) => ({ ...i, latestModelApplied: false }));
  if (run.state.platformRolls()) {
    const plan = planBatches(predicted, run.config.rollout);
    run.state.targeted(plan);
    run.emit({ type: "planned", targets: plan.toUpgrade, batches: 0 });
    run.log.info(
      `Upgrade mode ${run.state.model?.upgradeMode}: Azure rolls the ${run.state.targets.size} instance(s) onto the new model itself; the action follows it.`,
    );
  } else {
    noteBatches(run, planBatches(predicted, run.config.rollout));
  }
  return announced;
}

/** The first listing: the early one when it was started (its failure is the listing's), else one now. */
async function firstListing(run: Run, api: ScaleSetApi, early: EarlyListing | undefined) {
  // Recorded as of when it was started: before the model write's operation ended, so verification lists again if the
  // run stops before the next listing.
  if (early !== undefined) return run.listed(await early.instances, early.seq, early.at);
  return await run.list(api, run.work);
}

function noteBatches(run: Run, plan: BatchPlan): void {
  run.state.targeted(plan);
  run.state.batchesPlanned(
    plan.batches.map((b) => ({
      index: b.index,
      canary: b.canary,
      instanceIds: b.instanceIds,
      result: run.config.rollout.dryRun ? "planned" : "not-started",
    })),
  );
  run.emit({ type: "planned", targets: plan.toUpgrade, batches: plan.batches.length });
  const { batches, current, protected: skipped, ownModel } = plan;
  run.log.info(
    `Batch plan: ${plan.toUpgrade.length} instance(s) to upgrade in ${batches.length} batch(es)` +
      `${current.length > 0 ? `, ${current.length} already on the latest model` : ""}` +
      `${skipped.length > 0 ? `, ${skipped.length} protected and skipped (${skipped.join(", ")})` : ""}` +
      `${ownModel.length > 0 ? `, ${ownModel.length} attached with a profile of their own and skipped (${ownModel.join(", ")})` : ""}.`,
  );
  for (const b of batches)
    run.log.info(`  Batch ${b.index}${b.canary ? " (canary)" : ""}: ${b.instanceIds.join(", ")}`);
  for (const w of canaryWarnings(run.config.rollout, plan)) run.log.warning(w.message, w.title);
}
