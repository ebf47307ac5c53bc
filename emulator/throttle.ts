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
  VMScaleSetVMActions: { resource: [4, 12], subscription: [500, 1500] },
  GetVMScaleSetVM: { resource: [12, 36], subscription: [2000, 6000] },
  GetOperation: { resource: [15, 45], subscription: [5000, 15000] },
};

/** Operation → policy group, as the recorded headers name them (VMSS-VM List counts as HighCostGetVMScaleSet). */
const GROUP_OF: Readonly<Record<string, string>> = {
  "VirtualMachineScaleSets.Get": "GetVMScaleSet",
  "VirtualMachineScaleSets.CreateOrUpdate": "CreateVMScaleSet",
  "VirtualMachineScaleSets.Update": "VMScaleSetActions",
  "VirtualMachineScaleSets.UpdateTags": "VMScaleSetActions",
  "VirtualMachineScaleSets.Delete": "DeleteVMScaleSet",
  "VirtualMachineScaleSets.GetInstanceView": "HighCostGetVMScaleSet",
  "VirtualMachineScaleSets.UpdateInstances": "VMScaleSetActions",
  "VirtualMachineScaleSets.Reimage": "VMScaleSetActions",
  "VirtualMachineScaleSets.ReimageAll": "VMScaleSetActions",
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
  "VirtualMachineScaleSetRollingUpgrades.GetLatest": "GetVMScaleSet",
  "VirtualMachineScaleSetRollingUpgrades.Cancel": "VMScaleSetActions",
  "VirtualMachineScaleSetRollingUpgrades.StartOSUpgrade": "VMScaleSetActions",
  "VirtualMachineScaleSetRollingUpgrades.StartExtensionUpgrade": "VMScaleSetActions",
  "Operations.Get": "GetOperation",
  "Operations.Monitor": "GetOperation",
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
    return { "x-ms-ratelimit-remaining-resource": header(group, resource, subscription) };
  }

  private bucket(key: string, [refill, max]: readonly [number, number]): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new Bucket(refill, max, this.speed, this.now)));
    return bucket;
  }
}

/** Subscription bucket first, then the resource's, as the 2023 recordings order them
 *  (`Microsoft.Compute/GetVMScaleSetSubscriptionMaximum;2389,Microsoft.Compute/GetVMScaleSetResource;31`). */
function header(group: string, resource: Bucket, subscription: Bucket): string {
  return `Microsoft.Compute/${group}SubscriptionMaximum;${Math.floor(subscription.refill())},Microsoft.Compute/${group}Resource;${Math.floor(resource.refill())}`;
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
