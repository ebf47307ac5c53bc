// The layers of docs/architecture.md, checked on the real import graph of src/: which folder may import which, which
// packages each may use, and no import cycles. A new file lands in a layer by its folder; a wrong arrow fails here.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

type Layer =
  "main" | "config" | "config-types" | "domain" | "engine" | "engine-ports" | "azure" | "github" | "report" | "shared";

/** What each layer may import from the project (its own layer is always allowed). */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  main: ["config", "config-types", "domain", "engine", "engine-ports", "azure", "github", "report", "shared"],
  config: ["config-types", "shared"],
  "config-types": [],
  domain: ["config-types", "shared"],
  engine: ["engine-ports", "domain", "config-types", "shared"],
  "engine-ports": ["domain", "config-types"],
  azure: ["engine-ports", "domain", "config-types", "shared"],
  github: ["engine-ports", "domain", "config-types", "shared"],
  report: ["domain", "config-types", "shared"],
  shared: [],
};

/**
 * Node's built-ins the layers without I/O may import: none but a hash (domain's record key). main and the adapters
 * (azure, github) do the I/O and may use any.
 */
const PURE_BUILTINS: Partial<Record<Layer, RegExp>> = {
  config: /^$/,
  "config-types": /^$/,
  domain: /^node:crypto$/,
  engine: /^$/,
  "engine-ports": /^$/,
  report: /^$/,
  shared: /^$/,
};

/** Packages a layer may import (node: built-ins: see PURE_BUILTINS). */
const PACKAGES: Partial<Record<Layer, RegExp>> = {
  // `debug`: the logger of the SDK's proxy agents, routed through the gate by azure/sdk-log.ts.
  azure: /^@azure\/|^debug$/,
  // @actions/core: its getIDToken (OIDC), loaded on demand by github/runner.ts alone.
  github: /^@actions\/github$|^@octokit\/|^@actions\/core$/,
};

