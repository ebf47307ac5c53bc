// Runs the bundled action (dist/index.js) exactly as a GitHub runner does: a child `node` process whose inputs are
// INPUT_<NAME> environment variables (name upper-cased, spaces → `_`, hyphens kept), with every input that the
// workflow does not set given its action.yml default, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY pointing at files.
//
// The environment is built from scratch (no INPUT_*, GITHUB_*, ACTIONS_* or AZURE_* of the machine running the tests
// leaks in): runner variables, action.yml defaults, then emu.env(scaleSet) (the emulator's endpoints, CA and
// sign-in), then the test's inputs and env. An input or variable set to `undefined` is removed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { Emulator, RequestLogEntry } from "../../emulator/types.ts";
import { RUNNER_CANCEL } from "../support/runner-cancel.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST = join(ROOT, "dist", "index.js");

export type Inputs = Readonly<Record<string, string | undefined>>;
export type EnvVars = Readonly<Record<string, string | undefined>>;

export interface RunOptions {
  /** The emulator the action talks to; its env(scaleSet, {auth}) is applied. Omit to run without one. */
  readonly emu?: Emulator;
  /** Scale set for emu.env(); default: the emulator's default. */
  readonly scaleSet?: string;
  /** Sign-in emu.env() sets up (default: the emulator's default, creds). */
  readonly auth?: "creds" | "oidc";
  /** Action inputs by their action.yml name (`batch-size`); undefined removes one. */
  readonly inputs?: Inputs;
  /** Environment variables set last; undefined removes one. */
  readonly env?: EnvVars;
  /** Kill the child (SIGKILL) after this long; the result then has killedByHarness. Default 60 s. */
  readonly killAfterMs?: number;
  /** Called with every chunk of stdout as it arrives (the demo streams the log). */
  readonly onStdout?: (chunk: string) => void;
  readonly onStderr?: (chunk: string) => void;
  /** Directory for GITHUB_OUTPUT (github-output.txt), GITHUB_STEP_SUMMARY (summary.md), HOME and RUNNER_TEMP; kept.
   *  Default: a fresh temporary directory, removed once the run ended. */
  readonly workDir?: string;
}

export interface RunResult {
  /** null when the process ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed from the GITHUB_OUTPUT file (heredoc `name<<delimiter` and `name=value` lines). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Text of the GITHUB_STEP_SUMMARY file ("" when it was not written). */
  readonly summary: string;
  readonly summaryExists: boolean;
  readonly durationMs: number;
  readonly killedByHarness: boolean;
  /** The environment the child got (for diagnostics). */
  readonly env: Readonly<Record<string, string>>;
  readonly outputPath: string;
  readonly summaryPath: string;
}

export interface RunningAction {
  readonly child: ChildProcess;
  /** stdout received so far. */
  stdout(): string;
  readonly done: Promise<RunResult>;
}

/** Runner-provided variables (what a GitHub-hosted runner sets for a `push` run), minus the file commands. */
export const RUNNER_ENV: Readonly<Record<string, string>> = {
  CI: "true",
  GITHUB_ACTIONS: "true",
  GITHUB_REPOSITORY: "octo/app",
  GITHUB_REPOSITORY_OWNER: "octo",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_API_URL: "https://api.github.com",
  GITHUB_RUN_ID: "1234567890",
  GITHUB_RUN_NUMBER: "42",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_WORKFLOW: "deploy",
  GITHUB_JOB: "rollout",
  GITHUB_EVENT_NAME: "push",
  GITHUB_REF: "refs/tags/v1",
  GITHUB_SHA: "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c",
  GITHUB_ACTOR: "octocat",
  RUNNER_OS: "Linux",
  RUNNER_ARCH: "X64",
};

let actionDefaults: Record<string, string> | undefined;

/** Inputs of action.yml that have a default, with it (a runner sets INPUT_<NAME> to the default when `with:` omits it). */
export function actionYmlDefaults(): Readonly<Record<string, string>> {
  if (!actionDefaults) {
    const doc = parseYaml(readFileSync(join(ROOT, "action.yml"), "utf8")) as {
      inputs: Record<string, { default?: unknown }>;
    };
    actionDefaults = {};
    for (const [name, spec] of Object.entries(doc.inputs)) {
      // An expression default (`${{ github.token }}`) is the runner's to evaluate: the test or emu.env() gives it.
      if (typeof spec.default === "string" && spec.default.includes("${{")) continue;
      if (spec.default !== undefined && spec.default !== null)
        actionDefaults[name] =
          typeof spec.default === "object"
            ? JSON.stringify(spec.default)
            : `${spec.default as string | number | boolean}`;
    }
  }
  return actionDefaults;
}

/** INPUT_<NAME> as the runner names it (and @actions/core reads it). */
export function inputVar(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** Parses a GITHUB_OUTPUT file: `name<<delim` … `delim` blocks (what @actions/core writes) and `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = "", delim = ""] = heredoc;
      const value: string[] = [];
      let j = i + 1;
      for (; j < lines.length && lines[j] !== delim; j++) value.push(lines[j] ?? "");
      if (j >= lines.length) throw new Error(`GITHUB_OUTPUT: no closing delimiter ${delim} for ${name}`);
      outputs[name] = value.join("\n");
      i = j;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: unparseable line ${JSON.stringify(line)}`);
    outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

