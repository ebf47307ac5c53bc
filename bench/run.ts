// `npm run bench` — the performance benchmark (never part of `npm test`). See docs/benchmark.md.
//
// For each scale-set size it starts a fresh emulator (Manual upgrade mode, Azure's published Compute throttling
// limits on, the same per-request ARM latency for every run) and rolls the same image change out four ways, each as
// its own Node process:
//   action         dist/index.js as a runner starts it, default batch size (20%)
//   action 100%    dist/index.js with batch-size 100%
//   action Flexible dist/index.js, default batch size, on a Flexible scale set of the same size (sizes marked
//                  `flexible` in bench/params.ts: 100 in the full run, 10 in --quick)
//   all-at-once    bench/baseline.ts: one manualupgrade of every instance (az vmss update-instances --instance-ids '*')
//   one-at-a-time  bench/baseline.ts: one manualupgrade per instance in turn (Terraform azurerm, Manual mode)
//   az-all-at-once, az-one-at-a-time   the same two with the Azure CLI itself (bench/az.ts), where az is installed
// and reports wall time, the platform's ideal time for the same batch plan, requests by operation, 429s, time to the
// first ARM request and peak RSS. Prints the tables, writes bench/results/latest.json and refreshes the table in
// docs/benchmark.md (full run only; `--quick` and runs with overrides write bench/results/<name>.tmp.json).
//
//   npm run bench                    full run (10, 100, 1000 instances)
//   npm run bench -- --quick         smoke check (10 and 100 instances, faster clock), under a minute
//   npm run bench -- --sizes 100 --speed 0.05 --only action,all-at-once    development; results to *.tmp.json
//   npm run bench -- --keep          keep each run's folder (action log, requests.tsv timeline) under $TMPDIR
//   npm run bench -- --dist <dir>/index.js   measure another build of the bundle (e.g. HEAD's, exported by git archive)
//   npm run bench -- --docs-only     re-render docs/benchmark.md from the runs in bench/results/latest.json, run nothing
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { actionYmlDefaults, inputVar, parseOutputFile } from "../test/e2e/harness.ts";
import { start } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import { calibrate } from "./calibrate.ts";
import { cpuSnapshot, otherCpuShare, stealShare } from "./load.ts";
import { requestFigures, timeBreakdown } from "./metrics.ts";
import { SCENARIOS, type RunRecord, type ScenarioName } from "./records.ts";
import { fastOperationPollMs } from "../src/azure/index.ts";
import { durationInput, FULL, QUICK, wallMs, type BenchParams } from "./params.ts";
import {
  renderDocsSection,
  renderReport,
  targetsOf,
  comparisonsOf,
  type Comparison,
  type RunContext,
  type Target,
} from "./report.ts";
import { runChild, tail } from "./spawn.ts";
import { azEnv, azScript, azSignIn, azVersion, findAz } from "./az.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist", "index.js");
/** The bundle the runs start: a copy of the measured bundle's folder taken when the benchmark starts (set in main), so
 *  that a rebuild of dist/ while it runs cannot mix two builds. */
let bundlePath = DIST;
/** The baselines' source; each run starts its ncc bundle (bundleBaseline), built into the run's temp folder. */
const BASELINE_SOURCE = join(ROOT, "bench", "baseline.ts");
/** Set in main: the bundled baseline. */
let baselinePath = BASELINE_SOURCE;
/** Set in main: the Azure CLI (undefined: not installed, its rows skipped) and its version. */
let azPath: string | undefined;
let azCliVersion: string | undefined;
/** The Azure CLI one-at-a-time loop runs only up to this size: each instance is one az process (seconds to start). */
const AZ_ONE_AT_A_TIME_MAX = 10;
const RESULTS = join(ROOT, "bench", "results");
const DOCS = join(ROOT, "docs", "benchmark.md");

const SCALE_SET = "vmss-bench";
const RESOURCE_GROUP = "rg-bench";
/** The seed's image is Canonical ubuntu-24_04-lts server 24.04.202409120; every run moves it to this version. */
const NEW_IMAGE_VERSION = "24.04.202502210";

