// Writes dist/licenses.txt: the licence text of every production dependency that can end up in the bundle.
// (ncc's own --license option only lists the packages it emits as separate chunks when it bundles ESM.)
// The list comes from package-lock.json, so it is the same on every machine that ran `npm ci`.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  readonly version?: string;
  readonly license?: string;
  readonly dev?: boolean;
}

const root = join(import.meta.dirname, "..");
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};

const sections = Object.entries(lock.packages)
  .filter(([path, entry]) => path !== "" && entry.dev !== true)
  .map(([path, entry]) => {
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
