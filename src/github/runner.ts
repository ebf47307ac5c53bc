// The runner's side of a JavaScript action: inputs from INPUT_* variables, workflow commands on stdout, outputs and the
// job summary in the files the runner names. What @actions/core does for these calls, byte for byte (its lib/core.js,
// command.js, file-command.js, utils.js and summary.js, v3; test/unit/github/runner.test.ts compares the two).
//
// Why not @actions/core itself: importing it loads @actions/http-client, undici, tunnel and @actions/exec (about 1 MB
// of the bundle, some 55 ms of a run's start on two cores, issue #18), which only its getIDToken needs. main.ts
// imports @actions/core on demand for that, in a run that signs in with OIDC.

import { randomUUID } from "node:crypto";
import { existsSync, appendFileSync, readFileSync } from "node:fs";
import { access, appendFile } from "node:fs/promises";
import { constants } from "node:fs";
import { EOL } from "node:os";

/** An annotation's properties (core's AnnotationProperties, the one the action sets). */
export type AnnotationProperties = { readonly title?: string };

/** core.getInput(name): the INPUT_ variable, white space trimmed; "" when not set. */
export function getInput(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/** core.setSecret: the runner masks the value in the log from now on. */
export function setSecret(secret: string): void {
  issue("add-mask", {}, secret);
}

export function debug(message: string): void {
  issue("debug", {}, message);
}

/**
 * Whether writing to stdout failed. The runner reads the step's stdout for its log and workflow commands; should the
 * reader go (the runner's process gone, a test that closed the pipe), a write fails with EPIPE, which Node emits as
 * an 'error' on process.stdout. Unheard, that is an uncaught exception, whose report (setFailed) writes to stdout
 * again, fails again, and so on without end: a run that never exited, a CPU busy (orphaned action processes of the
 * test suite, an hour after their test: 2026-12-07). Once it failed, nothing more is written there; the run goes on to
 * its outputs, job summary and exit code, which are files and the process's status, not stdout.
 */
let stdoutFailed = false;

/** Listens for stdout's failure (see stdoutFailed). The entry point's run calls it once. */
export function watchStdout(): void {
  process.stdout.on("error", () => {
    stdoutFailed = true;
  });
}

/** Resolves once what was written to stdout has gone out (at once when stdout failed: nothing more goes out). */
export function flushStdout(): Promise<void> {
  if (stdoutFailed || process.stdout.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
}

function write(text: string): void {
  if (stdoutFailed) return;
  process.stdout.write(text);
}

export function info(message: string): void {
  write(message + EOL);
}

export function warning(message: string, properties: AnnotationProperties = {}): void {
  issue("warning", properties, message);
}

export function error(message: string, properties: AnnotationProperties = {}): void {
  issue("error", properties, message);
}

export function notice(message: string, properties: AnnotationProperties = {}): void {
  issue("notice", properties, message);
}

export function startGroup(name: string): void {
  issue("group", {}, name);
}

export function endGroup(): void {
  issue("endgroup", {}, "");
}

/**
 * core.getIDToken: the workflow's OIDC token for this audience. @actions/core (and so its HTTP client, undici) is loaded
 * only here, by a run that signs in with OIDC: the others do not pay for it at start-up (issue #18).
 */
export async function getIDToken(audience: string): Promise<string> {
  return (await import("@actions/core")).getIDToken(audience);
}

/** Whether the runner gives a job summary file to write to ($GITHUB_STEP_SUMMARY). */
export function hasSummary(): boolean {
  return Boolean(process.env["GITHUB_STEP_SUMMARY"]);
}

/** core.setFailed: the step fails (exit code 1) with this error annotation. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

/** core.setOutput: a `name<<delimiter` block in $GITHUB_OUTPUT; the `set-output` command where the runner has none. */
export function setOutput(name: string, value: string): void {
  const file = process.env["GITHUB_OUTPUT"];
  if (file) {
    if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
    const delimiter = `ghadelimiter_${randomUUID()}`;
    if (name.includes(delimiter))
      throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    if (value.includes(delimiter))
      throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: "utf8" });
    return;
  }
  write(EOL);
  issue("set-output", { name }, value);
}

/** core.summary.addRaw(text).write(): appends to the job summary file ($GITHUB_STEP_SUMMARY). */
export async function appendSummary(text: string): Promise<void> {
  const file = process.env["GITHUB_STEP_SUMMARY"];
  if (!file) {
    throw new Error(
      "Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.",
    );
  }
  try {
    await access(file, constants.R_OK | constants.W_OK);
  } catch {
    throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`);
  }
  await appendFile(file, text, { encoding: "utf8" });
}

/** `::command key=value,…::data`, escaped as the runner reads it back (core's Command.toString). */
function issue(command: string, properties: Readonly<Record<string, string | undefined>>, message: string): void {
  // As core: a space after the command once there is any property, then those with a value.
  const props = Object.entries(properties)
    .filter(([, value]) => value)
    .map(([key, value]) => `${key}=${escapeProperty(value ?? "")}`)
    .join(",");
  const head = Object.keys(properties).length > 0 ? `::${command} ${props}` : `::${command}`;
  write(`${head}::${escapeData(message)}${EOL}`);
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * The head commit of the pull request that triggered the run (`pull_request`), from the event payload the runner
 * writes (GITHUB_EVENT_PATH: `pull_request.head.sha`): GITHUB_SHA is then the merge commit GitHub made for it, which is
 * on no branch. Not for `pull_request_target`, whose GITHUB_SHA is the base branch's commit, the code that runs.
 * Undefined for other events, or when the payload cannot be read.
 */
export function pullRequestHeadSha(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const event = env["GITHUB_EVENT_NAME"];
  const path = env["GITHUB_EVENT_PATH"];
  if (event !== "pull_request" || !path || !existsSync(path)) return undefined;
  try {
    const payload = JSON.parse(readFileSync(path, "utf8")) as { pull_request?: { head?: { sha?: unknown } } };
    const sha = payload.pull_request?.head?.sha;
    return typeof sha === "string" && /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}
