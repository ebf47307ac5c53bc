// The fault fuzzer (`npm run fuzz`): for each seed, the scenario generate.ts draws, run by the engine with the real SDK
// adapter against the emulator (the integration tests' rollout()), then judged by invariants.ts. Seeds FUZZ_FROM ..
// FUZZ_FROM + FUZZ_COUNT - 1 (default 1..60). Each violation goes to reporter.ts (one line each) and, with its seed and
// scenario, to FUZZ_OUT as a JSON line (default build/fuzz/violations.jsonl). Not part of `npm test`: its name does
// not end in .test.ts, and test/fuzz/vitest.config.ts runs it alone.

import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { beforeAll, expect, it } from "vitest";
import type { Emulator } from "../../emulator/index.ts";
import type { RolloutRecord } from "../../src/domain/record.ts";
import { configFor, instanceIds, NEW_VERSION, rollout, useEmulator } from "../integration/harness.ts";
import { generate, type Fault, type Scenario } from "./generate.ts";
import { check, NEW_URI, otherWrite, present, type Landed } from "./invariants.ts";

const FROM = Number(process.env["FUZZ_FROM"] ?? 1);
const COUNT = Number(process.env["FUZZ_COUNT"] ?? 60);
const OUT = process.env["FUZZ_OUT"] ?? "build/fuzz/violations.jsonl";
/** Optional: one JSON line per seed (its mode, result, faults), violations or not. */
const RUNS = process.env["FUZZ_RUNS"];
/** Optional: a directory where each seed's whole record goes (seed-<n>.json), to read a run that passed. */
const RECORDS = process.env["FUZZ_RECORDS"];
/** Optional: a directory where each seed's log (as the runner would show it) and emulator requests go (seed-<n>.log). */
const LOGS = process.env["FUZZ_LOGS"];
const SET = "vmss1";

const emulator = useEmulator();

beforeAll(() => {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, "");
});

function seedOf(s: Scenario): Parameters<typeof emulator>[0] {
  const flexible = s.mode.includes("Flexible");
  return {
    scaleSets: [
      {
        name: SET,
        instances: s.instances,
        healthExtension: s.healthExtension,
        ...(s.appStartSeconds !== undefined && { healthStates: "binary" as const, appStartSeconds: s.appStartSeconds }),
        upgradeMode: s.mode === "Automatic" || s.mode === "Rolling" ? s.mode : "Manual",
        ...(flexible && {
          orchestrationMode: "Flexible" as const,
          latestModelApplied: s.mode.includes("reported") ? ("reported" as const) : ("absent" as const),
        }),
      },
    ],
  };
}

/** Installs the scenario's faults; another writer's writes note, in `landed`, that they happened. */
function install(emu: Emulator, s: Scenario, landed: (Landed & { fault: Fault })[]): void {
  const ids = instanceIds(emu, SET);
  const id = (k: number): string => ids[k]!;
  for (const f of s.faults) {
    switch (f.kind) {
      case "dropConnection":
        emu.faults.dropConnection({ operation: f.operation, after: f.after, afterProcessing: f.afterProcessing });
        break;
      case "serverError":
      case "conflict":
        emu.faults[f.kind]({ operation: f.operation, after: f.after });
        break;
      case "throttle":
        emu.faults.throttle({ operation: f.operation, after: f.after, retryAfterSeconds: 1 });
        break;
      case "hangRequest":
        emu.faults.hangRequest({ operation: f.operation, after: f.after, seconds: f.seconds, afterProcessing: true });
        break;
      case "failUpgrade":
      case "hangUpgrade":
      case "keepOldImage":
        emu.faults[f.kind](id(f.instance), { scaleSet: SET });
        break;
      case "unhealthyAfterUpgrade":
        emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: SET, instanceIds: f.instances.map(id) });
        break;
      case "scaleIn":
        emu.faults.scaleIn(id(f.instance), { scaleSet: SET, operation: f.operation, after: f.after });
        break;
      case "concurrentWrite":
        emu.faults.onRequest({ operation: f.operation, after: f.after, when: f.when }, () => {
          // The write is built now, from the model as it is now. Installed as a trigger on any request, due at this
          // same moment: the emulator runs it in this same pass over its triggers.
          try {
            // One of what the model holds already (the same write landed before, say) moves the etag and changes
            // nothing else: sent, but not a change that landed (fuzz seed 488, 2026-12-07: a second extensionAdded,
            // after the run had planned on the first, was judged as a change its batches went onto).
            const already = present(emu.state(SET).model, f.what);
            emu.faults.concurrentWrite(otherWrite(emu, f.what), { when: f.when, scaleSet: SET });
            if (!already) landed.push({ what: f.what, when: f.when, seq: 0, fault: f });
          } catch {
            // the scale set is gone
          }
        });
        break;
      case "deleteScaleSet":
        emu.faults.deleteScaleSet(SET, { operation: f.operation, after: f.after, when: f.when });
        break;
      case "preemptOperation":
      case "failOperation": {
        const { kind: _, ...options } = f;
        emu.faults[f.kind](options);
        break;
      }
    }
  }
}

