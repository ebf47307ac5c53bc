// The job summary (GITHUB_STEP_SUMMARY): Markdown plus the HTML GitHub keeps. A pure function of the record.
// Order follows what a reader needs: did it reach every instance (title), what changed, how the batches went,
// which instances need attention and why, what to do next, and then every instance, collapsed.

import type { AzureErrorInfo, BatchRecord, BatchResult, InstanceOutcome, InstanceRecord, RolloutRecord, RolloutResult } from "../types.ts";
import { explainError, type ErrorHelp } from "./errors.ts";
import { code, inline, link, redact } from "./escape.ts";
import { headline } from "./headline.ts";
import { countOutcomes, FAILURE_HELP, idRanges, OUTCOME_LABEL, plural, sortById } from "./instances.ts";
import { rollbackInputs, rollbackYaml } from "./rollback.ts";
import { clockUtc, elapsedMs, formatDuration } from "./time.ts";
import { MAX_CHART_BATCHES, timelineChart } from "./timeline.ts";

/** GitHub refuses a step summary over 1 MiB; stay below it with room to spare. */
export const SUMMARY_BUDGET_BYTES = 1_000_000;
/** Past this many instances the full list uses one compact row per instance. */
const COMPACT_ROWS_FROM = 200;
/** Rows of the "needs attention" table; the full list below has the rest. */
const MAX_ATTENTION_ROWS = 50;
/** Past this many batches the batch table is collapsed too. */
const COLLAPSE_BATCHES_FROM = 20;
const MAX_BATCH_ROWS = 500;

const RESULT_ICON: Readonly<Record<RolloutResult, string>> = {
  succeeded: "✅",
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
  "not-started": "⏸️",
  "rolled-back": "↩️",
};

const BATCH_ICON: Readonly<Record<BatchResult, string>> = {
  succeeded: "✅",
  failed: "❌",
  unhealthy: "⚠️",
  "timed-out": "⏳",
  cancelled: "⏹️",
  "not-started": "⏸️",
  planned: "📋",
};

/** Instances listed first in "needs attention", in this order. */
const ATTENTION_ORDER: readonly InstanceOutcome[] = ["failed", "unhealthy", "straggler", "skipped-protected"];

export function renderSummary(record: RolloutRecord): string {
  const head = [header(record), change(record), rollout(record), attention(record), nextSteps(record)]
    .filter((section) => section !== "")
    .join("\n\n");
  const budget = SUMMARY_BUDGET_BYTES - byteLength(head) - 2;
  return `${head}\n\n${allInstances(record.instances, budget)}\n`;
}

// ───────────────────────────── title and context ─────────────────────────────

function header(record: RolloutRecord): string {
  const { target } = record;
  const scaleSet = link(code(target.scaleSet), target.portalUrl);
  const facts = [
    `**Scale set** ${scaleSet} in resource group ${code(target.resourceGroup)}`,
    record.cloud === "AzureCloud" ? "" : `**Cloud** ${record.cloud}`,
    record.upgradeMode ? `**Upgrade mode** ${record.upgradeMode}` : "",
    `**Duration** ${formatDuration(record.durationMs)} (started ${inline(startedAt(record.startedAt))})`,
  ].filter((fact) => fact !== "");
  const lines = [`## ${RESULT_ICON[record.result]} ${headline(record)}`, "", facts.join(" · ")];
  if (record.reason) lines.push("", `> **Why:** ${inline(record.reason, { max: 1000 })}`);
  const bar = progressBar(record);
  if (bar) lines.push("", bar);
  return lines.join("\n");
}

