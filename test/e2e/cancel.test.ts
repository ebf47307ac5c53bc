// Issue 5 acceptance: cancelling the job (the runner sends SIGINT) mid-rollout ends the action by itself, before the
// runner has to escalate, and the job summary and outputs still tell the true state: result cancelled, which instances
// are on which model. How soon it ends (issue #18: within 5 s) is measured by `npm run bench:cancel` over the same cases.
import { afterEach, describe, expect, it } from "vitest";
import {
  gitHubHeld,
  inWait,
  UPGRADE_SET,
  upgradeUnderWay,
  WAIT_CASES,
  WAIT_SET,
  type CancelCase,
} from "./cancel-cases.ts";
import { cancelAsRunner, describeRun, idList, readable } from "./harness.ts";
import {
  emulator,
  expectNoSecrets,
  instanceIds,
  manualUpgrades,
  ORCHESTRATIONS,
  record,
  requestLog,
  sortedIds,
  upgradeIds,
} from "./fixtures.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanups.splice(0)) undo();
});
const context = { emulator, cleanup: (undo: () => void) => cleanups.push(undo) };

/** Holds the action in the case's wait, then cancels it as the runner does. */
async function cancelIn(hold: CancelCase["hold"], signal: CancelCase["signal"]) {
  const { emu, running } = await hold(context);
  return { emu, ...(await cancelAsRunner(running, signal)) };
}

describe.each(ORCHESTRATIONS)("SIGINT mid-rollout ($mode)", ({ seed }) => {
  it("exits on SIGINT before the runner escalates, with a summary and outputs that tell the true state", async () => {
    const { emu, result, escalated } = await cancelIn(upgradeUnderWay(seed), "SIGINT");
    const [i0 = "", i1 = "", i2 = "", i3 = "", i4 = "", i5 = ""] = instanceIds(emu, UPGRADE_SET);
    // Batch 1 (i0, i1) finished; batch 2 (i2, i3) was under way, i3 on the new model, i2's upgrade hanging.
    // No batch started after the cancel.
    expect(manualUpgrades(emu).map(upgradeIds), requestLog(emu)).toEqual([
      [i0, i1],
      [i2, i3],
    ]);

    expect(escalated, describeRun(result)).toEqual([]);
    expect(result.signal, describeRun(result)).toBeNull(); // it handled SIGINT and exited by itself
    expect(result.exitCode).not.toBe(0);

    // Outputs are written and say what happened.
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    // i0, i1 (batch 1) and i3 (batch 2) made it; i2 was still upgrading; i4 and i5 never started.
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual([i0, i1, i3]);
    expect(idList(result.outputs, "failed-instances")).toEqual([i2]);

    // The record and the summary say which instance is on which model, as the emulator has it.
    const rec = record(result);
    expect(rec.result).toBe("cancelled");
    const actual = new Map(emu.state(UPGRADE_SET).instances.map((i) => [i.instanceId, i.latestModelApplied]));
    for (const id of [i0, i1, i3]) expect(actual.get(id), `instance ${id} in the emulator`).toBe(true);
    for (const id of [i2, i4, i5]) expect(actual.get(id), `instance ${id} in the emulator`).toBe(false);
    for (const inst of rec.instances) {
      expect(inst.latestModelAfter, `instance ${inst.instanceId}: record vs emulator`).toBe(
        actual.get(inst.instanceId),
      );
    }
    expect(Object.fromEntries(rec.instances.map((i) => [i.instanceId, i.outcome]))).toEqual({
      [i0]: "updated",
      [i1]: "updated",
      [i2]: "straggler",
      [i3]: "updated",
      [i4]: "not-started",
      [i5]: "not-started",
    });

    // The summary's list of all instances (its last table) shows the image each one runs now.
    expect(result.summaryExists, describeRun(result)).toBe(true);
    const summary = readable(result.summary);
    expect(summary).toMatch(/cancelled/i);
    for (const inst of emu.state(UPGRADE_SET).instances) {
      const row = summary.split("\n").findLast((line) => line.startsWith("|") && line.includes(inst.name));
      expect(row, `no row for ${inst.name} in the summary`).toBeDefined();
      expect(row).toContain(inst.imageReference["exactVersion"] ?? inst.imageReference["version"] ?? "?");
    }
    expectNoSecrets(result, emu);
  });
});

