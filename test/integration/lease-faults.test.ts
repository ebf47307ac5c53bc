// The lease and the rollout record under faults (engine/lease.ts, engine/record-tags.ts) through the real SDK against
// the emulator: a take whose answer is lost, a cancel while it is in flight.

import { describe, expect, it } from "vitest";
import { withoutRecord } from "../../src/domain/rollout-tags.ts";
import { decodeLease } from "../../src/domain/lease.ts";
import { TAGS, configFor, rollout, useEmulator, writesOf } from "./harness.ts";
import type { Emulator } from "../../emulator/index.ts";

const emulator = useEmulator();
const tagsOf = (emu: Emulator): Record<string, string> => emu.state().model["tags"] as Record<string, string>;

describe("a lease take whose answer never comes", () => {
  it.each([
    {
      name: "Azure applied it, the reply and every retry reset",
      arrange: (emu: Emulator) => {
        emu.faults.dropConnection({ operation: TAGS, afterProcessing: true, times: 1 });
        emu.faults.dropConnection({ operation: TAGS, times: 4 });
      },
      result: "failed",
      reason: /^Failed while taking the scale set's lease: /,
    },
    {
      name: "Azure applied it, the reply reset, and the job cancelled meanwhile",
      arrange: (emu: Emulator, cancel: AbortController) => {
        emu.faults.dropConnection({ operation: TAGS, afterProcessing: true, times: 1 });
        emu.faults.onRequest({ operation: TAGS, when: "after" }, () => cancel.abort());
      },
      result: "cancelled",
      reason: /^The job was cancelled while taking the scale set's lease/,
    },
  ])("$name: the stop names the take, nothing else is written, the lease is removed", async (c) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, tags: { team: "web" } }] });
    const cancel = new AbortController();
    c.arrange(emu, cancel);
    const { record } = await rollout(configFor(emu), { signal: cancel.signal });
    expect(record.result).toBe(c.result);
    expect(record.reason).toMatch(c.reason);
    expect(record.modelUpdated).toBe(false);
    expect(writesOf(emu)).toEqual([]);
    expect(decodeLease(tagsOf(emu))).toEqual({ kind: "none" });
    expect(withoutRecord(tagsOf(emu))).toEqual({ team: "web" });
  });
});
