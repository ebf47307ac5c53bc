// Wires the action: inputs → sign-in and Compute client → rollout → job summary, outputs, annotations, exit code.
// The only place that calls setFailed. Everything here is wiring; the logic lives in the modules it calls.

import * as runner from "./github/runner.ts";
import { createScaleSetApi, describeAuthError, routeSdkLog } from "./azure/index.ts";
import { parseConfig } from "./config/inputs.ts";
import { errorLine, failureMessage } from "./domain/error-text.ts";
import { Gate } from "./shared/gate.ts";
import { annotationsFor, buildOutputs, headline, renderSummary } from "./report/index.ts";
import { runRollout } from "./engine/rollout.ts";
import { finalState } from "./domain/deployment.ts";
import { failsJob, type RolloutRecord } from "./domain/record.ts";
import type { DeploymentTracker } from "./github/tracker.ts";
import type { Logger } from "./engine/ports.ts";

export interface RunOptions {
  /**
   * Also report errors nothing caught (an uncaught exception, an unhandled rejection, during the run or after it):
   * through the gate, failing the step, instead of Node's raw stack; and stop writing to stdout once it failed
   * (runner.watchStdout). The entry point sets it; tests in-process do not (the handlers stay installed until the
   * process ends).
   */
  readonly catchStrays?: boolean;
}

export async function run(options: RunOptions = {}): Promise<void> {
  // Everything printed goes through the gate (src/shared/gate.ts); it learns each secret as the runner does.
  const gate = new Gate();
  const log = gatedLog(gate);
  if (options.catchStrays) {
    runner.watchStdout();
    const onStray = (err: unknown): void =>
      runner.setFailed(
        gate.message(`vmss-rollout failed with an unexpected error: ${errorLine(err) || "(no message)"}`),
      );
    process.on("uncaughtException", onStray);
    process.on("unhandledRejection", onStray);
  }
  const mask = (secret: string): void => {
    gate.addSecret(secret);
    runner.setSecret(secret);
  };
  // The runner cancels a job with SIGINT, then SIGTERM a few seconds later: stop starting batches, report, exit.
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => (): void => {
    if (cancel.signal.aborted) return;
    log.info(`Received ${signal}: the job is being cancelled. No new batch starts; writing the summary.`);
    cancel.abort();
  };
  const onSigint = onSignal("SIGINT");
  const onSigterm = onSignal("SIGTERM");
  // The GitHub deployment (deployment-environment), once the inputs are read; its final status is sent once.
  let deployment: DeploymentTracker | undefined;
  try {
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    // AZURE_LOG_LEVEL: the SDK's own log lines (raw Azure errors, several lines each) reach the log through the gate.
    routeSdkLog((line) => log.info(line));
    // The event payload is read only if the inputs ask for a GitHub deployment (its ref on a pull request).
    const config = parseConfig(
      (name) => runner.getInput(name),
      process.env,
      () => ({
        pullRequestHeadSha: runner.pullRequestHeadSha(),
      }),
    );
    // Before anything is logged: the client secret, SAS tokens of extension-file-uris (access tokens follow as issued).
    for (const secret of config.secrets) mask(secret);

    for (const note of config.notes ?? []) log.info(note);
    for (const w of config.warnings ?? []) log.warning(w.message, w.title);
    // Octokit (@actions/github) is loaded only for a run that asks for a GitHub deployment: start-up (issue #18).
    const tracker = config.deployment
      ? (await import("./github/deployments.ts")).trackDeployment(config, log, cancel.signal)
      : undefined;
    deployment = tracker;
    const api = createScaleSetApi(config, {
      logger: log,
      getIDToken: async (audience) => {
        // The runner masks the token; the gate learns it too.
        const token = await runner.getIDToken(audience);
        gate.addSecret(token);
        return token;
      },
      mask,
      hide: (secret) => gate.addSecret(secret, { exact: true }),
      cancel: cancel.signal,
    });
    let record = await runRollout(config, api, {
      logger: log,
      signal: cancel.signal,
      ...(tracker && { onWriteStart: (previous, change) => tracker.writeStarted(previous, change) }),
    });
    if (tracker) {
      deployment = undefined;
      const recorded = await tracker.finish(finalState(record.result), headline(record), record.previousModel);
      record = { ...record, deployment: recorded };
    }
    // Every string of the record redacted with every secret known by now, before the report escapes anything; its
    // result is the action's own word, kept as it is (a mask that happened to match it must not turn a failure into
    // an unknown result: the exit code, the headline and the `result` output follow it).
    record = { ...gate.scrub(record), result: record.result };
    // The rollout's own failure comes first; a report that could not be written is said after it, not instead.
    const failures = [
      ...(failsJob(record.result) ? [record.reason ?? headline(record)] : []),
      ...(await publish(record, gate, log)),
    ];
    if (failures.length > 0) runner.setFailed(gate.message(failures.join(" ")));
  } catch (err) {
    const message = gate.message(failureMessage(err, describeAuthError));
    // A failure outside the rollout (sign-in, say): the deployment, if one was started, ends in error. Whatever that
    // does, the step fails with the message.
    await deployment?.finish("error", message, undefined).catch(() => undefined);
    runner.setFailed(message);
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}

/**
 * Outputs, annotations and the job summary from the record. Returns what could not be written and fails the job:
 * outputs later steps rely on. A summary that cannot be written is a warning only.
 */
async function publish(record: RolloutRecord, gate: Gate, log: Logger): Promise<string[]> {
  const failures: string[] = [];
  try {
    for (const [name, value] of Object.entries(buildOutputs(record))) runner.setOutput(name, gate.maskKnown(value));
  } catch (err) {
    failures.push(`The action's outputs could not be written: ${errorLine(err)}.`);
  }
  for (const a of annotationsFor(record)) {
    if (a.level === "error") log.error(a.message, a.title);
    else if (a.level === "warning") log.warning(a.message, a.title);
    else log.notice(a.message, a.title);
  }
  if (!runner.hasSummary()) {
    log.info("GITHUB_STEP_SUMMARY is not set: no job summary written.");
    return failures;
  }
  try {
    // The record is redacted already; the rendered text is checked once more for a known secret in any spelling.
    await runner.appendSummary(gate.maskKnown(renderSummary(record)));
  } catch (err) {
    log.warning(`Could not write the job summary: ${errorLine(err)}`);
  }
  return failures;
}

/**
 * The log as the engine, the Azure adapter and main itself write it: every message, title and group name through the
 * gate. Lines (info, debug, group names, titles) are kept on one line; annotation messages keep their line breaks,
 * which the runner module escapes in the command's data.
 */
function gatedLog(gate: Gate): Logger {
  const props = (title: string | undefined) => (title ? { title: gate.line(title) } : {});
  return {
    debug: (message) => runner.debug(gate.line(message)),
    info: (message) => runner.info(gate.line(message)),
    warning: (message, title) => runner.warning(gate.message(message), props(title)),
    error: (message, title) => runner.error(gate.message(message), props(title)),
    notice: (message, title) => runner.notice(gate.message(message), props(title)),
    startGroup: (name) => runner.startGroup(gate.line(name)),
    endGroup: () => runner.endGroup(),
  };
}
