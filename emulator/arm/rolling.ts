// The state of a scale set's rolling upgrade, as `GET …/rollingUpgrades/latest` reports it. The recorded 2020-06-01
// body (azure-cli-2020_test_vmss_rolling_upgrade.yaml #53) has type, location and properties{policy, runningStatus,
// progress}; `error` is added when the upgrade faulted (RollingUpgradeStatusInfo in the REST spec).
import { azureTime } from "../clock.ts";
import type { ArmErrorBody } from "../http.ts";
import type { RollingStatusCode, RollingUpgradeSnapshot } from "../types.ts";
import { copyJson, type Wire } from "./wire.ts";

export class RollingUpgrade {
  readonly startTime = new Date();
  readonly policy: Wire;
  lastAction: "Start" | "Cancel" = "Start";
  lastActionTime = new Date();
  code: RollingStatusCode = "RollingForward";
  successful = 0;
  failed = 0;
  inProgress = 0;
  pending: number;
  error: ArmErrorBody | undefined;
  cancelRequested = false;
  #cancel: () => void = () => {};
  /** Resolves when a cancel is requested: it ends the pause between batches at once (Upgrades.rollingUpgrade). */
  readonly cancelled = new Promise<void>((resolve) => (this.#cancel = resolve));

  constructor(policy: Wire, pending: number) {
    this.policy = copyJson(policy);
    this.pending = pending;
  }

  get running(): boolean {
    return this.code === "RollingForward" || this.code === "RollingBack";
  }

  requestCancel(): void {
    this.cancelRequested = true;
    this.#cancel();
    this.lastAction = "Cancel";
    this.lastActionTime = new Date();
  }

  render(location: string): Wire {
    return {
      type: "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades",
      location,
      properties: {
        policy: this.policy,
        runningStatus: {
          lastAction: this.lastAction,
          lastActionTime: azureTime(this.lastActionTime),
          code: this.code,
          startTime: azureTime(this.startTime),
        },
        progress: {
          successfulInstanceCount: this.successful,
          failedInstanceCount: this.failed,
          inProgressInstanceCount: this.inProgress,
          pendingInstanceCount: this.pending,
        },
        ...(this.error ? { error: this.error } : {}),
      },
    };
  }

  snapshot(): RollingUpgradeSnapshot {
    return {
      code: this.code,
      successfulInstanceCount: this.successful,
      failedInstanceCount: this.failed,
      inProgressInstanceCount: this.inProgress,
      pendingInstanceCount: this.pending,
      ...(this.error ? { error: { code: this.error.code, message: this.error.message } } : {}),
    };
  }
}
