// The batch plan: which instances are upgraded, in which order and how many at once. Pure.

import type { InstanceState, Size } from "./types.ts";

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
}

export interface BatchOptions {
  readonly batchSize: Size;
  readonly canary?: Size;
}

/**
 * Plans the batches: protected and current instances are left out, unhealthy or failed instances go first (as
 * Azure's `prioritizeUnhealthyInstances` does), then by instance ID; the canary batch comes first, the rest are
 * cut in batches of `batchSize`.
 */
export function planBatches(instances: readonly InstanceState[], options: BatchOptions): BatchPlan {
  const ordered = [...instances].sort(byInstanceId);
  const protectedIds = ordered.filter((i) => i.protectedFromScaleSetActions).map((i) => i.instanceId);
  const candidates = ordered.filter((i) => !i.protectedFromScaleSetActions);
  const current = candidates.filter((i) => i.latestModelApplied).map((i) => i.instanceId);
  const stale = candidates.filter((i) => !i.latestModelApplied);
  const toUpgrade = [...stale.filter(needsAttention), ...stale.filter((i) => !needsAttention(i))].map((i) => i.instanceId);

  const batches: PlannedBatch[] = [];
  let rest = toUpgrade;
  if (options.canary !== undefined && rest.length > 0) {
    const size = resolveSize(options.canary, toUpgrade.length);
    batches.push({ index: 1, canary: true, instanceIds: rest.slice(0, size) });
    rest = rest.slice(size);
  }
  const size = resolveSize(options.batchSize, toUpgrade.length);
  for (let start = 0; start < rest.length; start += size) {
    batches.push({ index: batches.length + 1, canary: false, instanceIds: rest.slice(start, start + size) });
  }
  return { batches, toUpgrade, current, protected: protectedIds };
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

/** An instance Azure would upgrade first: it reports unhealthy or its last operation failed. */
function needsAttention(instance: InstanceState): boolean {
  return instance.health === "unhealthy" || instance.provisioningState?.toLowerCase() === "failed";
}

/** Uniform instance IDs are integers: `2` before `10`. */
function byInstanceId(a: InstanceState, b: InstanceState): number {
  return a.instanceId.localeCompare(b.instanceId, "en", { numeric: true });
}