interface Cli {
  readonly params: BenchParams;
  readonly only: readonly ScenarioName[];
  /** The standard run of its kind: results go to latest.json (full) and the docs. */
  readonly standard: boolean;
  readonly keep: boolean;
  /** Re-render docs/benchmark.md from bench/results/latest.json; run nothing. */
  readonly docsOnly: boolean;
  /** The bundle to measure (default dist/index.js). */
  readonly dist: string;
}

function cli(): Cli {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string" },
      speed: { type: "string" },
      only: { type: "string" },
      keep: { type: "boolean", default: false },
      "docs-only": { type: "boolean", default: false },
      dist: { type: "string" },
      help: { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(
      readFileSync(fileURLToPath(import.meta.url), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("//"))
        .slice(0, 22)
        .map((l) => l.slice(3))
        .join("\n") + "\n",
    );
    process.exit(0);
  }
  let params: BenchParams = values.quick ? QUICK : FULL;
  let standard = true;
  if (values.sizes !== undefined) {
    const sizes = values.sizes.split(",").map((s) => Number(s.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1))
      throw new Error(`--sizes: whole numbers, got ${values.sizes}`);
    const known = [...FULL.sizes, ...params.sizes];
    params = {
      ...params,
      sizes: sizes.map(
        (instances) =>
          known.find((k) => k.instances === instances) ?? { instances, speed: 0.02, oneAtATime: instances <= 100 },
      ),
    };
    standard = false;
  }
  if (values.speed !== undefined) {
    const speed = Number(values.speed);
    if (!(speed > 0)) throw new Error(`--speed: a positive number, got ${values.speed}`);
    params = { ...params, sizes: params.sizes.map((s) => ({ ...s, speed })) };
    standard = false;
  }
  let only = SCENARIOS;
  if (values.only !== undefined) {
    only = values.only.split(",").map((s) => s.trim()) as ScenarioName[];
    const unknown = only.filter((s) => !SCENARIOS.includes(s));
    if (unknown.length > 0) throw new Error(`--only: one of ${SCENARIOS.join(", ")}; got ${unknown.join(", ")}`);
    standard = false;
  }
  return {
    params,
    only,
    standard,
    keep: values.keep,
    docsOnly: values["docs-only"],
    dist: values.dist !== undefined ? resolve(values.dist) : DIST,
  };
}

/** action.yml's defaults as the runner passes them (INPUT_<NAME>), from the same reader the end-to-end tests use. */
function inputDefaults(): Record<string, string> {
  return Object.fromEntries(Object.entries(actionYmlDefaults()).map(([name, value]) => [inputVar(name), value]));
}

/** The runner's own environment for a step, with nothing of this shell's (no npm_* variables, no NODE_OPTIONS). */
function runnerEnv(workDir: string): Record<string, string> {
  const keep = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const file of ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"]) {
    const path = join(workDir, file.toLowerCase().replace("github_", ""));
    writeFileSync(path, "");
    env[file] = path;
  }
  return {
    ...env,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workDir,
    RUNNER_TEMP: workDir,
    RUNNER_OS: "Linux",
    GITHUB_REPOSITORY: "octo/app",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "4242",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_WORKFLOW: "bench",
    GITHUB_JOB: "rollout",
  };
}

/** Batches of `size` instances at `batchSize` (`20%` or a count), as the action's plan cuts them (src/domain/batches.ts). */
function expectedBatches(size: number, batchSize: string): number {
  const pct = /^(\d+)%$/.exec(batchSize);
  const per = pct ? Math.ceil((Number(pct[1]) * size) / 100) : Number(batchSize);
  return Math.ceil(size / Math.min(size, Math.max(1, per)));
}

interface Scenario {
  readonly size: number;
  readonly speed: number;
  readonly name: ScenarioName;
  readonly batchSize?: string;
}

