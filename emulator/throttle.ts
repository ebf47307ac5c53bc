// Compute's token-bucket request limits. Every ARM response carries `x-ms-ratelimit-remaining-resource` in the
// token-bucket format seen in the 2023 recordings (`Microsoft.Compute/HighCostGetVMScaleSetResource;29,
// Microsoft.Compute/HighCostGetVMScaleSetSubscriptionMaximum;1079`); with `throttle: true` an empty bucket answers
// 429 with Retry-After (and x-ms-retry-after-ms, see throttled()) and Azure's throttling body. Limits: MicrosoftDocs/azure-docs
// articles/virtual-machines/compute-throttling-limits.md (refill per minute / bucket size, resource and subscription).
import { ArmError, type ArmErrorBody } from "./http.ts";

interface Limit {
  readonly resource: readonly [refillPerMinute: number, max: number];
  readonly subscription: readonly [refillPerMinute: number, max: number];
}

const LIMITS: Readonly<Record<string, Limit>> = {
  CreateVMScaleSet: { resource: [4, 12], subscription: [125, 375] },
  VMScaleSetActions: { resource: [4, 12], subscription: [500, 1500] },
  DeleteVMScaleSet: { resource: [4, 12], subscription: [175, 525] },
  GetVMScaleSet: { resource: [12, 36], subscription: [800, 2400] },
  HighCostGetVMScaleSet: { resource: [10, 30], subscription: [360, 1080] },
  // Recorded subscription maximum 2000 (azure-cli_test_vmss_update.yaml #27 PUT …/virtualMachines/0:
  // "VMScaleSetVMActionsSubscriptionMaximum;1999", "…Resource;11"); its refill assumed in DeleteVMScaleSet's ratio.
  VMScaleSetVMActions: { resource: [4, 12], subscription: [667, 2000] },
  GetVMScaleSetVM: { resource: [12, 36], subscription: [2000, 6000] },
  // Recorded maxima 12 and 2000 (azure-cli_test_vmss_vms.yaml #36 POST …/virtualMachines/%2A/deallocate: "…Resource;11",
  // "…SubscriptionMaximum;1999"); the short windows assumed in DeleteVMScaleSet's ratio.
  DeleteVMScaleSetVM: { resource: [4, 12], subscription: [667, 2000] },
  GetOperation: { resource: [15, 45], subscription: [5000, 15000] },
};

