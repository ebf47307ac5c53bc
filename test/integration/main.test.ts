// run() in-process: action inputs from INPUT_* variables, the real adapter against the emulator, outputs and the job
// summary written to the files GitHub gives, the exit code. (dist/index.js as a child process is tested end to end
// elsewhere.)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/main.ts";
import { start, type Emulator, type ScaleSetSeed } from "../../emulator/index.ts";
import { LEASE_TAG, encodeLease } from "../../src/domain/lease.ts";
import { entityEscape } from "../../src/shared/gate.ts";
import { modelWrites, NEW_VERSION, TAGS, writesOf } from "./harness.ts";

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
async function actionEnv(inputs: Record<string, string>, seed: Partial<ScaleSetSeed> = {}): Promise<Emulator> {
  emu = await start({ scaleSets: [{ name: "vmss1", instances: 3, ...seed }], speed: 0.001 });
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
    expect(outputs()).toMatchObject({
      result: "succeeded",
      "updated-instances": '["0","1","2"]',
      "failed-instances": "[]",
    });
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
    expect(stdout.join("")).toMatch(
      /::error::Stopped after batch 1 of 3: .*canary batch tolerates no failure.*Not started: 1, 2\.$/m,
    );
  });

  it("masks every access token the adapter is handed, and SAS tokens of extension-file-uris before anything is logged", async () => {
    const sas = "sv=2022-11-02&sr=b&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5%2B";
    await actionEnv({
      "extension-name": "customScript",
      "extension-file-uris": `https://st.blob.core.windows.net/s/v2.sh?${sas}`,
      "batch-size": "100%",
    });
    await run();

    expect(process.exitCode).not.toBe(1);
    const out = stdout.join("");
    // Command values are escaped (`%` as `%25`); the runner reads them back.
    const masks = [...out.matchAll(/^::add-mask::(.*)$/gm)].map((m) =>
      m[1]!.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%"),
    );
    // The SAS query and its sig (as written and decoded) come first, before any other line.
    expect(masks.slice(0, 4)).toEqual([
      emu!.clientSecret,
      sas,
      "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5%2B",
      "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5+",
    ]);
    expect(
      out
        .split("\n")
        .slice(0, 4)
        .every((line) => line.startsWith("::add-mask::")),
    ).toBe(true);
    // The ARM access token (a JWT for the emulator's endpoint) is masked as the credential hands it out.
    const tokens = masks.filter((m) => m.startsWith("eyJ"));
    expect(tokens).toHaveLength(1);
    const claims = JSON.parse(Buffer.from(tokens[0]!.split(".")[1]!, "base64url").toString("utf8")) as { aud?: string };
    expect(claims.aud).toBe(emu!.armEndpoint);
  });

  it("masks the SAS tokens already in the scale set's extensions (which a rollback writes back) once it reads the model", async () => {
    // A signature as Azure Storage makes one: 43 base64 characters and `=` (URL-encoded here).
    const oldSig = "T2xkU2lnbmF0dXJlT2ZUaGVNb2RlbEhNQUNTSEEyNTY%3D";
    await actionEnv(
      { "extension-name": "customScript", "extension-file-uris": "https://st.blob.core.windows.net/s/v2.sh" },
      {
        extensions: [
          {
            name: "customScript",
            publisher: "Microsoft.Azure.Extensions",
            type: "CustomScript",
            typeHandlerVersion: "2.1",
            settings: { fileUris: [`https://st.blob.core.windows.net/s/v1.sh?sv=2022-11-02&sig=${oldSig}`] },
          },
        ],
      },
    );
    await run();

    expect(process.exitCode).not.toBe(1);
    const masks = [...stdout.join("").matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]!.replace(/%25/g, "%"));
    expect(masks).toEqual(expect.arrayContaining([oldSig, "T2xkU2lnbmF0dXJlT2ZUaGVNb2RlbEhNQUNTSEEyNTY="]));
    // Never the query around it: whoever writes the model chooses it, and the runner masks the text after its last `&`.
    expect(masks).not.toContain(`sv=2022-11-02&sig=${oldSig}`);
  });

  // An audit (2026-12-07): an Azure message quoting a known secret in a spelling the gate did not know showed it whole
  // in the log, the summary and summary-json. The client secret and a SAS signature (base64: `/`, `+`, `=`).
  it("masks known secrets in the spellings other tools write, in the log, the summary and the outputs", async () => {
    const sig = "Zm9vL2Jhcit/YmF6cXV4MTIz+NDU2Nzg5YWJj=";
    const emu = await actionEnv({
      "extension-name": "customScript",
      "extension-file-uris": `https://st.blob.core.windows.net/s/v2.sh?sv=2022-11-02&sr=b&sig=${encodeURIComponent(sig)}`,
      "batch-size": "1",
      "max-unhealthy": "100%",
    });
    const utf16 = (text: string, encoding: "base64" | "base64url"): string =>
      Buffer.from(text, "utf16le").toString(encoding);
    const spellings: Array<[string, string]> = [
      ["JSON with \\/ (PHP, DataContractJsonSerializer)", sig.replace(/\//g, "\\/")],
      ["JSON as System.Text.Json writes it", sig.replace(/\+/g, "\\u002B")],
      [
        "JSON with \\/, \\u002B and \\u003D",
        sig.replace(/\//g, "\\/").replace(/\+/g, "\\u002B").replace(/=/g, "\\u003D"),
      ],
      ["every byte percent-encoded", Buffer.from(emu.clientSecret).toString("hex").replace(/../g, "%$&")],
      [
        "every byte percent-encoded, uppercase",
        Buffer.from(emu.clientSecret).toString("hex").toUpperCase().replace(/../g, "%$&"),
      ],
      ["hex of the UTF-8 bytes", Buffer.from(emu.clientSecret).toString("hex")],
      ["hex of the UTF-8 bytes, uppercase", Buffer.from(sig).toString("hex").toUpperCase()],
      ["base64 of the UTF-16LE bytes (-EncodedCommand)", utf16(`$s='${emu.clientSecret}'`, "base64")],
      ["base64url of the UTF-16LE bytes", utf16(`$s = '${sig}'`, "base64url")],
    ];
    emu.faults.failUpgrade("1", {
      scaleSet: "vmss1",
      message: spellings.map(([name, form]) => `${name}: ${form}.`).join("\n"),
    });
    await run();

    expect(process.exitCode).toBe(1);
    const summary = readFileSync(files.summary, "utf8");
    const places: Array<[string, string]> = [
      ["log (add-mask lines aside)", stdout.join("").replace(/^::add-mask::.*$/gm, "")],
      ["summary", summary],
      ...Object.entries(outputs()).map(([name, value]): [string, string] => [`output ${name}`, value]),
    ];
    // The message did reach each of them.
    expect(summary).toContain("hex of the UTF-8 bytes");
    expect(outputs()["summary-json"]).toContain("hex of the UTF-8 bytes");
    expect(stdout.join("")).toContain("hex of the UTF-8 bytes");
    // The base64 forms: the characters fixed by the secret's own bytes (a few at each end depend on its neighbours).
    const leaks = places.flatMap(([where, text]) =>
      spellings
        .filter(([name, form]) => {
          const core = name.includes("UTF-16LE") ? form.slice(8, -8) : form;
          // As written, and as the summary's Markdown and summary-json's JSON escape it (a reader sees it unescaped).
          return [core, entityEscape(core), JSON.stringify(core).slice(1, -1)].some((shown) => text.includes(shown));
        })
        .map(([name]) => `${where}: ${name}`),
    );
    expect(leaks).toEqual([]);
  });

  it("keeps the rollout's own failure when the outputs cannot be written, and says both", async () => {
    const emu = await actionEnv({ "image-version": NEW_VERSION, canary: "1" });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    process.env["GITHUB_OUTPUT"] = mkdtempSync(join(tmpdir(), "not-a-file-")); // a directory: appending to it fails
    await run();

    expect(process.exitCode).toBe(1);
    expect(stdout.join("")).toMatch(
      /^::error::Stopped after batch 1 of 3: .*Not started: 1, 2\. The action's outputs could not be written: EISDIR.*\.$/m,
    );
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
    // An instance upgrade takes 300 ms: the cancel comes while the first batch's operation runs.
    const emu = await actionEnv({ "image-version": NEW_VERSION, "batch-size": "1" }, { instanceUpgradeSeconds: 300 });
    const running = run();
    // The runner cancels the job: SIGINT to the action's process.
    await vi.waitFor(
      () => expect(modelWrites(emu).some((w) => w.operation === "VirtualMachineScaleSets.UpdateInstances")).toBe(true),
      { timeout: 5_000, interval: 2 },
    );
    process.emit("SIGINT");
    await running;

    expect(process.exitCode).toBe(1);
    expect(outputs()["result"]).toBe("cancelled");
    expect(
      emu
        .writes()
        .filter((w) => w.operation === "VirtualMachineScaleSets.UpdateInstances")
        .map((w) => w.body),
    ).toEqual([{ instanceIds: ["0"] }]);
    expect(stdout.join("")).toContain("Received SIGINT: the job is being cancelled.");
    expect(process.listenerCount("SIGINT")).toBe(0);
  });
});

describe("annotations", () => {
  // GitHub shows at most 10 error annotations per step (report/annotations.ts keeps 8 instance errors, one "N more"
  // and one for the step's failure): the engine's own lease messages (lost, expiring) are warnings, so the run's
  // failure message is never the eleventh error, which GitHub drops (a review, 2026-12-06).
  it("the step's failure is among the 10 error annotations GitHub shows (lease lost, 10 failed instances)", async () => {
    const e = await actionEnv(
      {
        "image-version": NEW_VERSION,
        "batch-size": "100%",
        "max-unhealthy": "100%",
        "rollback-on-failure": "true",
        // Short enough that the lease is extended (a tag write) before the rollback.
        "lease-duration": "30s",
      },
      { instances: 10 },
    );
    for (let i = 0; i < 10; i++) e.faults.failUpgrade(String(i));
    // Once the batch is sent, another run takes the lease over (as if this run's had expired unnoticed): the lease's
    // extension before the rollback finds it, and the run says "Lease lost" in an annotation.
    e.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" }, () => {
      const tags = e.state("vmss1").model["tags"] as Record<string, string>;
      const kept = Object.fromEntries(
        Object.entries(tags).filter(([n]) => !n.toLowerCase().startsWith(LEASE_TAG.toLowerCase())),
      );
      const other = encodeLease({
        holder: { token: "B", repository: "octo/app", runId: "9", runAttempt: "1" },
        expiresAt: Date.now() + 600_000,
      });
      e.faults.concurrentWrite({ patch: { tags: { ...kept, ...other } } }, { operation: TAGS, when: "before" });
    });

    await run();

    expect(process.exitCode).toBe(1);
    const lines = stdout.join("").split("\n");
    // The engine's own lease annotation is there (the scenario is reached) …
    expect(lines.some((l) => /^::(error|warning) title=Lease lost::/.test(l))).toBe(true);
    // … and the step's failure (setFailed: the last error annotation, no title) is still within GitHub's 10.
    expect(lines.filter((l) => l.startsWith("::error")).length).toBeLessThanOrEqual(10);
  });
});
