// The job summary (GITHUB_STEP_SUMMARY): Markdown plus the HTML GitHub keeps. A pure function of the record.
// Order follows what a reader needs: did it reach every instance (title), what changed, how the batches went,
// which instances need attention and why, which were skipped on purpose, what to do next, and then every instance,
// collapsed. A run that stopped before it wrote anything says so instead of describing a rollout that did not happen.

import type { AzureErrorInfo } from "../domain/scale-set.ts";
import {
  FAILURE_OUTCOMES,
  failsJob,
  type BatchRecord,
  type BatchResult,
  type InstanceOutcome,
  type InstanceRecord,
  type RolloutRecord,
  type RolloutResult,
} from "../domain/record.ts";
import {
  protectedLeftWords,
  protectedOnlyNotBack,
  protectedRollbackAdvice,
  protectedRollbackParts,
  rollbackModelSentence,
} from "../domain/record.ts";
import type { CloudName } from "../config/types.ts";
import { errorsQuotedIn, explainError, type ErrorHelp } from "./error-help.ts";
import { code, inline, link } from "./escape.ts";
import { redactText } from "../shared/redact.ts";
import { headline, onModel, onNewModelWords, stageOf, type Stage } from "./headline.ts";
import { idRanges } from "../domain/ids.ts";
import { trustedRunUrl } from "../domain/rollout-tags.ts";
import { LEASE_TAG } from "../domain/lease.ts";
import {
  byOtherWriter,
  countOutcomes,
  failureHelp,
  type InstanceHelp,
  modelMayBeRestored,
  OUTCOME_LABEL,
  plural,
  sortById,
  UNKNOWN_HELP,
  untouched,
} from "./instances.ts";
import { rollbackInputs, rollbackYaml } from "./rollback.ts";
import { formatDuration } from "../shared/clock.ts";
import { clockUtc, dateTimeUtc, offsetMs } from "./time.ts";
import { details, markdownTable as table, tableRow } from "./markdown.ts";
import { MAX_CHART_BATCHES, timelineChart } from "./timeline.ts";

/** GitHub refuses a step summary over 1 MiB; stay below it with room to spare. */
export const SUMMARY_BUDGET_BYTES = 1_000_000;
/** Past this many instances the full list uses one compact row per instance. */
const COMPACT_ROWS_FROM = 200;
/** Rows of the "needs attention" table; the full list below has the rest. */
const MAX_ATTENTION_ROWS = 50;
/** Rows of the "skipped" table; past this the skipped instances are one list of IDs. */
const MAX_SKIPPED_ROWS = 20;
/** Past this many protected instances the `az` command to unprotect them names no IDs. */
const MAX_UNPROTECT_IDS = 20;
/** Past this many batches the batch table is collapsed too. */
const COLLAPSE_BATCHES_FROM = 20;
const MAX_BATCH_ROWS = 500;

const RESULT_ICON: Readonly<Record<RolloutResult, string>> = {
  succeeded: "✅",
  reverted: "⏪",
  failed: "❌",
  "rolled-back": "↩️",
  cancelled: "⏹️",
  unchanged: "✅",
  planned: "📋",
};

const OUTCOME_ICON: Readonly<Record<InstanceOutcome, string>> = {
  updated: "✅",
  "already-current": "☑️",
  failed: "❌",
  unhealthy: "⚠️",
  straggler: "⏳",
  "skipped-protected": "🔒",
  "skipped-own-model": "🧩",
  "not-started": "⏸️",
  "rolled-back": "↩️",
  removed: "🗑️",
  unknown: "❔",
};

const BATCH_ICON: Readonly<Record<BatchResult, string>> = {
  succeeded: "✅",
  failed: "❌",
  unhealthy: "⚠️",
  unfinished: "⚠️",
  "timed-out": "⏳",
  stopped: "⛔",
  cancelled: "⏹️",
  skipped: "➖",
  "not-started": "⏸️",
  planned: "📋",
};

/** Outcomes a batch row that succeeded, failed or turned unhealthy names when its instances ended the run in them. */
const LATER_TROUBLE: readonly InstanceOutcome[] = [...FAILURE_OUTCOMES, "unknown"];

/** Instances listed first in "needs attention", in this order. Protected instances have their own "skipped" list. */
// "unknown" too: sent an upgrade that no listing since shows, or whose model could not be told (a fuzz run,
// 2026-12-07: the headline counted them, and no section said which or why).
const ATTENTION_ORDER: readonly InstanceOutcome[] = [...FAILURE_OUTCOMES, "unknown"];

/** How the clouds other than Azure's public one are named in the header. */
const CLOUD_LABEL: Readonly<Record<Exclude<CloudName, "AzureCloud">, string>> = {
  AzureUSGovernment: "AzureUSGovernment",
  AzureChinaCloud: "AzureChinaCloud",
  Custom: "custom ARM endpoint",
};

const DOCS = {
  modify: link(
    "Modify a scale set",
    "https://learn.microsoft.com/en-us/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-upgrade-scale-set",
  ),
  deploymentErrors: link(
    "Common Azure deployment errors",
    "https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/common-deployment-errors",
  ),
  connect: link(
    "Connect GitHub Actions to Azure",
    "https://learn.microsoft.com/en-us/azure/developer/github/connect-from-azure",
  ),
  protection: link(
    "Instance protection",
    "https://learn.microsoft.com/en-us/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-instance-protection",
  ),
};

export function renderSummary(record: RolloutRecord): string {
  const stage = stageOf(record);
  const head = [
    header(record, stage),
    change(record, stage),
    rollout(record),
    attention(record),
    skipped(record),
    nextSteps(record, stage),
  ]
    .filter((section) => section !== "")
    .join("\n\n");
  if (record.instances.length === 0) return `${head}\n`;
  const budget = SUMMARY_BUDGET_BYTES - byteLength(head) - 2;
  return `${head}\n\n${allInstances(record, stage, budget)}\n`;
}

// ───────────────────────────── title and context ─────────────────────────────

