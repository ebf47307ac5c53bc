// Tables (Markdown, printed and pasted into the README), baseline comparisons and the issue's targets. Pure.
import type { RunRecord, ScenarioName } from "./run.ts";

export interface Comparison {
  readonly size: number;
  /** action with batch-size 100% ÷ all-at-once (wall time); the target is ≤ 1.10. */
  readonly fullBatchVsAllAtOnce?: number;
  /** The same, each counted from its first ARM request (process start and sign-in left out). */
  readonly fullBatchVsAllAtOnceAfterStart?: number;
  /** action with the default batch size ÷ all-at-once: what the batching costs over no safety at all. */
  readonly defaultVsAllAtOnce?: number;
  /** one-at-a-time ÷ action with the default batch size: how many times faster the action is; the target is ≥ 10. */
  readonly oneAtATimeVsDefault?: number;
}

export interface Target {
  readonly id: string;
  readonly target: string;
  /** Where it was measured, e.g. `1,000 instances`. */
  readonly where: string;
  readonly value: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

const LABEL: Record<ScenarioName, string> = {
  action: "vmss-rollout",
  "action-100": "vmss-rollout",
  "all-at-once": "all at once",
  "one-at-a-time": "one at a time",
};

const isAction = (r: RunRecord): boolean => r.scenario === "action" || r.scenario === "action-100";
const find = (runs: readonly RunRecord[], size: number, scenario: ScenarioName): RunRecord | undefined =>
  runs.find((r) => r.size === size && r.scenario === scenario && r.outcome === "succeeded");
const sizesOf = (runs: readonly RunRecord[]): number[] => [...new Set(runs.map((r) => r.size))].sort((a, b) => a - b);

const afterStart = (r: RunRecord): number => r.wallMs - (r.requests.firstArmRequestMs ?? 0);

export function comparisonsOf(runs: readonly RunRecord[]): Comparison[] {
  return sizesOf(runs).map((size) => {
    const action = find(runs, size, "action");
    const full = find(runs, size, "action-100");
    const all = find(runs, size, "all-at-once");
    const one = find(runs, size, "one-at-a-time");
    return {
      size,
      ...(full && all ? { fullBatchVsAllAtOnce: full.wallMs / all.wallMs, fullBatchVsAllAtOnceAfterStart: afterStart(full) / afterStart(all) } : {}),
      ...(action && all ? { defaultVsAllAtOnce: action.wallMs / all.wallMs } : {}),
      ...(one && action ? { oneAtATimeVsDefault: one.wallMs / action.wallMs } : {}),
    };
  });
}

const n = (size: number): string => size.toLocaleString("en-US");
const x = (value: number): string => `${value.toFixed(2)}×`;
const ms = (value: number | undefined): string => (value === undefined ? "–" : `${Math.round(value)} ms`);
const mb = (bytes: number | undefined): string => (bytes === undefined ? "–" : `${(bytes / 1e6).toFixed(0)} MB`);
const s = (value: number): string => (value >= 100_000 ? `${(value / 1000).toFixed(0)} s` : `${(value / 1000).toFixed(1)} s`);
const fmt = (value: number | undefined, digits = 1): string => (value === undefined ? "–" : value.toFixed(digits));

export function targetsOf(runs: readonly RunRecord[], comparisons: readonly Comparison[]): Target[] {
  const actions = runs.filter(isAction);
  const largest = Math.max(0, ...sizesOf(runs));
  const at = `${n(largest)} instances`;
  const head = find(runs, largest, "action");
  const targets: Target[] = [];

  targets.push({
    id: "wall-vs-ideal",
    target: "wall time ≤ 1.10× the platform's ideal time",
    where: `${at}, default batch size`,
    value: head ? x(head.ratio) : "not measured",
    met: head ? head.ratio <= 1.10 : undefined,
  });

  const perPoll = actions.filter((r) => r.requests.readsPerPoll !== undefined);
  const worstPerPoll = Math.max(...perPoll.map((r) => r.requests.readsPerPoll ?? 0));
  targets.push({
    id: "reads-per-poll",
    target: "≤ 2 read requests per poll, whatever the size",
    where: "every vmss-rollout run",
    value: perPoll.length > 0
      ? `mean per interval ${perPoll.map((r) => `${fmt(r.requests.readsPerPoll)} (${n(r.size)}${r.scenario === "action-100" ? ", 100%" : ""})`).join(", ")}; ` +
        `peak in one interval ${Math.max(...perPoll.map((r) => r.requests.peakReadsPerPoll))}`
      : "not measured",
    met: perPoll.length > 0 ? worstPerPoll <= 2 : undefined,
  });

  const throttled = actions.reduce((sum, r) => sum + r.requests.throttled, 0);
  targets.push({
    id: "throttled",
    target: "0 throttled (429) responses under Azure's published Compute limits",
    where: "every vmss-rollout run",
    value: actions.length > 0 ? actions.map((r) => `${r.requests.throttled} (${n(r.size)}${r.scenario === "action-100" ? ", 100%" : ""})`).join(", ") : "not measured",
    met: actions.length > 0 ? throttled === 0 : undefined,
  });

  // Start-up does not depend on the size (the first ARM request comes before any list), so the median of every
  // vmss-rollout run is the figure: one sample on a shared 2-core machine is noise.
  const firsts = actions.flatMap((r) => (r.requests.firstArmRequestMs === undefined ? [] : [r.requests.firstArmRequestMs])).sort((a, b) => a - b);
  const median = firsts.length === 0 ? undefined
    : firsts.length % 2 === 1 ? firsts[(firsts.length - 1) / 2] : ((firsts[firsts.length / 2 - 1] ?? 0) + (firsts[firsts.length / 2] ?? 0)) / 2;
  targets.push({
    id: "first-arm-request",
    target: "first ARM request ≤ 300 ms after process start",
    where: "median of every vmss-rollout run",
    value: median !== undefined
      ? `${ms(median)} (${ms(firsts[0])}–${ms(firsts[firsts.length - 1])}${head?.requests.firstArmRequestMs !== undefined ? `; ${ms(head.requests.firstArmRequestMs)} at ${n(largest)}` : ""})`
      : "not measured",
    met: median !== undefined ? median <= 300 : undefined,
  });

  const rss = head?.peakRssBytes;
  targets.push({
    id: "peak-rss",
    target: "peak RSS < 150 MB",
    where: at,
    value: rss !== undefined ? mb(rss) : "not measured",
    met: rss !== undefined ? rss < 150e6 : undefined,
  });

  const full = comparisons.filter((c) => c.fullBatchVsAllAtOnce !== undefined);
  targets.push({
    id: "vs-all-at-once",
    target: "batch-size 100% within 1.10× of all-at-once",
    where: "every size",
    value: full.length > 0 ? full.map((c) => `${x(c.fullBatchVsAllAtOnce ?? NaN)} (${n(c.size)})`).join(", ") : "not measured",
    met: full.length > 0 ? full.every((c) => (c.fullBatchVsAllAtOnce ?? Infinity) <= 1.10) : undefined,
  });

  const one = comparisons.find((c) => c.size === 100)?.oneAtATimeVsDefault;
  targets.push({
    id: "vs-one-at-a-time",
    target: "≥ 10× faster than one-at-a-time, default batch size",
    where: "100 instances",
    value: one !== undefined ? `${one.toFixed(1)}× faster` : "not measured",
    met: one !== undefined ? one >= 10 : undefined,
  });
  return targets;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const align = header.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n") + "\n";
}

function runLabel(r: RunRecord): string {
  return r.batchSize ? `${LABEL[r.scenario]} (${r.batchSize})` : LABEL[r.scenario];
}

export function resultsTable(runs: readonly RunRecord[]): string {
  return table(
    ["Instances", "Run", "Speed", "Batches", "Wall", "Ideal", "Wall ÷ ideal", "Polls", "Reads/poll (peak)", "Reads", "Writes", "429s", "1st ARM request", "Peak RSS", "Result"],
    runs.map((r) => [
      n(r.size), runLabel(r), String(r.speed), String(r.batches), s(r.wallMs), s(r.idealMs), x(r.ratio), fmt(r.requests.polls, 0),
      `${fmt(r.requests.readsPerPoll)} (${r.requests.peakReadsPerPoll})`, String(r.requests.reads), String(r.requests.writes), String(r.requests.throttled),
      ms(r.requests.firstArmRequestMs), mb(r.peakRssBytes),
      r.outcome === "succeeded" ? `ok${r.result ? ` (${r.result})` : ""}` : `**${r.outcome}**${r.result ? ` (${r.result})` : ""}, ${r.instancesLatest}/${r.instances} on the new model`,
    ]),
    [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  );
}

const SHORT: Record<string, string> = {
  "VirtualMachineScaleSetVMs.List": "VM list",
  "VirtualMachineScaleSets.Get": "set GET",
  "VirtualMachineScaleSets.Update": "set PATCH",
  "VirtualMachineScaleSets.CreateOrUpdate": "set PUT",
  "VirtualMachineScaleSets.UpdateInstances": "manualupgrade",
  "VirtualMachineScaleSetExtensions.Update": "ext PATCH",
  "VirtualMachineScaleSetRollingUpgrades.GetLatest": "rolling GET",
  "Operations.Get": "op status",
  "Operations.Monitor": "op monitor",
};

export function operationsTable(runs: readonly RunRecord[]): string {
  const ops = [...new Set(runs.flatMap((r) => Object.keys(r.requests.byOperation)))]
    .sort((a, b) => Object.keys(SHORT).indexOf(a) - Object.keys(SHORT).indexOf(b));
  return table(
    ["Instances", "Run", ...ops.map((op) => SHORT[op] ?? op), "VM list pages/list"],
    runs.map((r) => [n(r.size), runLabel(r), ...ops.map((op) => String(r.requests.byOperation[op] ?? 0)), fmt(r.requests.listPagesPerList)]),
    [0, ...ops.map((_, i) => i + 2), ops.length + 2],
  );
}

export function timeTable(runs: readonly RunRecord[]): string {
  return table(
    ["Instances", "Run", "Token request", "1st ARM request", "Start → 1st batch", "Upgrading (platform)", "Between batches", "Last batch → exit", "Wall"],
    runs.filter(isAction).map((r) => [
      n(r.size), runLabel(r), ms(r.requests.firstTokenRequestMs), ms(r.requests.firstArmRequestMs), ms(r.time.beforeFirstBatchMs),
      s(r.time.platformUpgradeMs), ms(r.time.betweenBatchesMs), ms(r.time.afterLastBatchMs), s(r.wallMs),
    ]),
    [0, 2, 3, 4, 5, 6, 7, 8],
  );
}

export function comparisonTable(comparisons: readonly Comparison[]): string {
  return table(
    ["Instances", "vmss-rollout 100% ÷ all at once", "same, from 1st ARM request", "vmss-rollout 20% ÷ all at once", "one at a time ÷ vmss-rollout 20%"],
    comparisons.map((c) => [
      n(c.size),
      c.fullBatchVsAllAtOnce !== undefined ? x(c.fullBatchVsAllAtOnce) : "–",
      c.fullBatchVsAllAtOnceAfterStart !== undefined ? x(c.fullBatchVsAllAtOnceAfterStart) : "–",
      c.defaultVsAllAtOnce !== undefined ? x(c.defaultVsAllAtOnce) : "–",
      c.oneAtATimeVsDefault !== undefined ? `${c.oneAtATimeVsDefault.toFixed(1)}× faster` : "–",
    ]),
    [0, 1, 2, 3, 4],
  );
}

export function targetsTable(targets: readonly Target[]): string {
  return table(
    ["Target", "Where", "Measured", "Status"],
    targets.map((t) => [t.target, t.where, t.value, t.met === undefined ? "not measured" : t.met ? "met" : "**missed**"]),
  );
}

export function renderReport(runs: readonly RunRecord[], comparisons: readonly Comparison[], targets: readonly Target[]): string {
  return [
    "Runs\n", resultsTable(runs),
    "\nARM requests by operation\n", operationsTable(runs),
    "\nWhere vmss-rollout's time goes\n", timeTable(runs),
    "\nAgainst the baselines (wall time)\n", comparisonTable(comparisons),
    "\nTargets\n", targetsTable(targets),
  ].join("");
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** Replaces the generated part of docs/benchmark.md (between the markers) with the tables of this run. */
export function renderDocsSection(docs: string, runs: readonly RunRecord[], comparisons: readonly Comparison[], targets: readonly Target[],
  generatedAt: string, machine: Record<string, unknown>, measured: Record<string, unknown>, elapsedSeconds: number): string {
  const from = docs.indexOf(START);
  const to = docs.indexOf(END);
  if (from < 0 || to < from) return docs;
  const load = machine["loadAverage1mAtStart"] !== undefined ? ` (shared; 1-minute load average ${String(machine["loadAverage1mAtStart"])} at the start)` : "";
  const body = [
    `Measured ${generatedAt.slice(0, 10)} at commit ${String(measured["commit"])} (dist/index.js sha256 ${String(measured["sha256"]).slice(0, 12)}…) ` +
      `on ${String(machine["cpus"])} × ${String(machine["cpuModel"])}${load}, Node ${String(machine["node"])}; the run took ` +
      `${Math.floor(elapsedSeconds / 60)} min ${Math.round(elapsedSeconds % 60)} s.\n\n`,
    resultsTable(runs),
    "\nAgainst the baselines (wall time):\n\n", comparisonTable(comparisons),
    "\nTargets:\n\n", targetsTable(targets),
    "\nARM requests by operation:\n\n", operationsTable(runs),
    "\nWhere vmss-rollout's time goes:\n\n", timeTable(runs),
  ].join("");
  return `${docs.slice(0, from + START.length)}\n${body}${docs.slice(to)}`;
}
