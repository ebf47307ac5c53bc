// Figures taken from the emulator's request log and state after one run. Pure: no I/O.
import { resourceLimit } from "../emulator/throttle.ts";
import type { OperationSnapshot, RequestLogEntry } from "../emulator/types.ts";

export interface RequestFigures {
  /** ARM requests (token and OIDC endpoints excluded) per operation name, throttled ones included. */
  readonly byOperation: Record<string, number>;
  readonly armRequests: number;
  /** ARM GETs: every page of a list is one (a list of 1,000 instances is 20 GETs), throttled ones included. */
  readonly reads: number;
  /** ARM PUT/PATCH/POST/DELETE. */
  readonly writes: number;
  readonly writesByOperation: Record<string, number>;
  /** 429 responses, and per operation. */
  readonly throttled: number;
  readonly throttledByOperation: Record<string, number>;
  readonly tokenRequests: number;
  /** Instance-list calls over the whole run (a call = its first page; the nextLink pages that follow belong to it). */
  readonly listCalls: number;
  /** Instance-list pages (GETs) over the whole run. */
  readonly listPages: number;
  /** Poll intervals while instances upgrade: from the first manualupgrade request's arrival to the process's exit,
   *  divided by the configured poll interval. Client-agnostic: counts the cadence, whatever the client reads per tick. */
  readonly polls: number;
  /** ARM GETs that arrived in that window (operation status, each instance-list page, anything else). */
  readonly waitingReads: number;
  /** waitingReads ÷ polls: ARM GETs per poll interval, on average. */
  readonly readsPerPoll: number | undefined;
  /** The most ARM GETs that arrived within any one poll interval (sliding) of that window. */
  readonly peakReadsPerPoll: number;
  /** Instance-list calls (first pages) in that window, per poll interval on average, and the most in any one. */
  readonly waitingLists: number;
  readonly listsPerPoll: number | undefined;
  readonly peakListsPerPoll: number;
  /** The same GETs with a list call's nextLink pages left out (a list call counts as one read), per poll interval. */
  readonly readCallsPerPoll: number | undefined;
  /** Instance-list pages and operation-status reads in that window. */
  readonly waitingListPages: number;
  readonly waitingStatusReads: number;
  /** Instance-list requests (pages) per list call over the whole run. */
  readonly listPagesPerList: number | undefined;
  /** Wall ms from a list's first page arriving to its last page answered (paced waits included): mean and longest. */
  readonly listMsMean: number | undefined;
  readonly listMsMax: number | undefined;
  /** Milliseconds from process start to the first ARM request / first token request, per the emulator's log. */
  readonly firstArmRequestMs: number | undefined;
  readonly firstTokenRequestMs: number | undefined;
  readonly firstArmOperation: string | undefined;
  /** Per read policy group: the share of the scale set's published read budget the run used (see readBudget). */
  readonly readBudget?: readonly ReadBudgetUse[];
}

/**
 * The reads of one throttling policy group (each instance-list page is one) against what Azure publishes for one
 * scale set over the run's simulated duration: the full bucket plus its refill (compute-throttling-limits.md, as
 * emulator/throttle.ts models it). A share near 1 means a rollout at this pace would be throttled on Azure, or
 * leaves nothing for anyone else reading the same scale set (the portal, autoscale, another pipeline).
 */
export interface ReadBudgetUse {
  readonly group: string;
  readonly reads: number;
  readonly budget: number;
  readonly share: number;
}

export function readBudget(log: readonly RequestLogEntry[], simulatedMinutes: number): ReadBudgetUse[] {
  const used = new Map<string, { reads: number; budget: number }>();
  for (const entry of log.filter(isRead)) {
    const limit = resourceLimit(entry.operation);
    if (!limit) continue;
    const budget = limit.max + limit.refillPerMinute * Math.max(0, simulatedMinutes);
    const seen = used.get(limit.group) ?? { reads: 0, budget };
    used.set(limit.group, { ...seen, reads: seen.reads + 1 });
  }
  return [...used]
    .map(([group, { reads, budget }]) => ({ group, reads, budget, share: reads / budget }))
    .sort((a, b) => b.share - a.share);
}

const NON_ARM = /^(Entra|GitHub|Oidc|Unknown)\b/i;
const PAGE_KEYS = /skip|token|page|continuation|marker|cursor/i;

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = (sorted.length - 1) / 2;
  return ((sorted[Math.floor(mid)] ?? NaN) + (sorted[Math.ceil(mid)] ?? NaN)) / 2;
}

export const isArm = (entry: RequestLogEntry): boolean => !NON_ARM.test(entry.operation);
export const isRead = (entry: RequestLogEntry): boolean => isArm(entry) && entry.method.toUpperCase() === "GET";
/** An instance-list page: the scale set's VM list, or (Flexible) the standalone VM list of its VMs. A Flexible
 *  listing is both, so it counts as two list calls and every page of each as one read. */
const isList = (entry: RequestLogEntry): boolean =>
  entry.operation === "VirtualMachineScaleSetVMs.List" || entry.operation === "VirtualMachines.List";
const isFirstPage = (entry: RequestLogEntry): boolean =>
  isList(entry) && !Object.keys(entry.query).some((k) => PAGE_KEYS.test(k));
const isOperationStatus = (entry: RequestLogEntry): boolean => /^Operations\./.test(entry.operation);
const isUpgrade = (entry: RequestLogEntry): boolean => entry.operation === "VirtualMachineScaleSets.UpdateInstances";
const isToken = (entry: RequestLogEntry): boolean =>
  /^Entra\./.test(entry.operation) && /token/i.test(entry.operation + entry.path);