/** Upgrade times the scenario needs back to back: its batches. */
function plannedBatches(params: BenchParams, scenario: Scenario): number {
  if (scenario.name === "one-at-a-time" || scenario.name === "az-one-at-a-time") return scenario.size;
  if (scenario.name === "all-at-once" || scenario.name === "az-all-at-once") return 1;
  return expectedBatches(scenario.size, scenario.batchSize ?? params.defaultBatchSize);
}

async function runScenario(
  params: BenchParams,
  scenario: Scenario,
  base: string,
  options: { dryRun?: boolean } = {},
): Promise<RunRecord> {
  const { size, name, speed } = scenario;
  const workDir = mkdtempSync(join(base, `${name}-${size}-`));
  const isAz = name === "az-all-at-once" || name === "az-one-at-a-time";
  const flexible = name === "action-flexible";
  const emu: Emulator = await start({
    scaleSets: [
      {
        name: SCALE_SET,
        resourceGroup: RESOURCE_GROUP,
        instances: size,
        upgradeMode: "Manual",
        instanceUpgradeSeconds: params.instanceUpgradeSeconds,
        // Flexible: the emulator's default seed leaves latestModelApplied out of the scale set's VM list (whether
        // Azure fills it there is unsettled, emulator/README.md), so the action reads the standalone VM list too.
        ...(flexible && { orchestrationMode: "Flexible" as const }),
      },
    ],
    speed,
    throttle: true,
    latencyMs: params.latencyMs,
    modelUpdateSeconds: params.modelUpdateSeconds,
    // az waits what Retry-After says between operation polls, else 30 s (azure-core's ARMPolling): told the least
    // whole second, the nearest it can come to the others' pace (emulator/README.md, "Retry-After on operation polls").
    ...(isAz && { pollRetryAfterSeconds: 1 }),
  });
  try {
    const pollMs = wallMs(speed, params.pollIntervalSeconds);
    const isAction = name === "action" || name === "action-100" || flexible;
    const planned = plannedBatches(params, scenario);
    const killAfterMs = params.killFactor * wallMs(speed, planned * params.instanceUpgradeSeconds) + 60_000;
    const env: Record<string, string> = { ...runnerEnv(workDir) };
    let script: string;
    let program: string | undefined;
    let args: string[] = [];
    // Requests before this index (az's sign-in) are not the measured process's.
    let from = 0;
    if (isAz && azPath !== undefined) {
      const configDir = join(workDir, "azure");
      mkdirSync(configDir);
      Object.assign(env, azEnv(emu, configDir));
      await azSignIn(azPath, azCliVersion, emu, env);
      from = emu.requests.length;
      program = "bash";
      script = "-c";
      args = [
        azScript(azPath, name === "az-all-at-once" ? "all" : "one", {
          resourceGroup: RESOURCE_GROUP,
          scaleSet: SCALE_SET,
          instances: size,
          imageVersion: NEW_IMAGE_VERSION,
        }),
      ];
    } else if (isAction) {
      script = bundlePath;
      Object.assign(env, inputDefaults(), emu.env(SCALE_SET, { auth: "creds" }), {
        "INPUT_RESOURCE-GROUP": RESOURCE_GROUP,
        "INPUT_SCALE-SET": SCALE_SET,
        "INPUT_IMAGE-VERSION": NEW_IMAGE_VERSION,
        "INPUT_BATCH-SIZE": scenario.batchSize ?? params.defaultBatchSize,
        "INPUT_POLL-INTERVAL": durationInput(pollMs),
        INPUT_TIMEOUT: durationInput(killAfterMs),
        ...(options.dryRun ? { "INPUT_DRY-RUN": "true" } : {}),
        NODE_EXTRA_CA_CERTS: emu.caPath,
      });
    } else {
      script = baselinePath;
      Object.assign(env, {
        NODE_EXTRA_CA_CERTS: emu.caPath,
        BENCH_BASELINE: name,
        BENCH_ARM_ENDPOINT: emu.armEndpoint,
        BENCH_AUTHORITY_HOST: emu.authorityHost,
        BENCH_TENANT_ID: emu.tenantId,
        BENCH_CLIENT_ID: emu.clientId,
        BENCH_CLIENT_SECRET: emu.clientSecret,
        BENCH_SUBSCRIPTION_ID: emu.subscriptionId,
        BENCH_RESOURCE_GROUP: RESOURCE_GROUP,
        BENCH_SCALE_SET: SCALE_SET,
        BENCH_IMAGE_VERSION: NEW_IMAGE_VERSION,
        // The baselines read an operation's status at the action's own pace (OperationPolls: fastOperationPollMs
        // while its end may be near, the poll interval otherwise), so the comparison is about the strategy, not the
        // polling.
        BENCH_POLL_MS: String(fastOperationPollMs(Math.round(pollMs))),
        BENCH_SLOW_POLL_MS: String(Math.round(pollMs)),
        BENCH_RESULT_FILE: join(workDir, "baseline.json"),
      });
    }
    const logFile = join(workDir, "log.txt");
    const loadAverage1m = load1m();
    const cpuBefore = cpuSnapshot();
    const child = await runChild({
      script,
      args,
      ...(program !== undefined && { program }),
      env,
      cwd: workDir,
      logFile,
      rssFile: join(workDir, "rss.json"),
      killAfterMs,
    });
    const cpuAfter = cpuSnapshot();
    const otherCpu = otherCpuShare(cpuBefore, cpuAfter);
    const steal = stealShare(cpuBefore, cpuAfter);
    const log = emu.requests.slice(from);
    writeFileSync(
      join(workDir, "requests.tsv"),
      log
        .map((e) =>
          [
            e.seq,
            (Date.parse(e.startedAt) - child.startEpochMs).toFixed(0),
            e.durationMs,
            e.method,
            e.operation,
            e.status,
            Object.entries(e.query)
              .filter(([k]) => k !== "api-version")
              .map(([k, v]) => `${k}=${v}`)
              .join("&"),
          ].join("\t"),
        )
        .join("\n") + "\n",
    );
    const state = emu.state(SCALE_SET);
    const outputs = isAction ? parseOutputFile(readFileSync(env["GITHUB_OUTPUT"] ?? "", "utf8")) : {};
    let batches = planned;
    const summary = outputs["summary-json"];
    if (summary) {
      try {
        const record = JSON.parse(summary) as { batches?: unknown[] };
        if (Array.isArray(record.batches)) batches = record.batches.length;
      } catch {
        // keep the expected count
      }
    }
    const pauseSeconds = 0; // pause-between-batches: the action's default, 0s
    const idealMs = wallMs(speed, batches * params.instanceUpgradeSeconds + Math.max(0, batches - 1) * pauseSeconds);
    const latest = state.instances.filter((i) => i.latestModelApplied).length;
    const outcome = child.killedAfterTimeout
      ? "killed"
      : child.exitCode === 0 && latest === state.instances.length
        ? "succeeded"
        : "failed";
    if (outcome !== "succeeded" && !options.dryRun) {
      process.stderr.write(
        `\n${name} at ${size}: ${outcome} (exit ${child.exitCode ?? child.signal}); last lines of its log:\n${tail(logFile)}\n`,
      );
    }
    return {
      size,
      scenario: name,
      ...(scenario.batchSize ? { batchSize: scenario.batchSize } : {}),
      speed,
      pollMs,
      outcome,
      exitCode: child.exitCode,
      ...(outputs["result"] ? { result: outputs["result"] } : {}),
      instancesLatest: latest,
      instances: state.instances.length,
      batches,
      wallMs: child.wallMs,
      idealMs,
      ratio: child.wallMs / idealMs,
      requests: requestFigures(log, child.startEpochMs, child.wallMs, pollMs, speed),
      time: timeBreakdown(state.operations, log, child.startEpochMs, child.wallMs),
      // az's peak RSS is not measured: the process is bash, which starts one az (Python) process after another.
      ...(child.peakRssBytes !== undefined && !isAz
        ? { peakRssBytes: child.peakRssBytes, peakRssSource: child.peakRssSource }
        : {}),
      loadAverage1m,
      ...(otherCpu !== undefined ? { otherCpuPercent: Math.round(otherCpu * 1000) / 10 } : {}),
      ...(steal !== undefined ? { stealCpuPercent: Math.round(steal * 1000) / 10 } : {}),
    };
  } finally {
    await emu.stop();
  }
}

