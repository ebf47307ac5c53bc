// An error nothing caught (a throw in a timer, a rejected promise nobody awaited), during the run or after it, is
// reported through the gate and fails the step: never Node's raw stack, never a runner command Azure's text forged.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = pathToFileURL(join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "src/main.ts")).href;
const FORGED = "::add-mask::x\\n::error title=forged::forged error";

const STRAYS = [
  { name: "an exception thrown in a timer", code: `setTimeout(() => { throw new Error("${FORGED}"); }, 20);` },
  { name: "a rejection nobody awaits", code: `setTimeout(() => void Promise.reject(new Error("${FORGED}")), 20);` },
];

describe.each(STRAYS)("$name after run()", ({ code }) => {
  it("fails the step with one gated error line, no stack and no forged command", () => {
    // No inputs: run() itself fails on the first input (one ::error:: of its own); the stray comes after.
    const script = `import { run } from ${JSON.stringify(MAIN)};\n${code}\nawait run({ catchStrays: true });`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("INPUT_")));
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
    const lines = `${child.stdout}\n${child.stderr}`.split("\n");

    expect(child.status).toBe(1);
    const stray = lines.filter((l) => l.includes("unexpected error"));
    expect(stray, child.stdout).toHaveLength(1);
    expect(stray[0]).toMatch(/^::error::vmss-rollout failed with an unexpected error: /);
    // Runner commands only at the start of a line; the forged ones were neutralised inside the gated message.
    expect(lines.filter((l) => /^::(add-mask|error title=forged)::/.test(l))).toEqual([]);
    expect(
      lines.filter((l) => /^\s+at /.test(l)),
      "a stack trace",
    ).toEqual([]);
  });
});