function startedAt(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 10)} ${clockUtc(iso)}`;
}

/** A bar of the share of instances on the new model, for the runs that tried to get them there. */
function progressBar(record: RolloutRecord): string {
  if (!["succeeded", "failed", "cancelled"].includes(record.result) || record.instances.length === 0) return "";
  const counts = countOutcomes(record.instances);
  const share = counts.onNewModel / counts.total;
  const filled = Math.floor(share * 20); // a full bar only when every instance made it
  return `<code>${"█".repeat(filled)}${"░".repeat(20 - filled)}</code> ${Math.floor(share * 100)}% on the new model`;
}

// ───────────────────────────── the change ─────────────────────────────

function change(record: RolloutRecord): string {
  const title = record.result === "planned" ? "### The change (not applied: dry run)" : "### The change";
  if (record.changes.length === 0) {
    return `${title}\n\nThe scale set model already held the requested values; nothing was written to it.`;
  }
  const rows = record.changes.map((c) => [code(c.property), value(c.before), value(c.after)]);
  const note =
    record.modelUpdated || record.result === "planned" ? "" : "\n\nNot applied: the run ended before it wrote the model.";
  return `${title}\n\n${table(["Property", "Before", "After"], rows)}${note}`;
}

function value(text: string): string {
  return text === "" ? "<i>not set</i>" : `<code>${inline(text, { max: 400, breaks: true })}</code>`;
}

// ───────────────────────────── the rollout ─────────────────────────────

function rollout(record: RolloutRecord): string {
  const parts: string[] = [];
  if (record.batches.length > 0) {
    const rows = record.batches.slice(0, MAX_BATCH_ROWS).map((b) => batchRow(b, record.startedAt));
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
  const title = record.result === "planned" ? "### The plan" : "### The rollout";
  return `${title}\n\n${parts.join("\n\n")}`;
}

function batchRow(batch: BatchRecord, rolloutStartedAt: string): string[] {
  const ids = batch.instanceIds.length > 0 ? `: ${inline(idRanges(batch.instanceIds), { max: 300 })}` : "";
  const offset = batch.startedAt ? elapsedMs(rolloutStartedAt, batch.startedAt) : undefined;
  const started = batch.startedAt
    ? `${inline(clockUtc(batch.startedAt))}${offset === undefined ? "" : ` (+${formatDuration(Math.max(0, offset))})`}`
    : "–";
  const error = batch.error ? `: ${errorCode(batch.error)}` : "";
  return [
    `${batch.index}${batch.canary ? " (canary)" : ""}`,
    `${batch.instanceIds.length}${ids}`,
    started,
    batch.durationMs === undefined ? "–" : formatDuration(batch.durationMs),
    `${BATCH_ICON[batch.result]} ${batch.result.replace("-", " ")}${error}`,
  ];
}

function rollingStatus(rolling: NonNullable<RolloutRecord["rolling"]>): string {
  const progress = [
    `${rolling.successfulInstanceCount} succeeded`,
    `${rolling.failedInstanceCount} failed`,
    `${rolling.inProgressInstanceCount} in progress`,
    `${rolling.pendingInstanceCount} pending`,
  ].join(", ");
  const error = rolling.error ? `. Error ${errorCode(rolling.error)}: ${inline(rolling.error.message, { max: 500 })}` : "";
  return `**Azure's rolling upgrade:** ${rolling.code} (${progress})${error}`;
}

