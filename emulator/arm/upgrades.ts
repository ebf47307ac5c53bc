// How instances move onto a model: one instance's upgrade (provisioning and power states, health, faults), a
// manualupgrade, and the model update with what each upgrade mode does after it (Manual: nothing; Automatic: every
// instance at once; Rolling: batches per rollingUpgradePolicy). Every duration runs on the speed-scaled Clock.
import { azureTime, isoDurationSeconds, type Clock } from "../clock.ts";
import type { Faults } from "../faults.ts";
import type { HealthState } from "../types.ts";
import type { ArmErrorBody } from "../http.ts";
import type { Operation } from "./operations.ts";
import { RollingUpgrade } from "./rolling.ts";
import { exactVersion, type ScaleSet, type Vm } from "./scale-set.ts";
import { canonical, copyJson, type Wire } from "./wire.ts";

/** An instance upgrade's result; a failure without `error` means the operation was preempted meanwhile. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly error?: ArmErrorBody };

/** Share of the upgrade time spent in each power state when the OS disk is replaced (image change). */
const REIMAGE_PHASES: readonly { power: Vm["powerState"]; health: HealthState; share: number }[] = [
  { power: "stopping", health: "unknown", share: 0.2 },
  { power: "stopped", health: "unknown", share: 0.3 },
  { power: "starting", health: "initializing", share: 0.2 },
  { power: "running", health: "initializing", share: 0.3 },
];

export class Upgrades {
  private readonly clock: Clock;
  private readonly faults: Faults;
  private readonly modelUpdateSeconds: number;

  constructor(clock: Clock, faults: Faults, modelUpdateSeconds: number) {
    this.clock = clock;
    this.faults = faults;
    this.modelUpdateSeconds = modelUpdateSeconds;
  }

  /** POST manualupgrade (or reimage: the OS disk is replaced even on current instances): the listed instances onto
   *  the current model, all at once. Ends `op`. */
  async manualUpgrade(
    set: ScaleSet,
    vms: readonly Vm[],
    op: Operation,
    reimage = false,
    idle: (vm: Vm) => Promise<void> = async () => {},
  ): Promise<void> {
    const target = targetOf(set);
    const model = set.comparableModel(); // once, not once per instance
    const outcomes = await Promise.all(
      vms.map(async (vm): Promise<Outcome> => {
        if (set.isLatest(vm, model) && vm.provisioningState !== "Failed" && !reimage) return { ok: true };
        // A reimage of an instance another operation works on starts when that one has ended.
        await Promise.race([idle(vm), op.ended]);
        if (!op.running) return { ok: false };
        return this.upgradeInstance(set, vm, target, op, reimage);
      }),
    );
    finishWithOutcomes(op, outcomes);
  }

  /** After a PUT/PATCH of the model: the model update itself, then whatever the upgrade mode does. Ends `op`.
   *  `modelChanged`: the write changed what an instance runs (profile or VM size); a write that did not (the upgrade
   *  mode alone, capacity, policies) makes no mode roll anything, stale instances included (README "Assumptions"). */
  async modelUpdate(set: ScaleSet, op: Operation, modelChanged = true): Promise<void> {
    set.provisioningState = "Updating";
    await this.wait(this.modelUpdateSeconds, op);
    if (op.running && !modelChanged) op.finish("Succeeded");
    else if (op.running) {
      const model = set.comparableModel(); // once, not once per instance
      // A Flexible VM attached with a profile of its own is never brought onto the set's model (README "Flexible").
      const stale = set
        .sortedVms()
        .filter((vm) => !vm.protectFromScaleSetActions && !vm.attached && !set.isLatest(vm, model));
      if (set.upgradeMode === "Automatic" && stale.length > 0) {
        const target = targetOf(set);
        finishWithOutcomes(op, await Promise.all(stale.map((vm) => this.upgradeInstance(set, vm, target, op))));
      } else if (set.upgradeMode === "Rolling" && stale.length > 0) {
        await this.rollingUpgrade(set, op);
      } else {
        op.finish("Succeeded");
      }
    }
    if (set.modelOperation === op) set.modelOperation = undefined;
    if (!set.deleted && !set.deleting?.running && !set.modelOperation)
      set.provisioningState = op.status === "Failed" ? "Failed" : "Succeeded";
  }

