// Plan: read the scale set, refuse what Azure would refuse, wait for an operation already running, compute the
// change, warn about options that cannot work (option-warnings.ts), and (on one listing) the targets and batches.

import { describeRunning } from "../../domain/in-progress.ts";
import { optionWarnings } from "../../domain/option-warnings.ts";
import { describeImage, isNoOp, planChange } from "../../domain/change.ts";
import { planBatches, type BatchPlan } from "../../domain/batches.ts";
import type { ScaleSetModel } from "../../domain/scale-set.ts";
import type { Run } from "../run.ts";

/** Reads the scale set, plans the change (a refusal stops the run) and, when nothing is to be written, the batches. */
export async function planRun(run: Run): Promise<void> {
  const { target, change, rollout } = run.config;
  let model = await run.api.getScaleSet(run.work);
  run.model = model;
  run.log.info(
    `Scale set ${target.resourceGroup}/${model.name}: ${model.orchestrationMode}, upgrade mode ${model.upgradeMode}, ` +
      `image ${describeImage(model.imageReference)}, etag ${model.etag ?? "(none)"}.`,
  );
  run.useChange(planChange(model, change)); // refuse before waiting on anything

  model = await waitForScaleSet(run, model, !rollout.dryRun);
  const plan = run.useChange(planChange(model, change));
  if (isNoOp(plan)) run.log.info("The model already holds the requested values: nothing to write.");
  for (const c of plan.changes) run.log.info(`Change ${c.property}: ${c.before} → ${c.after}`);
  for (const w of optionWarnings(run.config, model, plan)) run.log.warning(w.message, w.title);

  // Nothing is written (a dry run, or the model holds the values): the one listing to plan on is now. Otherwise it
  // follows the model update, when Azure reports which instances the write made stale.
  if (rollout.dryRun || isNoOp(plan)) await planOnListing(run, !rollout.dryRun);
  if (rollout.dryRun) run.log.info("Dry run: nothing is written.");
}

/**
 * Waits (within the timeout) for a scale-set update or a rolling upgrade already running: reads of the scale set
 * and of its latest rolling upgrade, which are cheap. A dry run only says what is running.
 */
async function waitForScaleSet(run: Run, model: ScaleSetModel, wait: boolean): Promise<ScaleSetModel> {
  let current = model;
  let announced = false;
  for (;;) {
    const rolling = current.upgradeMode === "Manual" ? undefined : await run.api.getLatestRollingUpgrade(run.work);
    run.rollingBefore = rolling;
    const busy = describeRunning(current, rolling, []);
    if (busy === undefined) {
      if (announced) run.log.info(`The operation in progress has ended (${run.elapsed()} elapsed).`);
      run.model = current;
      return current;
    }
    if (!wait) {
      run.log.info(`An operation is in progress: ${busy}. A real run would wait for it first.`);
      return current;
    }
    run.phase = `waiting for an operation already in progress (${busy})`;
    if (!announced) run.log.info(`Waiting for an operation already in progress: ${busy}.`);
    announced = true;
    await run.pause();
    current = await run.api.getScaleSet(run.work);
    run.model = current;
  }
}

/**
 * Lists the instances (waiting, one list per poll, for instance operations already running) and plans on them.
 * A dry run of a change plans as if the write had made every instance stale, as it would.
 */
export async function planOnListing(run: Run, wait: boolean): Promise<void> {
  let instances = await run.list();
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
    run.phase = `waiting for an operation already in progress (${busy})`;
    if (!announced) run.log.info(`Waiting for an operation already in progress: ${busy}.`);
    announced = true;
    await run.pause();
    instances = await run.list();
    if (describeRunning(undefined, undefined, instances) === undefined)
      run.log.info(`The operation in progress has ended (${run.elapsed()} elapsed).`);
  }
  const change = run.change!;
  const predicted = isNoOp(change) ? instances : instances.map((i) => ({ ...i, latestModelApplied: false }));
  if (run.platformRolls()) {
    run.noteTargets(planBatches(predicted, run.config.rollout));
    run.log.info(
      `Upgrade mode ${run.model?.upgradeMode}: Azure rolls the ${run.targets.size} instance(s) onto the new model itself; the action follows it.`,
    );
  } else {
    noteBatches(run, planBatches(predicted, run.config.rollout));
  }
}

function noteBatches(run: Run, plan: BatchPlan): void {
  run.noteTargets(plan);
  run.batchOf.clear();
  run.batches = plan.batches.map((b) => ({
    index: b.index,
    canary: b.canary,
    instanceIds: b.instanceIds,
    result: run.config.rollout.dryRun ? "planned" : "not-started",
  }));
  for (const b of plan.batches) for (const id of b.instanceIds) run.batchOf.set(id, b.index);
  const { batches, current, protected: skipped } = plan;
  run.log.info(
    `Batch plan: ${plan.toUpgrade.length} instance(s) to upgrade in ${batches.length} batch(es)` +
      `${current.length > 0 ? `, ${current.length} already on the latest model` : ""}` +
      `${skipped.length > 0 ? `, ${skipped.length} protected and skipped (${skipped.join(", ")})` : ""}.`,
  );
  for (const b of batches)
    run.log.info(`  Batch ${b.index}${b.canary ? " (canary)" : ""}: ${b.instanceIds.join(", ")}`);
}