/** Operation → policy group, as the recorded headers name them (VMSS-VM List counts as HighCostGetVMScaleSet). */
const GROUP_OF: Readonly<Record<string, string>> = {
  "VirtualMachineScaleSets.Get": "GetVMScaleSet",
  // azure-cli_test_vmss_create_and_modify.yaml #19 GET …/skus and #21 GET …/osUpgradeHistory:
  // `GetVMScaleSetSubscriptionMaximum;…,GetVMScaleSetResource;…`.
  "VirtualMachineScaleSets.ListSkus": "GetVMScaleSet",
  "VirtualMachineScaleSets.GetOSUpgradeHistory": "GetVMScaleSet",
  "VirtualMachineScaleSets.CreateOrUpdate": "CreateVMScaleSet",
  "VirtualMachineScaleSets.Update": "VMScaleSetActions",
  "VirtualMachineScaleSets.UpdateTags": "VMScaleSetActions",
  "VirtualMachineScaleSets.Delete": "DeleteVMScaleSet",
  "VirtualMachineScaleSets.GetInstanceView": "HighCostGetVMScaleSet",
  "VirtualMachineScaleSets.UpdateInstances": "VMScaleSetActions",
  "VirtualMachineScaleSets.Reimage": "VMScaleSetActions",
  "VirtualMachineScaleSets.ReimageAll": "VMScaleSetActions",
  // Policy groups as recorded (azure-cli_test_vmss_vms.yaml #18 restart, #24 poweroff, #30 start:
  // VMScaleSetActions, DeleteVMScaleSet, VMScaleSetActions; azure-cli_test_vmss_create_and_modify.yaml #51 deallocate:
  // DeleteVMScaleSet).
  "VirtualMachineScaleSets.Restart": "VMScaleSetActions",
  "VirtualMachineScaleSets.Start": "VMScaleSetActions",
  "VirtualMachineScaleSets.PowerOff": "DeleteVMScaleSet",
  "VirtualMachineScaleSets.Deallocate": "DeleteVMScaleSet",
  // az vmss delete-instances (azure-cli_test_vmss_create_and_modify.yaml #46: VMScaleSetActionsSubscriptionMaximum).
  "VirtualMachineScaleSets.DeleteInstances": "VMScaleSetActions",
  // One instance's actions: deallocate as recorded (azure-cli_test_vmss_vms.yaml #36: DeleteVMScaleSetVM); poweroff
  // and delete assumed in the same group (as the set's poweroff is in DeleteVMScaleSet), restart and start in
  // VMScaleSetVMActions (as the set's are in VMScaleSetActions).
  "VirtualMachineScaleSetVMs.Deallocate": "DeleteVMScaleSetVM",
  "VirtualMachineScaleSetVMs.PowerOff": "DeleteVMScaleSetVM",
  "VirtualMachineScaleSetVMs.Delete": "DeleteVMScaleSetVM",
  "VirtualMachineScaleSetVMs.Restart": "VMScaleSetVMActions",
  // Redeploy and performMaintenance: unrecorded, assumed in the groups of restart.
  "VirtualMachineScaleSets.Redeploy": "VMScaleSetActions",
  "VirtualMachineScaleSets.PerformMaintenance": "VMScaleSetActions",
  "VirtualMachineScaleSetVMs.Redeploy": "VMScaleSetVMActions",
  "VirtualMachineScaleSetVMs.PerformMaintenance": "VMScaleSetVMActions",
  "VirtualMachineScaleSetVMs.Start": "VMScaleSetVMActions",
  "VirtualMachineScaleSetVMs.List": "HighCostGetVMScaleSet",
  "VirtualMachineScaleSetVMs.Get": "GetVMScaleSetVM",
  "VirtualMachineScaleSetVMs.GetInstanceView": "GetVMScaleSetVM",
  "VirtualMachineScaleSetVMs.Update": "VMScaleSetVMActions",
  "VirtualMachineScaleSetVMs.Reimage": "VMScaleSetVMActions",
  "VirtualMachineScaleSetVMs.ReimageAll": "VMScaleSetVMActions",
  "VirtualMachineScaleSets.List": "HighCostGetVMScaleSet",
  "VirtualMachineScaleSets.ListAll": "HighCostGetVMScaleSet",
  "VirtualMachineScaleSetExtensions.Get": "GetVMScaleSet",
  "VirtualMachineScaleSetExtensions.List": "GetVMScaleSet",
  "VirtualMachineScaleSetExtensions.Update": "VMScaleSetActions",
  "VirtualMachineScaleSetExtensions.CreateOrUpdate": "VMScaleSetActions",
  "VirtualMachineScaleSetExtensions.Delete": "VMScaleSetActions",
  "VirtualMachineScaleSetRollingUpgrades.GetLatest": "GetVMScaleSet",
  "VirtualMachineScaleSetRollingUpgrades.Cancel": "VMScaleSetActions",
  "VirtualMachineScaleSetRollingUpgrades.StartOSUpgrade": "VMScaleSetActions",
  "VirtualMachineScaleSetRollingUpgrades.StartExtensionUpgrade": "VMScaleSetActions",
  "Operations.Get": "GetOperation",
  "Operations.Monitor": "GetOperation",
};

