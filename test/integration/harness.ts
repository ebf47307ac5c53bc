// Runs the engine through the real SDK adapter against an in-process emulator: a Config pointing at it, a logger
// that keeps the lines, and helpers to read what the emulator saw.

import { afterEach } from "vitest";
import { createScaleSetApi } from "../../src/azure/index.ts";
import { runRollout } from "../../src/engine/rollout.ts";
import type { ChangeRequest, Config, RolloutOptions, Size } from "../../src/config/types.ts";
import type { Logger, ScaleSetApi } from "../../src/engine/ports.ts";
import type { RolloutEvent } from "../../src/engine/events.ts";
import type { RolloutDeps } from "../../src/engine/deps.ts";
import type { RolloutRecord } from "../../src/domain/record.ts";
import { start, type Emulator, type EmulatorOptions, type RequestLogEntry } from "../../emulator/index.ts";
import type { ConcurrentWrite } from "../../emulator/types.ts";
import { DEFAULT_CUSTOM_SCRIPT, extensionWire } from "../../emulator/arm/seed.ts";

export { instanceIds, ORCHESTRATIONS } from "../support/orchestrations.ts";

export const RG = "rg-demo";
export const OLD_VERSION = "24.04.202409120";
export const NEW_VERSION = "24.04.202501140";

export const PATCH_SET = "PATCH VirtualMachineScaleSets.Update";
export const PATCH_EXTENSION = "PATCH VirtualMachineScaleSetExtensions.Update";
export const upgrade = (...ids: string[]): string => `POST VirtualMachineScaleSets.UpdateInstances [${ids.join(",")}]`;
export const count = (value: number): Size => ({ kind: "count", value });
export const percent = (value: number): Size => ({ kind: "percent", value });

/**
 * For a test file: `emulator(options)` starts one at test speed (0.001: an instance upgrade takes ~30 ms), and each
 * test's emulator is stopped after it.
 */
export function useEmulator(): (options: EmulatorOptions) => Promise<Emulator> {
  let current: Emulator | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (options) => {
    current = await start({ speed: 0.001, ...options });
    return current;
  };
}

/** Short, test-sized timings: the emulator runs at speed 0.001 (an instance upgrade takes ~30 ms). */
export const FAST: RolloutOptions = {
  batchSize: { kind: "percent", value: 20 },
  pauseBetweenBatchesMs: 0,
  health: "auto",
  healthTimeoutMs: 2_000,
  maxUnhealthyPercent: 20,
  rollbackOnFailure: false,
  timeoutMs: 20_000,
  pollIntervalMs: 5,
  leaseDurationMs: 600_000,
  leaseWaitMs: 0,
  dryRun: false,
};

export function configFor(
  emu: Emulator,
  options: { scaleSet?: string; change?: ChangeRequest; rollout?: Partial<RolloutOptions> } = {},
): Config {
  return {
    target: { subscriptionId: emu.subscriptionId, resourceGroup: RG, scaleSet: options.scaleSet ?? "vmss1" },
    change: options.change ?? { imageVersion: NEW_VERSION },
    rollout: { ...FAST, ...options.rollout },
    auth: { mode: "creds", clientId: emu.clientId, clientSecret: emu.clientSecret, tenantId: emu.tenantId },
    cloud: {
      name: "Custom",
      armEndpoint: emu.armEndpoint,
      armScope: `${emu.armEndpoint}/.default`,
      authorityHost: emu.authorityHost,
      portalUrl: "https://portal.azure.com",
      customAuthority: true,
    },
    secrets: [],
  };
}

export interface MemoryLogger extends Logger {
  readonly lines: string[];
  text(): string;
}

/** `onLine` sees each line as it is logged: tests use it to act at a given moment of the rollout. */
export function memoryLogger(onLine: (line: string) => void = () => {}): MemoryLogger {
  const lines: string[] = [];
  const push = (prefix: string) => (message: string) => {
    lines.push(`${prefix}${message}`);
    onLine(`${prefix}${message}`);
  };
  return {
    lines,
    text: () => lines.join("\n"),
    debug: push("debug: "),
    info: push(""),
    warning: push("warning: "),
    error: push("error: "),
    notice: push("notice: "),
    startGroup: push("::group::"),
    endGroup: () => push("::endgroup::")(""),
  };
}

export interface RunResult {
  readonly record: RolloutRecord;
  readonly log: MemoryLogger;
  /** What the adapter asked to mask (every access token it was handed). */
  readonly masked: readonly string[];
}