function layerOf(file: string): Layer {
  const rel = relative(SRC, file).replaceAll("\\", "/");
  if (rel === "config/types.ts") return "config-types";
  if (rel === "engine/ports.ts") return "engine-ports";
  const top = rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : "main";
  if (["config", "domain", "engine", "azure", "github", "report", "shared"].includes(top)) return top as Layer;
  return "main";
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Packages only one file may import: the guide's "one module alone imports Octokit" (prefix → that file). */
const ONLY_IN: readonly (readonly [RegExp, string])[] = [
  [/^@actions\/github$|^@octokit\//, "github/deployments.ts"],
  [/^@actions\/core$/, "github/runner.ts"],
];

/**
 * Every module specifier of static imports and re-exports (multi-line ones too), of side-effect imports
 * (`import "x";`), of dynamic imports and of require().
 */
function specifiers(text: string): string[] {
  const found = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms)].map((m) => m[1]!);
  const bare = [...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  return [...found, ...bare, ...dynamic];
}

/**
 * The package a relative path into node_modules names (`../../node_modules/@azure/arm-compute/dist/…` →
 * `@azure/arm-compute`): an import of a package's file past its `exports`, which counts as an import of that package.
 */
function intoPackage(specifier: string): string | undefined {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(specifier)?.[1];
}

/** The one file that may import a package's files past its `exports` (the Compute client of the groups it uses). */
const PAST_EXPORTS_OWNER = "azure/compute-client.ts";

const files = sourceFiles(SRC);
const pastExports = new Map<string, string[]>();
const graph = new Map<string, string[]>();
const packages = new Map<string, string[]>();
const nodeBuiltins = new Map<string, string[]>();
for (const file of files) {
  const specs = specifiers(readFileSync(file, "utf8"));
  nodeBuiltins.set(
    file,
    specs.filter((s) => s.startsWith("node:")),
  );
  graph.set(
    file,
    specs.filter((s) => s.startsWith(".") && intoPackage(s) === undefined).map((s) => resolve(dirname(file), s)),
  );
  packages.set(file, [
    ...specs.filter((s) => !s.startsWith(".") && !s.startsWith("node:")),
    ...specs.flatMap((s) => intoPackage(s) ?? []),
  ]);
  pastExports.set(
    file,
    specs.filter((s) => intoPackage(s) !== undefined),
  );
}

describe("the layers of src/", () => {
  it("reads the source tree", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((f) => [relative(SRC, f), f] as const))("%s imports only what its layer may", (_name, file) => {
    const from = layerOf(file);
    const wrong = (graph.get(file) ?? [])
      .filter((target) => {
        const to = layerOf(target);
        return to !== from && !ALLOWED[from].includes(to);
      })
      .map((target) => `${relative(SRC, target)} (${layerOf(target)})`);
    expect(wrong, `${from} may import ${ALLOWED[from].join(", ") || "nothing else"}`).toEqual([]);
    const pattern = PACKAGES[from];
    const rel = relative(SRC, file).replaceAll("\\", "/");
    const foreign = (packages.get(file) ?? []).filter(
      (p) => !(pattern?.test(p) ?? false) || ONLY_IN.some(([only, owner]) => only.test(p) && rel !== owner),
    );
    expect(foreign, `packages ${from} may not import (or only one file of it may)`).toEqual([]);
    const builtins = PURE_BUILTINS[from];
    const io = builtins ? (nodeBuiltins.get(file) ?? []).filter((b) => !builtins.test(b)) : [];
    expect(io, `${from} does no I/O: it may not import these built-ins`).toEqual([]);
  });

  it("only azure/compute-client.ts imports a package's files past its exports", () => {
    const reaching = files
      .filter((f) => (pastExports.get(f) ?? []).length > 0)
      .map((f) => relative(SRC, f).replaceAll("\\", "/"));
    expect(reaching).toEqual([PAST_EXPORTS_OWNER]);
  });

  it.each([
    ["../../node_modules/@azure/arm-compute/dist/esm/classic/x/index.js", "@azure/arm-compute"],
    ["../node_modules/debug/src/index.js", "debug"],
    ["./mapping.ts", undefined],
  ])("reads %j as an import of %j", (specifier, name) => {
    expect(intoPackage(specifier)).toBe(name);
  });

  // The reader of imports itself: each form an import can take is seen (before, side-effect imports and require()
  // were not, so a layer could have loaded a package unseen).
  it.each([
    ['import { a } from "pkg";', ["pkg"]],
    ['import {\n  a,\n  b,\n} from "pkg";', ["pkg"]],
    ["export { a } from './x.ts';", ["./x.ts"]],
    ['import "side-effect";', ["side-effect"]],
    ['const m = await import("lazy");', ["lazy"]],
    ['const m = require("old");', ["old"]],
  ])("sees the module of %j", (text, modules) => {
    expect(specifiers(text)).toEqual(modules);
  });

  it("has no import cycle", () => {
    expect(cyclesOf(files, graph, SRC)).toEqual([]);
  });
});

describe("the rest of the project", () => {
  // The benchmark, the demo, the scripts, the emulator and the tests: no cycle there either (type-only imports count).
  const ROOT = resolve(SRC, "..");
  const all = ["src", "emulator", "bench", "demo", "scripts", "test"].flatMap((dir) => sourceFiles(join(ROOT, dir)));
  const edges = new Map(
    all.map((file) => [
      file,
      specifiers(readFileSync(file, "utf8"))
        .filter((s) => s.startsWith("."))
        .map((s) => resolve(dirname(file), s)),
    ]),
  );

  it("has no import cycle", () => {
    expect(all.length).toBeGreaterThan(files.length);
    expect(cyclesOf(all, edges, ROOT)).toEqual([]);
  });
});

/** Every cycle a depth-first walk of the graph meets, as `a.ts → b.ts → a.ts` relative to `base`. */
function cyclesOf(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>, base: string): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(base, f)).join(" → "));
      return;
    }
    state.set(file, "open");
    for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of nodes) visit(file, []);
  return cycles;
}
