// The fault fuzzer's scenarios: one seed → one scale set, one change, one set of rollout options and 1–5 faults, the
// same on every machine (mulberry32). Pure: no emulator, no I/O; faults.fuzz.ts installs them and invariants.ts judges
// the run. Instances are named by their position in the action's order (instanceIds), whatever the orchestration.

import type { RolloutOptions } from "../../src/config/types.ts";

/** mulberry32: a small seeded PRNG with 32 bits of state, numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MODES = [
  "Manual Uniform",
  "Manual Flexible (latestModelApplied absent)",
  "Manual Flexible (latestModelApplied reported)",
  "Automatic",
  "Rolling",
] as const;
export type Mode = (typeof MODES)[number];

/** What another writer changes in the model (see faults.fuzz.ts for the writes). */
export const OTHER_WRITES = ["image", "extensionSettings", "command", "extensionAdded", "tags"] as const;
export type OtherWrite = (typeof OTHER_WRITES)[number];

/** A request-level fault: the `after`+1-th request of `operation`. */
interface At {
  readonly operation: string;
  readonly after: number;
}

export type Fault =
  | (At & { readonly kind: "dropConnection"; readonly afterProcessing: boolean })
  | (At & { readonly kind: "serverError" | "throttle" | "conflict" })
  | (At & { readonly kind: "hangRequest"; readonly seconds: number })
  | { readonly kind: "failUpgrade" | "hangUpgrade" | "keepOldImage"; readonly instance: number }
  | { readonly kind: "unhealthyAfterUpgrade"; readonly instances: readonly number[] }
  | (At & { readonly kind: "scaleIn"; readonly instance: number })
  | (At & { readonly kind: "concurrentWrite"; readonly what: OtherWrite; readonly when: "before" | "after" })
  | (At & { readonly kind: "deleteScaleSet"; readonly when: "before" | "after" })
  | {
      readonly kind: "preemptOperation" | "failOperation";
      readonly operation?: string;
      readonly afterSeconds?: number;
      readonly running: boolean;
    };
export type FaultKind = Fault["kind"];

export const FAULT_KINDS: readonly FaultKind[] = [
  "dropConnection",
  "serverError",
  "throttle",
  "conflict",
  "hangRequest",
  "failUpgrade",
  "hangUpgrade",
  "keepOldImage",
  "unhealthyAfterUpgrade",
  "scaleIn",
  "concurrentWrite",
  "deleteScaleSet",
  "preemptOperation",
  "failOperation",
];

export interface Scenario {
  readonly seed: number;
  readonly mode: Mode;
  readonly instances: number;
  readonly healthExtension: boolean;
  /**
   * With the health extension, not in Rolling mode: binary health states, and the application answers this many
   * (simulated) seconds after an upgrade, reporting Unhealthy until then (emulator ScaleSetSeed.appStartSeconds).
   */
  readonly appStartSeconds?: number;
  /** The change also sets the custom script's fileUris (else the image alone). */
  readonly extensionChange: boolean;
  readonly rollout: Pick<
    RolloutOptions,
    "batchSize" | "maxUnhealthyPercent" | "rollbackOnFailure" | "timeoutMs" | "healthTimeoutMs"
  >;
  /** The last fault aims at the rollback's writes (and a failing upgrade makes sure there is one). */
  readonly rollbackTargeted: boolean;
  readonly faults: readonly Fault[];
}

const MODEL_OPS = [
  "VirtualMachineScaleSets.Get",
  "VirtualMachineScaleSets.Update",
  "VirtualMachineScaleSets.UpdateTags",
];
const EXTENSION_OPS = ["VirtualMachineScaleSetExtensions.Update", "VirtualMachineScaleSetExtensions.Get"];
/** Operations of a Manual run, with how many of each a run sends at least (a fault's `after` stays below). */
const MANUAL_OPS: Readonly<Record<string, number>> = {
  "VirtualMachineScaleSets.Get": 7,
  "VirtualMachineScaleSets.Update": 1,
  "VirtualMachineScaleSets.UpdateInstances": 3,
  "VirtualMachineScaleSets.UpdateTags": 3,
  "VirtualMachineScaleSetVMs.List": 6,
  "Operations.Get": 20,
  "VirtualMachineImages.Get": 2,
};
const PLATFORM_OPS: Readonly<Record<string, number>> = {
  "VirtualMachineScaleSets.Get": 4,
  "VirtualMachineScaleSets.Update": 2,
  "VirtualMachineScaleSets.UpdateTags": 3,
  "VirtualMachineScaleSetVMs.List": 13,
  "Operations.Get": 13,
  "VirtualMachineScaleSetRollingUpgrades.GetLatest": 13,
};