// Issue 18: a cancel ends the run whatever the action is waiting on, not only between polls. Each case holds the action
// in one of the adapter's waits (cancel-cases.ts, WAITS), sends SIGTERM there, and expects the same truthful ending:
// cancelled, nothing upgraded, every instance not started.
describe.each(WAIT_CASES)("SIGTERM while the action waits for $wait.name ($mode)", ({ seed, wait }) => {
  it("exits on SIGTERM by itself, result cancelled, no batch started, a summary written", async () => {
    const { emu, result, escalated } = await cancelIn(inWait(wait, seed), "SIGTERM");
    expect(escalated, describeRun(result)).toEqual([]);
    expect(result.signal, describeRun(result)).toBeNull(); // it handled SIGTERM and exited by itself
    expect(result.exitCode).not.toBe(0);
    expect(manualUpgrades(emu), requestLog(emu)).toEqual([]);
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(idList(result.outputs, "updated-instances")).toEqual([]);
    expect(record(result).result).toBe("cancelled");
    expect(emu.state(WAIT_SET).instances.filter((i) => i.latestModelApplied)).toEqual([]);
    expect(result.summaryExists, describeRun(result)).toBe(true);
    expect(readable(result.summary)).toMatch(/cancelled/i);
    expectNoSecrets(result, emu);
  });

  // A run stopped before its batch plan has no targets yet: its instances must not count as "already current".
  it("claims no instance on the new model that Azure does not show on it", async () => {
    const { emu, result } = await cancelIn(inWait(wait, seed), "SIGTERM");
    const actual = new Map(emu.state(WAIT_SET).instances.map((i) => [i.instanceId, i.latestModelApplied]));
    const claimed = record(result).instances.filter(
      (i) => (i.outcome === "updated" || i.outcome === "already-current") && actual.get(i.instanceId) !== true,
    );
    expect(claimed.map((i) => `${i.instanceId} ${i.outcome}`)).toEqual([]);
    expect(readable(result.summary)).not.toMatch(/\b(\d+)\/\1 instances on the new model/);
  });
});

// A cancelled run still sends its deployment's final status, but a GitHub that does not answer must not hold the job
// summary and outputs until the runner's kill: GitHub calls end by 4.5 s after the cancel
// (src/github/deployments.ts).
describe("SIGINT while GitHub's Deployments API does not answer", () => {
  it("exits on SIGINT before the runner escalates, with its summary and outputs; the deployment is a warning", async () => {
    const { emu, result, escalated } = await cancelIn(gitHubHeld(), "SIGINT");
    expect(escalated, describeRun(result)).toEqual([]);
    expect(result.signal, describeRun(result)).toBeNull();
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(result.outputs["deployment-id"] ?? "").toBe("");
    expect(result.summaryExists, describeRun(result)).toBe(true);
    expect(readable(result.summary)).toMatch(/cancelled/i);
    expectNoSecrets(result, emu, { "GitHub token": emu.github.token });
  });

  // The slowest way a cancelled run ends: its final steps take all their seconds, then the final status is sent.
  it("and the final steps' listing and tag writes held: still ends before the runner escalates, saying so", async () => {
    const { emu, result, escalated } = await cancelIn(gitHubHeld(true), "SIGINT");
    expect(escalated, describeRun(result)).toEqual([]);
    expect(result.signal, describeRun(result)).toBeNull();
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(result.summaryExists, describeRun(result)).toBe(true);
    // The lease's release went out unanswered: the summary does not claim it was released.
    expect(record(result).leaseNotReleased, describeRun(result)).toMatchObject({ maybe: true });
    expectNoSecrets(result, emu, { "GitHub token": emu.github.token });
  });
});