/** The request a fault at (operation, after) met: the after+1-th of that operation. */
function seqAt(emu: Emulator, operation: string, after: number): number {
  const matching = [...emu.requests].sort((a, b) => a.seq - b.seq).filter((q) => q.operation === operation);
  return matching[after]?.seq ?? Number.MAX_SAFE_INTEGER;
}

const seeds = Array.from({ length: COUNT }, (_, k) => FROM + k);

it.for(seeds)("seed %i", async (seed, { task }) => {
  const scenario = generate(seed);
  const emu = await emulator(seedOf(scenario));
  const landed: (Landed & { fault: Fault })[] = [];
  install(emu, scenario, landed);
  const idsAtStart = instanceIds(emu, SET);
  const config = configFor(emu, {
    scaleSet: SET,
    change: {
      imageVersion: NEW_VERSION,
      ...(scenario.extensionChange && { extension: { name: "customScript", fileUris: [NEW_URI] } }),
    },
    rollout: scenario.rollout,
  });
  const started = Date.now();
  let record: RolloutRecord | undefined;
  let logText = "";
  const violations: string[] = [];
  try {
    const run = await rollout(config);
    record = run.record;
    logText = run.log.text();
  } catch (e) {
    // Nothing is thrown out of rollout(): main would end the job without a summary or outputs.
    violations.push(`E-THROWN: ${String((e as Error)?.stack ?? e).slice(0, 500)}`);
  }
  const elapsedMs = Date.now() - started;
  // No scenario fails the sign-in: a run that did is the fuzzer's set-up (the emulator's certificate), not a finding.
  if (record?.reason?.includes("Sign-in failed")) violations.push(`SETUP-SIGN-IN: ${record.reason}`);
  if (record) {
    const at = (l: (typeof landed)[number]): Landed => {
      const f = l.fault as Extract<Fault, { after: number; operation: string }>;
      return { what: l.what, when: l.when, seq: seqAt(emu, f.operation, f.after) };
    };
    const all: Landed[] = landed.map(at);
    const state = emu.state(SET);
    const now = new Set(state.instances.map((i) => i.instanceId));
    for (const f of scenario.faults)
      if (f.kind === "scaleIn" && !state.deleted && !now.has(idsAtStart[f.instance]!))
        all.push({ what: "scaleIn", when: "before", seq: seqAt(emu, f.operation, f.after) });
    try {
      violations.push(...check({ scenario, config, record, emu, landed: all, elapsedMs }));
    } catch (e) {
      violations.push(`F-CHECK-THROWS: ${String((e as Error)?.stack ?? e).slice(0, 500)}`);
    }
  }
  if (RUNS !== undefined)
    appendFileSync(
      RUNS,
      JSON.stringify({
        seed,
        mode: scenario.mode,
        result: record?.result,
        elapsedMs,
        landed: landed.map((l) => l.what),
        faults: scenario.faults.map((f) => f.kind),
        reason: record?.reason?.slice(0, 200),
      }) + "\n",
    );
  if (LOGS !== undefined) {
    mkdirSync(LOGS, { recursive: true });
    const requests = [...emu.requests]
      .sort((a, b) => a.seq - b.seq)
      .map((q) => `${q.seq} ${q.method} ${q.operation} ${q.status}`);
    writeFileSync(`${LOGS}/seed-${seed}.log`, `${logText}\n--- requests\n${requests.join("\n")}\n`);
  }
  if (RECORDS !== undefined) {
    mkdirSync(RECORDS, { recursive: true });
    writeFileSync(`${RECORDS}/seed-${seed}.json`, JSON.stringify({ scenario, record }, null, 2));
  }
  (task.meta as Record<string, unknown>)["fuzz"] = { seed, mode: scenario.mode, violations };
  for (const violation of violations)
    appendFileSync(
      OUT,
      JSON.stringify({
        seed,
        violation,
        result: record?.result,
        reason: record?.reason,
        outcomes: record?.instances.map((i) => `${i.instanceId}:${i.outcome}`),
        landed,
        scenario,
      }) + "\n",
    );
  expect(violations).toEqual([]);
});
