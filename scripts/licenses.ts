// Writes dist/licenses.txt: the licence text of every package the bundle holds, and nothing else.
// (ncc's own --license option only lists the packages it emits as separate chunks when it bundles ESM.)
// Which packages the bundle holds comes from the webpack stats ncc writes (`npm run build` passes --stats-out), so a
// dependency that is declared but tree-shaken away, or only used by tests, is not listed; versions and licence names
// come from package-lock.json, so the list is the same on every machine that ran `npm ci`.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  readonly version?: string;
  readonly license?: string;
}

interface StatsModule {
  readonly name?: string;
  readonly modules?: readonly StatsModule[];
}

const root = join(import.meta.dirname, "..");
const statsPath = join(root, "build", "ncc-stats.json");
if (!existsSync(statsPath)) throw new Error(`${statsPath} is missing: run \`npm run build\`, which writes it`);
const stats = JSON.parse(readFileSync(statsPath, "utf8")) as { modules?: readonly StatsModule[] };
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};

/** `./node_modules/a/node_modules/@b/c/dist/x.js` → `node_modules/a/node_modules/@b/c`: the package's folder. */
function packageDir(moduleName: string): string | undefined {
  const parts = moduleName.replace(/^\.\//, "").split(" ")[0]!.split("/");
  const last = parts.lastIndexOf("node_modules");
  if (last < 0 || last + 1 >= parts.length) return undefined;
  const width = parts[last + 1]!.startsWith("@") ? 2 : 1;
  return parts.slice(0, last + 1 + width).join("/");
}

const dirs = new Set<string>();
const walk = (modules: readonly StatsModule[]): void => {
  for (const m of modules) {
    if (m.modules) walk(m.modules);
    const dir = m.name === undefined ? undefined : packageDir(m.name);
    if (dir !== undefined) dirs.add(dir);
  }
};
walk(stats.modules ?? []);

const sections = [...dirs]
  .map((path) => {
    const entry = lock.packages[path] ?? {};
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    return {
      name,
      version: entry.version ?? "",
      license: entry.license ?? "UNKNOWN",
      text: licenceText(join(root, path)),
    };
  })
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version))
  .map((p) => `${p.name}@${p.version}\n${p.license}\n${p.text}`.trimEnd());

writeFileSync(join(root, "dist", "licenses.txt"), `${sections.join("\n\n")}\n`);
console.log(`dist/licenses.txt: ${sections.length} packages`);

function licenceText(dir: string): string {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  return file === undefined ? "" : readFileSync(join(dir, file), "utf8");
}
