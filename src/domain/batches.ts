// The batch plan: which instances are upgraded, in which order and how many at once. Pure.

import { compareInstanceIds } from "./ids.ts";
import { isProvisioningFailed } from "./in-progress.ts";
import type { InstanceState } from "./scale-set.ts";
import type { Size } from "../config/types.ts";

export interface PlannedBatch {
  /** 1-based. */
  readonly index: number;
  readonly canary: boolean;
  readonly instanceIds: readonly string[];
}

export interface BatchPlan {
  readonly batches: readonly PlannedBatch[];
  /** Instances to upgrade, in upgrade order (the batches concatenated). */
  readonly toUpgrade: readonly string[];
  /** Already on the latest model: nothing to do. */
  readonly current: readonly string[];
  /** protectFromScaleSetActions: never sent to manualupgrade, reported as skipped. */
  readonly protected: readonly string[];
  /** Flexible VMs attached with a profile of their own (InstanceState.ownModel): never sent, reported as such. */
  readonly ownModel: readonly string[];
}

export interface BatchOptions {
  readonly batchSize: Size;
  readonly canary?: Size;
}

/**
 * Plans the batches: protected and current instances are left out. The canary batch comes first and is taken from
 * the instances in good standing: a canary is a test of the new model, and an instance that is already unhealthy or
 * failed would fail it whatever the model does. After the canary, unhealthy or failed instances go first (as Azure's
 * `prioritizeUnhealthyInstances` does), then the rest by instance ID, cut in batches of `batchSize`.
 */
export function planBatches(instances: readonly InstanceState[], options: BatchOptions): BatchPlan {
  const ordered = [...instances].sort((a, b) => compareInstanceIds(a.instanceId, b.instanceId));
  const protectedIds = ordered.filter((i) => i.protectedFromScaleSetActions).map((i) => i.instanceId);
  const ownModel = ordered
    .filter((i) => i.ownModel === true && !i.protectedFromScaleSetActions)
    .map((i) => i.instanceId);
  const candidates = ordered.filter((i) => !i.protectedFromScaleSetActions && i.ownModel !== true);
  const current = candidates.filter((i) => i.latestModelApplied).map((i) => i.instanceId);
  const stale = candidates.filter((i) => !i.latestModelApplied);
  const troubled = stale.filter(needsAttention).map((i) => i.instanceId);
  const sound = stale.filter((i) => !needsAttention(i)).map((i) => i.instanceId);
  const total = stale.length;

  const batches: PlannedBatch[] = [];
  let canary: string[] = [];
  if (options.canary !== undefined && total > 0) {
    // From the sound instances first; only when there are too few does the canary take troubled ones too.
    canary = [...sound, ...troubled].slice(0, resolveSize(options.canary, total));
    batches.push({ index: 1, canary: true, instanceIds: canary });
  }
  const inCanary = new Set(canary);
  const rest = [...troubled, ...sound].filter((id) => !inCanary.has(id));
  const size = resolveSize(options.batchSize, total);
  for (let start = 0; start < rest.length; start += size) {
    batches.push({ index: batches.length + 1, canary: false, instanceIds: rest.slice(start, start + size) });
  }
  return { batches, toUpgrade: [...canary, ...rest], current, protected: protectedIds, ownModel };
}

/** How many batches planBatches makes of `total` instances to upgrade (a canary is one of them). */
export function batchCount(total: number, options: BatchOptions): number {
  if (total <= 0) return 0;
  const canary = options.canary !== undefined ? resolveSize(options.canary, total) : 0;
  const rest = total - canary;
  return (canary > 0 ? 1 : 0) + (rest > 0 ? Math.ceil(rest / resolveSize(options.batchSize, total)) : 0);
}

/**
 * A size as a number of instances out of `total`: a percent is of the instances to upgrade, rounded up and at
 * least 1 (`20%` of 6 → 2; `100%` → all in one batch); a count is capped at the total.
 */
export function resolveSize(size: Size, total: number): number {
  if (total <= 0) return 0;
  const wanted = size.kind === "count" ? size.value : Math.ceil((size.value * total) / 100);
  return Math.min(total, Math.max(1, wanted));
}

/**
 * An instance Azure would upgrade first: it reports unhealthy or its last operation failed. (The record reads it of a
 * target never sent, too: engine/record.ts failureReason.)
 */
export function needsAttention(instance: Pick<InstanceState, "health" | "provisioningState">): boolean {
  return instance.health === "unhealthy" || isProvisioningFailed(instance);
}