const arrival = (entry: RequestLogEntry): number => Date.parse(entry.startedAt);

function count(entries: readonly RequestLogEntry[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const entry of entries) result[entry.operation] = (result[entry.operation] ?? 0) + 1;
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => a.localeCompare(b)));
}

/** The most of `times` (sorted, ms) within any window of `windowMs`. */
function peakWithin(times: readonly number[], windowMs: number): number {
  let peak = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

/** Each list call's wall time: its first page's arrival to the answer of the last page before the next call. */
function listDurations(arm: readonly RequestLogEntry[]): number[] {
  const durations: number[] = [];
  let start: number | undefined;
  let end = 0;
  for (const entry of arm.filter(isList)) {
    if (isFirstPage(entry)) {
      if (start !== undefined) durations.push(end - start);
      start = arrival(entry);
    }
    end = Math.max(end, arrival(entry) + entry.durationMs);
  }
  if (start !== undefined) durations.push(end - start);
  return durations;
}

export function requestFigures(
  log: readonly RequestLogEntry[],
  startEpochMs: number,
  wallMs: number,
  pollMs: number,
  /** Emulator speed (wall seconds per simulated second): the run's simulated minutes for readBudget. */
  speed = 1,
): RequestFigures {
  // The emulator logs a request when it has answered it; with latency that is not arrival order. seq is arrival order.
  const ordered = [...log].sort((a, b) => a.seq - b.seq);
  const arm = ordered.filter(isArm);
  const writes = arm.filter((e) => e.method.toUpperCase() !== "GET");
  const firstUpgrade = arm.findIndex(isUpgrade);
  const waiting = firstUpgrade < 0 ? [] : arm.slice(firstUpgrade);
  const windowStart = waiting[0] ? arrival(waiting[0]) : undefined;
  const polls = windowStart === undefined ? 0 : (startEpochMs + wallMs - windowStart) / pollMs;
  const readTimes = waiting
    .filter(isRead)
    .map(arrival)
    .sort((a, b) => a - b);
  const listTimes = waiting
    .filter(isFirstPage)
    .map(arrival)
    .sort((a, b) => a - b);
  const lists = arm.filter(isFirstPage).length;
  const durations = listDurations(arm);
  const firstArm = arm[0];
  const firstToken = ordered.find(isToken);
  const since = (entry: RequestLogEntry | undefined): number | undefined =>
    entry === undefined ? undefined : arrival(entry) - startEpochMs;
  const perPoll = (n: number): number | undefined => (polls > 0 ? n / Math.max(1, polls) : undefined);
  return {
    byOperation: count(arm),
    armRequests: arm.length,
    reads: arm.filter(isRead).length,
    writes: writes.length,
    writesByOperation: count(writes),
    throttled: arm.filter((e) => e.status === 429).length,
    throttledByOperation: count(arm.filter((e) => e.status === 429)),
    tokenRequests: ordered.filter(isToken).length,
    listCalls: lists,
    listPages: arm.filter(isList).length,
    polls,
    waitingReads: readTimes.length,
    readsPerPoll: perPoll(readTimes.length),
    peakReadsPerPoll: peakWithin(readTimes, pollMs),
    waitingLists: listTimes.length,
    listsPerPoll: perPoll(listTimes.length),
    peakListsPerPoll: peakWithin(listTimes, pollMs),
    readCallsPerPoll: perPoll(readTimes.length - (waiting.filter(isList).length - listTimes.length)),
    waitingListPages: waiting.filter(isList).length,
    waitingStatusReads: waiting.filter(isOperationStatus).length,
    listPagesPerList: lists > 0 ? arm.filter(isList).length / lists : undefined,
    listMsMean: durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : undefined,
    listMsMax: durations.length > 0 ? Math.max(...durations) : undefined,
    firstArmRequestMs: since(firstArm),
    firstTokenRequestMs: since(firstToken),
    firstArmOperation: firstArm?.operation,
    readBudget: readBudget(arm, wallMs / speed / 60_000),
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
  /** Σ over manualupgrade operations of the wall ms from the operation's end to the client's next ARM request (its
   *  status read that finds it ended): how late ends are noticed. The rest of betweenBatchesMs is the client's own work
   *  (a list, the health verdict, the next manualupgrade). */
  readonly endsNoticedAfterMs: number;
  readonly upgradeOperations: number;
}

/** Where the wall time went, from the emulator's operation records (start and end times) and the process's. */
export function timeBreakdown(
  operations: readonly OperationSnapshot[],
  log: readonly RequestLogEntry[],
  startEpochMs: number,
  wallMs: number,
): TimeBreakdown {
  const armArrivals = log
    .filter(isArm)
    .map(arrival)
    .sort((a, b) => a - b);
  const ended = (op: OperationSnapshot): number => (op.endTime ? Date.parse(op.endTime) : startEpochMs + wallMs);
  const upgrades = operations
    .filter((op) => op.operation === "VirtualMachineScaleSets.UpdateInstances")
    .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
  const models = operations.filter(
    (op) => op.operation !== "VirtualMachineScaleSets.UpdateInstances" && !/RollingUpgrade/i.test(op.operation),
  );
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
    endsNoticedAfterMs: upgrades.reduce((sum, op) => {
      if (!op.endTime) return sum;
      const end = Date.parse(op.endTime);
      const next = armArrivals.find((t) => t >= end);
      return sum + (next === undefined ? 0 : next - end);
    }, 0),
    upgradeOperations: upgrades.length,
  };
}
