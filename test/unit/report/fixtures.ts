// RolloutRecords for each scenario the report must render. Deterministic: fixed times, generated instance lists.

import type { AzureErrorInfo } from "../../../src/domain/scale-set.ts";
import type {
  BatchRecord,
  BatchResult,
  InstanceOutcome,
  InstanceRecord,
  PropertyChange,
  RolloutRecord,
} from "../../../src/domain/record.ts";

export const T0 = "2025-11-26T12:00:00.000Z";

/** T0 plus `seconds`, as ISO. */
export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
const RESOURCE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web`;

export const IMAGE_CHANGE: PropertyChange = {
  property: "storageProfile.imageReference.version",
  before: "1.0.0",
  after: "1.1.0",
};

export const FILE_URIS_CHANGE: PropertyChange = {
  property: "extensions[customScript].settings.fileUris",
  before: "https://stweb.blob.core.windows.net/scripts/install-1.0.sh?[query removed]",
  after: "https://stweb.blob.core.windows.net/scripts/install-1.1.sh?[query removed]",
};

export const TAG_CHANGE: PropertyChange = {
  property: "extensions[customScript].forceUpdateTag",
  before: "v41",
  after: "v42",
};

export const EXTENSION_ERROR: AzureErrorInfo = {
  code: "VMExtensionProvisioningError",
  message:
    "VM has reported a failure when processing extension 'customScript' (publisher 'Microsoft.Azure.Extensions' and " +
    "type 'CustomScript'). Error message: 'Enable failed: failed to execute command: command terminated with exit " +
    "status=1\n[stdout]\ninstalling app 1.1\n[stderr]\ncurl: (22) The requested URL returned error: 404'.",
};

export const OS_TIMEOUT_ERROR: AzureErrorInfo = {
  code: "OSProvisioningTimedOut",
  message:
    "OS Provisioning for VM 'vmss-web_12' did not finish in the allotted time. The VM may still finish " +
    "provisioning successfully. Please check provisioning state later.",
};

/** An instance on the new model, healthy and running, unless `fields` say otherwise. */
export function instance(
  id: number | string,
  outcome: InstanceOutcome,
  fields: Partial<InstanceRecord> = {},
): InstanceRecord {
  const onNew = outcome === "updated" || outcome === "already-current";
  return {
    instanceId: String(id),
    name: `vmss-web_${id}`,
    latestModelBefore: outcome === "already-current",
    latestModelAfter: onNew,
    outcome,
    provisioningState: "Succeeded",
    powerState: "running",
    health: "healthy",
    image: onNew ? "1.1.0" : "1.0.0",
    ...fields,
  };
}

export function batch(
  index: number,
  ids: readonly number[],
  result: BatchResult,
  timing?: { start: number; seconds: number },
  fields: Partial<BatchRecord> = {},
): BatchRecord {
  return {
    index,
    canary: false,
    instanceIds: ids.map(String),
    result,
    ...(timing ? { startedAt: at(timing.start), durationMs: timing.seconds * 1000 } : {}),
    ...fields,
  };
}

/** 0, 1, …, n-1 */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function base(result: RolloutRecord["result"], durationSeconds: number): RolloutRecord {
  return {
    target: {
      subscriptionId: SUBSCRIPTION,
      resourceGroup: "rg-web",
      scaleSet: "vmss-web",
      resourceId: RESOURCE_ID,
      portalUrl: `https://portal.azure.com/#@/resource${RESOURCE_ID}/overview`,
    },
    cloud: "AzureCloud",
    upgradeMode: "Manual",
    dryRun: false,
    startedAt: T0,
    finishedAt: at(durationSeconds),
    durationMs: durationSeconds * 1000,
    result,
    changes: [IMAGE_CHANGE, FILE_URIS_CHANGE, TAG_CHANGE],
    modelUpdated: true,
    previousModel: {
      imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "1.0.0" },
      extension: {
        name: "customScript",
        fileUris: ["https://stweb.blob.core.windows.net/scripts/install-1.0.sh?[query removed]"],
        forceUpdateTag: "v41",
      },
    },
    batches: [],
    instances: [],
  };
}

/** 50 instances: canary of 5, then 15, 15, 13; one already current, one protected. */
export function success(): RolloutRecord {
  const stale = range(0, 50).filter((i) => i !== 7 && i !== 33);
  return {
    ...base("succeeded", 843),
    batches: [
      batch(1, stale.slice(0, 5), "succeeded", { start: 12, seconds: 140 }, { canary: true }),
      batch(2, stale.slice(5, 20), "succeeded", { start: 152, seconds: 221 }),
      batch(3, stale.slice(20, 35), "succeeded", { start: 373, seconds: 235 }),
      batch(4, stale.slice(35), "succeeded", { start: 608, seconds: 230 }),
    ],
    instances: range(0, 50).map((i) => {
      if (i === 7) return instance(i, "skipped-protected", { image: "1.0.0" });
      if (i === 33) return instance(i, "already-current");
      return instance(i, "updated", {
        batch: stale.indexOf(i) < 5 ? 1 : stale.indexOf(i) < 20 ? 2 : stale.indexOf(i) < 35 ? 3 : 4,
      });
    }),
  };
}

