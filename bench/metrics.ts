// Figures taken from the emulator's request log and state after one run. Pure: no I/O.
import type { OperationSnapshot, RequestLogEntry } from "../test/emulator/types.ts";

export interface RequestFigures {
  /** ARM requests (token and OIDC endpoints excluded) per operation name, throttled ones included. */
  readonly byOperation: Record<string, number>;
  readonly armRequests: number;
  /** ARM GETs. */
  readonly reads: number;
  /** ARM PUT/PATCH/POST/DELETE. */
  readonly writes: number;
  readonly writesByOperation: Record<string, number>;
  /** 429 responses. */
  readonly throttled: number;
  readonly tokenRequests: number;
  /** Poll intervals while instances upgrade: from the first manualupgrade request to the process's exit, divided
   *  by the configured poll interval. Client-agnostic: counts the cadence, whatever the client reads per tick. */
  readonly polls: number;
  /** ARM GETs in that window (operation status, instance list pages, …). */
  readonly waitingReads: number;
  /** waitingReads ÷ polls: read requests per poll interval, on average. */
  readonly readsPerPoll: number | undefined;
  /** The most read requests that started within any one poll interval of that window. */
  readonly peakReadsPerPoll: number;
  /** Instance-list calls (first pages) and operation-status reads in that window. */
  readonly waitingLists: number;
  readonly waitingStatusReads: number;
  /** Instance-list requests (pages) per list call over the whole run. */
  readonly listPagesPerList: number | undefined;
  /** Milliseconds from process start to the first ARM request / first token request, per the emulator's log. */
  readonly firstArmRequestMs: number | undefined;
  readonly firstTokenRequestMs: number | undefined;
  readonly firstArmOperation: string | undefined;
}

const NON_ARM = /^(Entra|GitHub|Oidc|Unknown)\b/i;
const PAGE_KEYS = /skip|token|page|continuation|marker|cursor/i;

export const isArm = (entry: RequestLogEntry): boolean => !NON_ARM.test(entry.operation);
export const isRead = (entry: RequestLogEntry): boolean => isArm(entry) && entry.method.toUpperCase() === "GET";
const isList = (entry: RequestLogEntry): boolean => entry.operation === "VirtualMachineScaleSetVMs.List";
const isFirstPage = (entry: RequestLogEntry): boolean => isList(entry) && !Object.keys(entry.query).some((k) => PAGE_KEYS.test(k));
const isOperationStatus = (entry: RequestLogEntry): boolean => /^Operations\./.test(entry.operation);
const isUpgrade = (entry: RequestLogEntry): boolean => entry.operation === "VirtualMachineScaleSets.UpdateInstances";

function count(entries: readonly RequestLogEntry[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const entry of entries) result[entry.operation] = (result[entry.operation] ?? 0) + 1;
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => a.localeCompare(b)));
}

export function requestFigures(log: readonly RequestLogEntry[], startEpochMs: number, wallMs: number, pollMs: number): RequestFigures {
  const arm = log.filter(isArm);
  const writes = arm.filter((e) => e.method.toUpperCase() !== "GET");
  const firstUpgrade = arm.findIndex(isUpgrade);
  const waiting = firstUpgrade < 0 ? [] : arm.slice(firstUpgrade);
  const windowStart = waiting[0] ? Date.parse(waiting[0].startedAt) : undefined;
  const polls = windowStart === undefined ? 0 : (startEpochMs + wallMs - windowStart) / pollMs;
  const readTimes = waiting.filter(isRead).map((e) => Date.parse(e.startedAt)).sort((a, b) => a - b);
  let peak = 0;
  for (let lo = 0, hi = 0; hi < readTimes.length; hi++) {
    while ((readTimes[hi] ?? 0) - (readTimes[lo] ?? 0) >= pollMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  const lists = arm.filter(isFirstPage).length;
  const firstArm = arm[0];
  const firstToken = log.find((e) => /^Entra\./.test(e.operation) && /token/i.test(e.operation + e.path));
  const since = (entry: RequestLogEntry | undefined): number | undefined =>
    entry === undefined ? undefined : Date.parse(entry.startedAt) - startEpochMs;
  return {
    byOperation: count(arm),
    armRequests: arm.length,
    reads: arm.filter(isRead).length,
    writes: writes.length,
    writesByOperation: count(writes),
    throttled: arm.filter((e) => e.status === 429).length,
    tokenRequests: log.filter((e) => /^Entra\./.test(e.operation) && /token/i.test(e.operation + e.path)).length,
    polls,
    waitingReads: readTimes.length,
    readsPerPoll: polls > 0 ? readTimes.length / Math.max(1, polls) : undefined,
    peakReadsPerPoll: peak,
    waitingLists: waiting.filter(isFirstPage).length,
    waitingStatusReads: waiting.filter(isOperationStatus).length,
    listPagesPerList: lists > 0 ? arm.filter(isList).length / lists : undefined,
    firstArmRequestMs: since(firstArm),
    firstTokenRequestMs: since(firstToken),
    firstArmOperation: firstArm?.operation,
  };
}

export interface TimeBreakdown {
  /** Wall ms the platform spent on manualupgrade operations, summed (sequential batches). */
  readonly platformUpgradeMs: number;
  /** Wall ms of model updates (PATCH/PUT of the set or an extension). */
  readonly modelUpdateMs: number;
  /** From spawn to the first manualupgrade's start. */
  readonly beforeFirstBatchMs: number | undefined;
  /** Sum of the idle gaps between one manualupgrade's end and the next one's start (includes configured pauses). */
  readonly betweenBatchesMs: number;
  /** From the last manualupgrade's end to the process's exit. */
  readonly afterLastBatchMs: number | undefined;
  readonly upgradeOperations: number;
}

/** Where the wall time went, from the emulator's operation records (start and end times) and the process's. */
export function timeBreakdown(operations: readonly OperationSnapshot[], startEpochMs: number, wallMs: number): TimeBreakdown {
  const ended = (op: OperationSnapshot): number => (op.endTime ? Date.parse(op.endTime) : startEpochMs + wallMs);
  const upgrades = operations.filter((op) => op.operation === "VirtualMachineScaleSets.UpdateInstances")
    .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
  const models = operations.filter((op) => op.operation !== "VirtualMachineScaleSets.UpdateInstances" && !/RollingUpgrade/i.test(op.operation));
  let between = 0;
  for (let i = 1; i < upgrades.length; i++) {
    const prev = upgrades[i - 1];
    const next = upgrades[i];
    if (prev && next) between += Math.max(0, Date.parse(next.startTime) - ended(prev));
  }
  const first = upgrades[0];
  const last = upgrades[upgrades.length - 1];
  return {
    platformUpgradeMs: upgrades.reduce((sum, op) => sum + (ended(op) - Date.parse(op.startTime)), 0),
    modelUpdateMs: models.reduce((sum, op) => sum + (ended(op) - Date.parse(op.startTime)), 0),
    beforeFirstBatchMs: first ? Date.parse(first.startTime) - startEpochMs : undefined,
    betweenBatchesMs: between,
    afterLastBatchMs: last ? startEpochMs + wallMs - ended(last) : undefined,
    upgradeOperations: upgrades.length,
  };
}