/** Base environment: only what a process needs to run (PATH, HOME, locale, temp), nothing of the test machine's CI. */
function baseEnv(home: string): Record<string, string> {
  const keep = ["PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT"];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env["HOME"] = home;
  env["TMPDIR"] = join(home, "tmp");
  return env;
}

function apply(env: Record<string, string>, vars: EnvVars): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}

export function assertDistBuilt(): void {
  if (!existsSync(DIST)) throw new Error(`${DIST} does not exist: run \`npm run build\` first`);
}

/** Starts dist/index.js; `done` resolves when it exits (never rejects for a non-zero exit). */
/** Waits (polling every 10 ms) until `condition` holds; throws naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The actions started and not yet ended (see killRunningActions). */
const live = new Set<ChildProcess>();

/**
 * Kills (SIGKILL) every action this process started that still runs: the e2e fixtures call it after each test, so
 * that a test that failed while its action ran leaves no process behind (its kill timer would die with the test
 * worker) to load the machine for the tests after it.
 */
export function killRunningActions(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

export function startAction(options: RunOptions = {}): RunningAction {
  assertDistBuilt();
  const ownDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "vmss-rollout-e2e-"));
  const home = join(workDir, "home");
  const runnerTemp = join(workDir, "runner-temp");
  for (const dir of [join(home, "tmp"), runnerTemp]) mkdirSync(dir, { recursive: true });
  const outputPath = join(workDir, "github-output.txt");
  const summaryPath = join(workDir, "summary.md");
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");

  const env = baseEnv(home);
  apply(env, RUNNER_ENV);
  env["RUNNER_TEMP"] = runnerTemp;
  env["GITHUB_WORKSPACE"] = workDir;
  env["GITHUB_OUTPUT"] = outputPath;
  env["GITHUB_STEP_SUMMARY"] = summaryPath;
  for (const [name, value] of Object.entries(actionYmlDefaults())) env[inputVar(name)] = value;
  if (options.emu) {
    const emuEnv = options.emu.env(options.scaleSet, options.auth ? { auth: options.auth } : undefined);
    apply(env, emuEnv);
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    if (value === undefined) delete env[inputVar(name)];
    else env[inputVar(name)] = value;
  }
  apply(env, options.env ?? {});

  const started = performance.now();
  const child = spawn(process.execPath, [DIST], { cwd: workDir, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.on("exit", () => live.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(chunk);
  });
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
    options.onStderr?.(chunk);
  });
  let killedByHarness = false;
  const killTimer = setTimeout(() => {
    killedByHarness = true;
    child.kill("SIGKILL");
  }, options.killAfterMs ?? 60_000);

  const done = new Promise<RunResult>((resolvePromise, reject) => {
    child.on("error", (err) => {
      clearTimeout(killTimer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(killTimer);
      const durationMs = Math.round(performance.now() - started);
      const summaryExists = existsSync(summaryPath);
      const summary = summaryExists ? readFileSync(summaryPath, "utf8") : "";
      const outputText = existsSync(outputPath) ? readFileSync(outputPath, "utf8") : "";
      const result: RunResult = {
        exitCode: code,
        signal,
        stdout,
        stderr,
        outputs: parseOutputFile(outputText),
        summary,
        summaryExists: summaryExists && summary.length > 0,
        durationMs,
        killedByHarness,
        env,
        outputPath,
        summaryPath,
      };
      if (ownDir) rmSync(workDir, { recursive: true, force: true });
      resolvePromise(result);
    });
  });
  return { child, stdout: () => stdout, done };
}

/** Inputs that keep a run against a fast emulator short: frequent polls, bounded waits. */
export const FAST: Readonly<Record<string, string>> = {
  "poll-interval": "50ms",
  "health-timeout": "20s",
  timeout: "2m",
};

/**
 * ARM write requests (PUT/PATCH/POST/DELETE) whose path ends with `suffix` (case-insensitive), tag writes (the lease:
 * tags-only PATCHes, `VirtualMachineScaleSets.UpdateTags`) left out; see tagWrites.
 */
export function writesTo(emu: Emulator, suffix: RegExp): RequestLogEntry[] {
  return emu.writes().filter((r) => suffix.test(r.path) && r.operation !== TAG_WRITE);
}

const TAG_WRITE = "VirtualMachineScaleSets.UpdateTags";

/** The tag writes (tags-only PATCHes of a scale set: the lease), in arrival order. */
export function tagWrites(emu: Emulator): RequestLogEntry[] {
  return emu.writes().filter((r) => r.operation === TAG_WRITE);
}

/** The manualupgrade POSTs, in arrival order. */
export function manualUpgrades(emu: Emulator): RequestLogEntry[] {
  return writesTo(emu, /\/manualupgrade$/i);
}

