// What more than one phase does: the instances a listing still shows, whether a refused manualupgrade named an
// instance that left the scale set, the platform's targets after a model write. Phases import this module and
// model-update's writes (the platform phase composes them into its rolls), never each other's helpers.

import { isGoneInstance, isScaleSetGone } from "../../domain/azure-errors.ts";
import { planBatches } from "../../domain/batches.ts";
import type { AzureApiError, InstanceState } from "../../domain/scale-set.ts";
import type { ScaleSetApi } from "../ports.ts";
import type { Run } from "../run.ts";

/** The instances of `ids` the last listing still shows (the others are noted as removed). */
export function stillListed(run: Run, ids: readonly string[]): string[] {
  if (run.state.listedAt === Number.NEGATIVE_INFINITY) return [...ids];
  return ids.filter((id) => run.state.instances.has(id));
}

/**
 * Whether Azure's refusal of a manualupgrade says one of its instances left the scale set since the listing: 400
 * InvalidParameter, or a 404 while a read of the scale set finds it (a Flexible VM's, whose instance ID is the VM's
 * name: ResourceNotFound for Microsoft.Compute/virtualMachines/<name>, assumed, not recorded). A 404 with the scale set
 * gone is not (the run ends on it). For the forward batches and the rollback's alike.
 */
export async function namesGoneInstance(
  run: Run,
  api: ScaleSetApi,
  err: AzureApiError,
  signal: AbortSignal,
): Promise<boolean> {
  return isGoneInstance(err) || (isScaleSetGone(err) && (await scaleSetStillThere(run, api, signal)));
}

/**
 * Whether a read of the scale set finds it (then its model is taken in): false when Azure says it is gone. A read
 * that fails otherwise cannot tell, and ends the batch with its own error (not taken for a deleted scale set).
 */
async function scaleSetStillThere(run: Run, api: ScaleSetApi, signal: AbortSignal): Promise<boolean> {
  try {
    run.state.read(await api.getScaleSet(signal));
    return true;
  } catch (err) {
    if (isScaleSetGone(err)) return false;
    throw err;
  }
}

/** The write made every instance stale: the platform is to roll every unprotected one. */
export function notePlatformTargets(run: Run, instances: readonly InstanceState[]): string[] {
  const plan = planBatches(
    instances.map((i) => ({ ...i, latestModelApplied: false })),
    run.config.rollout,
  );
  run.state.targeted(plan, run.state.targets.size > 0);
  run.emit({ type: "planned", targets: plan.toUpgrade, batches: 0 });
  const ids = [...plan.toUpgrade];
  run.upgradeStarted(ids, false);
  run.log.info(`Azure rolls ${ids.length} instance(s) onto the new model; the action follows it.`);
  return ids;
}