  /**
   * Rolls the stale, unprotected instances (never a Flexible VM attached with its own profile) in batches per
   * rollingUpgradePolicy. Ends `op` with the outcome.
   * `includeCurrent` (a client's `osRollingUpgrade`): instances already on the model are batched and counted too, each
   * batch of them taking CURRENT_BATCH_SECONDS without the instance changing (see there).
   */
  async rollingUpgrade(set: ScaleSet, op: Operation, includeCurrent = false): Promise<void> {
    const policy = set.rollingPolicy;
    const total = set.vms.size;
    const target = targetOf(set);
    const model = set.comparableModel(); // once, not once per instance
    // Attached Flexible VMs (their own profile) are neither rolled nor counted, also by a client's osRollingUpgrade.
    const targets = set
      .sortedVms()
      .filter((vm) => !vm.protectFromScaleSetActions && !vm.attached && (includeCurrent || !set.isLatest(vm, model)));
    const current = new Set(targets.filter((vm) => set.isLatest(vm, model) && vm.provisioningState !== "Failed"));
    if (policy["prioritizeUnhealthyInstances"]) targets.sort((a, b) => Number(isUnhealthy(b)) - Number(isUnhealthy(a)));
    const rolling = new RollingUpgrade(policy, targets.length);
    set.rolling = rolling;
    const batchSize = Math.max(1, Math.floor((total * Number(policy["maxBatchInstancePercent"] ?? 20)) / 100));
    const pause = isoDurationSeconds(String(policy["pauseTimeBetweenBatches"] ?? "PT0S"));
    const previous = new Map(
      targets.map((vm): [string, Target] => [vm.instanceId, { profile: copyJson(vm.profile), vmSize: vm.vmSize }]),
    );
    const failedVms: Vm[] = [];
    let upgraded = 0;

    for (let start = 0; start < targets.length; start += batchSize) {
      if (rolling.cancelRequested || !op.running) break;
      const unhealthyVms = set.sortedVms().filter(isUnhealthy);
      const unhealthyNow = (unhealthyVms.length * 100) / total;
      const maxUnhealthy = Number(policy["maxUnhealthyInstancePercent"] ?? 20);
      if (unhealthyNow > maxUnhealthy) {
        // Refused before any batch: Azure reports no progress at all (pending 0 too), as in the guide cited below.
        if (start === 0) rolling.pending = 0;
        rolling.error =
          start === 0
            ? unhealthyBeforeFirstBatch(set, unhealthyVms, unhealthyNow, maxUnhealthy)
            : {
                code: "MaxUnhealthyInstancePercentExceededInRollingUpgrade",
                message: `Rolling Upgrade failed after exceeding the MaxUnhealthyInstancePercent value defined in the RollingUpgradePolicy. ${Math.round(unhealthyNow)}% of instances are in an unhealthy state - more than the threshold of ${maxUnhealthy}%.`,
              };
        break;
      }
      // An instance deleted since the upgrade started (it was pending: a busy one refuses its delete) is not upgraded
      // or counted: it leaves `pending` without joining `successful` or `failed`. Assumed: no recording shows a delete
      // during a rolling upgrade; the progress counts instances of the set, and a deleted one is no longer one.
      const planned = targets.slice(start, start + batchSize);
      const batch = planned.filter((vm) => set.vms.get(vm.instanceId) === vm);
      rolling.pending -= planned.length;
      rolling.inProgress = batch.length;
      const outcomes = await Promise.all(
        batch.map((vm) => (current.has(vm) ? this.passCurrent(op) : this.upgradeInstance(set, vm, target, op))),
      );
      rolling.inProgress = 0;
      upgraded += batch.length;
      batch.forEach((vm, i) => {
        if (outcomes[i]?.ok && !isUnhealthy(vm)) rolling.successful++;
        else {
          rolling.failed++;
          failedVms.push(vm);
        }
      });
      const unhealthyUpgraded = (failedVms.length * 100) / upgraded;
      const maxUnhealthyUpgraded = Number(policy["maxUnhealthyUpgradedInstancePercent"] ?? 20);
      if (unhealthyUpgraded > maxUnhealthyUpgraded) {
        const impact = outcomes.flatMap((o) => (!o.ok && o.error ? [o.error.message] : []))[0] ?? UNHEALTHY;
        // As Azure words it (AzureTRE#1591, 2022): "… The most impactful error is: Instance found to be unhealthy or
        // unreachable.. First failed instance ID is: 0."
        rolling.error = {
          code: "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
          message: `Rolling Upgrade failed after exceeding the MaxUnhealthyUpgradedInstancePercent value defined in the RollingUpgradePolicy. ${Math.round(unhealthyUpgraded)}% of instances are in an unhealthy state after being upgraded - more than the threshold of ${maxUnhealthyUpgraded}%. The most impactful error is: ${impact}. First failed instance ID is: ${failedVms[0]?.instanceId ?? ""}.`,
        };
        break;
      }
      // A cancel ends the pause: there is no running batch to finish.
      if (start + batchSize < targets.length && pause > 0)
        await Promise.race([this.wait(pause, op), rolling.cancelled]);
    }

    if (rolling.error) {
      if (policy["rollbackFailedInstancesOnPolicyBreach"]) {
        rolling.code = "RollingBack";
        await Promise.all(
          failedVms.map((vm) =>
            this.upgradeInstance(
              set,
              vm,
              previous.get(vm.instanceId) ?? { profile: vm.profile, vmSize: vm.vmSize },
              op,
            ),
          ),
        );
      }
      rolling.code = "Faulted";
      op.finish("Failed", rolling.error);
    } else if (rolling.cancelRequested || !op.running) {
      rolling.code = "Cancelled";
      op.finish("Canceled");
    } else {
      rolling.code = "Completed";
      op.finish("Succeeded");
    }
  }