export interface RolloutOptionsForTest {
  readonly signal?: AbortSignal;
  readonly onLine?: (line: string) => void;
  /** Wraps the real adapter, e.g. to write to the scale set behind the engine's back before a call. */
  readonly wrap?: (api: ScaleSetApi) => ScaleSetApi;
  /** Sees the engine's events as they happen: tests use them to act at a given moment of the rollout. */
  readonly events?: (event: RolloutEvent) => void;
  /** The run's lease token (RolloutDeps.leaseToken): tests name their runs. */
  readonly leaseToken?: string;
  /** RolloutDeps.onWriteStart: what main hands the GitHub deployment at the first write. */
  readonly onWriteStart?: RolloutDeps["onWriteStart"];
  /** RolloutDeps.now: the run's clock (tests move it on to make time pass). */
  readonly now?: () => number;
  /** RolloutDeps.sleep: the run's waits (tests pass long ones on their clock at once). */
  readonly sleep?: RolloutDeps["sleep"];
}

/** The real adapter (real SDK, real ClientSecretCredential) for this config. */
export function adapterFor(
  config: Config,
  logger: Logger = memoryLogger(),
  mask: (secret: string) => void = () => {},
): ScaleSetApi {
  return createScaleSetApi(config, {
    logger,
    getIDToken: () => Promise.reject(new Error("no GitHub OIDC in these tests")),
    mask,
  });
}

/** The engine with the real adapter against the emulator. */
export async function rollout(config: Config, options: RolloutOptionsForTest = {}): Promise<RunResult> {
  const log = memoryLogger(options.onLine);
  const masked: string[] = [];
  const api = adapterFor(config, log, (secret) => masked.push(secret));
  const record = await runRollout(config, options.wrap ? options.wrap(api) : api, {
    logger: log,
    signal: options.signal ?? new AbortController().signal,
    ...(options.events && { events: options.events }),
    ...(options.leaseToken && { leaseToken: options.leaseToken }),
    ...(options.onWriteStart && { onWriteStart: options.onWriteStart }),
    ...(options.now && { now: options.now }),
    ...(options.sleep && { sleep: options.sleep }),
  });
  return { record, log, masked };
}

/**
 * `PATCH VirtualMachineScaleSets.Update`, `POST VirtualMachineScaleSets.UpdateInstances [0,1]`, … in order: the writes
 * to the model and the instances. Tag writes (the lease, the rollout record: tags-only PATCHes) are left out; see
 * tagWritesOf.
 */
export function writesOf(emu: Emulator): string[] {
  return emu
    .writes()
    .filter((e) => e.operation !== TAGS)
    .map(describeWrite);
}

export const TAGS = "VirtualMachineScaleSets.UpdateTags";

/** The emulator's log of writes without the tag writes (see writesOf). */
export function modelWrites(emu: Emulator): RequestLogEntry[] {
  return emu.writes().filter((e) => e.operation !== TAGS);
}
export const PATCH_TAGS = `PATCH ${TAGS}`;

/** The tag writes (tags-only PATCHes of the set) in order: `PATCH VirtualMachineScaleSets.UpdateTags`, `… → 412`. */
export function tagWritesOf(emu: Emulator): string[] {
  return emu
    .writes()
    .filter((e) => e.operation === TAGS)
    .map(describeWrite);
}

function describeWrite(entry: RequestLogEntry): string {
  const ids = (entry.body as { instanceIds?: string[] } | undefined)?.instanceIds;
  return `${entry.method} ${entry.operation}${ids ? ` [${ids.join(",")}]` : ""}${entry.status >= 400 ? ` → ${entry.status}` : ""}`;
}

/** Instance IDs of the record by outcome. */
export function outcomes(record: RolloutRecord): Record<string, string[]> {
  const byOutcome: Record<string, string[]> = {};
  for (const i of record.instances) (byOutcome[i.outcome] ??= []).push(i.instanceId);
  return byOutcome;
}

/** The version each instance of the emulator runs. */
export function runningVersions(emu: Emulator, scaleSet = "vmss1"): Record<string, string | undefined> {
  return Object.fromEntries(emu.state(scaleSet).instances.map((i) => [i.instanceId, i.imageReference["version"]]));
}

/**
 * Another writer's write that adds an extension of its own (`name`) to the model, keeping the model's extensions (the
 * Application Health extension too, where there is one): for `emu.faults.concurrentWrite`.
 */
export function extensionAdded(emu: Emulator, name = "otherWritersAgent", scaleSet = "vmss1"): ConcurrentWrite {
  const model = emu.state(scaleSet).model as Record<string, any>;
  const extensions = [
    ...model["properties"]["virtualMachineProfile"]["extensionProfile"]["extensions"],
    extensionWire({ ...DEFAULT_CUSTOM_SCRIPT, name, settings: { x: 1 } }),
  ];
  return { patch: { properties: { virtualMachineProfile: { extensionProfile: { extensions } } } } };
}
