// Scenario files for `npm run emulator -- --scenario FILE`: scale sets (upgrade mode, instances, health, protection,
// extension statuses), timing and faults, as JSON. `loadScenario` checks the file and turns it into start() options
// plus the faults and instance changes to apply once the emulator runs. See README "Scenario files" and
// scenarios/example.json.
import { readFileSync } from "node:fs";
import type {
  Emulator,
  EmulatorOptions,
  HealthState,
  InstancePatch,
  LatencyOption,
  RequestMatch,
  ScaleSetSeed,
} from "./types.ts";

/** One fault, as FaultControls names them (`kind` = the method), with its arguments as fields. */
export type ScenarioFault =
  | {
      readonly kind: "failUpgrade";
      readonly instanceId: string;
      readonly scaleSet?: string;
      readonly code?: string;
      readonly message?: string;
      readonly times?: number;
    }
  | {
      readonly kind: "unhealthyAfterUpgrade";
      readonly image: string;
      readonly scaleSet?: string;
      readonly instanceIds?: readonly string[];
    }
  | { readonly kind: "hangUpgrade" | "keepOldImage"; readonly instanceId: string; readonly scaleSet?: string }
  | ({ readonly kind: "throttle"; readonly retryAfterSeconds?: number } & RequestMatch)
  | ({ readonly kind: "serverError" | "dropConnection" | "conflict" } & RequestMatch)
  | ({ readonly kind: "authorizationFailed"; readonly action?: string } & RequestMatch)
  | {
      readonly kind: "scaleIn";
      readonly instanceId: string;
      readonly scaleSet?: string;
      readonly operation?: string;
      readonly after?: number;
    }
  | { readonly kind: "preemptOperation"; readonly operation?: string; readonly status?: "Canceled" | "Failed" };

export interface Scenario {
  /** Default 0.02 (the CLI's). */
  readonly speed?: number;
  readonly scaleSets?: readonly ScaleSetSeed[];
  readonly pageSize?: number;
  readonly latencyMs?: LatencyOption;
  readonly throttle?: boolean;
  readonly modelUpdateSeconds?: number;
  /** Retry-After on operation polls; `null` sends none. Default: the CLI's (1). */
  readonly pollRetryAfterSeconds?: number | null;
  readonly tokenLifetimeSeconds?: number;
  /** Scale set name → instance ID → changes made once started (health, power state, extension statuses, …). */
  readonly instances?: Readonly<Record<string, Readonly<Record<string, InstancePatch>>>>;
  readonly faults?: readonly ScenarioFault[];
}

export interface LoadedScenario {
  readonly options: EmulatorOptions;
  /** Applies the scenario's instance changes and faults to a started emulator. */
  apply(emu: Emulator): void;
}

const FAULT_KINDS = new Set([
  "failUpgrade",
  "unhealthyAfterUpgrade",
  "hangUpgrade",
  "keepOldImage",
  "throttle",
  "serverError",
  "dropConnection",
  "conflict",
  "authorizationFailed",
  "scaleIn",
  "preemptOperation",
]);
const HEALTH: readonly HealthState[] = ["healthy", "unhealthy", "unknown", "initializing"];
const TOP_LEVEL = new Set([
  "$schema",
  "description",
  "speed",
  "scaleSets",
  "pageSize",
  "latencyMs",
  "throttle",
  "modelUpdateSeconds",
  "pollRetryAfterSeconds",
  "tokenLifetimeSeconds",
  "instances",
  "faults",
]);