/** The model already held the values and every instance runs it. */
export function unchanged(): RolloutRecord {
  return {
    ...base("unchanged", 4),
    changes: [],
    modelUpdated: false,
    instances: range(0, 10).map((i) => instance(i, "already-current")),
  };
}

/** Dry run: the patch and a plan of a canary and three batches, nothing written. */
export function dryRun(): RolloutRecord {
  const plan = [range(0, 2), range(2, 8), range(8, 14), range(14, 20)];
  return {
    ...base("planned", 3),
    dryRun: true,
    modelUpdated: false,
    reason: "Dry run: nothing was written.",
    batches: plan.map((ids, i) => batch(i + 1, ids, "planned", undefined, { canary: i === 0 })),
    instances: range(0, 20).map((i) =>
      instance(i, "not-started", { batch: plan.findIndex((ids) => ids.includes(i)) + 1, latestModelAfter: false }),
    ),
  };
}

/** Timed out with stragglers still updating, two failed instances. */
export function failureWithStragglers(): RolloutRecord {
  return {
    ...base("failed", 3600),
    reason: "Timed out after 60m with 3 instances still not on the latest model (timeout: 60m).",
    batches: [
      batch(1, range(0, 10), "succeeded", { start: 10, seconds: 600 }),
      batch(
        2,
        range(10, 20),
        "failed",
        { start: 610, seconds: 900 },
        {
          error: { code: "VMExtensionProvisioningError", message: "One or more instances failed." },
        },
      ),
      batch(3, range(20, 30), "timed-out", { start: 1510, seconds: 2090 }),
    ],
    instances: range(0, 30).map((i) => {
      const b = Math.floor(i / 10) + 1;
      if (i === 11) return instance(i, "failed", { batch: b, provisioningState: "Failed", error: EXTENSION_ERROR });
      if (i === 12) {
        return instance(i, "failed", {
          batch: b,
          provisioningState: "Failed",
          powerState: "starting",
          health: undefined,
          error: OS_TIMEOUT_ERROR,
        });
      }
      if (i >= 27) return instance(i, "straggler", { batch: b, provisioningState: "Updating", health: "initializing" });
      return instance(i, "updated", { batch: b });
    }),
  };
}

/** Batch 2 turned 3 of 10 instances unhealthy: over max-unhealthy, so no new batch started. */
export function stoppedOnMaxUnhealthy(): RolloutRecord {
  return {
    ...base("failed", 1020),
    reason: "Stopped after batch 2: 3 of 15 upgraded instances (20%) failed or turned unhealthy; max-unhealthy is 10%.",
    batches: [
      batch(1, range(0, 5), "succeeded", { start: 8, seconds: 300 }, { canary: true }),
      batch(2, range(5, 15), "unhealthy", { start: 308, seconds: 700 }),
      batch(3, range(15, 30), "not-started"),
      batch(4, range(30, 45), "not-started"),
      batch(5, range(45, 50), "not-started"),
    ],
    instances: range(0, 50).map((i) => {
      if (i < 5) return instance(i, "updated", { batch: 1 });
      if (i === 6 || i === 9) return instance(i, "unhealthy", { batch: 2, health: "unhealthy" });
      if (i === 13) return instance(i, "unhealthy", { batch: 2, health: "unhealthy", error: EXTENSION_ERROR });
      if (i < 15) return instance(i, "updated", { batch: 2 });
      return instance(i, "not-started", { batch: i < 30 ? 3 : i < 45 ? 4 : 5, image: "1.0.0" });
    }),
  };
}

/** The canary failed; rollback-on-failure put the previous model back on the canary's instances. */
export function rolledBack(): RolloutRecord {
  return {
    ...base("rolled-back", 610),
    reason: "The canary batch failed (instance 1: VMExtensionProvisioningError), so the previous model was put back.",
    batches: [
      batch(1, [0, 1], "failed", { start: 9, seconds: 280 }, { canary: true, error: EXTENSION_ERROR }),
      batch(2, range(2, 10), "not-started"),
    ],
    instances: range(0, 10).map((i) => {
      if (i === 0) return instance(i, "rolled-back", { batch: 1, image: "1.0.0" });
      if (i === 1) return instance(i, "rolled-back", { batch: 1, image: "1.0.0", error: EXTENSION_ERROR });
      return instance(i, "not-started", { batch: 2, image: "1.0.0" });
    }),
    rollback: { succeeded: true, instanceIds: ["0", "1"] },
  };
}

