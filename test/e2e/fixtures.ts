// Vitest helpers shared by the end-to-end tests: a fresh emulator per test (stopped after it), the inputs that make a
// run fast against the emulator, and readers for what a run produced.
import { afterEach, expect } from "vitest";
import { start } from "../../emulator/index.ts";
import type { Emulator, EmulatorOptions, RequestLogEntry } from "../../emulator/types.ts";
import type { RolloutRecord } from "../../src/domain/record.ts";
import { sortIds } from "../../src/domain/ids.ts";
import { describeRun, jwtsIn, killRunningActions, leaks, type RunResult } from "./harness.ts";

const running: Emulator[] = [];

/** Starts an emulator for this test (speed 0.001 unless given); it is stopped after the test. */
export async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await start({ speed: 0.001, ...options });
  running.push(emu);
  return emu;
}

afterEach(async () => {
  killRunningActions();
  await Promise.all(running.splice(0).map((emu) => emu.stop()));
});

/** The whole rollout record, from the `summary-json` output. */
export function record(result: RunResult): RolloutRecord {
  const raw = result.outputs["summary-json"];
  if (raw === undefined) throw new Error(`no summary-json output\n${describeRun(result)}`);
  return JSON.parse(raw) as RolloutRecord;
}

/** Fails with the run's stdout/stderr/outputs/summary when the exit code is not the expected one. */
export function expectExit(result: RunResult, code: number): void {
  expect(result.exitCode, describeRun(result)).toBe(code);
}

/** instanceIds of a manualupgrade request body. */
export function upgradeIds(entry: RequestLogEntry): string[] {
  const body = entry.body as { instanceIds?: unknown } | undefined;
  return Array.isArray(body?.instanceIds) ? body.instanceIds.map(String) : [];
}

/** One-line summary of the request log, for assertion messages. */
export function requestLog(emu: Emulator): string {
  return emu.requests.map((r) => `${r.seq} ${r.method} ${r.path} → ${r.status} ${r.operation}`).join("\n");
}

/** IDs sorted as the action sorts them: Uniform instance IDs as numbers, Flexible VM names as text. */
export function sortedIds(ids: readonly string[]): string[] {
  return sortIds(ids);
}

export { instanceIds, ORCHESTRATIONS } from "../support/orchestrations.ts";
export { FAST, manualUpgrades, tagWrites, writesTo } from "./harness.ts";

/**
 * Nothing secret in what a user reads (job log, summary, outputs): the emulator's client secret and ID-token request
 * token, any token (JWT) Entra or GitHub issued, a bearer header, and the `extra` values.
 */
export function expectNoSecrets(result: RunResult, emu: Emulator, extra: Record<string, string> = {}): void {
  expect(
    leaks(result, { "client secret": emu.clientSecret, "ID token request token": emu.oidc.requestToken, ...extra }),
  ).toEqual([]);
  expect(jwtsIn(result), "a token (JWT) shows in what a user reads").toEqual([]);
  expect(result.stdout + result.stderr + result.summary).not.toMatch(/Bearer\s+[A-Za-z0-9._-]{12,}/);
}
