// Wires the action: inputs → sign-in and Compute client → rollout → job summary, outputs, annotations, exit code.
// The only place that calls core.setFailed. Everything here is wiring; the logic lives in the modules it calls.

import * as core from "@actions/core";
import { createScaleSetApi } from "./azure/index.ts";
import { describeAuthError } from "./azure/credentials.ts";
import { parseConfig } from "./config/inputs.ts";
import { errorLine, failureMessage } from "./domain/error-text.ts";
import { redactText } from "./shared/redact.ts";
import { annotationsFor, buildOutputs, headline, renderSummary } from "./report/index.ts";
import { runRollout } from "./engine/rollout.ts";
import { finalState } from "./domain/deployment.ts";
import { releaseOf } from "./domain/release.ts";
import { trackDeployment } from "./github/deployments.ts";
import type { DeploymentTracker } from "./github/tracker.ts";
import type { Logger } from "./engine/ports.ts";
import type { RolloutRecord, RolloutResult } from "./domain/record.ts";

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
  // The GitHub deployment (deployment-environment), once the inputs are read; its final status is sent once.
  let deployment: DeploymentTracker | undefined;
  try {
    const config = parseConfig((name) => core.getInput(name), process.env);
    // Before anything is logged: the client secret, SAS tokens of extension-file-uris (access tokens follow as issued).
    for (const secret of config.secrets) core.setSecret(secret);

    const logger = actionsLogger();
    for (const note of config.notes ?? []) logger.info(note);
    const tracker = trackDeployment(config, logger);
    deployment = tracker;
    const api = createScaleSetApi(config, {
      logger,
      getIDToken: (audience) => core.getIDToken(audience),
      mask: (secret) => core.setSecret(secret),
    });
    let record = await runRollout(config, api, {
      logger,
      signal: cancel.signal,
      ...(tracker && { onWriteStart: (previous) => tracker.writeStarted(previous) }),
    });
    if (config.github) record = { ...record, release: releaseOf(config.github) };
    if (tracker) {
      deployment = undefined;
      const recorded = await tracker.finish(finalState(record.result), headline(record), record.previousModel);
      record = { ...record, deployment: recorded };
    }
    // The rollout's own failure comes first; a report that could not be written is said after it, not instead.
    const failures = [
      ...(FAILING_RESULTS.has(record.result) ? [record.reason ?? headline(record)] : []),
      ...(await publish(record)),
    ];
    if (failures.length > 0) core.setFailed(failures.join(" "));
  } catch (err) {
    const message = failureMessage(err, describeAuthError);
    // A failure outside the rollout (sign-in, say): the deployment, if one was started, ends in error.
    await deployment?.finish("error", message, undefined);
    core.setFailed(message);
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}

/**
 * Outputs, annotations and the job summary from the record. Returns what could not be written and fails the job:
 * outputs later steps rely on. A summary that cannot be written is a warning only.
 */
async function publish(record: RolloutRecord): Promise<string[]> {
  const failures: string[] = [];
  try {
    for (const [name, value] of Object.entries(buildOutputs(record))) core.setOutput(name, value);
  } catch (err) {
    failures.push(`The action's outputs could not be written: ${errorLine(err)}.`);
  }
  for (const a of annotationsFor(record)) {
    const write = a.level === "error" ? core.error : a.level === "warning" ? core.warning : core.notice;
    write(a.message, { title: a.title });
  }
  if (!process.env["GITHUB_STEP_SUMMARY"]) {
    core.info("GITHUB_STEP_SUMMARY is not set: no job summary written.");
    return failures;
  }
  try {
    await core.summary.addRaw(renderSummary(record)).write();
  } catch (err) {
    core.warning(`Could not write the job summary: ${errorLine(err)}`);
  }
  return failures;
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
