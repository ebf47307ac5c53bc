// GitHub shows at most 10 error annotations per step (report/annotations.ts keeps 8 instance errors, one "N more"
// and one for the step's failure): the engine's own lease messages (lost, expiring) are warnings, so the run's
// failure message is never the eleventh error, which GitHub drops (a review, 2026-12-06).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { run } from "../../src/main.ts";
import { start, type Emulator } from "../../emulator/index.ts";
import { LEASE_TAG, encodeLease } from "../../src/domain/lease.ts";
import { NEW_VERSION, TAGS } from "./harness.ts";

let emu: Emulator | undefined;
let savedEnv: NodeJS.ProcessEnv;
let stdout: string[];

beforeEach(() => {
  savedEnv = { ...process.env };
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

it("the step's failure message is among the 10 error annotations GitHub shows (lease lost, 10 failed instances)", async () => {
  emu = await start({ scaleSets: [{ name: "vmss1", instances: 10 }], speed: 0.001 });
  const dir = mkdtempSync(join(tmpdir(), "vmss-rollout-annot-"));
  const output = join(dir, "output");
  const summary = join(dir, "summary");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  for (const key of Object.keys(process.env)) if (key.startsWith("INPUT_")) delete process.env[key];
  Object.assign(process.env, emu.env("vmss1"), {
    "INPUT_POLL-INTERVAL": "5ms",
    "INPUT_HEALTH-TIMEOUT": "2s",
    INPUT_TIMEOUT: "20s",
    "INPUT_IMAGE-VERSION": NEW_VERSION,
    "INPUT_BATCH-SIZE": "100%",
    "INPUT_MAX-UNHEALTHY": "100%",
    "INPUT_ROLLBACK-ON-FAILURE": "true",
    // Short enough that the lease is extended (a tag write) before the rollback.
    "INPUT_LEASE-DURATION": "30s",
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
  });
  const e = emu;
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
  const errors = lines.filter((l) => l.startsWith("::error"));
  // The engine's own lease annotation is there (the scenario is reached) …
  expect(lines.some((l) => /^::(error|warning) title=Lease lost::/.test(l))).toBe(true);
  // … and the step's failure (setFailed: the last error annotation, no title) is still within GitHub's 10.
  expect(errors.length).toBeLessThanOrEqual(10);
});