  /** One instance onto `target` (a model: profile and size). Restores the instance when `op` is preempted meanwhile. */
  private async upgradeInstance(
    set: ScaleSet,
    vm: Vm,
    target: Target,
    op: Operation,
    forceReimage = false,
  ): Promise<Outcome> {
    const before = { profile: vm.profile, vmSize: vm.vmSize, health: vm.health, powerState: vm.powerState };
    const reimage =
      forceReimage ||
      canonical(vm.profile["storageProfile"]?.["imageReference"]) !==
        canonical(target.profile["storageProfile"]?.["imageReference"]);
    const hang = this.faults.takeHang(set.name, vm.instanceId);
    const keepImage = this.faults.takeKeptImage(set.name, vm.instanceId);
    const failure = this.faults.takeUpgradeFailure(set.name, vm.instanceId);
    vm.busyWith = op.id;
    vm.error = undefined;
    setProvisioning(vm, "Updating");
    const phases = reimage ? REIMAGE_PHASES : [{ power: vm.powerState, health: vm.health, share: 1 }];
    for (const phase of phases) {
      vm.powerState = phase.power;
      vm.health = phase.health === "initializing" ? starting(set) : phase.health;
      await this.wait(set.instanceUpgradeSeconds * phase.share, op);
      if (!op.running) return restore(vm, before);
    }
    if (hang) {
      await op.ended;
      return restore(vm, before);
    }
    vm.profile = copyJson(target.profile);
    // An upgrade brings an instance onto the whole model it was sent to, its VM size included.
    vm.vmSize = target.vmSize;
    if (keepImage)
      vm.profile["storageProfile"]["imageReference"] = copyJson(before.profile["storageProfile"]?.["imageReference"]);
    vm.busyWith = undefined;
    vm.powerState = "running";
    vm.etag++;
    const images = imageKeys(target.profile);
    const health = this.faults.isUnhealthyImage(set.name, vm.instanceId, images) ? "unhealthy" : "healthy";
    if (set.appStartSeconds > 0 && !failure) this.appStarts(set, vm, health);
    else vm.health = health;
    if (failure) {
      vm.error = instanceError(vm, failure);
      setProvisioning(vm, "Failed");
      return { ok: false, error: { code: vm.error.code, message: vm.error.message } };
    }
    setProvisioning(vm, "Succeeded");
    return { ok: true };
  }

  /**
   * The application starting after an upgrade (ScaleSetSeed.appStartSeconds): the instance reports `initializing`
   * (`unhealthy` with binary health states) for that long, then `health`, unless something else changed it meanwhile
   * (another upgrade, setInstance): its state is then that one's.
   */
  private appStarts(set: ScaleSet, vm: Vm, health: HealthState): void {
    const startingHealth = starting(set);
    vm.health = startingHealth;
    const etag = vm.etag;
    void this.clock.sleep(set.appStartSeconds).then(() => {
      if (vm.etag === etag && vm.busyWith === undefined && vm.health === startingHealth) vm.health = health;
    });
  }

  /** An instance already on the model, in a batch of a client-started OS rolling upgrade: time passes, nothing changes. */
  private async passCurrent(op: Operation): Promise<Outcome> {
    await this.wait(CURRENT_BATCH_SECONDS, op);
    return op.running ? { ok: true } : { ok: false };
  }

  private async wait(seconds: number, op: Operation): Promise<void> {
    await Promise.race([this.clock.sleep(seconds), op.ended]);
  }
}

const UNHEALTHY = "Instance found to be unhealthy or unreachable.";

/**
 * How long a batch of instances already on the latest model takes in a client-started OS rolling upgrade. Recorded
 * (azure-cli-2020_test_vmss_rolling_upgrade.yaml): after `vmss update-instances --instance-ids *` (#33–#35) and a PUT
 * that only sets `upgradePolicy.mode: Rolling` (#37–#42, policy maxBatchInstancePercent 20), `POST …/osRollingUpgrade`
 * (#48, 07:26:19) stays InProgress (#49–#51) until Succeeded at 07:28:21 (#52: ~121 s after its 07:26:20 start), and
 * `rollingUpgrades/latest` (#53) then reports `Completed` with successfulInstanceCount 2 (both instances), 0 failed,
 * in progress and pending. Two instances at 20 % are two batches of one: ~60 s a batch. The instances are not
 * reimaged (the spec: "Instances which are already running the latest available OS version are not affected"), so the
 * emulator changes nothing on them.
 */