function scenariosFor(params: BenchParams, only: readonly ScenarioName[]): Scenario[] {
  const list: Scenario[] = [];
  for (const { instances: size, speed, oneAtATime, flexible } of params.sizes) {
    list.push({ size, speed, name: "action", batchSize: params.defaultBatchSize });
    list.push({ size, speed, name: "action-100", batchSize: params.fullBatchSize });
    if (flexible) list.push({ size, speed, name: "action-flexible", batchSize: params.defaultBatchSize });
    list.push({ size, speed, name: "all-at-once" });
    if (oneAtATime) list.push({ size, speed, name: "one-at-a-time" });
    if (azPath !== undefined) {
      list.push({ size, speed, name: "az-all-at-once" });
      if (size <= AZ_ONE_AT_A_TIME_MAX) list.push({ size, speed, name: "az-one-at-a-time" });
    }
  }
  return list.filter((s) => only.includes(s.name));
}

/**
 * The baselines bundled the way the action is (ncc, one ESM file, started with plain `node`), so that neither pays
 * for TypeScript stripping or for resolving node_modules at start-up. Built per benchmark run, never committed.
 */
function bundleBaseline(base: string): string {
  const out = join(base, "baseline");
  const ncc = join(ROOT, "node_modules", ".bin", "ncc");
  execFileSync(ncc, ["build", BASELINE_SOURCE, "-o", out, "--quiet"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const bundled = join(out, "index.js");
  process.stdout.write(`Baselines bundled with ncc: ${(readFileSync(bundled).length / 1e6).toFixed(1)} MB\n`);
  return bundled;
}

/** What was measured: the bundle's hash and size, the commit checked out, and whether the bundle is the one committed there. */
function subject(source: string, snapshot: string): Record<string, unknown> {
  const bundle = readFileSync(snapshot);
  const sha256 = createHash("sha256").update(bundle).digest("hex");
  let commit = "unknown";
  let committed: boolean | undefined;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    // Read-only: the bundle committed at HEAD, compared byte for byte through its hash.
    const atHead = execFileSync("git", ["show", "HEAD:dist/index.js"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 2 ** 20,
    });
    committed = createHash("sha256").update(atHead).digest("hex") === sha256;
  } catch {
    // not a git checkout
  }
  const shown = relative(ROOT, source);
  return {
    dist: shown.startsWith("..") ? source : shown,
    bytes: bundle.length,
    // ncc's chunks of dynamic import()s (Octokit, say): only a run that needs them loads them.
    chunkBytes: readdirSync(dirname(snapshot))
      .filter((f) => f.endsWith(".js") && f !== basename(snapshot))
      .reduce((sum, f) => sum + statSync(join(dirname(snapshot), f)).size, 0),
    sha256,
    commit,
    ...(committed !== undefined ? { distAsCommitted: committed } : {}),
  };
}

const load1m = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    /** The 1-minute load average when the run ended: the machine may be shared. */
    loadAverage1m: load1m(),
    platform: `${process.platform} ${process.arch}`,
  };
}