function header(record: RolloutRecord, stage: Stage): string {
  const { target } = record;
  const scaleSet = link(code(target.scaleSet), target.portalUrl);
  const facts = [
    `**Scale set** ${scaleSet} in resource group ${code(target.resourceGroup)}`,
    record.cloud === "AzureCloud" ? "" : `**Cloud** ${CLOUD_LABEL[record.cloud]}`,
    // Escaped although the adapter only passes the modes it knows: the record is also built from other sources.
    record.upgradeMode ? `**Upgrade mode** ${inline(record.upgradeMode, { max: 40 })}` : "",
    `**Duration** ${formatDuration(record.durationMs)} (started ${inline(dateTimeUtc(record.startedAt))})`,
  ].filter((fact) => fact !== "");
  const lines = [`## ${RESULT_ICON[record.result]} ${headline(record)}`, "", facts.join(" · ")];
  const context = [rollbackOfLine(record), released(record), deploymentLine(record)].filter((line) => line !== "");
  if (context.length > 0) lines.push("", context.join("<br>\n"));
  // A dry run's reason only repeats its title.
  if (record.reason && record.result !== "planned") {
    // Why no rollback was done is a line of its own: at the end of a long reason it would be cut off.
    const noRollback = record.noRollback?.reason;
    const why =
      noRollback !== undefined && record.reason.endsWith(noRollback)
        ? record.reason.slice(0, record.reason.length - noRollback.length).trimEnd()
        : record.reason;
    // A long reason is cut in the middle (most often a long list of instances): its last sentences say what followed
    // (another writer's change, the instances not started).
    if (why !== "") lines.push("", `> **Why:** ${inline(why, { max: 1000, tail: 400 })}`);
    if (noRollback !== undefined) lines.push("", `> **No rollback:** ${inline(noRollback, { max: 600 })}`);
  }
  if (record.stoppedByError !== undefined)
    lines.push(
      "",
      `> **Note:** ${inline(record.stoppedByError, { max: 600 })} The final check, after it, found the whole change in the model and every instance this run was to bring onto it there and healthy, so the run did its job all the same.`,
    );
  if (record.rollback?.stoppedByError !== undefined)
    lines.push(
      "",
      `> **Note (rollback):** ${inline(record.rollback.stoppedByError, { max: 600 }).replace(/[^.!?]$/, "$&.")} The final check, after it, found the previous model restored and every instance the rollback was to bring back on it and healthy, so the rollback did its job all the same.`,
    );
  if (record.leaseHeldBy) {
    const { run, link: page, until } = record.leaseHeldBy;
    lines.push(
      "",
      `**Lease held by** ${page ? link(inline(run), page) : inline(run)} until ${inline(dateTimeUtc(until))}: set \`lease-wait\` to wait for it, or a workflow \`concurrency:\` group for runs of one repository.`,
    );
  }
  if (record.leaseNotReleased) {
    const { why, until, maybe } = record.leaseNotReleased;
    const lasts =
      `the lease on the scale set lasts until ${inline(dateTimeUtc(until))}: until then another run of the action ` +
      `stops (or waits, with \`lease-wait\`). If no run is working on the scale set, removing its tag ` +
      `${code(LEASE_TAG)} frees it sooner.`;
    lines.push(
      "",
      maybe
        ? `**Lease:** whether it is still on the scale set is unknown (${inline(why, { max: 300 })}): if it is, ${lasts}`
        : `**Lease not released** (${inline(why, { max: 300 })}): ${lasts}`,
    );
  }
  if (stage === "before-read") {
    lines.push(
      "",
      "**Nothing was written to Azure:** the action stopped before it read the scale set, so the scale set and its instances are as they were.",
    );
  } else if (stage === "before-write") {
    lines.push(
      "",
      "**Nothing was written to Azure:** the action stopped before it changed the model or upgraded an instance, so the scale set and its instances are as they were.",
    );
    // The record written (or maybe written) as planned with the lease, which the run could not take back: on the
    // scale set's tags still, naming a change that was not made.
    const status = record.scaleSetRecord;
    if (status?.note !== undefined && (status.written || status.maybeWritten === true))
      lines.push("", `**Rollout record:** ${inline(status.note, { max: 600 })}.`);
  }
  const bar = stage === "wrote" ? progressBar(record) : "";
  if (bar) lines.push("", bar);
  return lines.join("\n");
}

/** What was released (repository, tag or branch, commit) and by which workflow run, each linked. */
function released(record: RolloutRecord): string {
  const release = record.release;
  if (!release) return "";
  const { links } = release;
  const repository = link(code(release.repository), links.repository);
  const ref = release.refName ? ` ${release.refType} ${link(code(release.refName), links.ref ?? "")}` : "";
  const commit = release.shortSha ? ` at commit ${link(code(release.shortSha), links.commit ?? "")}` : "";
  const run = runLabel(record);
  return `**Released** ${repository}${ref}${commit}${run ? ` · **Run** ${run}` : ""}`;
}

/** `release run 42, attempt 2`, linked to the run; "" when the run is not known. */
function runLabel(record: RolloutRecord): string {
  const release = record.release;
  if (!release?.runId) return "";
  const attempt = release.runAttempt ? `, attempt ${release.runAttempt}` : "";
  return link(inline(`${release.workflow ?? "workflow"} run ${release.runId}${attempt}`), release.links.run ?? "");
}

/**
 * A rollback run (`rollback: true`): what it rolled back to, before → after (its own change: the values it put back),
 * and the run that made the change it undid, linked, from the record on the scale set.
 */
function rollbackOfLine(record: RolloutRecord): string {
  const of = record.rollbackOf;
  if (!of) return "";
  const run = of.run
    ? link(
        inline(
          `${of.run.workflow ?? "workflow"} run ${of.run.runId}${of.run.attempt ? `, attempt ${of.run.attempt}` : ""} of ${of.run.repository}`,
        ),
        recordedRunLink(record, of.run),
      )
    : "a run outside GitHub Actions";
  const when = inline(dateTimeUtc(of.at));
  const words = (changes: readonly { property: string; before: string; after: string }[]): string =>
    changes.map((c) => `${code(c.property)} ${code(c.before, 200)} → ${code(c.after, 200)}`).join("; ");
  const back = words(of.finishing ? of.changes : record.changes.length > 0 ? record.changes : of.changes.map(reverse));
  if (of.finishing) {
    return `**Rollback, finished:** the last change on the scale set was a rollback, made by ${run} on ${when} (${back}); \`rollback: true\` does not undo a rollback, it finishes it`;
  }
  const ended = of.outcome === "in-progress" ? "it recorded no ending" : `it ended ${inline(of.outcome)}`;
  // Nothing written: the model held the values before the recorded change already, and every instance was on it (a
  // record left by a run that stopped before its model write, say). Not "undoing" a change the model does not hold.
  if (record.result === "unchanged") {
    const recorded = words(of.changes);
    // Which way the change left the model, as far as the record's outcome tells: a run that ended failed (or recorded
    // no ending) may have stopped before its model write, or undone it by its rollback (rollback-on-failure).
    const since =
      of.outcome === "succeeded" || of.outcome === "reverted"
        ? "the change was undone since"
        : of.outcome === "rolled-back"
          ? "that run's rollback undid it"
          : "that run stopped before it wrote the model or undid it by a rollback (its record stayed on the scale set), or the change was undone since";
    // Instances skipped on purpose (protected from scale-set actions; a Flexible VM with a model of its own) are not
    // on the model: one may still run the recorded change (a rollback that had to leave it out). Not "its instances
    // hold the values before it" then (a review, 2026-12-07).
    const off = sortById(record.instances.filter((i) => !i.latestModelAfter && i.outcome.startsWith("skipped")));
    const holds =
      off.length === 0
        ? "the model and its instances hold the values before it"
        : "the model holds the values before it";
    const but =
      off.length === 0
        ? ""
        : ` But ${off.length === 1 ? "instance" : "instances"} ${inline(idRanges(off.map((i) => i.instanceId)), { max: 300 })} ${off.length === 1 ? "is" : "are"} not on the model (skipped: see below) and may still run the change.`;
    return (
      `**Rollback: nothing to undo.** The last change recorded on the scale set, made by ${run} on ${when} (${ended}: ${recorded}), ` +
      `is not in the model: ${holds}, so ${since}.${but} Nothing was written; the record stays on the scale set until the next rollout replaces it`
    );
  }
  return `**Rollback** to the previous model: ${back}, undoing the change made by ${run} on ${when} (${ended})`;
}

