// Wires the action: inputs → sign-in and Compute client → rollout → job summary, outputs, annotations, exit code.
// The only place that calls core.setFailed. Everything here is wiring; the logic lives in the modules it calls.

import * as core from "@actions/core";
import { createScaleSetApi } from "./azure/index.ts";
import { describeAuthError } from "./azure/credentials.ts";
import { parseConfig } from "./config.ts";
import { redactText } from "./redact.ts";
import { annotationsFor, buildOutputs, headline, renderSummary } from "./report/index.ts";
import { runRollout } from "./rollout.ts";
import { InputError, type Logger, type RolloutRecord, type RolloutResult } from "./types.ts";

const FAILING_RESULTS: ReadonlySet<RolloutResult> = new Set(["failed", "cancelled", "rolled-back"]);

export async function run(): Promise<void> {
  // The runner cancels a job with SIGINT, then SIGTERM a few seconds later: stop starting batches, report, exit.
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => (): void => {
    if (cancel.signal.aborted) return;
    core.info(`Received ${signal}: the job is being cancelled. No new batch starts; writing the summary.`);
    cancel.abort();
  };
  const onSigint = onSignal("SIGINT");
  const onSigterm = onSignal("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  try {
    maskCredsSecret(core.getInput("creds"));
    const config = parseConfig((name) => core.getInput(name), process.env);
    if (config.auth.mode === "creds") core.setSecret(config.auth.clientSecret);

    const logger = actionsLogger();
    const api = createScaleSetApi(config, { logger, getIDToken: (audience) => core.getIDToken(audience) });
    const record = await runRollout(config, api, { logger, signal: cancel.signal });
    await publish(record);
    if (FAILING_RESULTS.has(record.result)) core.setFailed(record.reason ?? headline(record));
  } catch (err) {
    core.setFailed(failureMessage(err));
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}

/** Job summary, outputs and annotations from the record. A summary that cannot be written does not fail the job. */
async function publish(record: RolloutRecord): Promise<void> {
  for (const [name, value] of Object.entries(buildOutputs(record))) core.setOutput(name, value);
  for (const a of annotationsFor(record)) {
    const write = a.level === "error" ? core.error : a.level === "warning" ? core.warning : core.notice;
    write(a.message, { title: a.title });
  }
  if (!process.env["GITHUB_STEP_SUMMARY"]) {
    core.info("GITHUB_STEP_SUMMARY is not set: no job summary written.");
    return;
  }
  try {
    await core.summary.addRaw(renderSummary(record)).write();
  } catch (err) {
    core.warning(`Could not write the job summary: ${failureMessage(err)}`);
  }
}

/** The creds JSON holds a client secret: mask it before anything could echo it (the parser validates it later). */
function maskCredsSecret(creds: string): void {
  if (!creds) return;
  try {
    const secret: unknown = (JSON.parse(creds) as Record<string, unknown>)["clientSecret"];
    if (typeof secret === "string" && secret) core.setSecret(secret);
  } catch {
    // Not JSON: the parser reports it, without quoting it.
  }
}

function actionsLogger(): Logger {
  // Messages reach the log redacted again, in case an Azure message quotes a SAS URL.
  return {
    debug: (message) => core.debug(redactText(message)),
    info: (message) => core.info(redactText(message)),
    warning: (message, title) => core.warning(redactText(message), title ? { title } : {}),
    error: (message, title) => core.error(redactText(message), title ? { title } : {}),
    notice: (message, title) => core.notice(redactText(message), title ? { title } : {}),
    startGroup: (name) => core.startGroup(name),
    endGroup: () => core.endGroup(),
  };
}

/** One line for any thrown value: InputError, a sign-in failure, Error, RestError, string, undefined. */
export function failureMessage(err: unknown): string {
  if (err instanceof InputError) return err.message;
  const signIn = describeAuthError(err);
  if (signIn !== undefined) return signIn;
  const text = err instanceof Error ? err.message : typeof err === "string" ? err : err === undefined ? "" : safeString(err);
  const line = redactText(text).replace(/\s+/g, " ").trim();
  return line ? `vmss-rollout failed: ${line}` : "vmss-rollout failed with an error that carries no message.";
}

function safeString(value: unknown): string {
  try {
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}
