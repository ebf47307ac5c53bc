// `npm run bench:startup -- [bundle …]`: how long each bundle takes from process start to its first ARM request, the
// start-up figure of the benchmark, measured alone: every bundle given (default dist/index.js) runs a dry run against
// a fresh emulator (10 instances, no latency), `BENCH_STARTUP_RUNS` times (default 11), the bundles taking turns so
// that the machine's load falls on each alike. Prints the median, the quartiles and the bundle's size. A development
// tool for comparing builds (docs/benchmark.md, "Start-up"); nothing is written. NODE_COMPILE_CACHE, when set, is passed
// to the runs (the warm-up fills it), which shows what compiling the bundle costs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { start } from "../emulator/index.ts";
import { actionYmlDefaults, inputVar } from "../test/e2e/harness.ts";
import { isArm } from "./metrics.ts";
import { runChild } from "./spawn.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function firstRequestMs(bundle: string, work: string): Promise<number | undefined> {
  const emu = await start({ scaleSets: [{ name: "vmss-start", resourceGroup: "rg-start", instances: 10 }] });
  try {
    const env: Record<string, string> = {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? work,
      ...Object.fromEntries(Object.entries(actionYmlDefaults()).map(([name, value]) => [inputVar(name), value])),
      ...emu.env("vmss-start", { auth: "creds" }),
      "INPUT_RESOURCE-GROUP": "rg-start",
      "INPUT_IMAGE-VERSION": "24.04.202502210",
      "INPUT_DRY-RUN": "true",
      NODE_EXTRA_CA_CERTS: emu.caPath,
      // To see what compiling the bundle costs: a warm V8 compile cache (Node's NODE_COMPILE_CACHE), passed through.
      ...(process.env["NODE_COMPILE_CACHE"] && { NODE_COMPILE_CACHE: process.env["NODE_COMPILE_CACHE"] }),
    };
    for (const file of ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"]) {
      const path = join(work, file.toLowerCase());
      writeFileSync(path, "");
      env[file] = path;
    }
    const child = await runChild({
      script: bundle,
      env,
      cwd: work,
      logFile: join(work, "log.txt"),
      rssFile: join(work, "rss.json"),
      killAfterMs: 60_000,
    });
    const arm = emu.requests.find(isArm);
    return arm ? Date.parse(arm.startedAt) - child.startEpochMs : undefined;
  } finally {
    await emu.stop();
  }
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? NaN;

const bundles = process.argv.slice(2).map((b) => resolve(b));
if (bundles.length === 0) bundles.push(join(ROOT, "dist", "index.js"));
const runs = Number(process.env["BENCH_STARTUP_RUNS"] ?? 11);
const work = mkdtempSync(join(tmpdir(), "vmss-startup-"));
const times = new Map<string, number[]>(bundles.map((b) => [b, []]));
try {
  for (const bundle of bundles) await firstRequestMs(bundle, work); // warm the file cache, not counted
  for (let i = 0; i < runs; i++)
    for (const bundle of bundles) {
      const ms = await firstRequestMs(bundle, work);
      if (ms !== undefined) times.get(bundle)?.push(ms);
    }
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const [bundle, list] of times) {
  const sorted = [...list].sort((a, b) => a - b);
  const size = (readFileSync(bundle).length / 1e6).toFixed(2);
  process.stdout.write(
    `${bundle}: ${size} MB; first ARM request, median ${quantile(sorted, 0.5).toFixed(0)} ms ` +
      `(quartiles ${quantile(sorted, 0.25).toFixed(0)}–${quantile(sorted, 0.75).toFixed(0)} ms, ${sorted.length} runs)\n`,
  );
}