export interface Cancelled {
  readonly result: RunResult;
  /** Milliseconds from the first signal to the process's end (its output streams closed). */
  readonly exitMs: number;
  /** The signals sent after the first because the action still ran: empty when the first signal ended it. */
  readonly escalated: readonly ("SIGTERM" | "SIGKILL")[];
}

/**
 * Cancels the action as the runner does (RUNNER_CANCEL) and waits for it to end. The tests expect `escalated` empty:
 * a step the runner has to SIGKILL loses its summary and outputs. How soon it ends (`exitMs`; issue #18 asks for
 * 5 s) is the benchmark's to measure (bench/cancel.ts), not a timed assertion.
 */
export async function cancelAsRunner(running: RunningAction, first: "SIGINT" | "SIGTERM"): Promise<Cancelled> {
  const escalated: ("SIGTERM" | "SIGKILL")[] = [];
  const timers: NodeJS.Timeout[] = [];
  if (first === "SIGINT")
    timers.push(
      setTimeout(() => {
        escalated.push("SIGTERM");
        running.child.kill("SIGTERM");
      }, RUNNER_CANCEL.sigtermAfterMs),
    );
  timers.push(
    setTimeout(() => {
      escalated.push("SIGKILL");
      running.child.kill("SIGKILL");
    }, RUNNER_CANCEL.killAfterMs),
  );
  const sentAt = performance.now();
  running.child.kill(first);
  const result = await running.done;
  const exitMs = performance.now() - sentAt;
  for (const timer of timers) clearTimeout(timer);
  return { result, exitMs, escalated };
}

export function runAction(options: RunOptions = {}): Promise<RunResult> {
  return startAction(options).done;
}

// ───────────────────────────── helpers for assertions ─────────────────────────────

/** The `::error::` lines of a run's stdout (the message part, workflow-command escapes undone). */
export function errorLines(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .filter((line) => line.startsWith("::error"))
    .map((line) => unescapeData(line.slice(line.indexOf("::", 2) + 2)));
}

function unescapeData(text: string): string {
  return text.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%");
}

/** JSON-parses an output that holds a JSON array of instance IDs. */
export function idList(outputs: Readonly<Record<string, string>>, name: string): string[] {
  const raw = outputs[name];
  if (raw === undefined) throw new Error(`output ${name} was not set; outputs: ${Object.keys(outputs).join(", ")}`);
  const value: unknown = JSON.parse(raw);
  if (!Array.isArray(value)) throw new Error(`output ${name} is not a JSON array: ${raw}`);
  return value.map(String);
}

/** Every place a user can read: the job log (stdout, stderr), the summary and all outputs, as one labelled list. */
export function visibleTexts(result: RunResult): Array<[string, string]> {
  return [
    // `::add-mask::<value>` lines are read by the runner and never shown; everything else on stdout is.
    [
      "stdout",
      result.stdout
        .split("\n")
        .filter((line) => !line.startsWith("::add-mask::"))
        .join("\n"),
    ],
    ["stderr", result.stderr],
    ["summary", result.summary],
    ["summary as rendered", readable(result.summary)],
    ...Object.entries(result.outputs).map(([name, value]): [string, string] => [`output ${name}`, value]),
  ];
}

/** Where each secret appears in what a user can read (empty = nowhere). Secrets shorter than 8 chars are refused. */
export function leaks(result: RunResult, secrets: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    if (secret.length < 8) throw new Error(`secret ${label} is too short to scan for meaningfully`);
    for (const [where, text] of visibleTexts(result)) {
      if (text.includes(secret)) found.push(`${label} in ${where}`);
    }
  }
  return found;
}

/**
 * Markdown/HTML as a reader sees it: tags removed, character references (`&#95;`, `&amp;`) decoded. The report escapes
 * every Azure-provided string into character references, so assertions on names and messages read this text.
 */
export function readable(markdown: string): string {
  return markdown
    .replace(/<[^>]+>/g, "")
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(
      /&(amp|lt|gt|quot|apos|nbsp);/g,
      (_m, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " })[name] ?? "",
    );
}

/** Anything shaped like a JWT (access tokens, GitHub ID tokens, client assertions) in what a user can read. */
export function jwtsIn(result: RunResult): string[] {
  const found: string[] = [];
  for (const [where, text] of visibleTexts(result)) {
    for (const match of text.matchAll(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g))
      found.push(`${where}: ${match[0].slice(0, 24)}…`);
  }
  return found;
}

/** A readable dump of a run for failure messages. */
export function describeRun(result: RunResult): string {
  return [
    `exit ${String(result.exitCode)}${result.signal ? ` (signal ${result.signal})` : ""}${result.killedByHarness ? " KILLED BY HARNESS" : ""} in ${result.durationMs} ms`,
    "── stdout ──",
    result.stdout.slice(-6000),
    "── stderr ──",
    result.stderr.slice(-3000),
    "── outputs ──",
    JSON.stringify(result.outputs, null, 2).slice(0, 3000),
    "── summary ──",
    result.summary.slice(0, 4000),
  ].join("\n");
}