function rollbackStatus(rollback: NonNullable<RolloutRecord["rollback"]>): string {
  const ids = rollback.instanceIds.length > 0 ? `: ${inline(idRanges(rollback.instanceIds), { max: 300 })}` : "";
  const outcome = rollback.succeeded ? "✅ the previous model is back" : "❌ the rollback did not complete";
  const error = rollback.error ? `. ${inline(rollback.error, { max: 500 })}` : "";
  return `**Rollback:** ${outcome}, ${plural(rollback.instanceIds.length, "instance")} brought back${ids}${error}`;
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
    const rows = flagged.slice(0, MAX_ATTENTION_ROWS).map((i) => [
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
    lines.push(`**Not started** (${untouched.length}): ${idList(untouched)}. The run ended before their batch.`);
  }
  const rolledBack = record.instances.filter((i) => i.outcome === "rolled-back");
  if (rolledBack.length > 0) {
    lines.push(`**Rolled back** (${rolledBack.length}): ${idList(rolledBack)}. Upgraded, then put back on the previous model.`);
  }
  const explained = explanations(record);
  if (explained) lines.push(explained);
  if (lines.length === 0) return "";
  const count = flagged.length + untouched.length;
  return `### Needs attention${count > 0 ? ` (${count})` : ""}\n\n${lines.join("\n\n")}`;
}

function instanceCell(instance: InstanceRecord): string {
  return `${inline(instance.instanceId, { max: 60 })} ${code(instance.name, 80)}`;
}

function outcomeCell(outcome: InstanceOutcome): string {
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
 * error code seen in the run, with the instances that reported it.
 */
function explanations(record: RolloutRecord): string {
  const items: string[] = [];
  for (const outcome of ["failed", "unhealthy", "straggler"] as const) {
    const ids = record.instances.filter((i) => i.outcome === outcome && !i.error).map((i) => i.instanceId);
    if (ids.length === 0) continue;
    const help = FAILURE_HELP[outcome];
    const label = OUTCOME_LABEL[outcome];
    items.push(`- **${label[0]?.toUpperCase()}${label.slice(1)}**${where(ids)}: ${help.happened}<br>**Check:** ${help.check}`);
  }
  const seen = new Map<ErrorHelp, { error: AzureErrorInfo; instanceIds: string[] }>();
  const note = (error: AzureErrorInfo | undefined, instanceId?: string) => {
    const help = error && explainError(error);
    if (!error || !help) return;
    const entry = seen.get(help) ?? { error, instanceIds: [] };
    if (instanceId !== undefined) entry.instanceIds.push(instanceId);
    seen.set(help, entry);
  };
  note(record.rolling?.error);
  for (const batch of record.batches) note(batch.error);
  for (const instance of sortById(record.instances)) note(instance.error, instance.instanceId);
  for (const [help, { error, instanceIds }] of seen) {
    const docs = help.docs ? ` ${link("Microsoft's docs", help.docs)}` : "";
    items.push(`- ${errorCode(error)}${where(instanceIds)}: ${help.happened}<br>**Check:** ${help.check}${docs}`);
  }
  return items.length === 0 ? "" : `#### What went wrong\n\n${items.join("\n")}`;
}

function where(instanceIds: readonly string[]): string {
  if (instanceIds.length === 0) return "";
  return ` (${plural(instanceIds.length, "instance")}: ${inline(idRanges(instanceIds), { max: 300 })})`;
}

// ───────────────────────────── what to do next ─────────────────────────────

function nextSteps(record: RolloutRecord): string {
  const steps: string[] = [];
  const resume = "re-run this job: the action is idempotent, so it skips the instances already on the new model and upgrades the rest";
  switch (record.result) {
    case "succeeded":
      steps.push("Every targeted instance runs the new model. Nothing else to do.");
      break;
    case "unchanged":
      steps.push("Nothing to do: the scale set and its instances already hold the requested values.");
      break;
    case "planned":
      steps.push("Run again without `dry-run: true` to apply this change with this plan.");
      break;
    case "failed":
      steps.push(`**Resume:** fix the cause above, then ${resume}.`);
      break;
    case "cancelled":
      steps.push(`**Resume:** ${resume}.`);
      break;
    case "rolled-back":
      steps.push(
        record.rollback?.succeeded === false
          ? "**Finish the rollback:** run the action with the values below."
          : "The previous model is back. Fix the cause above, then run the rollout again.",
      );
      break;
  }
  if (record.instances.some((i) => i.outcome === "skipped-protected")) {
    steps.push(
      "Instances protected from scale-set actions keep their old model: remove the protection, then re-run to upgrade them.",
    );
  }
  const back = rollbackSection(record);
  if (back) steps.push(back);
  steps.push(
    `**Docs:** ${link("Modify a scale set", "https://learn.microsoft.com/en-us/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-upgrade-scale-set")} · ` +
      link("Common Azure deployment errors", "https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/common-deployment-errors"),
  );
  return `### Next steps\n\n${steps.map((s) => `- ${s.replace(/\n/g, "\n  ")}`).join("\n")}`;
}

function rollbackSection(record: RolloutRecord): string {
  const offer = ["succeeded", "failed", "cancelled"].includes(record.result) || record.rollback?.succeeded === false;
  const inputs = offer ? rollbackInputs(record) : [];
  if (inputs.length === 0) return "";
  const sasNote = inputs.some((i) => i.value.includes("?[query removed]"))
    ? "\n\nThe file URIs lost their query strings here: add the SAS tokens back before using them."
    : "";
  return (
    "**Roll back:** run the action with these inputs (the `previous-model` output holds the same values):\n\n" +
    "```yaml\n" +
    rollbackYaml(inputs) +
    "\n```" +
    sasNote
  );
}

// ───────────────────────────── every instance ─────────────────────────────

/**
 * Every instance in a collapsed section, sorted by ID. Past COMPACT_ROWS_FROM instances each row keeps only what
 * tells them apart; past the byte budget the remaining rows are left out, with a pointer to `summary-json`.
 */
function allInstances(instances: readonly InstanceRecord[], budget: number): string {
  const compact = instances.length >= COMPACT_ROWS_FROM;
  const headers = compact
    ? ["Instance", "Outcome", "Batch", "State", "Error"]
    : ["Instance", "Outcome", "Batch", "Provisioning", "Power", "Health", "Image", "Error"];
  const open = `<details><summary>All ${plural(instances.length, "instance")}</summary>\n\n${table(headers, [])}`;
  const close = "\n\n</details>";
  const omittedNote = (n: number) => `\n\n${n} more instances did not fit in the summary: see the \`summary-json\` output.`;
  let body = open;
  let used = byteLength(open) + byteLength(close) + byteLength(omittedNote(instances.length));
  let shown = 0;
  for (const instance of sortById(instances)) {
    const row = `\n${tableRow(compact ? compactRow(instance) : fullRow(instance))}`;
    const size = byteLength(row);
    if (used + size > budget) break;
    body += row;
    used += size;
    shown++;
  }
  if (shown < instances.length) body += omittedNote(instances.length - shown);
  return body + close;
}

function fullRow(i: InstanceRecord): string[] {
  return [
    instanceCell(i),
    outcomeCell(i.outcome),
    i.batch === undefined ? "–" : String(i.batch),
    state(i.provisioningState),
    state(i.powerState),
    state(i.health),
    i.image ? code(shortImage(redact(i.image)), 80) : "–",
    i.error ? `${errorCode(i.error)}: ${inline(i.error.message, { max: 120 })}` : "",
  ];
}

function compactRow(i: InstanceRecord): string[] {
  const states = [i.provisioningState, i.powerState, i.health].filter((s) => s !== undefined && s !== "");
  return [
    inline(i.instanceId, { max: 60 }),
    outcomeCell(i.outcome),
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
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return [tableRow(headers), tableRow(headers.map(() => "---")), ...rows.map(tableRow)].join("\n");
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => (c === "" ? " " : c)).join(" | ")} |`;
}

function details(summary: string, content: string): string {
  return `<details><summary>${summary}</summary>\n\n${content}\n\n</details>`;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