export function loadScenario(
  path: string,
  defaults: { speed: number; pollRetryAfterSeconds: number | undefined },
): LoadedScenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`scenario ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return scenarioFrom(parsed, defaults, path);
}

/** Checks a parsed scenario (see Scenario) and returns start() options and what to apply after the start. */
export function scenarioFrom(
  value: unknown,
  defaults: { speed: number; pollRetryAfterSeconds: number | undefined },
  source = "scenario",
): LoadedScenario {
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("must be a JSON object");
  const scenario = value as Scenario & Record<string, unknown>;
  const unknown = Object.keys(scenario).find((key) => !TOP_LEVEL.has(key));
  if (unknown !== undefined) fail(`unknown field '${unknown}' (known: ${[...TOP_LEVEL].join(", ")})`);
  for (const key of ["speed", "pageSize", "modelUpdateSeconds", "tokenLifetimeSeconds"] as const) {
    const v = scenario[key];
    if (v !== undefined && (typeof v !== "number" || !(v > 0))) fail(`'${key}' must be a positive number`);
  }
  const retry = scenario.pollRetryAfterSeconds;
  if (retry !== undefined && retry !== null && (typeof retry !== "number" || retry < 0))
    fail("'pollRetryAfterSeconds' must be a number ≥ 0 or null");
  const sets = scenario.scaleSets;
  if (
    sets !== undefined &&
    (!Array.isArray(sets) || sets.length === 0 || sets.some((s) => typeof s?.name !== "string"))
  ) {
    fail("'scaleSets' must be a non-empty array of scale sets, each with a 'name'");
  }
  for (const set of sets ?? []) {
    if (set.upgradeMode !== undefined && !["Manual", "Automatic", "Rolling"].includes(set.upgradeMode))
      fail(`scale set ${set.name}: 'upgradeMode' must be Manual, Automatic or Rolling`);
  }
  const names = (sets ?? [{ name: "vmss-demo" }]).map((s) => s.name.toLowerCase());
  for (const [setName, byInstance] of Object.entries(scenario.instances ?? {})) {
    if (!names.includes(setName.toLowerCase()))
      fail(`'instances' names scale set ${setName}, which the scenario does not have`);
    for (const [instanceId, patch] of Object.entries(byInstance)) {
      if (patch.health !== undefined && !HEALTH.includes(patch.health))
        fail(`instance ${setName}/${instanceId}: 'health' must be one of ${HEALTH.join(", ")}`);
    }
  }
  for (const [i, fault] of (scenario.faults ?? []).entries()) {
    if (typeof fault !== "object" || fault === null || !FAULT_KINDS.has(String((fault as { kind?: unknown }).kind))) {
      fail(`faults[${i}]: 'kind' must be one of ${[...FAULT_KINDS].join(", ")}`);
    }
  }

  const options: EmulatorOptions = {
    speed: scenario.speed ?? defaults.speed,
    ...(sets !== undefined ? { scaleSets: sets } : {}),
    ...(scenario.pageSize !== undefined ? { pageSize: scenario.pageSize } : {}),
    ...(scenario.latencyMs !== undefined ? { latencyMs: scenario.latencyMs } : {}),
    ...(scenario.throttle !== undefined ? { throttle: scenario.throttle } : {}),
    ...(scenario.modelUpdateSeconds !== undefined ? { modelUpdateSeconds: scenario.modelUpdateSeconds } : {}),
    ...(scenario.tokenLifetimeSeconds !== undefined ? { tokenLifetimeSeconds: scenario.tokenLifetimeSeconds } : {}),
    ...(retry === null
      ? {}
      : retry !== undefined
        ? { pollRetryAfterSeconds: retry }
        : defaults.pollRetryAfterSeconds !== undefined
          ? { pollRetryAfterSeconds: defaults.pollRetryAfterSeconds }
          : {}),
  };
  return {
    options,
    apply(emu) {
      for (const [setName, byInstance] of Object.entries(scenario.instances ?? {})) {
        for (const [instanceId, patch] of Object.entries(byInstance)) emu.setInstance(setName, instanceId, patch);
      }
      for (const fault of scenario.faults ?? []) applyFault(emu, fault);
    },
  };
}

function applyFault(emu: Emulator, fault: ScenarioFault): void {
  const { faults } = emu;
  switch (fault.kind) {
    case "failUpgrade": {
      const { kind: _k, instanceId, ...rest } = fault;
      return faults.failUpgrade(instanceId, rest);
    }
    case "unhealthyAfterUpgrade": {
      const { kind: _k, image, ...rest } = fault;
      return faults.unhealthyAfterUpgrade(image, rest);
    }
    case "hangUpgrade":
    case "keepOldImage": {
      const { kind, instanceId, ...rest } = fault;
      return faults[kind](instanceId, rest);
    }
    case "scaleIn": {
      const { kind: _k, instanceId, ...rest } = fault;
      return faults.scaleIn(instanceId, rest);
    }
    case "throttle": {
      const { kind: _k, ...rest } = fault;
      return faults.throttle(rest);
    }
    case "authorizationFailed": {
      const { kind: _k, ...rest } = fault;
      return faults.authorizationFailed(rest);
    }
    case "preemptOperation": {
      const { kind: _k, ...rest } = fault;
      return faults.preemptOperation(rest);
    }
    case "serverError":
    case "dropConnection":
    case "conflict": {
      const { kind, ...rest } = fault;
      return faults[kind](rest);
    }
  }
}
