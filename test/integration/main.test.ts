// run() in-process: action inputs from INPUT_* variables, the real adapter against the emulator, outputs and the job
// summary written to the files GitHub gives, the exit code. (dist/index.js as a child process is tested end to end
// elsewhere.)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { failureMessage, run } from "../../src/main.ts";
import { InputError } from "../../src/types.ts";
import { start, type Emulator } from "../emulator/index.ts";
import { NEW_VERSION, writesOf } from "./harness.ts";

let emu: Emulator | undefined;
let savedEnv: NodeJS.ProcessEnv;
let stdout: string[];
let files: { output: string; summary: string };

beforeEach(() => {
  savedEnv = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), "vmss-rollout-main-"));
  files = { output: join(dir, "output"), summary: join(dir, "summary") };
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  stdout = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.env = savedEnv;
  process.exitCode = undefined;
  await emu?.stop();
  emu = undefined;
});

/** The environment the runner gives the step: the emulator's inputs, test-sized timings, the output files. */
async function actionEnv(inputs: Record<string, string>, instances = 3): Promise<Emulator> {
  emu = await start({ scaleSets: [{ name: "vmss1", instances }], speed: 0.001 });
  for (const key of Object.keys(process.env)) if (key.startsWith("INPUT_")) delete process.env[key];
  Object.assign(process.env, emu.env("vmss1"), {
    "INPUT_POLL-INTERVAL": "5ms",
    "INPUT_HEALTH-TIMEOUT": "2s",
    INPUT_TIMEOUT: "20s",
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
  });
  return emu;
}

/** `name<<delimiter\nvalue\ndelimiter` blocks of GITHUB_OUTPUT. */
function outputs(): Record<string, string> {
  const text = readFileSync(files.output, "utf8");
  const found: Record<string, string> = {};
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) found[m[1]!] = m[3]!;
  return found;
}

describe("run()", () => {
  it("rolls out, writes the outputs and the job summary, and masks the client secret", async () => {
    const emu = await actionEnv({ "image-version": NEW_VERSION, "batch-size": "2" });
    await run();

    expect(process.exitCode).not.toBe(1);
    expect(outputs()).toMatchObject({ result: "succeeded", "updated-instances": '["0","1","2"]', "failed-instances": "[]" });
    expect(JSON.parse(outputs()["previous-model"]!)).toMatchObject({ imageReference: { version: "24.04.202409120" } });
    expect(readFileSync(files.summary, "utf8")).toContain(NEW_VERSION);
    expect(stdout.join("")).toContain(`::add-mask::${emu.clientSecret}`);
    expect(stdout.join("")).toContain("::group::Batch 1/2: 0, 1");
    expect(writesOf(emu)).toHaveLength(3);
  });

  it("fails the step when the rollout fails, with the reason as the message", async () => {
    const emu = await actionEnv({ "image-version": NEW_VERSION, canary: "1" });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    await run();

    expect(process.exitCode).toBe(1);
    expect(outputs()).toMatchObject({ result: "failed", "failed-instances": '["0"]' });
    expect(stdout.join("")).toMatch(/::error::Stopped after batch 1 of 3: .*canary batch tolerates no failure.*Not started: 1, 2\.$/m);
  });

  it("rejects bad input before any request, naming the input", async () => {
    const emu = await actionEnv({ "image-version": NEW_VERSION, "batch-size": "banana" });
    await run();

    expect(process.exitCode).toBe(1);
    expect(stdout.join("")).toMatch(/::error::Input 'batch-size': /);
    expect(emu.requests).toEqual([]);
    expect(outputs()).toEqual({});
  });

  it("starts no batch once the job is cancelled and still writes the outputs", async () => {
    const emu = await actionEnv({ "image-version": NEW_VERSION, "batch-size": "1" });
    const running = run();
    // The runner cancels the job: SIGINT to the action's process.
    await vi.waitFor(() => expect(emu.writes().some((w) => w.operation === "VirtualMachineScaleSets.UpdateInstances")).toBe(true), { timeout: 5_000, interval: 2 });
    process.emit("SIGINT");
    await running;

    expect(process.exitCode).toBe(1);
    expect(outputs()["result"]).toBe("cancelled");
    expect(emu.writes().filter((w) => w.operation === "VirtualMachineScaleSets.UpdateInstances").length).toBeLessThan(3);
    expect(stdout.join("")).toContain("Received SIGINT: the job is being cancelled.");
    expect(process.listenerCount("SIGINT")).toBe(0);
  });
});

describe("failureMessage", () => {
  const restError = Object.assign(new Error("The client does not have authorization\nto perform action"), { name: "RestError", statusCode: 403 });
  it.each([
    { thrown: new InputError("timeout", "use a duration such as 45m"), message: "Input 'timeout': use a duration such as 45m" },
    { thrown: new Error("socket hang up\n    at TLSSocket"), message: "vmss-rollout failed: socket hang up at TLSSocket" },
    { thrown: restError, message: "vmss-rollout failed: The client does not have authorization to perform action" },
    { thrown: "plain string https://x/y.sh?sig=SECRET", message: "vmss-rollout failed: plain string https://x/y.sh?[query removed]" },
    { thrown: { code: 42 }, message: 'vmss-rollout failed: {"code":42}' },
    { thrown: undefined, message: "vmss-rollout failed with an error that carries no message." },
  ])("$message", ({ thrown, message }) => {
    expect(failureMessage(thrown)).toBe(message);
  });
});
