// A run that cannot end before its timeout stops before its first write, not after it (survey.ts checkTimeFits), and
// a pause between batches that would outlast the time left ends the run at once (manual-batches.ts). Real SDK against
// the emulator; time passes by the run's clock, moved on at a step of the run (RolloutDeps.now).

import { describe, expect, it } from "vitest";
import { encodeLease } from "../../src/domain/lease.ts";
import { sleep } from "../../src/shared/clock.ts";
import type { RolloutEvent } from "../../src/engine/events.ts";
import {
  NEW_VERSION,
  adapterFor,
  configFor,
  count,
  rollout,
  tagWritesOf,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();

/** A clock that runs with the wall clock, plus what a test adds: `skipTo(left)` leaves the run `left` ms of its work. */
function movableClock(timeoutMs: number) {
  let offset = 0;
  let start: number | undefined;
  const now = (): number => {
    const t = Date.now() + offset;
    start ??= t;
    return t;
  };
  // The run's work ends listingReserve (a tenth of timeout, at most 20 s) before timeout.
  const workEnd = (): number => (start ?? now()) + timeoutMs - Math.min(20_000, Math.floor(timeoutMs / 10));
  return {
    now,
    skipTo(left: number): void {
      offset += workEnd() - left - now();
    },
    /** The run's sleep: a wait of 10 s or more (a pause) passes on this clock at once; a shorter one is real. */
    sleep: (ms: number, signal: AbortSignal): Promise<void> => {
      if (ms < 10_000) return sleep(ms, signal);
      offset += ms;
      return Promise.resolve();
    },
  };
}

describe("the time a run has, checked before its first write", () => {
  it.each([
    {
      name: "pauses between the batches of the instances a write would make stale",
      dryRun: false,
      reason:
        /^pause-between-batches \(1m 00s\) comes 2 time\(s\) between the 3 batches of the 6 instance\(s\) still to upgrade: 2m 00s of pauses, not shorter than the 1m 48s that timeout \(2m 00s\) leaves the rollout\..* Nothing was written\. Shorten pause-between-batches, raise batch-size, or lengthen timeout\./,
    },
    {
      name: "a dry run: pauses between the batches of the instances listed",
      dryRun: true,
      reason:
        /^pause-between-batches \(1m 00s\) comes 2 time\(s\) between the 3 batches of the 6 instance\(s\) still to upgrade/,
    },
  ])("$name add up to the time left: refused, nothing written", async ({ dryRun, reason }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    const { record } = await rollout(
      configFor(emu, {
        rollout: { batchSize: count(2), pauseBetweenBatchesMs: 60_000, timeoutMs: 120_000, dryRun },
      }),
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(reason);
    expect(record.modelUpdated).toBe(false);
    expect(emu.writes()).toEqual([]);
  });

  it("the listing that would count the instances fails: the refusal on the scale set's capacity stands", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List" });
    emu.faults.authorizationFailed({ operation: "VirtualMachines.List" });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), pauseBetweenBatchesMs: 60_000, timeoutMs: 120_000 } }),
    );
    expect(record.reason).toMatch(
      /^pause-between-batches .* the 3 batches of the scale set's 6 instance\(s\) \(its capacity\)/,
    );
    expect(emu.writes()).toEqual([]);
  });

  it("instances protected from scale-set actions are not counted: fewer batches, pauses that fit, the run goes on", async () => {
    const timeoutMs = 150_000;
    const clock = movableClock(timeoutMs);
    // Capacity 4 would be 4 batches of 1 (3 pauses, 3 min); the 2 protected ones are never sent: 2 batches, 1 pause.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, protectedInstances: ["1", "3"] }] });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), pauseBetweenBatchesMs: 60_000, timeoutMs } }),
      { now: clock.now, sleep: clock.sleep },
    );
    expect(record.result).toBe("succeeded");
    expect(record.batches).toHaveLength(2);
  });

  it("pauses that fit: the run goes on", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(3), pauseBetweenBatchesMs: 200, timeoutMs: 120_000 } }),
    );
    expect(record.result).toBe("succeeded");
  });

  it("waited for another run's lease until less than a poll-interval was left: stops before the model write", async () => {
    const timeoutMs = 120_000;
    const clock = movableClock(timeoutMs);
    const emu = await emulator({
      scaleSets: [
        {
          name: "vmss1",
          instances: 2,
          tags: encodeLease({
            holder: { token: "other", repository: "octo/hotfix", serverUrl: "https://github.com", runId: "7" },
            expiresAt: Date.now() + 60_000,
          }),
        },
      ],
    });
    const { record } = await rollout(
      configFor(emu, { rollout: { leaseWaitMs: 110_000, pollIntervalMs: 1_000, timeoutMs } }),
      {
        now: clock.now,
        // The wait lasts until less than a poll-interval of the run's time is left (the other lease has expired by then).
        events: (e: RolloutEvent) => {
          if (e.type === "lease" && e.what === "waiting") clock.skipTo(500);
        },
      },
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Timed out before the first write: waiting for another run's lease left .* of timeout \(2m 00s\), not more than one poll-interval \(1s\).*Nothing was written/,
    );
    expect(record.modelUpdated).toBe(false);
    expect(writesOf(emu)).toEqual([]);
    // The lease taken is released: the tags are written (taken, then released), never the model.
    expect(tagWritesOf(emu).length).toBeGreaterThan(0);
  });

  it("waited for an operation in progress until less than a poll-interval was left: stops before its first write", async () => {
    const timeoutMs = 120_000;
    const clock = movableClock(timeoutMs);
    // 1000 simulated seconds (1 s here): another writer's model, and its upgrade of instance 1 running when the run starts.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, instanceUpgradeSeconds: 1_000 }] });
    const other = adapterFor(configFor(emu));
    await other.patchScaleSet({ imageReference: { version: NEW_VERSION } }, undefined);
    const started = new Promise<void>((resolve) =>
      emu.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" }, () =>
        setImmediate(resolve),
      ),
    );
    const running = other.upgradeInstances(["1"]);
    await started;
    emu.resetLog();
    let waiting = false;
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(3), pollIntervalMs: 1_000, timeoutMs } }),
      {
        now: clock.now,
        // The wait ends with less than a poll-interval of the run's time left.
        events: (e: RolloutEvent) => {
          if (e.type === "phase" && e.phase.kind === "waiting-for-operation") waiting = true;
          // The plan on the listing after the wait: the time check follows it.
          if (e.type === "planned" && waiting) clock.skipTo(500);
        },
      },
    );
    await running;
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Timed out before the first write: waiting for the operation in progress left .* of timeout \(2m 00s\), not more than one poll-interval \(1s\)/,
    );
    expect(writesOf(emu)).toEqual([]);
  });
});

describe("a pause that would outlast the time left", () => {
  it("ends the run before the batch, at once, not when the time is spent", async () => {
    const timeoutMs = 120_000;
    const clock = movableClock(timeoutMs);
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), pauseBetweenBatchesMs: 30_000, timeoutMs } }),
      {
        now: clock.now,
        sleep: clock.sleep,
        // Batch 2 starts with 20 s left: its 30 s pause before batch 3 cannot end in time.
        events: (e: RolloutEvent) => {
          if (e.type === "batch-started" && e.batch === 2) clock.skipTo(20_000);
        },
      },
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Stopped before batch 3 of 3: its pause-between-batches \(30s\) would outlast the \d+s that timeout \(2m 00s\) leaves the rollout\./,
    );
    expect(writesOf(emu).filter((w) => w.startsWith("POST"))).toEqual([upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "succeeded", "not-started"]);
  });
});