const CURRENT_BATCH_SECONDS = 60;

/**
 * Too many unhealthy instances before the first batch: Azure does not start (Service Fabric troubleshooting guide
 * "How to Configure Service Fabric Automatic OS Image Upgrade", Azure/Service-Fabric-Troubleshooting-Guides; also the
 * code Update-AzVmss throws in Azure/AzLoadBalancerMigration). One detail per unhealthy instance.
 */
function unhealthyBeforeFirstBatch(
  set: ScaleSet,
  unhealthy: readonly Vm[],
  percent: number,
  threshold: number,
): ArmErrorBody {
  const details: ArmErrorBody[] = unhealthy.map((vm) =>
    vm.error
      ? { code: vm.error.code, target: `${set.name}/virtualMachines/${vm.instanceId}`, message: vm.error.message }
      : {
          code: "RollingUpgradeInstanceUnhealthyError",
          target: `${set.name}/virtualMachines/${vm.instanceId}`,
          message: UNHEALTHY,
        },
  );
  return {
    code: "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade",
    message: `Rolling Upgrade failed due to exceeding the MaxUnhealthyInstancePercent value (defined in the RollingUpgradePolicy) before any batch was attempted. ${Math.round(percent)}% of instances are in an unhealthy state, more than the threshold of ${threshold}% configured in the RollingUpgradePolicy. The most impactful error is:  ${details[0]?.message ?? UNHEALTHY} For details on rolling upgrades, use http://aka.ms/AzureVMSSRollingUpgrade`,
    details,
  };
}

function finishWithOutcomes(op: Operation, outcomes: readonly Outcome[]): void {
  const errors = outcomes.flatMap((o) => (!o.ok && o.error ? [o.error] : []));
  const [first] = errors;
  if (!first) op.finish("Succeeded");
  else op.finish("Failed", errors.length === 1 ? first : { ...first, details: errors });
}

function restore(
  vm: Vm,
  before: { profile: Wire; vmSize: string; health: HealthState; powerState: Vm["powerState"] },
): Outcome {
  vm.profile = before.profile;
  vm.vmSize = before.vmSize;
  vm.health = before.health;
  vm.powerState = before.powerState;
  vm.busyWith = undefined;
  setProvisioning(vm, "Succeeded");
  return { ok: false };
}

function setProvisioning(vm: Vm, state: Vm["provisioningState"]): void {
  vm.provisioningState = state;
  vm.provisioningTime = azureTime(new Date());
}

function isUnhealthy(vm: Vm): boolean {
  return vm.health === "unhealthy" || vm.provisioningState === "Failed";
}

/** Identifiers a test may name an image by: version, exactVersion, id. */
function imageKeys(profile: Wire): string[] {
  const ref: Wire = profile["storageProfile"]?.["imageReference"] ?? {};
  return [ref["version"], exactVersion(ref), ref["id"]].filter((v): v is string => typeof v === "string");
}

/** The instance error for an injected failure; VMExtensionProvisioningError names the first non-health extension. */
function instanceError(vm: Vm, failure: { code: string; message: string | undefined }): NonNullable<Vm["error"]> {
  const extensions: Wire[] = vm.profile["extensionProfile"]?.["extensions"] ?? [];
  const ext = extensions.find((e) => !/^ApplicationHealth/i.test(String(e["properties"]?.["type"]))) ?? extensions[0];
  if (failure.code === "VMExtensionProvisioningError" && ext) {
    const props: Wire = ext["properties"] ?? {};
    return {
      code: failure.code,
      extension: String(ext["name"]),
      message:
        failure.message ??
        `VM has reported a failure when processing extension '${ext["name"]}' (publisher '${props["publisher"]}' and type '${props["type"]}'). Error message: 'Enable failed: failed to execute command: command terminated with exit status=1'. More information on troubleshooting is available at https://aka.ms/VMExtensionCSELinuxTroubleshoot. `,
    };
  }
  return {
    code: failure.code,
    message: failure.message ?? `The operation on VM '${vm.name}' failed with ${failure.code}.`,
  };
}

/** What an upgrade brings an instance onto: a virtualMachineProfile and a VM size (the set's sku.name). */
interface Target {
  readonly profile: Wire;
  readonly vmSize: string;
}

/** The set's model as an upgrade's target, taken when the upgrade starts. */
function targetOf(set: ScaleSet): Target {
  return { profile: copyJson(set.profile), vmSize: set.skuName() };
}

/** What a VM whose application has not answered yet reports: `initializing`, or `unhealthy` with binary states. */
function starting(set: ScaleSet): HealthState {
  return set.binaryHealth ? "unhealthy" : "initializing";
}