export function generate(seed: number): Scenario {
  const r = mulberry32(Math.imul(seed, 2654435761) ^ 0x5eed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number): boolean => r() < p;

  const mode = pick(MODES);
  const manual = mode.startsWith("Manual");
  const instances = int(3, 8);
  let healthExtension = chance(0.45);
  const extensionChange = chance(0.35);
  const rollbackOnFailure = chance(0.5);
  let timeoutMs = int(20, 30) * 1000;
  const healthTimeoutMs = int(2, 4) * 1000;

  const counts: Record<string, number> = { ...(manual ? MANUAL_OPS : PLATFORM_OPS) };
  if (extensionChange || !manual) for (const op of EXTENSION_OPS) counts[op] = 1;
  if (mode.includes("Flexible")) counts["VirtualMachines.List"] = 4;
  const ops = Object.keys(counts);
  const at = (operation = pick(ops)): At => ({ operation, after: int(0, Math.max(0, (counts[operation] ?? 1) - 1)) });
  // Manual runs aim half their request faults at the tag writes (the lease, the rollout record).
  const requestAt = (): At => (manual && chance(0.4) ? at("VirtualMachineScaleSets.UpdateTags") : at());
  const instance = (): number => int(0, instances - 1);
  const when = (): "before" | "after" => (chance(0.5) ? "before" : "after");

  const oneFault = (kind: FaultKind): Fault => {
    switch (kind) {
      case "dropConnection":
        return { kind, ...requestAt(), afterProcessing: chance(0.6) };
      case "serverError":
      case "throttle":
      case "conflict":
        return { kind, ...requestAt() };
      case "hangRequest":
        return { kind, ...requestAt(), seconds: int(1, 4) };
      case "failUpgrade":
      case "hangUpgrade":
      case "keepOldImage":
        return { kind, instance: instance() };
      case "unhealthyAfterUpgrade":
        healthExtension = true;
        return { kind, instances: [...new Set(Array.from({ length: int(1, Math.min(3, instances)) }, instance))] };
      case "scaleIn":
        return {
          kind,
          instance: instance(),
          operation: pick([
            manual ? "VirtualMachineScaleSets.UpdateInstances" : "VirtualMachineScaleSets.Update",
            "VirtualMachineScaleSetVMs.List",
            "Operations.Get",
          ]),
          after: int(0, 2),
        };
      case "concurrentWrite":
        return { kind, what: pick(OTHER_WRITES), ...requestAt(), when: when() };
      case "deleteScaleSet":
        return { kind, ...at(), when: when() };
      case "preemptOperation":
      case "failOperation": {
        const operation = pick([
          undefined,
          "VirtualMachineScaleSets.Update",
          manual ? "VirtualMachineScaleSets.UpdateInstances" : "VirtualMachineScaleSetExtensions.Update",
        ]);
        const afterSeconds = pick([undefined, 5, 30]);
        return {
          kind,
          ...(operation !== undefined && { operation }),
          ...(afterSeconds !== undefined && { afterSeconds }),
          running: chance(0.5),
        };
      }
    }
  };

  const faults: Fault[] = [];
  const n = int(1, 4);
  for (let k = 0; k < n; k++) {
    // A deleted scale set ends every run the same way: rarer than the rest.
    let kind = pick(FAULT_KINDS);
    if (kind === "deleteScaleSet" && chance(0.6)) kind = "failUpgrade";
    faults.push(oneFault(kind));
  }
  // Rollback-targeted: a failing upgrade so that a rollback runs, then a fault at one of its writes (or reads).
  const rollbackTargeted = rollbackOnFailure && chance(0.35);
  if (rollbackTargeted) {
    if (!faults.some((f) => f.kind === "failUpgrade" || f.kind === "unhealthyAfterUpgrade"))
      faults.push({ kind: "failUpgrade", instance: instance() });
    const operation = pick([...MODEL_OPS, ...(manual ? ["VirtualMachineScaleSets.UpdateInstances"] : EXTENSION_OPS)]);
    const kind = pick([
      "dropConnection",
      "serverError",
      "throttle",
      "conflict",
      "concurrentWrite",
      "hangRequest",
    ] as const);
    const target = { operation, after: int(1, 4) };
    faults.push(
      kind === "concurrentWrite"
        ? { kind, what: pick(OTHER_WRITES), ...target, when: when() }
        : kind === "dropConnection"
          ? { kind, ...target, afterProcessing: true }
          : kind === "hangRequest"
            ? { kind, ...target, seconds: int(1, 3) }
            : { kind, ...target },
    );
  }
  // An upgrade that never ends: a short timeout, so that the run gives up on it.
  if (faults.some((f) => f.kind === "hangUpgrade")) timeoutMs = int(4, 8) * 1000;
  const rollout = {
    batchSize: chance(0.6)
      ? ({ kind: "count", value: int(1, 3) } as const)
      : ({ kind: "percent", value: pick([20, 25, 34, 50]) } as const),
    maxUnhealthyPercent: pick([0, 20, 50]),
    rollbackOnFailure,
    timeoutMs,
    healthTimeoutMs,
  };
  // Another writer in the middle of the roll (drawn last, so that the draws above stay those of earlier versions):
  // a write at a request every run of the mode sends while instances are being brought onto the new model (an
  // operation's status read, a listing, a batch's manualupgrade), so that it lands, unlike most faults at a request
  // drawn from every operation.
  if (chance(0.3)) {
    const during = manual
      ? pick([
          { operation: "Operations.Get", after: int(0, 5) },
          { operation: "VirtualMachineScaleSetVMs.List", after: int(1, 3) },
          { operation: "VirtualMachineScaleSets.UpdateInstances", after: int(0, 1) },
        ])
      : pick([
          { operation: "Operations.Get", after: int(0, 3) },
          { operation: "VirtualMachineScaleSetVMs.List", after: int(1, 4) },
          ...(mode === "Rolling"
            ? [{ operation: "VirtualMachineScaleSetRollingUpgrades.GetLatest", after: int(0, 3) }]
            : []),
        ]);
    faults.push({ kind: "concurrentWrite", what: pick(OTHER_WRITES), ...during, when: when() });
  }

  // A slow-starting application under binary health states (drawn last, as above): Unhealthy after each upgrade for a
  // while, which the gates wait out within health-timeout (2–4 s here). Not in Rolling mode: the emulator's rolling
  // upgrade judges a batch as its upgrades end (emulator README), so it would fault on every such instance.
  const appStartSeconds = healthExtension && mode !== "Rolling" && chance(0.35) ? int(100, 1500) : undefined;

  return {
    seed,
    mode,
    instances,
    healthExtension,
    ...(appStartSeconds !== undefined && { appStartSeconds }),
    extensionChange,
    rollout,
    rollbackTargeted,
    faults,
  };
}