/** The workflow run was cancelled during batch 2. */
export function cancelled(): RolloutRecord {
  return {
    ...base("cancelled", 500),
    reason: "The workflow run was cancelled during batch 2; instances already upgrading finish on their own.",
    batches: [
      batch(1, range(0, 8), "succeeded", { start: 5, seconds: 300 }),
      batch(2, range(8, 16), "cancelled", { start: 305, seconds: 195 }),
      batch(3, range(16, 20), "not-started"),
    ],
    instances: range(0, 20).map((i) => {
      if (i < 8) return instance(i, "updated", { batch: 1 });
      if (i < 11) return instance(i, "updated", { batch: 2 });
      if (i < 16) return instance(i, "straggler", { batch: 2, provisioningState: "Updating", health: "initializing" });
      return instance(i, "not-started", { batch: 3, image: "1.0.0" });
    }),
  };
}

/** 1,000 instances in 20 batches of 50, with failures carrying long, hostile Azure messages. */
export function thousandInstances(): RolloutRecord {
  const longMessage = `${EXTENSION_ERROR.message} <b>|</b> ${"x".repeat(1500)}`;
  return {
    ...base("failed", 7200),
    reason: "40 instances failed or turned unhealthy.",
    batches: range(0, 20).map((b) =>
      batch(b + 1, range(b * 50, b * 50 + 50), b % 7 === 3 ? "failed" : "succeeded", {
        start: 10 + b * 355,
        seconds: 350,
      }),
    ),
    instances: range(0, 1000).map((i) => {
      const b = Math.floor(i / 50) + 1;
      if (i % 50 === 17)
        return instance(i, "failed", {
          batch: b,
          provisioningState: "Failed",
          error: { code: "VMExtensionProvisioningError", message: longMessage },
        });
      if (i % 50 === 31) return instance(i, "unhealthy", { batch: b, health: "unhealthy" });
      return instance(i, "updated", {
        batch: b,
        image:
          "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gallery/images/web/versions/1.1.0",
      });
    }),
  };
}

/**
 * The demo's run: 8 instances, instance 7 protected, a canary of 1 then batches of 2, started at sub-second offsets
 * (batch 2 at +3.546 s) so rounding shows.
 */
export function demoRun(): RolloutRecord {
  const starts = [0.382, 3.546, 7.087, 10.637];
  const plan = [[0], [1, 2], [3, 4], [5, 6]];
  return {
    ...base("succeeded", 13.567),
    changes: [IMAGE_CHANGE],
    batches: plan.map((ids, i) =>
      batch(i + 1, ids, "succeeded", { start: starts[i] as number, seconds: 2.544 }, { canary: i === 0 }),
    ),
    instances: range(0, 8).map((i) =>
      i === 7
        ? instance(i, "skipped-protected")
        : instance(i, "updated", { batch: plan.findIndex((ids) => ids.includes(i)) + 1 }),
    ),
  };
}

/**
 * Sign-in failed, so the run never read the scale set: no model, no upgrade mode, no instances, nothing written.
 * The reason is the one line the credential code gives.
 */
export function signInFailure(): RolloutRecord {
  const { previousModel: _previous, upgradeMode: _mode, ...rest } = base("failed", 2);
  return {
    ...rest,
    reason:
      "Failed while reading the scale set: Sign-in failed: application 3f9c2d1e-0000-4000-8000-00000000c1d0 was not " +
      "found in tenant 72f988bf-0000-4000-8000-000000000001 (AADSTS700016): check client-id (or creds' clientId) and tenant-id.",
    changes: [],
    modelUpdated: false,
  };
}

/**
 * The action refused the change after reading the scale set (it cannot switch the image type): nothing was written.
 * The change list is empty, as it is for a no-op, but here the model does not hold the requested values.
 */
export function refusedBeforeWrite(): RolloutRecord {
  return {
    ...base("failed", 3),
    reason:
      "Cannot set image-version '1.1.0': scale set 'vmss-web' runs a gallery image " +
      "'/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gallery/images/web/versions/1.0.0', " +
      "and Azure does not allow switching the image type of a scale set. Use image-id for a new image ID.",
    changes: [],
    modelUpdated: false,
    instances: range(0, 6).map((i) => instance(i, "already-current", { image: "1.0.0" })),
  };
}

export const SCENARIOS = {
  success,
  unchanged,
  "dry-run": dryRun,
  "failure-with-stragglers": failureWithStragglers,
  "stopped-on-max-unhealthy": stoppedOnMaxUnhealthy,
  "rolled-back": rolledBack,
  cancelled,
  "thousand-instances": thousandInstances,
  "sign-in-failure": signInFailure,
  "refused-before-write": refusedBeforeWrite,
} as const;