/**
 * The recorded run's link, only when it is that run's page on this run's own GitHub server (trustedRunUrl): the
 * record comes from the scale set's tags, which are not the action's alone. This run's server is read from its own
 * release links (`<server>/<owner>/<repo>`); a run outside GitHub Actions links nothing.
 */
function recordedRunLink(record: RolloutRecord, run: Parameters<typeof trustedRunUrl>[0]): string {
  const release = record.release;
  const suffix = release ? `/${release.repository}` : "";
  const server =
    release && release.links.repository.endsWith(suffix)
      ? release.links.repository.slice(0, -suffix.length)
      : undefined;
  return trustedRunUrl(run, server) ?? "";
}

function reverse(c: { property: string; before: string; after: string }) {
  return { property: c.property, before: c.after, after: c.before };
}

/** The GitHub deployment this run recorded (deployment-environment), or why it could not. */
function deploymentLine(record: RolloutRecord): string {
  const deployment = record.deployment;
  if (!deployment) return "";
  const tab = record.release ? `${record.release.links.repository}/deployments` : "";
  const environment = code(deployment.environment);
  if (deployment.id === undefined) {
    return `**GitHub deployment** not recorded in ${environment}: ${inline(deployment.warning ?? "GitHub did not answer.", { max: 400 })}`;
  }
  const statuses = deployment.statuses.length > 0 ? `: ${deployment.statuses.join(" → ")}` : "";
  const note = deployment.warning ? ` (${inline(deployment.warning, { max: 400 })})` : "";
  // The adapter takes only a positive integer as the ID; a record from elsewhere is shown escaped all the same.
  const id: unknown = deployment.id;
  const label =
    typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? String(id) : inline(String(id), { max: 40 });
  return `**GitHub deployment** ${link(label, tab)} in ${environment}${statuses}${note}`;
}

/**
 * A bar of the share of targeted instances on the new model, for the runs that tried to get them there. Instances
 * protected from scale-set actions were never the run's to upgrade: they are counted apart, not as a gap in the bar.
 */
function progressBar(record: RolloutRecord): string {
  if (!["succeeded", "failed", "cancelled", "reverted"].includes(record.result)) return "";
  const counts = countOutcomes(record.instances);
  if (counts.targeted === 0) return "";
  const share = counts.onNewModel / counts.targeted;
  const filled = Math.floor(share * 20); // a full bar only when every targeted instance made it
  const skipped = counts.byOutcome["skipped-protected"];
  const own = counts.byOutcome["skipped-own-model"];
  const tail =
    (skipped > 0 ? ` · ${skipped} skipped (protected)` : "") + (own > 0 ? ` · ${own} skipped (own model)` : "");
  const where = record.result === "reverted" ? "on the restored model" : onNewModelWords(record);
  return `<code>${"█".repeat(filled)}${"░".repeat(20 - filled)}</code> ${Math.floor(share * 100)}% · ${onModel(counts, where)}${tail}`;
}

// ───────────────────────────── the change ─────────────────────────────

function change(record: RolloutRecord, stage: Stage): string {
  if (record.changes.length === 0) {
    // An empty list means "already held the values" only when the run got past planning; a run that stopped before
    // (refused, failed, cancelled) has nothing to show here, and the header already says nothing was written.
    if (stage !== "wrote") return "";
    return "### The change\n\nThe scale set model already held the requested values; nothing was written to it.";
  }
  const applied = record.modelUpdated && !record.dryRun;
  const unknown = record.dryRun ? undefined : record.modelWriteUnknown;
  const cutOff = record.dryRun || applied ? undefined : record.modelWriteCutOff;
  const title = record.dryRun
    ? "### The change (not applied: dry run)"
    : applied
      ? "### The change"
      : unknown
        ? "### The change (whether applied: unknown)"
        : cutOff
          ? "### The change (not in the model when read)"
          : "### The change (not applied)";
  const note = unknown
    ? `\n\nThe ${unknown} write got no answer the run could rely on (its answer was lost, or the run was cancelled or ran out of time while Azure had it), and no read of the scale set since could tell whether it landed: Azure may have applied it. Check the scale set's model (\`az vmss show\`) before running again.`
    : cutOff
      ? `\n\nThe ${cutOff} write got no answer (the run was cancelled or ran out of time while Azure had it, or its answer was lost). The scale set's model did not hold it when read after, but Azure may still apply a request it had received. Check the scale set's model (\`az vmss show\`) before running again.`
      : applied || record.dryRun
        ? ""
        : "\n\nNot applied: the run stopped before it wrote the model.";
  // A run that wrote the model and then failed or was cancelled, with no rollback: the model keeps the change, which
  // the table alone did not say (a review, 2026-12-07: a manualupgrade refused after the model write read "0/6 on the
  // new model … Azure touched none of its instances", as if nothing had changed).
  const held =
    applied &&
    unknown === undefined &&
    record.rollback === undefined &&
    failsJob(record.result) &&
    // Not when another writer changed the model since (what it holds is then said where that change is).
    record.modelChangedByAnother === undefined &&
    record.noRollback?.otherWriter !== true
      ? `\n\nThe scale set's model holds ${record.partWritten !== undefined ? "the applied part of " : ""}this change now: instances created, reimaged or upgraded from now on get it.`
      : "";
  const part = (c: { property: string }): "image" | "extension" =>
    c.property.startsWith("extensions[") ? "extension" : "image";
  if (unknown === undefined && applied && record.partWritten !== undefined) {
    // Only one part of the change was written (the other refused, or never sent): each row says which.
    const written = record.partWritten;
    const rows = record.changes.map((c) => [
      code(c.property),
      value(c.before),
      value(c.after),
      part(c) === written ? "yes" : "no: not written",
    ]);
    return `### The change (partly applied)\n\n${table(["Property", "Before", "After", "Applied"], rows)}${held}`;
  }
  if (unknown === undefined) {
    const rows = record.changes.map((c) => [code(c.property), value(c.before), value(c.after)]);
    return `${title}\n\n${table(["Property", "Before", "After"], rows)}${note}${held}`;
  }
  // A write of unknown outcome: each row says what became of its part. The image is written before the extension, so
  // an image write cut off means the extension's was never sent, and an extension write cut off follows an image write
  // that landed (else the run would not have reached it).
  const rows = record.changes.map((c) => {
    const fate = part(c) === unknown ? "unknown" : unknown === "image" ? "no: never sent" : "yes";
    return [code(c.property), value(c.before), value(c.after), fate];
  });
  return `${applied ? "### The change (at least partly applied)" : title}\n\n${table(["Property", "Before", "After", "Applied"], rows)}${note}`;
}

function value(text: string): string {
  return text === "" ? "<i>not set</i>" : `<code>${inline(text, { max: 400, breaks: true })}</code>`;
}

// ───────────────────────────── the rollout ─────────────────────────────

