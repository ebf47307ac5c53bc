// Regenerates the documentation tables that come from the project's own sources, so the docs cannot drift:
//   README.md                 inputs and outputs tables, from action.yml (outputs' examples from buildOutputs)
//   docs/troubleshooting.md   the common Azure errors, from the table the job summary uses (src/report/error-help.ts)
// Only the text between each pair of markers is replaced.
//
//   npx node scripts/readme-tables.ts           rewrite the files
//   npx node scripts/readme-tables.ts --check   exit 1 when a file is stale (test/unit/readme.test.ts does the same)

import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { ERROR_HELP } from "../src/report/error-help.ts";
import { markdownTable } from "../src/report/markdown.ts";
import { buildOutputs } from "../src/report/outputs.ts";
import type { RolloutRecord } from "../src/domain/record.ts";

interface ActionYml {
  readonly inputs: Readonly<Record<string, { description: string; required?: boolean; default?: string }>>;
  readonly outputs: Readonly<Record<string, { description: string }>>;
}

export interface DocFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

const ROOT = new URL("../", import.meta.url);

/** The documentation files as they should be, given action.yml and the current files. */
export function regenerate(read: (path: string) => string): DocFile[] {
  const action = parse(read("action.yml")) as ActionYml;
  let readme = read("README.md");
  readme = replaceBetween(readme, "inputs", inputsTable(action));
  readme = replaceBetween(readme, "outputs", outputsTable(action));
  const troubleshooting = replaceBetween(read("docs/troubleshooting.md"), "azure-errors", azureErrors());
  return [
    { path: "README.md", content: readme },
    { path: "docs/troubleshooting.md", content: troubleshooting },
  ];
}

/** Replaces what is between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceBetween(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`markers ${start} … ${end} not found`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

export function inputsTable(action: ActionYml): string {
  const rows = Object.entries(action.inputs).map(([name, input]) => [
    `\`${name}\``,
    input.required ? "yes" : "no",
    input.default ? `\`${input.default}\`` : "",
    cell(input.description),
  ]);
  return table(["Input", "Required", "Default", "Description"], rows);
}

export function outputsTable(action: ActionYml): string {
  const examples = buildOutputs(EXAMPLE_RECORD);
  const rows = Object.entries(action.outputs).map(([name, output]) => {
    const example = examples[name];
    if (example === undefined) throw new Error(`output ${name} is in action.yml but not in buildOutputs`);
    const shown = example.length > 60 ? `${example.slice(0, 59)}…` : example;
    return [`\`${name}\``, cell(output.description), `\`${shown.replace(/\|/g, "\\|")}\``];
  });
  return table(["Output", "Format", "Example"], rows);
}

export function azureErrors(): string {
  return ERROR_HELP.map((help) => {
    const title = `### \`${help.code}\`${help.variant ? ` (${help.variant.name})` : ""}${help.own === true ? " (the action's own)" : ""}`;
    const docs = help.docs ? `\n\nMicrosoft's docs: <${help.docs}>` : "";
    return `${title}\n\n**What happened:** ${help.happened}\n\n**What to check:** ${help.check}${docs}`;
  }).join("\n\n");
}

function cell(text: string): string {
  return text.replace(/\s+/g, " ").trim().replace(/\|/g, "\\|");
}

const table = markdownTable;

/** A small rollout whose outputs show each output's exact format in the README. */
const EXAMPLE_RECORD: RolloutRecord = {
  target: {
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "rg-web",
    scaleSet: "vmss-web",
    resourceId:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web",
    portalUrl: "https://portal.azure.com/",
  },
  cloud: "AzureCloud",
  upgradeMode: "Manual",
  dryRun: false,
  startedAt: "2025-01-01T00:00:00.000Z",
  finishedAt: "2025-01-01T00:10:00.000Z",
  durationMs: 600_000,
  result: "failed",
  changes: [{ property: "storageProfile.imageReference.version", before: "1.0.0", after: "1.1.0" }],
  modelUpdated: true,
  previousModel: { imageReference: { version: "1.0.0" } },
  deployment: { environment: "production", id: 1234567890, statuses: ["in_progress", "failure"] },
  batches: [],
  instances: ["0", "2", "3", "10", "4"].map((instanceId, i) => ({
    instanceId,
    name: `vmss-web_${instanceId}`,
    latestModelBefore: false,
    latestModelAfter: i < 2,
    outcome: i < 2 ? "updated" : i === 4 ? "skipped-protected" : "failed",
  })),
};

if (import.meta.main) {
  const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");
  const stale = regenerate(read).filter((file) => file.content !== read(file.path));
  if (process.argv.includes("--check")) {
    for (const file of stale) console.error(`${file.path} is stale: run npx node scripts/readme-tables.ts`);
    process.exitCode = stale.length > 0 ? 1 : 0;
  } else {
    for (const file of stale) {
      writeFileSync(new URL(file.path, ROOT), file.content);
      console.log(`updated ${file.path}`);
    }
  }
}