/** JSON.stringify replacer: three decimals are plenty for milliseconds, ratios and speeds. */
const rounded = (_key: string, value: unknown): unknown =>
  typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

interface Results extends RunContext {
  readonly runs: RunRecord[];
  readonly comparisons: Comparison[];
  readonly targets: Target[];
}

function writeDocs(results: Results): void {
  if (!existsSync(DOCS)) return;
  const docs = readFileSync(DOCS, "utf8");
  const updated = renderDocsSection(docs, results.runs, results.comparisons, results.targets, results);
  if (updated !== docs) {
    writeFileSync(DOCS, updated);
    process.stdout.write(`Tables refreshed in ${DOCS.slice(ROOT.length + 1)}\n`);
  }
}

async function main(): Promise<void> {
  const { params, only, standard, keep, docsOnly, dist } = cli();
  if (docsOnly) {
    // The tables are functions of the runs: comparisons and targets are derived again (the measurements are not touched).
    const file = join(RESULTS, "latest.json");
    const saved = JSON.parse(readFileSync(file, "utf8")) as Results;
    const comparisons = comparisonsOf(saved.runs);
    const derived = { ...saved, comparisons, targets: targetsOf(saved.runs, comparisons) };
    writeFileSync(file, JSON.stringify(derived, rounded, 2) + "\n");
    writeDocs(derived);
    return;
  }
  if (!existsSync(dist)) {
    process.stderr.write(`${dist} does not exist: run \`npm run build\` first.\n`);
    process.exit(2);
  }
  const began = performance.now();
  const loadAtStart = load1m();
  const cpuAtStart = cpuSnapshot();
  const base = mkdtempSync(join(tmpdir(), "vmss-bench-"));
  cpSync(dirname(dist), join(base, "bundle"), { recursive: true });
  bundlePath = join(base, "bundle", basename(dist));
  const measured = subject(dist, bundlePath);
  if (measured["distAsCommitted"] === false) {
    process.stdout.write(
      `Note: ${String(measured["dist"])} is not the bundle committed at ${String(measured["commit"])}; measuring it as it is.\n`,
    );
  }
  baselinePath = bundleBaseline(base);
  azPath = findAz();
  if (azPath !== undefined)
    azCliVersion = await azVersion(azPath, {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? base,
      AZURE_CONFIG_DIR: join(base, "azure-version"),
    });
  const azureCli =
    azPath === undefined
      ? "Azure CLI rows skipped: az is not installed here (set BENCH_AZ to its path to include them)."
      : `Azure CLI rows: az ${azCliVersion ?? "(version unknown)"} (\`${azPath}\`), signed in to the emulator before each run (not measured); ` +
        `the emulator tells az \`Retry-After: 1\` (s) on operation polls, its least whole second; the one-at-a-time loop runs up to ` +
        `${AZ_ONE_AT_A_TIME_MAX} instances (one az process, seconds to start, per instance). Each az command's start-up is wall time that ` +
        `the compressed clock turns into many simulated seconds.`;
  process.stdout.write(`${azureCli}\n`);
  // Before any run, on an otherwise idle machine: the yardstick for comparing this run with runs on other hosts.
  const calibration = await calibrate();
  process.stdout.write(
    `Machine speed: node -e 0 ${calibration.nodeStartMs.toFixed(0)} ms, JSON workload ${calibration.workloadMs.toFixed(0)} ms (medians of ${calibration.samples})\n`,
  );
  const scenarios = scenariosFor(params, only);
  const minimum = scenarios.reduce(
    (sum, s) => sum + wallMs(s.speed, plannedBatches(params, s) * params.instanceUpgradeSeconds),
    0,
  );
  process.stdout.write(
    `vmss-rollout benchmark (${params.name}${standard ? "" : ", with overrides"}): ${scenarios.length} runs; ` +
      `simulated upgrade ${params.instanceUpgradeSeconds}s, poll interval ${params.pollIntervalSeconds}s, ARM latency ` +
      `${params.latencyMs.default}/${params.latencyMs.list}/${params.latencyMs.page} ms (request/list/page); speed ` +
      `${params.sizes.map((s) => `${s.speed} at ${s.instances}`).join(", ")} → at least ${secs(minimum)} of upgrades\n`,
  );

  // Warm-up, not measured: one dry run of the action and one tiny baseline, so the first measured run does not pay
  // for a cold file cache (a runner's checkout has just written dist/ too).
  await runScenario(params, { size: 2, speed: 0.005, name: "action", batchSize: params.defaultBatchSize }, base, {
    dryRun: true,
  });
  await runScenario(params, { size: 2, speed: 0.005, name: "all-at-once" }, base, { dryRun: true });

  const runs: RunRecord[] = [];
  for (const scenario of scenarios) {
    process.stdout.write(`  ${scenario.name.padEnd(16)} ${String(scenario.size).padStart(5)} instances … `);
    const run = await runScenario(params, scenario, base);
    runs.push(run);
    process.stdout.write(
      `${secs(run.wallMs)} (ideal ${secs(run.idealMs)}, ×${run.ratio.toFixed(2)}), ${run.outcome}` +
        `${run.otherCpuPercent !== undefined ? `; other processes ${run.otherCpuPercent}% CPU` : ""}\n`,
    );
  }
  const elapsedSeconds = (performance.now() - began) / 1000;
  const cpuAtEnd = cpuSnapshot();
  const otherCpuAll = otherCpuShare(cpuAtStart, cpuAtEnd);
  const stealAll = stealShare(cpuAtStart, cpuAtEnd);

  const header = {
    schema: 1,
    generatedAt: new Date().toISOString(),
    command: `npm run bench${[
      ...(params.name === "quick" ? ["--quick"] : []),
      ...(dist !== DIST ? [`--dist ${dist}`] : []),
    ].reduce((line, arg, i) => `${line}${i === 0 ? " --" : ""} ${arg}`, "")}`,
    standard,
    elapsedSeconds: Math.round(elapsedSeconds),
    machine: {
      ...machine(),
      loadAverage1mAtStart: loadAtStart,
      calibration,
      ...(otherCpuAll !== undefined ? { otherCpuPercent: Math.round(otherCpuAll * 1000) / 10 } : {}),
      ...(stealAll !== undefined ? { stealCpuPercent: Math.round(stealAll * 1000) / 10 } : {}),
    },
    measured,
    azureCli,
    parameters: {
      ...params,
      sizes: params.sizes.map((s) => ({
        ...s,
        pollIntervalWallMs: wallMs(s.speed, params.pollIntervalSeconds),
        instanceUpgradeWallMs: wallMs(s.speed, params.instanceUpgradeSeconds),
      })),
      upgradeMode: "Manual",
      throttle: "emulator throttle: true (Azure's published Compute limits)",
      change: `storageProfile.imageReference.version 24.04.202409120 → ${NEW_IMAGE_VERSION}`,
      healthSignal: "none (no Application Health extension or probe)",
    },
  };
  // Everything below works on the figures as saved (three decimals), so the printed tables, latest.json and
  // `--docs-only` agree to the last digit.
  const savedRuns = JSON.parse(JSON.stringify(runs, rounded)) as RunRecord[];
  const comparisons: Comparison[] = comparisonsOf(savedRuns);
  const targets: Target[] = targetsOf(savedRuns, comparisons);
  const results = { ...header, runs: savedRuns, comparisons, targets };
  const report = renderReport(savedRuns, comparisons, targets, results);
  process.stdout.write(`\n${report}\n\nBenchmark took ${elapsedSeconds.toFixed(0)} s.\n`);

  mkdirSync(RESULTS, { recursive: true });
  const out =
    standard && params.name === "full" ? join(RESULTS, "latest.json") : join(RESULTS, `${params.name}.tmp.json`);
  writeFileSync(out, JSON.stringify(results, rounded, 2) + "\n");
  process.stdout.write(`Results: ${out.slice(ROOT.length + 1)}\n`);
  if (standard && params.name === "full") writeDocs(results);
  if (!keep) rmSync(base, { recursive: true, force: true });
  else process.stdout.write(`Run folders kept in ${base}\n`);
  if (runs.some((r) => r.outcome !== "succeeded")) process.exitCode = 1;
}

// Run only as the program (`npm run bench`), never when a test or another script imports this module.
if (import.meta.main) await main();
