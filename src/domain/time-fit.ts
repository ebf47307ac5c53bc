// Whether a rollout's pauses fit in the time it has left, known before its first write: a run whose pauses between
// batches alone outlast what is left of `timeout` can only time out in one of them, after it wrote the model. Pure.

import { formatDuration } from "../shared/clock.ts";
import { batchCount } from "./batches.ts";
import type { RolloutOptions } from "../config/types.ts";

/** The instances a run will upgrade, as known before its first write. */
export interface PlannedSize {
  /** How many instances. */
  readonly instances: number;
  /**
   * `listed`: the instances a listing showed still to upgrade (a run that writes no model plans on one);
   * `capacity`: the scale set's capacity (sku.capacity), every instance of which a model write makes stale.
   */
  readonly from: "listed" | "capacity";
}

/**
 * The refusal when the pauses between the batches of `size` add up to at least `timeLeftMs` (what is left of timeout
 * now): the run cannot end before timeout. Undefined when they fit, or there is no pause or a single batch.
 */
export function pausesOutlastTimeout(
  rollout: Pick<RolloutOptions, "pauseBetweenBatchesMs" | "timeoutMs" | "batchSize" | "canary">,
  size: PlannedSize,
  timeLeftMs: number,
): string | undefined {
  const { pauseBetweenBatchesMs: pause, timeoutMs } = rollout;
  const batches = batchCount(size.instances, rollout);
  if (pause <= 0 || batches < 2) return undefined;
  const pauses = (batches - 1) * pause;
  if (pauses < timeLeftMs) return undefined;
  const instances =
    size.from === "listed"
      ? `the ${size.instances} instance(s) still to upgrade`
      : `the scale set's ${size.instances} instance(s) (its capacity)`;
  return (
    `pause-between-batches (${formatDuration(pause)}) comes ${batches - 1} time(s) between the ${batches} batches of ` +
    `${instances}: ${formatDuration(pauses)} of pauses, not shorter than the ${formatDuration(timeLeftMs)} that ` +
    `timeout (${formatDuration(timeoutMs)}) leaves the rollout. The run would time out in a pause, after writing the ` +
    `model. Nothing was written. Shorten pause-between-batches, raise batch-size, or lengthen timeout.`
  );
}
