// Tables (Markdown, printed and written into docs/benchmark.md), baseline comparisons and the issue's targets. Pure.
import type { Calibration } from "./calibrate.ts";
import { markdownTable } from "../src/report/markdown.ts";
import { median } from "./metrics.ts";
import type { RunRecord, ScenarioName } from "./records.ts";

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
  /** What the figures say about the status: where the time or the requests went (from the same run). */
  readonly why?: string;
}

const LABEL: Record<ScenarioName, string> = {
  action: "vmss-rollout",
  "action-100": "vmss-rollout",
  "action-flexible": "vmss-rollout, Flexible",
  "all-at-once": "all at once",
  "one-at-a-time": "one at a time",
  "az-all-at-once": "az, all at once",
  "az-one-at-a-time": "az, one at a time",
};

const isAction = (r: RunRecord): boolean =>
  r.scenario === "action" || r.scenario === "action-100" || r.scenario === "action-flexible";
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
      ...(full && all
        ? {
            fullBatchVsAllAtOnce: full.wallMs / all.wallMs,
            fullBatchVsAllAtOnceAfterStart: afterStart(full) / afterStart(all),
          }
        : {}),
      ...(action && all ? { defaultVsAllAtOnce: action.wallMs / all.wallMs } : {}),
      ...(one && action ? { oneAtATimeVsDefault: one.wallMs / action.wallMs } : {}),
    };
  });
}

const n = (size: number): string => size.toLocaleString("en-US");
const x = (value: number): string => `${value.toFixed(2)}×`;
const ms = (value: number | undefined): string => (value === undefined ? "–" : `${Math.round(value)} ms`);
const mb = (bytes: number | undefined): string => (bytes === undefined ? "–" : `${(bytes / 1e6).toFixed(0)} MB`);
const s = (value: number): string =>
  value >= 100_000 ? `${(value / 1000).toFixed(0)} s` : `${(value / 1000).toFixed(1)} s`;
const fmt = (value: number | undefined, digits = 1): string => (value === undefined ? "–" : value.toFixed(digits));
const sec = (value: number): string =>
  Math.abs(value) < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
const num = (value: number | undefined): string =>
  value === undefined ? "–" : Number.isInteger(value) ? String(value) : value.toFixed(1);
const tag = (r: RunRecord): string =>
  `${n(r.size)}${r.scenario === "action-100" ? ", 100%" : r.scenario === "action-flexible" ? ", Flexible" : ""}`;
const joinOps = (byOp: Record<string, number>): string =>
  Object.entries(byOp)
    .map(([op, count]) => `${count} × ${SHORT[op] ?? op}`)
    .join(", ");

/** Simulated time of `wall` ms at the run's speed, e.g. `2 min 5 s`. */
function simulated(r: RunRecord, wall: number): string {
  const secs = Math.round(wall / r.speed / 1000);
  return secs >= 120 ? `${Math.floor(secs / 60)} min ${secs % 60} s` : `${secs} s`;
}

/** Where a run's wall time went beyond the ideal, from its time breakdown. */
function overhead(r: RunRecord): string {
  const t = r.time;
  const parts = [
    `${sec(t.beforeFirstBatchMs ?? 0)} before the first batch (sign-in, model update, planning list)`,
    ...(t.betweenBatchesMs > 0 ? [`${sec(t.betweenBatchesMs)} between batches`] : []),
    `${sec(t.afterLastBatchMs ?? 0)} after the last`,
    ...(t.platformUpgradeMs - r.idealMs > 0.02 * r.idealMs
      ? [`${sec(t.platformUpgradeMs - r.idealMs)} of upgrades beyond the ideal`]
      : []),
  ];
  const perBatch =
    t.upgradeOperations > 0
      ? `. Per batch, its end was noticed ${sec(t.endsNoticedAfterMs / t.upgradeOperations)} (${simulated(r, t.endsNoticedAfterMs / t.upgradeOperations)} simulated) after it happened`
      : "";
  const lists =
    r.requests.listMsMean !== undefined
      ? `${perBatch ? ", and a" : ". A"} list call (${num(r.requests.listPagesPerList)} pages) took ${sec(r.requests.listMsMean)} (${simulated(r, r.requests.listMsMean)} simulated)`
      : "";
  return `${sec(r.wallMs - r.idealMs)} (${simulated(r, r.wallMs - r.idealMs)} simulated) over the ideal: ${parts.join(", ")}${perBatch}${lists}`;
}