function rollout(record: RolloutRecord): string {
  const parts: string[] = [];
  if (record.batches.length > 0) {
    const outcomes = new Map(record.instances.map((i) => [i.instanceId, i.outcome]));
    // A batch after which another started: the run went on past it.
    const lastStarted = Math.max(0, ...record.batches.filter((b) => b.startedAt !== undefined).map((b) => b.index));
    const rows = record.batches
      .slice(0, MAX_BATCH_ROWS)
      .map((b) => batchRow(b, record.startedAt, outcomes, b.index < lastStarted));
    let batchTable = table(["Batch", "Instances", "Started", "Duration", "Result"], rows);
    if (record.batches.length > MAX_BATCH_ROWS) {
      batchTable += `\n\n${record.batches.length - MAX_BATCH_ROWS} more batches are in the \`summary-json\` output.`;
    }
    parts.push(
      record.batches.length >= COLLAPSE_BATCHES_FROM
        ? details(`All ${record.batches.length} batches`, batchTable)
        : batchTable,
    );
    const chart = timelineChart(record.batches, record.startedAt);
    if (chart) parts.push(chart);
    else if (record.batches.filter((b) => b.startedAt).length > MAX_CHART_BATCHES) {
      parts.push(`(No timeline chart: more than ${MAX_CHART_BATCHES} batches ran.)`);
    }
  }
  if (record.rolling) parts.push(rollingStatus(record.rolling));
  if (record.rollback) parts.push(rollbackStatus(record.rollback));
  if (parts.length === 0) return "";
  const started =
    record.batches.some((b) => b.startedAt !== undefined) ||
    record.rolling !== undefined ||
    record.rollback !== undefined;
  const title =
    record.result === "planned" ? "### The plan" : started ? "### The rollout" : "### The plan (not started)";
  return `${title}\n\n${parts.join("\n\n")}`;
}

/**
 * A batch's row. Its result is its health gate's, when it ended; an instance of a batch that succeeded may end the run
 * otherwise (an earlier batch's instance turned unhealthy at a later gate, another writer's change reached it): the
 * cell says so, so that a ✅ row never stands beside instances that need attention without a word. A row that failed
 * or turned unhealthy says how many of its instances ended so; when a later batch started, it was within
 * max-unhealthy, and says that too.
 */
function batchRow(
  batch: BatchRecord,
  rolloutStartedAt: string,
  outcomes: ReadonlyMap<string, InstanceOutcome>,
  startedLater: boolean,
): string[] {
  const ids = batch.instanceIds.length > 0 ? `: ${inline(idRanges(batch.instanceIds), { max: 300 })}` : "";
  const offset = batch.startedAt ? offsetMs(rolloutStartedAt, batch.startedAt) : undefined;
  const started = batch.startedAt
    ? `${inline(clockUtc(batch.startedAt))}${offset === undefined ? "" : ` (+${formatDuration(Math.max(0, offset))})`}`
    : "–";
  const error = batch.error ? `: ${errorCode(batch.error)}` : "";
  // A batch whose gate found failed or unhealthy instances, after which a later batch started: max-unhealthy allowed
  // them, and the row says so, so that a ❌ row above ✅ rows does not read as the run's end.
  const bad = batch.result === "failed" || batch.result === "unhealthy" || batch.result === "unfinished";
  const wentOn = bad && startedLater;
  return [
    `${batch.index}${batch.canary ? " (canary)" : ""}`,
    `${batch.instanceIds.length}${ids}`,
    started,
    batch.durationMs === undefined ? "–" : formatDuration(batch.durationMs),
    `${BATCH_ICON[batch.result]} ${batch.result.replace("-", " ")}${error}${batch.result === "succeeded" || bad ? laterOutcomes(batch, outcomes) : ""}` +
      (wentOn ? "; within max-unhealthy, the run went on" : ""),
  ];
}

