// What is already running on a scale set (a model update, a rolling upgrade, instance operations), from the reads
// the engine makes before it writes. Pure.

import type { InstanceState, RollingUpgradeStatus, ScaleSetModel } from "./scale-set.ts";

/** What is already running on the scale set, in words; undefined when nothing is. */
export function describeRunning(
  model: ScaleSetModel | undefined,
  rolling: RollingUpgradeStatus | undefined,
  instances: readonly InstanceState[],
): string | undefined {
  const running: string[] = [];
  const state = model?.provisioningState?.toLowerCase();
  if (state !== undefined && state !== "succeeded" && state !== "failed")
    running.push(`the scale set is ${model?.provisioningState}`);
  if (rolling?.code === "RollingForward" || rolling?.code === "RollingBack") {
    running.push(
      `a rolling upgrade is ${rolling.code}${rolling.startTime ? ` since ${rolling.startTime}` : ""} ` +
        `(${rolling.successfulInstanceCount} done, ${rolling.inProgressInstanceCount} in progress, ${rolling.pendingInstanceCount} pending)`,
    );
  }
  const busy = new Map<string, string[]>();
  for (const i of instances) {
    const s = i.provisioningState;
    if (s !== undefined && ["updating", "creating", "deleting"].includes(s.toLowerCase()))
      busy.set(s, [...(busy.get(s) ?? []), i.instanceId]);
  }
  for (const [s, ids] of busy) running.push(`instance(s) ${ids.join(", ")} ${s}`);
  return running.length > 0 ? running.join("; ") : undefined;
}

/** An instance Azure is still updating or creating. */
export function isBusy(state: InstanceState): boolean {
  const s = state.provisioningState?.toLowerCase();
  return s === "updating" || s === "creating";
}

/** An instance whose provisioning Azure says Failed (an upgrade, or a create, that did not finish well). */
export function isProvisioningFailed(state: Pick<InstanceState, "provisioningState"> | undefined): boolean {
  return state?.provisioningState?.toLowerCase() === "failed";
}

/**
 * After a model write every target is stale: one a later listing shows on the latest model or being upgraded was
 * reached by an upgrade (a manualupgrade whose answer was lost still counts).
 */
export function reachedByUpgrade(state: InstanceState | undefined): boolean {
  return state !== undefined && (state.latestModelApplied || isBusy(state));
}