const VM_VIEWS = ["VMScaleSetVMViewsSubscriptionMaximum", 30_000] as const;
const BATCHED_VM_REQUESTS = ["VMScaleSetBatchedVMRequestsSubscriptionMaximum", 6_000] as const;
/** Always 0 in the recordings (nothing queued on a test scale set); rendered as a constant. */
const QUEUED_VM_OPERATIONS = ["VmssQueuedVMOperations", 0] as const;

/**
 * Entries of `x-ms-ratelimit-remaining-resource` beyond the operation's own two buckets, as the genuine 2023-09-01
 * azure-cli recordings show them (values there: 29998, 6000, 5998, 0):
 * - VM list and VM GET / instanceView add VMScaleSetVMViewsSubscriptionMaximum
 *   (azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #18 GET …/virtualMachines;
 *   azure-cli_test_vmss_vms.yaml #14 GET …/virtualMachines/1, #22 GET …/virtualMachines/1/instanceView);
 * - PATCH of the set adds VMScaleSetBatchedVMRequestsSubscriptionMaximum and VmssQueuedVMOperations
 *   (azure-cli_test_vmss_explicit_msi.yaml #22 PATCH …/virtualMachineScaleSets/vmss1, a Uniform set; the Flexible set's
 *   PATCH in azure-cli_test_vmss_add_application.yaml #12 shows only the two own buckets, not modelled here; a
 *   tags-only PATCH is UpdateTags and keeps two entries, unrecorded);
 * - PUT of the set adds VmssQueuedVMOperations (…health_extension.yaml #14 PUT …/virtualMachineScaleSets/vmss1);
 * - manualupgrade has no VMScaleSetActionsResource entry, only the subscription's bucket, then
 *   VMScaleSetBatchedVMRequestsSubscriptionMaximum and VmssQueuedVMOperations (…health_extension.yaml #19 and
 *   azure-cli_test_vmss_explicit_msi.yaml #28 POST …/manualupgrade). The resource bucket is still enforced.
 */
const HEADER_SHAPE: Readonly<
  Record<
    string,
    {
      readonly omitResource?: boolean;
      readonly resourceFirst?: boolean;
      readonly extra: readonly (readonly [string, number])[];
    }
  >