/** How many of a batch's instances ended the run failed, unhealthy, unfinished or unknown: `; by the end 1 failed`. */
function laterOutcomes(batch: BatchRecord, outcomes: ReadonlyMap<string, InstanceOutcome>): string {
  const counts = new Map<InstanceOutcome, number>();
  for (const id of batch.instanceIds) {
    const outcome = outcomes.get(id);
    if (outcome === undefined || !LATER_TROUBLE.includes(outcome)) continue;
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  const parts = LATER_TROUBLE.filter((o) => counts.has(o)).map((o) => `${counts.get(o)} ${OUTCOME_LABEL[o]}`);
  return parts.length === 0 ? "" : `; by the end ${parts.join(", ")}`;
}

function rollingStatus(rolling: NonNullable<RolloutRecord["rolling"]>): string {
  const progress = [
    `${count(rolling.successfulInstanceCount)} succeeded`,
    `${count(rolling.failedInstanceCount)} failed`,
    `${count(rolling.inProgressInstanceCount)} in progress`,
    `${count(rolling.pendingInstanceCount)} pending`,
  ].join(", ");
  const error = rolling.error
    ? `. Error ${errorCode(rolling.error)}: ${inline(rolling.error.message, { max: 500 })}`
    : "";
  return `**Azure's rolling upgrade:** ${inline(rolling.code, { max: 40 })} (${progress})${error}`;
}

/** A count from Azure as digits; `?` for anything else (the adapter already maps those to 0: this is the backstop). */
function count(value: unknown): string {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : "?";
}

function rollbackStatus(rollback: NonNullable<RolloutRecord["rollback"]>): string {
  // Everything back but instances protected since their upgrade: how far it got and what to do, not "did not complete"
  // alone. The instances' rows say the same (ProtectedFromScaleSetActions).
  const held = protectedOnlyNotBack(rollback);
  if (held !== undefined) {
    const back = rollback.instanceIds.length > 0 ? ` (${inline(idRanges(rollback.instanceIds), { max: 300 })})` : "";
    const { done, left } = protectedRollbackParts(rollback, held);
    return (
      `**Rollback:** ❌ ${done}${back}, the previous model restored; ${inline(left, { max: 400 })} ` +
      `(protectFromScaleSetActions, set by another writer since this run upgraded ${held.length === 1 ? "it" : "them"}: Azure skips a protected instance, so the rollback left ${held.length === 1 ? "it" : "them"} out). ` +
      `To finish it: ${protectedRollbackAdvice(held).replace("rollback: true", "`rollback: true`")}.`
    );
  }
  const ids = rollback.instanceIds.length > 0 ? `: ${inline(idRanges(rollback.instanceIds), { max: 300 })}` : "";
  // Put back, then changed by another writer (a read after the rollback): done, but the previous model is not back.
  const changedSince = rollback.succeeded && rollback.changedSince !== undefined;
  const outcome = changedSince
    ? "⚠️ done, then another writer changed the model"
    : rollback.succeeded
      ? "✅ the previous model is back"
      : "❌ the rollback did not complete";
  const notBack =
    rollback.notBack !== undefined && rollback.notBack.length > 0
      ? `; not brought back (${rollback.notBack.length}): ${inline(idRanges(rollback.notBack), { max: 300 })}`
      : "";
  const error = rollback.error ? `. ${inline(rollback.error, { max: 500 })}` : "";
  const line = `**Rollback:** ${outcome}, ${plural(rollback.instanceIds.length, "instance")} brought back${ids}${notBack}${error}`;
  // Where a rollback that did not complete left the model, or one that did found changed since: the instances above
  // are on which model, by it.
  const model =
    rollback.changedSince !== undefined
      ? inline(rollbackModelSentence(rollback), { max: 700 })
      : rollback.succeeded
        ? ""
        : rollbackModelSentence(rollback);
  return model === "" ? line : `${/[.!?]$/.test(line) ? line : `${line}.`} ${model}`;
}

// ───────────────────────────── instances needing attention ─────────────────────────────

function attention(record: RolloutRecord): string {
  // The outcomes that need a look, then any other instance that reported an error (a rolled-back one, say).
  const flagged = [
    ...ATTENTION_ORDER.flatMap((outcome) => sortById(record.instances.filter((i) => i.outcome === outcome))),
    ...sortById(record.instances.filter((i) => i.error !== undefined && !ATTENTION_ORDER.includes(i.outcome))),
  ];
  const lines: string[] = [];
  if (flagged.length > 0) {
    const rows = flagged
      .slice(0, MAX_ATTENTION_ROWS)
      .map((i) => [
        instanceCell(i),
        outcomeCell(i.outcome),
        i.batch === undefined ? "–" : String(i.batch),
        state(i.provisioningState),
        state(i.powerState),
        state(i.health),
        i.error ? `${errorCode(i.error)}: ${inline(i.error.message, { max: 600, breaks: true })}` : "",
      ]);
    lines.push(table(["Instance", "Outcome", "Batch", "Provisioning", "Power", "Health", "Error"], rows));
    if (flagged.length > MAX_ATTENTION_ROWS) {
      lines.push(`${flagged.length - MAX_ATTENTION_ROWS} more are in the list of all instances below.`);
    }
  }
  // Untouched instances missed the release in a failed or cancelled run; in a dry run they are the plan, and after a
  // rollback they are where they should be.
  const missed = record.result === "failed" || record.result === "cancelled";
  const untouched = missed ? record.instances.filter((i) => i.outcome === "not-started") : [];
  if (untouched.length > 0) {
    // In Automatic and Rolling mode Azure, not a batch of the action's, upgrades them once the model is written (a
    // re-run that finds the model written sends them in batches of its own).
    const platform =
      (record.upgradeMode === "Automatic" || record.upgradeMode === "Rolling") && record.batches.length === 0;
    const why = !platform
      ? "The run ended before their batch."
      : record.modelUpdated
        ? "Azure's upgrade ended before it upgraded them (its own count has them pending): they run the model they ran before."
        : "The run ended before it wrote the model that Azure would have rolled out to them.";
    lines.push(`**Not started** (${untouched.length}): ${idList(untouched)}. ${why}`);
  }
  const rolledBack = record.instances.filter((i) => i.outcome === "rolled-back");
  if (rolledBack.length > 0) {
    lines.push(
      `**Rolled back** (${rolledBack.length}): ${idList(rolledBack)}. Upgraded, then put back on the previous model.`,
    );
  }
  const explained = explanations(record);
  // Without instances to list (a run that stopped before it read the scale set, say) the explanation stands alone.
  if (lines.length === 0) return explained ? `### What went wrong\n\n${explained}` : "";
  if (explained) lines.push(`#### What went wrong\n\n${explained}`);
  // An untouched instance that reported an error is in both (a row for its error, the line for why it is untouched).
  const inTable = new Set(flagged);
  const count = flagged.length + untouched.filter((i) => !inTable.has(i)).length;
  return `### Needs attention${count > 0 ? ` (${count})` : ""}\n\n${lines.join("\n\n")}`;
}

function instanceCell(instance: InstanceRecord): string {
  // A Flexible VM's instance ID is its name: shown once.
  if (instance.name === instance.instanceId) return code(instance.name, 80);
  return `${inline(instance.instanceId, { max: 60 })} ${code(instance.name, 80)}`;
}

/** How the list of all instances reads an outcome, in the light of how far the run got. */
interface OutcomeContext {
  readonly result: RolloutResult;
  readonly stage: Stage;
}

function outcomeCell(outcome: InstanceOutcome, context?: OutcomeContext): string {
  // In a dry run every instance to upgrade is "not started": it is the plan, not something left undone.
  if (context?.result === "planned" && outcome === "not-started") return "📋 to upgrade";
  // A run that wrote nothing never compared an instance with the requested values: "already current" would claim so.
  if (context?.stage === "before-write" && outcome === "already-current") return "➖ untouched";
  return `${OUTCOME_ICON[outcome]} ${OUTCOME_LABEL[outcome]}`;
}

function state(text: string | undefined): string {
  return text === undefined || text === "" ? "–" : inline(text, { max: 60 });
}

function errorCode(error: AzureErrorInfo): string {
  return `**${inline(error.code, { max: 120 })}**`;
}

function idList(instances: readonly InstanceRecord[]): string {
  return inline(idRanges(instances.map((i) => i.instanceId)), { max: 2000 });
}

/**
 * What went wrong, in words: the failure outcomes without an Azure error of their own, then one explanation per known
 * error code seen in the run (its reason included), with the instances that reported it.
 */
function explanations(record: RolloutRecord): string {
  const items: string[] = [];
  for (const outcome of FAILURE_OUTCOMES) {
    const without = record.instances.filter((i) => i.outcome === outcome && !i.error);
    // The instances this run upgraded, then those it did not (on the latest model already), one item per help text:
    // each reads differently (an unfinished instance still upgrading, or one its upgrade left behind, say).
    const restored = modelMayBeRestored(record);
    const groups = new Map<InstanceHelp, InstanceRecord[]>();
    for (const instance of [...without.filter((i) => !untouched(i)), ...without.filter(untouched)]) {
      const help = failureHelp(instance, outcome, restored);
      const group = groups.get(help);
      if (group === undefined) groups.set(help, [instance]);
      else group.push(instance);
    }
    for (const [help, group] of groups) {
      const label = OUTCOME_LABEL[outcome];
      items.push(
        `- **${label[0]?.toUpperCase()}${label.slice(1)}**${where(group.map((i) => i.instanceId))}: ${help.happened}<br>**Check:** ${help.check}`,
      );
    }
  }
  // Of unknown state, with an error or not (one may be the refused read of its extensions, or one it reported before
  // the run sent it the upgrade: a review, 2026-12-07): an error's own help follows below.
  const unknown = record.instances.filter((i) => i.outcome === "unknown");
  if (unknown.length > 0)
    items.push(
      `- **State unknown**${where(unknown.map((i) => i.instanceId))}: ${UNKNOWN_HELP.happened}<br>**Check:** ${UNKNOWN_HELP.check}`,
    );
  const seen = new Map<ErrorHelp, { error: AzureErrorInfo; instanceIds: string[] }>();
  const note = (error: AzureErrorInfo | undefined, instanceId?: string) => {
    const help = error && explainError(error);
    if (!error || !help) return;
    const entry = seen.get(help) ?? { error, instanceIds: [] };
    if (instanceId !== undefined) entry.instanceIds.push(instanceId);
    seen.set(help, entry);
  };
  if (record.reason && record.result !== "planned") for (const error of errorsQuotedIn(record.reason)) note(error);
  note(record.rolling?.error);
  for (const batch of record.batches) note(batch.error);
  for (const instance of sortById(record.instances)) note(instance.error, instance.instanceId);
  for (const [help, { error, instanceIds }] of seen) {
    const docs = help.docs ? ` ${link("Microsoft's docs", help.docs)}` : "";
    items.push(`- ${errorCode(error)}${where(instanceIds)}: ${help.happened}<br>**Check:** ${help.check}${docs}`);
  }
  return items.join("\n");
}

function where(instanceIds: readonly string[]): string {
  if (instanceIds.length === 0) return "";
  return ` (${plural(instanceIds.length, "instance")}: ${inline(idRanges(instanceIds), { max: 300 })})`;
}

// ───────────────────────────── instances skipped on purpose ─────────────────────────────

/**
 * Instances protected from scale-set actions, and Flexible VMs attached with a model of their own: left alone by
 * design, so listed apart from the ones needing attention.
 */
function skipped(record: RolloutRecord): string {
  return [
    skippedGroup(
      record,
      "skipped-protected",
      "Protected from scale-set actions (`protectFromScaleSetActions`), so the action does not upgrade them: they keep " +
        "the model they run and do not count against the rollout.",
    ),
    skippedGroup(
      record,
      "skipped-own-model",
      "VMs attached to this Flexible scale set with a profile of their own (`modelDefinitionApplied: VirtualMachine`): " +
        "the scale set's model is not theirs, so the action does not upgrade them and does not count them as upgraded. " +
        "Change them as standalone VMs.",
    ),
  ]
    .filter((s) => s !== "")
    .join("\n\n");
}

function skippedGroup(
  record: RolloutRecord,
  outcome: "skipped-protected" | "skipped-own-model",
  intro: string,
): string {
  const protectedOnes = sortById(record.instances.filter((i) => i.outcome === outcome));
  if (protectedOnes.length === 0) return "";
  let list: string;
  if (protectedOnes.length <= MAX_SKIPPED_ROWS) {
    const rows = protectedOnes.map((i) => [
      instanceCell(i),
      i.image ? code(shortImage(redactText(i.image)), 80) : "–",
      state(i.provisioningState),
      state(i.powerState),
      state(i.health),
    ]);
    list = table(["Instance", "Image", "Provisioning", "Power", "Health"], rows);
  } else {
    list = `**Instances:** ${idList(protectedOnes)}`;
  }
  const title = outcome === "skipped-protected" ? "Skipped" : "Skipped: own model";
  return `### ${title} (${protectedOnes.length})\n\n${intro}\n\n${list}`;
}

// ───────────────────────────── what to do next ─────────────────────────────

/** The step before any re-run when another writer changed the model during the run. */
function otherWriterStep(instances: readonly InstanceRecord[]): string {
  return (
    "**First, look at the other writer's change** (the scale set's activity log names the writer): a re-run " +
    `upgrades ${plural(instances.length, "instance")} (${inline(idRanges(instances.map((i) => i.instanceId)), { max: 300 })}) ` +
    "onto the model as it is now, that writer's change included."
  );
}

function nextSteps(record: RolloutRecord, stage: Stage): string {
  const steps: string[] = [];
  const docs = [DOCS.modify, DOCS.deploymentErrors];
  const resume =
    "re-run this job: the action is idempotent, so it skips the instances already on the new model and upgrades the rest";
  // Protected instances behind the model: those already on it (a re-run, say) keep no old model.
  const protectedOnes = record.instances.filter((i) => i.outcome === "skipped-protected" && !i.latestModelAfter);
  const ownModel = record.instances.some((i) => i.outcome === "skipped-own-model");
  // Instances on (or left behind by) another writer's model: a re-run would roll that model out.
  const otherWriters = record.instances.filter(byOtherWriter);
  if (stage === "before-read") {
    steps.push(
      record.result === "cancelled"
        ? "**Re-run** this job when you are ready."
        : "**Fix the sign-in or the inputs, then re-run this job:** as the reason above says, check how the action " +
            "signs in (`auth`, `client-id`, `tenant-id` or `creds`, and `environment` or `arm-endpoint` for the cloud) and " +
            "the inputs that name the scale set (`subscription-id`, `resource-group`, `scale-set`).",
      "Nothing to roll back: this run changed nothing.",
    );
    docs.splice(0, 1, DOCS.connect);
  } else if (record.scaleSetDeleted === true) {
    // Nothing to resume or roll back on a resource that no longer exists.
    steps.push(
      "**The scale set no longer exists:** it was deleted while the action ran (see the reason above). There is nothing to resume or roll back; if it was deleted by mistake, recreate it, then run the action against it.",
    );
  } else if (stage === "before-write") {
    steps.push(
      record.result === "cancelled"
        ? "**Re-run** this job when you are ready: it reads the scale set again and plans from what it finds."
        : "**Fix the cause above, then re-run this job:** the action reads the scale set again and plans from what it finds.",
      "Nothing to roll back: this run changed nothing.",
    );
  } else {
    switch (record.result) {
      case "succeeded":
        if (protectedOnes.length === 0 && !ownModel)
          steps.push("Every instance runs the new model. Nothing else to do.");
        else if (protectedOnes.length === 0)
          steps.push("Every targeted instance runs the new model; the VMs with a profile of their own are not on it.");
        else steps.push("Every targeted instance runs the new model.", protectedStep(record, protectedOnes));
        break;
      case "unchanged":
        steps.push(
          ownModel
            ? "Nothing to do: the scale set and its targeted instances already hold the requested values (the VMs with a profile of their own are not on the model)."
            : "Nothing to do: the scale set and its instances already hold the requested values.",
        );
        if (protectedOnes.length > 0) steps.push(protectedStep(record, protectedOnes));
        break;
      case "planned":
        steps.push(
          (record.upgradeMode === "Automatic" || record.upgradeMode === "Rolling") && record.changes.length > 0
            ? `Run again without \`dry-run: true\` to apply this change: Azure then rolls it out itself (${record.upgradeMode} upgrade mode).`
            : "Run again without `dry-run: true` to apply this change with this plan.",
        );
        if (protectedOnes.length > 0) steps.push(protectedStep(record, protectedOnes));
        break;
      case "failed":
        if (otherWriters.length > 0) steps.push(otherWriterStep(otherWriters));
        // A rollback that did not complete: a re-run of this job would write the change again and roll it forward.
        if (record.rollback?.succeeded === false) {
          steps.push(
            "**Do not re-run this job yet:** the rollback did not complete (see **Rollback** above), and a re-run would write this change again and roll it forward. Finish the rollback first, as below; roll the change out again once its cause is fixed.",
          );
          const held = protectedOnlyNotBack(record.rollback);
          if (held !== undefined) steps.push(heldStep(record, held));
        } else {
          steps.push(`**Resume:** fix the cause above, then ${resume}.${stuckOnModel(record)}`);
          // Its advice is a re-run: not after a rollback that did not complete.
          if (protectedOnes.length > 0) steps.push(protectedStep(record, protectedOnes));
        }
        break;
      case "cancelled":
        if (otherWriters.length > 0) steps.push(otherWriterStep(otherWriters));
        steps.push(`**Resume:** ${resume}.`);
        if (protectedOnes.length > 0) steps.push(protectedStep(record, protectedOnes));
        break;
      case "reverted":
        steps.push(
          "The model and every targeted instance are back on the previous values. Fix what made the change go wrong, then roll it out again.",
        );
        break;
      case "rolled-back":
        steps.push(
          record.rollback?.succeeded === false
            ? "**Finish the rollback:** run the action with the values below."
            : record.rollback?.changedSince !== undefined
              ? "**Another writer changed the scale set's model after the rollback** (see **Rollback** above): it is no longer the previous model. Find out who changed it (the scale set's activity log names the writer) and check the instances, then fix the cause above and run the rollout again."
              : "The previous model is back. Fix the cause above, then run the rollout again.",
        );
        break;
    }
    const back = rollbackSection(record);
    if (back) steps.push(back);
    else if (record.imageSetByAnother !== undefined)
      // Not an earlier run's change: no record of it to undo, and no previous values of this run's.
      steps.push(
        `**The image in the model is another writer's:** ${inline(record.imageSetByAnother, { max: 400 })}. This run wrote none, so it has no previous image to offer, and \`rollback: true\` does not undo that writer's change; find out who made it (the scale set's activity log names the writer) before undoing it by hand.`,
      );
    else if (resumedOnly(record))
      // A re-run that found the change in the model: what came before it is the earlier run's, on its record.
      steps.push(
        "**To undo the change**, run the action with `rollback: true`: this run wrote no model (an earlier run did), so it has no previous values of its own to offer; the scale set's rollout record has them.",
      );
  }
  if (stage === "wrote" && protectedOnes.length > 0 && record.result !== "rolled-back") docs.push(DOCS.protection);
  steps.push(`**Docs:** ${docs.join(" · ")}`);
  return `### Next steps\n\n${steps.map((s) => `- ${s.replace(/\n/g, "\n  ")}`).join("\n")}`;
}

/**
 * Instances on the new model that failed or are unhealthy there: a re-run skips instances already on the latest model,
 * so it leaves them as they are (and fails on them again). Said after the resume step; "" when there are none.
 */
function stuckOnModel(record: RolloutRecord): string {
  // Not those another writer's change failed (a re-run upgrades them onto the model as it is then: otherWriterStep).
  const stuck = sortById(
    record.instances.filter(
      (i) => i.latestModelAfter && (i.outcome === "failed" || i.outcome === "unhealthy") && !byOtherWriter(i),
    ),
  );
  if (stuck.length === 0) return "";
  const one = stuck.length === 1;
  const ids = inline(idRanges(stuck.map((i) => i.instanceId)), { max: 300 });
  return (
    ` ${one ? "Instance" : "Instances"} ${ids} ${one ? "is" : "are"} on the new model but failed or unhealthy there: ` +
    `a re-run does not upgrade ${one ? "it" : "them"} again, so reimage or repair ${one ? "it" : "them"} first ` +
    `(see above what went wrong), or the re-run fails on ${one ? "it" : "them"} again.`
  );
}

/**
 * What protected instances mean for the release, and how to bring them in: remove the protection, re-run. The `az`
 * command is filled in only with names that are safe to paste into a shell as they are.
 */
function protectedStep(record: RolloutRecord, instances: readonly InstanceRecord[]): string {
  const ids = sortById(instances).map((i) => i.instanceId);
  const one = ids.length === 1;
  const who = `**${one ? "Protected instance" : "Protected instances"} ${inline(idRanges(ids), { max: 300 })}**`;
  const dryRun = record.result === "planned";
  // A rollback: true run: what a protected instance keeps is what it ran, perhaps the change being undone; not "old".
  const keeps = dryRun
    ? `${who} would keep ${one ? "its" : "their"} current model.`
    : record.rollbackOf !== undefined
      ? `${who} ${one ? "keeps the model it runs" : "keep the models they run"}, not the restored one, while protected.`
      : `${who} ${one ? "keeps its" : "keep their"} old model on purpose.`;
  const how = dryRun
    ? `To upgrade ${one ? "it" : "them"} too, remove the protection from scale-set actions before the real run:`
    : `To upgrade ${one ? "it" : "them"} too, remove the protection from scale-set actions, then re-run this job:`;
  // A Flexible VM's protection is not reached through `az vmss update --instance-id` (per-instance scale-set VM calls
  // take a Uniform instance's number, not a VM's name): no command that would fail is offered.
  if (record.orchestrationMode === "Flexible") {
    const where = `(on the scale set's Instances page in the Azure portal: \`az vmss update --instance-id\` takes a Uniform instance's number, not a Flexible VM's name)`;
    return dryRun
      ? `${keeps} To upgrade ${one ? "it" : "them"} too, remove ${one ? "its" : "their"} protection from scale-set actions ${where} before the real run.`
      : `${keeps} To upgrade ${one ? "it" : "them"} too, remove ${one ? "its" : "their"} protection from scale-set actions ${where}, then re-run this job.`;
  }
  return `${keeps} ${how}\n\n\`\`\`sh\n${unprotectCommand(record, ids)}\n\`\`\``;
}

/**
 * Instances a rollback left out as protected from scale-set actions (protectedOnlyNotBack): the protection to remove
 * first, then the rollback to run again (the step after this one) or an upgrade by hand. A command only as protectedStep
 * offers one.
 */
function heldStep(record: RolloutRecord, held: readonly string[]): string {
  const one = held.length === 1;
  const who = `**${one ? "Instance" : "Instances"} ${inline(idRanges(held), { max: 300 })}**`;
  const lead = `${protectedLeftWords(who, held.length)}: remove the protection first, then run \`rollback: true\` as below (it brings back only what is not back yet) or upgrade ${one ? "it" : "them"} onto the scale set's model by hand`;
  if (record.orchestrationMode === "Flexible")
    return `${lead}. Remove ${one ? "its" : "their"} protection on the scale set's Instances page in the Azure portal (\`az vmss update --instance-id\` takes a Uniform instance's number, not a Flexible VM's name).`;
  return `${lead}:\n\n\`\`\`sh\n${unprotectCommand(record, held)}\n\`\`\``;
}

const SHELL_SAFE = /^[A-Za-z0-9._-]+$/;

function unprotectCommand(record: RolloutRecord, ids: readonly string[]): string {
  const arg = (value: string, placeholder: string) => (SHELL_SAFE.test(value) ? value : placeholder);
  const base =
    `az vmss update --resource-group ${arg(record.target.resourceGroup, "<resource-group>")} ` +
    `--name ${arg(record.target.scaleSet, "<scale-set>")}`;
  const flags = "--protect-from-scale-set-actions false";
  if (ids.length === 1 && SHELL_SAFE.test(ids[0] as string)) return `${base} --instance-id ${ids[0]} ${flags}`;
  if (ids.length <= MAX_UNPROTECT_IDS && ids.every((id) => SHELL_SAFE.test(id))) {
    return `for id in ${ids.join(" ")}; do\n  ${base} --instance-id "$id" ${flags}\ndone`;
  }
  return `${base} --instance-id <instance-id> ${flags}`;
}

/** A run that wrote no model value but upgraded instances onto the model an earlier run wrote (a re-run). */
function resumedOnly(record: RolloutRecord): boolean {
  return (
    ["succeeded", "failed", "cancelled"].includes(record.result) &&
    record.rollbackOf === undefined &&
    !record.modelUpdated &&
    record.modelWriteUnknown === undefined &&
    record.changes.length === 0 &&
    record.instances.some((i) => i.outcome !== "already-current" && i.outcome !== "skipped-protected")
  );
}

function rollbackSection(record: RolloutRecord): string {
  const offer =
    ["succeeded", "failed", "cancelled", "reverted"].includes(record.result) || record.rollback?.succeeded === false;
  const inputs = offer ? rollbackInputs(record) : [];
  // A change with no way back says so, rather than nothing.
  if (inputs.length === 0 && offer && record.imageNotRestorable !== undefined && !record.rollbackOf)
    return (
      `**No way back:** the action cannot undo this change: ${inline(record.imageNotRestorable, { max: 600 })}.` +
      (record.changes.some((c) => /^extensions\[/.test(c.property))
        ? " Going back by hand takes the extension's previous values too (the `previous-model` output)."
        : "")
    );
  if (inputs.length === 0) return "";
  // A rollback run: rollback: true would not undo it; going forward again takes the inputs.
  if (record.rollbackOf) {
    return (
      "**To undo this rollback**, run the action with these inputs (`rollback: true` never undoes a rollback: run again, it only finishes one):\n\n" +
      "```yaml\n" +
      rollbackYaml(inputs) +
      "\n```"
    );
  }
  const sasNote = inputs.some((i) => i.value.includes("?[query removed]"))
    ? "\n\nThe file URIs lost their query strings here: add the SAS tokens back before using them."
    : "";
  // Which run made the change, so the rollback is traceable to it: ` (made by release run 42, attempt 1 from tag …)`.
  const run = runLabel(record);
  const madeBy = run ? ` (made by ${run}${commitOf(record)})` : "";
  const moved = record.modelChangedByAnother;
  const lead =
    (record.noRollback?.otherWriter === true
      ? "**Another writer changed the model since this run's write** (see **No rollback** above): the values below would overwrite that change, so check it first. "
      : record.rollback?.model === "changed-by-another-writer"
        ? `**Another writer changed the model ${record.rollback.changedSince !== undefined ? "after" : "during"} the rollback** (see **Rollback** above): the values below would overwrite that change, so check it first. `
        : moved !== undefined
          ? `**Another writer changed the model since this run's write** (${inline(moved.change, { max: 400 })}): ` +
            (moved.overwritten
              ? "`rollback: true` refuses to overwrite that change, and the values below would overwrite it, so check it first. "
              : "a rollback would bring the instances onto a model with that change in it, so check it first. ")
          : "") +
    (record.rollback?.succeeded === false
      ? `**Roll back:** run the action${madeBy ? ` to undo the change${madeBy}` : ""}`
      : `**To roll back** the model and the upgraded instances${madeBy}, run the action`);
  // The one-line way: the record this run left on the scale set (or why it cannot be used).
  const status = record.scaleSetRecord;
  // `rollback: true` refuses while the model holds another writer's change to what this run wrote (found after the
  // run, or during its rollback): not offered then.
  const refusesRecord = moved?.overwritten === true || record.rollback?.model === "changed-by-another-writer";
  const oneLine =
    status?.undoable === true && !refusesRecord
      ? `${lead} with \`rollback: true\` (the scale set keeps a record of this change):\n\n` +
        "```yaml\nwith:\n  rollback: true\n```\n\nor with these inputs (the `previous-model` output holds the same values):\n\n"
      : `${lead} with these inputs (the \`previous-model\` output holds the same values)` +
        `${status?.note ? `; \`rollback: true\` cannot be used: ${inline(status.note, { max: 400 })}` : ""}:\n\n`;
  return oneLine + "```yaml\n" + rollbackYaml(inputs) + "\n```" + sasNote;
}

/** ` from tag v1.4.0 (commit 8c1a3e0)`, linked; "" when unknown. */
function commitOf(record: RolloutRecord): string {
  const release = record.release;
  if (!release) return "";
  const ref = release.refName ? ` from ${release.refType} ${link(code(release.refName), release.links.ref ?? "")}` : "";
  const commit = release.shortSha ? ` (commit ${link(code(release.shortSha), release.links.commit ?? "")})` : "";
  return `${ref}${commit}`;
}

// ───────────────────────────── every instance ─────────────────────────────

/**
 * Every instance in a collapsed section, sorted by ID. Past COMPACT_ROWS_FROM instances each row keeps only what
 * tells them apart; past the byte budget the remaining rows are left out, with a pointer to `summary-json`.
 */
function allInstances(record: RolloutRecord, stage: Stage, budget: number): string {
  const { instances } = record;
  const context: OutcomeContext = { result: record.result, stage };
  const compact = instances.length >= COMPACT_ROWS_FROM;
  const headers = compact
    ? ["Instance", "Outcome", "Batch", "State", "Error"]
    : ["Instance", "Outcome", "Batch", "Provisioning", "Power", "Health", "Image", "Error"];
  const open = `<details><summary>All ${plural(instances.length, "instance")}</summary>\n\n${table(headers, [])}`;
  const close = "\n\n</details>";
  const omittedNote = (n: number) =>
    `\n\n${n} more instances did not fit in the summary: see the \`summary-json\` output.`;
  let body = open;
  let used = byteLength(open) + byteLength(close) + byteLength(omittedNote(instances.length));
  let shown = 0;
  for (const instance of sortById(instances)) {
    const row = `\n${tableRow(compact ? compactRow(instance, context) : fullRow(instance, context))}`;
    const size = byteLength(row);
    if (used + size > budget) break;
    body += row;
    used += size;
    shown++;
  }
  if (shown < instances.length) body += omittedNote(instances.length - shown);
  return body + close;
}

function fullRow(i: InstanceRecord, context: OutcomeContext): string[] {
  return [
    instanceCell(i),
    outcomeCell(i.outcome, context),
    i.batch === undefined ? "–" : String(i.batch),
    state(i.provisioningState),
    state(i.powerState),
    state(i.health),
    i.image ? code(shortImage(redactText(i.image)), 80) : "–",
    i.error ? `${errorCode(i.error)}: ${inline(i.error.message, { max: 120 })}` : "",
  ];
}

function compactRow(i: InstanceRecord, context: OutcomeContext): string[] {
  const states = [i.provisioningState, i.powerState, i.health].filter((s) => s !== undefined && s !== "");
  return [
    inline(i.instanceId, { max: 60 }),
    outcomeCell(i.outcome, context),
    i.batch === undefined ? "–" : String(i.batch),
    states.length > 0 ? inline(states.join(" / "), { max: 80 }) : "–",
    i.error ? errorCode(i.error) : "",
  ];
}

/** Gallery image IDs run to 200 characters; their last segments (image, version) are what differ. */
function shortImage(image: string): string {
  const segments = image.split("/");
  return image.length > 60 && segments.length > 4 ? `…/${segments.slice(-4).join("/")}` : image;
}

// ───────────────────────────── Markdown helpers ─────────────────────────────

/** A Markdown table of already-escaped cells. */
function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