/** Lists and status reads of a run, short. */
const r1 = (r: RunRecord): string =>
  `${r.requests.listCalls} list calls of ${r.requests.listPages} pages, ${r.requests.waitingStatusReads} status reads after the manualupgrade`;

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
    // Judged on the times themselves, not on a ratio rounded for the JSON file (1.10001 read back is 1.1); shown to
    // three decimals, so that a run at the limit reads as one.
    value: head ? `${(head.wallMs / head.idealMs).toFixed(3)}×` : "not measured",
    met: head ? head.wallMs <= 1.1 * head.idealMs : undefined,
    why: head
      ? `${overhead(head)}; ${(head.wallMs / 1000).toFixed(2)} s against the ${((1.1 * head.idealMs) / 1000).toFixed(2)} s that 1.10× allows`
      : undefined,
  });

  const perPoll = actions.filter((r) => r.requests.readsPerPoll !== undefined);
  const worstPerPoll = Math.max(...perPoll.map((r) => r.requests.readsPerPoll ?? 0));
  const peakGets = Math.max(0, ...perPoll.map((r) => r.requests.peakReadsPerPoll));
  const getsMissed = perPoll.filter((r) => (r.requests.readsPerPoll ?? 0) > 2);
  targets.push({
    id: "reads-per-poll",
    target: "≤ 2 read requests per poll, whatever the size: ARM GETs, each list page one",
    where: "every vmss-rollout run, mean per poll interval",
    value:
      perPoll.length > 0
        ? `${perPoll.map((r) => `${fmt(r.requests.readsPerPoll)} (${tag(r)})`).join(", ")}; most in one interval ${peakGets}`
        : "not measured",
    met: perPoll.length > 0 ? worstPerPoll <= 2 : undefined,
    why:
      perPoll.length === 0
        ? undefined
        : getsMissed.length > 0
          ? getsMissed
              .map(
                (r) =>
                  `at ${tag(r)}: ${r.requests.waitingListPages} list pages (${num(r.requests.listPagesPerList)} a list) and ` +
                  `${r.requests.waitingStatusReads} status reads in ${fmt(r.requests.polls, 0)} intervals`,
              )
              .join("; ") +
            "; a list of more than 50 instances is several GETs (pages of 50), however rarely it is called, and the " +
            "instances a batch's health gate must judge (the batch's and the earlier ones', on the latest model) grow " +
            "with the scale set: no `$filter` Azure offers reads fewer (there is none by instance ID)" +
            getsMissed
              .filter((r) => r.scenario === "action")
              .map((r) => {
                const all = find(runs, r.size, "all-at-once");
                return all?.requests.readsPerPoll !== undefined
                  ? ` (all at once, which lists twice in all, shows ${fmt(all.requests.readsPerPoll)} at ${n(r.size)})`
                  : "";
              })
              .join("")
          : peakGets > 2
            ? `on average; single intervals reach ${peakGets} where the operation status is read 3 times an interval near an operation's expected end`
            : undefined,
  });

  const perPollCalls = actions.filter((r) => r.requests.readCallsPerPoll !== undefined);
  targets.push({
    id: "reads-per-poll-calls",
    target: "the same, a list call (all its pages) counted as one read",
    where: "every vmss-rollout run, mean per poll interval",
    value:
      perPollCalls.length > 0
        ? perPollCalls
            .map(
              (r) => `${fmt(r.requests.readCallsPerPoll)} (${tag(r)}; list calls ${fmt(r.requests.listsPerPoll, 2)})`,
            )
            .join(", ")
        : "not measured",
    met: perPollCalls.length > 0 ? perPollCalls.every((r) => (r.requests.readCallsPerPoll ?? 0) <= 2) : undefined,
    why: head
      ? `at ${n(largest)}: ${head.requests.waitingLists} list calls for ${head.batches} batches after the first manualupgrade, ` +
        `${head.requests.waitingStatusReads} operation-status reads in ${fmt(head.requests.polls, 0)} intervals`
      : undefined,
  });

  const throttled = actions.reduce((sum, r) => sum + r.requests.throttled, 0);
  targets.push({
    id: "throttled",
    target: "0 throttled (429) responses under Azure's published Compute limits",
    where: "every vmss-rollout run",
    value: actions.length > 0 ? actions.map((r) => `${r.requests.throttled} (${tag(r)})`).join(", ") : "not measured",
    met: actions.length > 0 ? throttled === 0 : undefined,
    why:
      throttled > 0
        ? actions
            .filter((r) => r.requests.throttled > 0)
            .map((r) => `${tag(r)}: ${joinOps(r.requests.throttledByOperation)}`)
            .join("; ")
        : undefined,
  });

  // Start-up does not depend on the size (the first ARM request comes before any list), so the median of every
  // vmss-rollout run is the figure: one sample on a shared 2-core machine is noise.
  const firsts = actions
    .flatMap((r) => (r.requests.firstArmRequestMs === undefined ? [] : [r.requests.firstArmRequestMs]))
    .sort((a, b) => a - b);
  const startup = firsts.length === 0 ? undefined : median(firsts);
  targets.push({
    id: "first-arm-request",
    target: "first ARM request ≤ 300 ms after process start",
    where: "median of every vmss-rollout run",
    value:
      startup !== undefined
        ? `${ms(startup)} (${ms(firsts[0])}–${ms(firsts[firsts.length - 1])}${head?.requests.firstArmRequestMs !== undefined ? `; ${ms(head.requests.firstArmRequestMs)} at ${n(largest)}` : ""})`
        : "not measured",
    met: startup !== undefined ? startup <= 300 : undefined,
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
  const fullMissed = full.filter((c) => (c.fullBatchVsAllAtOnce ?? Infinity) > 1.1);
  targets.push({
    id: "vs-all-at-once",
    target: "batch-size 100% within 1.10× of all-at-once",
    where: "every size",
    value:
      full.length > 0
        ? full.map((c) => `${x(c.fullBatchVsAllAtOnce ?? NaN)} (${n(c.size)})`).join(", ")
        : "not measured",
    met: full.length > 0 ? fullMissed.length === 0 : undefined,
    why:
      fullMissed.length > 0
        ? fullMissed
            .map((c) => {
              const a = find(runs, c.size, "action-100");
              const b = find(runs, c.size, "all-at-once");
              if (!a || !b) return "";
              const d = (f: (r: RunRecord) => number | undefined): string => {
                const diff = (f(a) ?? 0) - (f(b) ?? 0);
                return `${diff < 0 ? "−" : "+"}${sec(Math.abs(diff))}`;
              };
              return (
                `at ${n(c.size)}, vmss-rollout against all at once: ${d((r) => r.wallMs)} in all; ${d((r) => r.time.beforeFirstBatchMs)} before the ` +
                `manualupgrade, ${d((r) => r.time.platformUpgradeMs)} in it, ${d((r) => r.time.afterLastBatchMs)} after it ` +
                `(vmss-rollout ${r1(a)}; all at once ${r1(b)})`
              );
            })
            .join("; ")
        : undefined,
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
  return `${markdownTable(header, rows, { rightAligned: right })}\n`;
}

function runLabel(r: RunRecord): string {
  return r.batchSize ? `${LABEL[r.scenario]} (${r.batchSize})` : LABEL[r.scenario];
}

export function resultsTable(runs: readonly RunRecord[]): string {
  return table(
    [
      "Instances",
      "Run",
      "Batches",
      "Wall",
      "Ideal",
      "Wall ÷ ideal",
      "Poll intervals",
      "GETs/poll, every page (peak)",
      "List calls/poll (peak)",
      "Read budget used",
      "Writes",
      "429s",
      "1st ARM request",
      "Peak RSS",
      "Result",
    ],
    runs.map((r) => [
      n(r.size),
      runLabel(r),
      String(r.batches),
      s(r.wallMs),
      s(r.idealMs),
      x(r.ratio),
      fmt(r.requests.polls, 0),
      `${fmt(r.requests.readsPerPoll)} (${r.requests.peakReadsPerPoll})`,
      `${fmt(r.requests.listsPerPoll, 2)} (${r.requests.peakListsPerPoll})`,
      budgetUsed(r),
      String(r.requests.writes),
      String(r.requests.throttled),
      ms(r.requests.firstArmRequestMs),
      mb(r.peakRssBytes),
      r.outcome === "succeeded"
        ? `ok${r.result ? ` (${r.result})` : ""}`
        : `**${r.outcome}**${r.result ? ` (${r.result})` : ""}, ${r.instancesLatest}/${r.instances} on the new model`,
    ]),
    [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  );
}

/** `, 4.25 MB loaded at start-up, 0.25 MB more in chunks loaded on demand`: what a run's start-up has to read. */
function bundleSize(measured: Record<string, unknown>): string {
  const bytes = measured["bytes"];
  if (typeof bytes !== "number") return "";
  const chunks = measured["chunkBytes"];
  return (
    `, ${(bytes / 1e6).toFixed(2)} MB loaded at start-up` +
    (typeof chunks === "number" && chunks > 0
      ? `, ${(chunks / 1e6).toFixed(2)} MB more in chunks loaded on demand`
      : "")
  );
}

/** The read policy group whose published budget the run used most of: `HighCostGetVMScaleSet 41% (62/150)`. */
function budgetUsed(r: RunRecord): string {
  const top = r.requests.readBudget?.[0];
  if (!top) return "–";
  return `${top.group} ${Math.round(top.share * 100)}% (${top.reads}/${Math.round(top.budget)})`;
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
    .filter((op) => op !== "VirtualMachineScaleSetVMs.List")
    .sort((a, b) => Object.keys(SHORT).indexOf(a) - Object.keys(SHORT).indexOf(b));
  return table(
    ["Instances", "Run", "VM list calls", "VM list pages", ...ops.map((op) => SHORT[op] ?? op), "GETs", "Writes"],
    runs.map((r) => [
      n(r.size),
      runLabel(r),
      String(r.requests.listCalls),
      String(r.requests.listPages),
      ...ops.map((op) => String(r.requests.byOperation[op] ?? 0)),
      String(r.requests.reads),
      String(r.requests.writes),
    ]),
    [0, ...ops.map((_, i) => i + 2), ops.length + 2, ops.length + 3, ops.length + 4, ops.length + 5],
  );
}

export function timeTable(runs: readonly RunRecord[]): string {
  return table(
    [
      "Instances",
      "Run",
      "Token request",
      "1st ARM request",
      "Start → 1st batch",
      "Upgrading (platform)",
      "Between batches",
      "Ends noticed after (Σ)",
      "Last batch → exit",
      "List call, mean (longest)",
      "Wall",
    ],
    // Every run, the baselines too: they are bundled and started as the action is, so their columns compare.
    runs.map((r) => [
      n(r.size),
      runLabel(r),
      ms(r.requests.firstTokenRequestMs),
      ms(r.requests.firstArmRequestMs),
      ms(r.time.beforeFirstBatchMs),
      s(r.time.platformUpgradeMs),
      ms(r.time.betweenBatchesMs),
      ms(r.time.endsNoticedAfterMs),
      ms(r.time.afterLastBatchMs),
      r.requests.listMsMean !== undefined ? `${ms(r.requests.listMsMean)} (${ms(r.requests.listMsMax)})` : "–",
      s(r.wallMs),
    ]),
    [0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
}

export function comparisonTable(comparisons: readonly Comparison[]): string {
  return table(
    [
      "Instances",
      "vmss-rollout 100% ÷ all at once",
      "same, from 1st ARM request",
      "vmss-rollout 20% ÷ all at once",
      "one at a time ÷ vmss-rollout 20%",
    ],
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
    ["Target", "Where", "Measured", "Status", "Why"],
    targets.map((t) => [
      t.target,
      t.where,
      t.value,
      t.met === undefined ? "not measured" : t.met ? "met" : "**missed**",
      t.why ?? "",
    ]),
  );
}

/** What the figures were measured on, and how busy the machine was besides the benchmark. */
export interface RunContext {
  readonly generatedAt: string;
  readonly elapsedSeconds: number;
  readonly machine: Record<string, unknown>;
  readonly measured: Record<string, unknown>;
  readonly parameters?: Record<string, unknown>;
  /** The Azure CLI rows: which az ran them, or why there are none. */
  readonly azureCli?: string;
}

/** Above these shares of the machine's CPU taken by other processes, the figures are flagged as measured on a busy machine. */
const BUSY_OVERALL_PERCENT = 10;
const BUSY_RUN_PERCENT = 25;

export function contextText(runs: readonly RunRecord[], context: RunContext): string {
  const { machine, measured, parameters } = context;
  const committed =
    measured["distAsCommitted"] === false
      ? ", **not as committed**"
      : measured["distAsCommitted"] === true
        ? ", as committed"
        : "";
  const sizes = (parameters?.["sizes"] as { instances: number; speed: number }[] | undefined) ?? [];
  const bySpeed = new Map<number, number[]>();
  for (const size of sizes) bySpeed.set(size.speed, [...(bySpeed.get(size.speed) ?? []), size.instances]);
  const speeds = [...bySpeed].map(([speed, at]) => `${speed} at ${at.map(n).join(" and ")} instances`).join(", ");
  const latency = parameters?.["latencyMs"] as { default: number; list: number; page: number } | undefined;
  const elapsed = context.elapsedSeconds;
  const lines = [
    `Measured ${context.generatedAt.slice(0, 10)} at commit ${String(measured["commit"])} (dist/index.js sha256 ${String(measured["sha256"]).slice(0, 12)}…${committed}${bundleSize(measured)}) ` +
      `on ${String(machine["cpus"])} × ${String(machine["cpuModel"])}, Node ${String(machine["node"])}; the run took ` +
      `${Math.floor(elapsed / 60)} min ${Math.round(elapsed % 60)} s.` +
      (speeds ? ` Speed ${speeds}.` : "") +
      (latency
        ? ` ARM latency (simulated, scaled like every duration): ${latency.default} ms a request, ${latency.list} ms a list's first page, ` +
          `${latency.page} ms each further page.`
        : ""),
  ];
  if (context.azureCli) lines.push(context.azureCli);
  const calibration = machine["calibration"] as Calibration | undefined;
  if (calibration)
    lines.push(
      `Machine speed (bench/calibrate.ts, measured before the runs, medians of ${calibration.samples}): \`node -e 0\` ` +
        `starts and exits in ${Math.round(calibration.nodeStartMs)} ms; a fixed JSON workload (a 50-VM list page written and ` +
        `parsed 200 times) takes ${Math.round(calibration.workloadMs)} ms. The load figures below cannot see a host whose ` +
        `vCPUs are slower; these two can: compare runs on different machines through them.`,
    );
  const other = machine["otherCpuPercent"] as number | undefined;
  const steal = machine["stealCpuPercent"] as number | undefined;
  const busiest = runs
    .filter((r) => r.otherCpuPercent !== undefined)
    .sort((a, b) => (b.otherCpuPercent ?? 0) - (a.otherCpuPercent ?? 0))[0];
  const loads = [
    machine["loadAverage1mAtStart"] !== undefined
      ? `${JSON.stringify(machine["loadAverage1mAtStart"])} at the start`
      : undefined,
    runs.some((r) => r.loadAverage1m !== undefined)
      ? `up to ${Math.max(...runs.map((r) => r.loadAverage1m ?? 0))} as a run started`
      : undefined,
    machine["loadAverage1m"] !== undefined ? `${JSON.stringify(machine["loadAverage1m"])} at the end` : undefined,
  ].filter((l) => l !== undefined);
  const busy = (other ?? 0) + (steal ?? 0) > BUSY_OVERALL_PERCENT || (busiest?.otherCpuPercent ?? 0) > BUSY_RUN_PERCENT;
  lines.push(
    (busy ? "**The machine was busy**: " : "Machine load: ") +
      (other !== undefined
        ? `other processes used ${other}% of its CPU during the benchmark` +
          (busiest ? ` (most during ${runLabel(busiest)} at ${n(busiest.size)}: ${busiest.otherCpuPercent}%)` : "") +
          (steal !== undefined ? `, the hypervisor ${steal}% for other guests` : "") +
          "; "
        : "") +
      `1-minute load average ${loads.join(", ")} (the benchmark's own processes count in it).` +
      (busy ? " Wall times, and start-up above all, may be longer than on an idle machine." : ""),
  );
  return lines.join("\n\n");
}

export function renderReport(
  runs: readonly RunRecord[],
  comparisons: readonly Comparison[],
  targets: readonly Target[],
  context?: RunContext,
): string {
  return [
    ...(context ? [contextText(runs, context), "\n\n"] : []),
    "Runs\n",
    resultsTable(runs),
    "\nARM requests by operation\n",
    operationsTable(runs),
    "\nWhere each run's time goes\n",
    timeTable(runs),
    "\nAgainst the baselines (wall time)\n",
    comparisonTable(comparisons),
    "\nTargets\n",
    targetsTable(targets),
  ].join("");
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** Replaces the generated part of docs/benchmark.md (between the markers) with the tables of this run. */
export function renderDocsSection(
  docs: string,
  runs: readonly RunRecord[],
  comparisons: readonly Comparison[],
  targets: readonly Target[],
  context: RunContext,
): string {
  const from = docs.indexOf(START);
  const to = docs.indexOf(END);
  if (from < 0 || to < from) return docs;
  const body = [
    contextText(runs, context),
    "\n\n",
    resultsTable(runs),
    "\nAgainst the baselines (wall time):\n\n",
    comparisonTable(comparisons),
    "\nTargets:\n\n",
    targetsTable(targets),
    "\nARM requests by operation:\n\n",
    operationsTable(runs),
    "\nWhere each run's time goes:\n\n",
    timeTable(runs),
  ].join("");
  return `${docs.slice(0, from + START.length)}\n${body}${docs.slice(to)}`;
}