> = {
  // Operation polls name the resource's bucket first: `GetOperationResource;44,GetOperationSubscriptionMaximum;14995`
  // in every 2023 recording that carries the pair (108 polls).
  "Operations.Get": { resourceFirst: true, extra: [] },
  "Operations.Monitor": { resourceFirst: true, extra: [] },
  // The sets of a group or a subscription: the subscription's bucket alone (azure-cli_test_vmss_create_and_modify.yaml
  // #17, #18: `HighCostGetVMScaleSetSubscriptionMaximum;1079`).
  "VirtualMachineScaleSets.List": { omitResource: true, extra: [] },
  "VirtualMachineScaleSets.ListAll": { omitResource: true, extra: [] },
  "VirtualMachineScaleSetVMs.List": { extra: [VM_VIEWS] },
  "VirtualMachineScaleSetVMs.Get": { extra: [VM_VIEWS] },
  "VirtualMachineScaleSetVMs.GetInstanceView": { extra: [VM_VIEWS] },
  "VirtualMachineScaleSets.Update": { extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSets.CreateOrUpdate": { extra: [QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSets.UpdateInstances": {
    omitResource: true,
    extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS],
  },
  // The power actions, the same way (azure-cli_test_vmss_vms.yaml #18, #24, #30 POST …/restart, poweroff, start).
  "VirtualMachineScaleSets.Restart": { omitResource: true, extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSets.Start": { omitResource: true, extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSets.PowerOff": { omitResource: true, extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSets.Deallocate": { omitResource: true, extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  // azure-cli_test_vmss_create_and_modify.yaml #46 POST …/delete (no resource entry) and #55 DELETE of the set;
  // azure-cli_test_vmss_vms.yaml #36 POST …/virtualMachines/%2A/deallocate.
  "VirtualMachineScaleSets.DeleteInstances": {
    omitResource: true,
    extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS],
  },
  "VirtualMachineScaleSets.Delete": { extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSetVMs.Deallocate": { extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  // reimage and reimageall of the set, as manualupgrade: no resource entry (azure-cli_test_vmss_reimage.yaml #13 POST
  // …/reimageall, #25 POST …/reimage: `VMScaleSetActionsSubscriptionMaximum;1499,
  // VMScaleSetBatchedVMRequestsSubscriptionMaximum;5999,VmssQueuedVMOperations;0`).
  "VirtualMachineScaleSets.Reimage": { omitResource: true, extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  "VirtualMachineScaleSets.ReimageAll": { omitResource: true, extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  // One instance's PUT (azure-cli_test_vmss_update.yaml #27 PUT …/virtualMachines/0).
  "VirtualMachineScaleSetVMs.Update": { extra: [BATCHED_VM_REQUESTS, QUEUED_VM_OPERATIONS] },
  // azure-cli_test_vmss_extension.yaml #37 POST …/extensionRollingUpgrade: `VMScaleSetActionsSubscriptionMaximum;1499,
  // VMScaleSetActionsResource;11,VmssQueuedVMOperations;0`.
  "VirtualMachineScaleSetRollingUpgrades.StartExtensionUpgrade": { extra: [QUEUED_VM_OPERATIONS] },
};

/** The published resource-level limit of `operation`'s policy group (undefined when none is modelled). */
export function resourceLimit(
  operation: string,
): { readonly group: string; readonly refillPerMinute: number; readonly max: number } | undefined {
  const group = GROUP_OF[operation];
  const limit = group ? LIMITS[group] : undefined;
  return group && limit ? { group, refillPerMinute: limit.resource[0], max: limit.resource[1] } : undefined;
}

/** The resource-level policy name that limits `operation`, e.g. `HighCostGetVMScaleSetResource`. */
export function resourcePolicy(operation: string): string {
  return `${GROUP_OF[operation] ?? "VMScaleSetActions"}Resource`;
}

class Bucket {
  private tokens: number;
  private last: number;
  private readonly refillPerMs: number;
  readonly max: number;

  private readonly now: () => number;

  constructor(refillPerMinute: number, max: number, speed: number, now: () => number) {
    this.max = max;
    this.tokens = max;
    this.now = now;
    this.last = now();
    // Simulated time runs `1/speed` times faster, and so does the refill.
    this.refillPerMs = refillPerMinute / 60_000 / speed;
  }

  refill(): number {
    const now = this.now();
    this.tokens = Math.min(this.max, this.tokens + (now - this.last) * this.refillPerMs);
    this.last = now;
    return this.tokens;
  }

  /** Wall-clock milliseconds until one token is available. */
  msUntilToken(): number {
    return Math.max(0, (1 - this.refill()) / this.refillPerMs);
  }

  take(): boolean {
    if (this.refill() < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly enforce: boolean;
  private readonly speed: number;
  private readonly now: () => number;

  constructor(enforce: boolean, speed: number, now: () => number = Date.now) {
    this.enforce = enforce;
    this.speed = speed;
    this.now = now;
  }

  /**
   * Takes a token for `operation` on `resourceKey` (subscription `subscriptionId`). Returns the headers to send;
   * throws a 429 ArmError when enforcing and a bucket is empty.
   */
  take(operation: string, subscriptionId: string, resourceKey: string): Record<string, string> {
    const group = GROUP_OF[operation];
    const limit = group ? LIMITS[group] : undefined;
    if (!group || !limit) return {};
    const resource = this.bucket(`${group}Resource/${resourceKey}`, limit.resource);
    const subscription = this.bucket(`${group}SubscriptionMaximum/${subscriptionId}`, limit.subscription);
    const empty = [
      { name: `${group}Resource`, bucket: resource },
      { name: `${group}SubscriptionMaximum`, bucket: subscription },
    ].find((b) => b.bucket.refill() < 1);
    if (this.enforce && empty) {
      throw throttled(empty.name, empty.bucket.max, empty.bucket.msUntilToken(), header(group, resource, subscription));
    }
    resource.take();
    subscription.take();
    const shape = HEADER_SHAPE[operation];
    const entries = [
      header(group, resource, subscription, shape?.omitResource === true, shape?.resourceFirst === true),
    ];
    for (const [name, max] of shape?.extra ?? []) {
      // Counters Azure reports next to the operation's own buckets. Not enforced; one token per request and a refill of
      // the whole bucket per minute are assumptions (the recordings show 29998 after a 2-VM list, 5998 after a 2-VM
      // manualupgrade: Azure counts VMs, not requests).
      if (max === 0) {
        entries.push(`Microsoft.Compute/${name};0`);
        continue;
      }
      const bucket = this.bucket(`${name}/${subscriptionId}`, [max, max]);
      bucket.take();
      entries.push(`Microsoft.Compute/${name};${Math.floor(bucket.refill())}`);
    }
    return { "x-ms-ratelimit-remaining-resource": entries.join(",") };
  }

  private bucket(key: string, [refill, max]: readonly [number, number]): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new Bucket(refill, max, this.speed, this.now)));
    return bucket;
  }
}

/** Subscription bucket first, then the resource's, as the 2023 recordings order them
 *  (`Microsoft.Compute/GetVMScaleSetSubscriptionMaximum;2389,Microsoft.Compute/GetVMScaleSetResource;31`); operation
 *  polls the other way round (HEADER_SHAPE). */
function header(
  group: string,
  resource: Bucket,
  subscription: Bucket,
  omitResource = false,
  resourceFirst = false,
): string {
  const sub = `Microsoft.Compute/${group}SubscriptionMaximum;${Math.floor(subscription.refill())}`;
  if (omitResource) return sub;
  const own = `Microsoft.Compute/${group}Resource;${Math.floor(resource.refill())}`;
  return resourceFirst ? `${own},${sub}` : `${sub},${own}`;
}

/**
 * Azure's 429 for Compute throttling (body as recorded in AKS / cloud-provider-azure reports). `waitMs` is the
 * wall-clock wait: `Retry-After` carries it in whole seconds, rounded up (what Compute sends), and
 * `x-ms-retry-after-ms` exactly. Compute does not send the latter (other RPs such as Cosmos DB do); the emulator adds it
 * so that clients honouring it (the SDK's throttlingRetryStrategy reads retry-after-ms, then x-ms-retry-after-ms, then
 * Retry-After) wait the speed-scaled time instead of at least a whole second.
 */
export function throttled(policy: string, allowed: number, waitMs: number | undefined, remaining?: string): ArmError {
  const now = new Date();
  const body: ArmErrorBody = {
    code: "OperationNotAllowed",
    message: "The server rejected the request because too many requests have been received for this subscription.",
    details: [
      {
        code: "TooManyRequests",
        target: policy,
        message: JSON.stringify({
          operationGroup: policy,
          startTime: now.toISOString(),
          endTime: new Date(now.getTime() + (waitMs ?? 0)).toISOString(),
          allowedRequestCount: allowed,
          measuredRequestCount: allowed + 1,
        }),
      },
    ],
    innererror: { internalErrorCode: "TooManyRequestsReceived" },
  };
  // waitMs undefined: a 429 without Retry-After. Assumed possible (nothing found that guarantees the header on every
  // 429); a client must then back off by itself. The SDK retries a 429 only when it carries one of the headers.
  return new ArmError(429, body, {
    ...(waitMs !== undefined
      ? { "Retry-After": String(Math.ceil(waitMs / 1000)), "x-ms-retry-after-ms": String(Math.ceil(waitMs)) }
      : {}),
    ...(remaining ? { "x-ms-ratelimit-remaining-resource": remaining } : {}),
  });
}
