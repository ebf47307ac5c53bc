// One run at a time (engine/lease.ts) through the real SDK against the emulator: two runs at once, a lease taken over
// after its expiry, waited for (lease-wait), released on every ending, lost mid-run, none for a dry run, no room for
// it. Over every orchestration mode.

import { describe, expect, it } from "vitest";
import { withoutRecord } from "../../src/domain/rollout-tags.ts";
import { LEASE_TAG, decodeLease, encodeLease } from "../../src/domain/lease.ts";
import type { RolloutEvent } from "../../src/engine/events.ts";
import {
  ORCHESTRATIONS,
  PATCH_TAGS,
  TAGS,
  configFor,
  count,
  instanceIds,
  rollout,
  tagWritesOf,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";
import type { Emulator } from "../../emulator/index.ts";

const emulator = useEmulator();
const tagsOf = (emu: Emulator): Record<string, string> => emu.state().model["tags"] as Record<string, string>;
const otherRun = {
  token: "other",
  repository: "octo/hotfix",
  serverUrl: "https://github.com",
  runId: "7",
  runAttempt: "1",
};
const leaseOf = (expiresAt: number): Record<string, string> => encodeLease({ holder: otherRun, expiresAt });
const isWrite = (method: string): boolean => ["PUT", "PATCH", "POST", "DELETE"].includes(method);
const upgradesOf = (emu: Emulator): string[][] =>
  emu
    .writes()
    .filter((w) => w.operation === "VirtualMachineScaleSets.UpdateInstances")
    .map((w) => (w.body as { instanceIds: string[] }).instanceIds);

describe.each(ORCHESTRATIONS)("one run at a time ($mode)", ({ seed }) => {
  it("two runs at once: one rolls out, the other fails naming it and writes nothing Azure takes", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
    const config = configFor(emu, { rollout: { batchSize: count(2) } });
    const github = { serverUrl: "https://github.com", apiUrl: "https://api.github.com", repository: "octo/app" };
    const [a, b] = await Promise.all([
      rollout({ ...config, github: { ...github, runId: "101", runAttempt: "1" } }, { leaseToken: "run-a" }),
      rollout({ ...config, github: { ...github, runId: "202", runAttempt: "1" } }, { leaseToken: "run-b" }),
    ]);
    const [winner, loser, winnerRun] = a.record.result === "succeeded" ? [a, b, "101"] : [b, a, "202"];
    expect(winner.record.result).toBe("succeeded");
    expect(loser.record.result).toBe("failed");
    expect(loser.record.modelUpdated).toBe(false);
    expect(loser.record.reason).toContain(`another run holds the scale set's lease until`);
    expect(loser.record.reason).toContain(
      `octo/app run ${winnerRun} (attempt 1) https://github.com/octo/app/actions/runs/${winnerRun}/attempts/1`,
    );
    expect(loser.record.reason).toMatch(/lease-wait/);
    // Every instance upgraded once, by one run; the model written once; the loser's lease write refused (412).
    expect(upgradesOf(emu).flat().sort()).toEqual([...instanceIds(emu)].sort());
    expect(writesOf(emu).filter((w) => w.startsWith("PATCH VirtualMachineScaleSets.Update"))).toEqual([
      "PATCH VirtualMachineScaleSets.Update",
    ]);
    const loserWrites = emu.writes().filter((w) => JSON.stringify(w.body).includes(loser === a ? "run-a" : "run-b"));
    expect(loserWrites.map((w) => w.status)).toEqual([412]);
    // The winner released its lease at the end.
    expect(decodeLease(tagsOf(emu))).toEqual({ kind: "none" });
  });

  it.each(["Manual", "Rolling"] as const)(
    "%s mode: every tag write but the release is followed to its end before the next write; nothing is read after the release",
    async (upgradeMode) => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, healthExtension: upgradeMode === "Rolling", ...seed }],
      });
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
      expect(record.result).toBe("succeeded");
      const requests = emu.requests.filter((r) => !/^(Entra|GitHub)\./.test(r.operation));
      const tagWrites = requests.flatMap((r, i) => (r.operation === TAGS && r.status === 200 ? [i] : []));
      expect(tagWrites.length).toBeGreaterThanOrEqual(2);
      const release = tagWrites.at(-1) ?? -1;
      // The release is the run's last request: neither its operation's status nor the scale set is read after it.
      expect(requests.slice(release + 1).map((r) => r.operation)).toEqual([]);
      // Every other: its operation's status read before the run's next write (Azure may refuse a write meanwhile).
      for (const at of tagWrites.slice(0, -1)) {
        const next = requests.slice(at + 1).find((r) => r.operation === "Operations.Get" || isWrite(r.method));
        expect(next?.operation).toBe("Operations.Get");
      }
    },
  );

  it("the release's answer lost after Azure applied it: read back, not 'could not release the lease'", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    const events: RolloutEvent[] = [];
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      events: (e) => events.push(e),
      wrap: (api) => ({
        ...api,
        writeTags: async (tags, etag, signal, options) => {
          const answered = await api.writeTags(tags, etag, signal, options);
          // The write that removes the lease (the release, with the record's outcome): applied, its answer lost.
          if (!(LEASE_TAG in tags)) throw new Error("socket hang up");
          return answered;
        },
      }),
    });
    expect(record.result).toBe("succeeded");
    expect(decodeLease(tagsOf(emu))).toEqual({ kind: "none" });
    // The release's PATCH (applied; its answer lost on the way to the engine) is read back: the scale set's GET is the
    // run's last request, and the release counts as done (a release not done emits no "released").
    const requests = emu.requests.filter((r) => !/^(Entra|GitHub)\./.test(r.operation));
    expect(requests.slice(-2).map((r) => `${r.operation} ${r.status}`)).toEqual([
      `${TAGS} 200`,
      "VirtualMachineScaleSets.Get 200",
    ]);
    expect(events.filter((e) => e.type === "lease").map((e) => e.what)).toEqual(["taken", "released"]);
    expect(record.scaleSetRecord?.note).toBeUndefined();
  });

  it("takes over a lease past its expiry (a runner that died) with a warning, and releases it at the end", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, tags: { team: "web", ...leaseOf(Date.now() - 1_000) }, ...seed }],
    });
    const events: RolloutEvent[] = [];
    const { record, log } = await rollout(configFor(emu), { events: (e) => events.push(e) });
    expect(record.result).toBe("succeeded");
    expect(log.lines.some((l) => l.startsWith("warning: Took over the scale set's lease from octo/hotfix run 7"))).toBe(
      true,
    );
    expect(events.find((e) => e.type === "lease" && e.what === "taken")).toMatchObject({
      takenOverFrom: expect.stringContaining("octo/hotfix run 7") as unknown,
    });
    expect(withoutRecord(tagsOf(emu))).toEqual({ team: "web" }); // the rollout record stays (record-tags.ts)
  });

  it("lease-wait: waits for another run's lease to expire, then takes it and plans on what is there", async () => {
    // The other run's lease expires in a minute of the run's clock, which jumps there once this run says it waits: it
    // waits however slow its start, and never a real minute.
    const expiresAt = Date.now() + 60_000;
    let offset = 0;
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, tags: leaseOf(expiresAt), ...seed }],
    });
    const events: RolloutEvent[] = [];
    const { record, log } = await rollout(
      configFor(emu, {
        // canary 100%: a warning of the plan, which this run makes twice (before and after the wait).
        rollout: {
          leaseWaitMs: 120_000,
          timeoutMs: 600_000,
          pollIntervalMs: 200,
          canary: { kind: "percent", value: 100 },
        },
      }),
      {
        now: () => Date.now() + offset,
        events: (e) => {
          events.push(e);
          if (e.type === "lease" && e.what === "waiting") offset = expiresAt + 1 - Date.now();
        },
      },
    );
    expect(record.result).toBe("succeeded");
    expect(events.filter((e) => e.type === "lease").map((e) => e.type === "lease" && e.what)).toEqual([
      "waiting",
      "taken",
      "released",
    ]);
    // Said once, not once per plan (before, every warning of the plan came twice).
    expect(log.lines.filter((l) => l.startsWith("warning: canary 100%"))).toHaveLength(1);
  });

  it("lease-wait spent: fails naming the holder, having written nothing", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, tags: leaseOf(Date.now() + 60_000), ...seed }],
    });
    const { record } = await rollout(configFor(emu, { rollout: { leaseWaitMs: 300, pollIntervalMs: 100 } }));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/octo\/hotfix run 7 .*lease-wait \(300 ms\) ran out/);
    // No link: this run has no GitHub server to trust one on (it runs outside GitHub Actions).
    expect(record.leaseHeldBy).toEqual({ run: "octo/hotfix run 7 (attempt 1)", until: expect.any(String) as unknown });
    expect(emu.writes()).toEqual([]);
  });

  it.each([
    { name: "a dry run", rollout: { dryRun: true } },
    { name: "a run with nothing to write", rollout: {}, change: { imageVersion: "24.04.202409120" } },
  ])("$name takes no lease", async ({ rollout: options, change }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    const { record } = await rollout(configFor(emu, { rollout: options, ...(change && { change }) }));
    expect(record.result).not.toBe("failed");
    expect(tagWritesOf(emu)).toEqual([]);
  });

  it.each([
    {
      name: "failure",
      arrange: (emu: Emulator) => emu.faults.failUpgrade(instanceIds(emu)[0] ?? "", { scaleSet: "vmss1" }),
      signal: undefined,
      result: "failed",
    },
    {
      name: "cancellation",
      arrange: () => {},
      signal: "cancel-at-first-batch",
      result: "cancelled",
    },
    { name: "timeout", arrange: () => {}, signal: undefined, result: "failed", timeoutMs: 1_500 },
  ])("releases the lease on $name", async ({ arrange, signal, result, timeoutMs }) => {
    const emu = await emulator({
      scaleSets: [
        {
          name: "vmss1",
          instances: 4,
          tags: { team: "web" },
          instanceUpgradeSeconds: timeoutMs ? 10_000 : 30,
          ...seed,
        },
      ],
    });
    arrange(emu);
    const cancel = new AbortController();
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), ...(timeoutMs && { timeoutMs }) } }),
      {
        signal: cancel.signal,
        events: (e) => {
          if (signal && e.type === "upgrade-accepted") cancel.abort();
        },
      },
    );
    expect(record.result, record.reason).toBe(result);
    // Taken first; released last (its first try may meet the etag the model write moved: 412, read, again).
    expect(tagWritesOf(emu)[0]).toBe(PATCH_TAGS);
    expect(tagWritesOf(emu).at(-1)).toBe(PATCH_TAGS);
    expect(withoutRecord(tagsOf(emu))).toEqual({ team: "web" }); // the rollout record stays (record-tags.ts)
  });

  it("a renewal that finds the lease another run's stops the run: no further write, no rollback, its lease left alone", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, instanceUpgradeSeconds: 400, ...seed }] });
    const taken = leaseOf(Date.now() + 600_000);
    // Another run takes the lease over while batch 1 runs (as if this run's lease had expired unrenewed).
    emu.faults.concurrentWrite({ patch: { tags: taken } }, { operation: "VirtualMachineScaleSets.UpdateInstances" });
    const events: RolloutEvent[] = [];
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), leaseDurationMs: 300, rollbackOnFailure: true } }),
      { events: (e) => events.push(e) },
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^The scale set's lease is no longer this run's: octo\/hotfix run 7 .* holds it now/);
    expect(upgradesOf(emu)).toEqual([[instanceIds(emu)[0]]]);
    expect(record.rollback).toBeUndefined();
    expect(events.some((e) => e.type === "lease" && e.what === "lost")).toBe(true);
    // The batch the lost lease cut off is said to be stopped, as the reason says, not timed out.
    expect(record.batches[0]?.result).toBe("stopped");
    expect(tagsOf(emu)).toEqual(taken);
    expect(writesOf(emu)).toEqual(["PATCH VirtualMachineScaleSets.Update", upgrade(instanceIds(emu)[0] ?? "")]);
  });

  it("a lease that ran out unrenewed before the rollback, and cannot be extended for it: no rollback is started", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, instanceUpgradeSeconds: 3_000, ...seed }],
    });
    const [first = ""] = instanceIds(emu);
    // Every tag write after the take is refused (a role lost meanwhile): no renewal lands, the 1 s lease runs out
    // while batch 1 upgrades (3 s), the work stops, and the extension for the rollback fails too.
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.UpdateTags", after: 1 });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), leaseDurationMs: 1_000, rollbackOnFailure: true } }),
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^The run's lease on the scale set expires at .* no renewal landed in time/);
    // Before, a rollback started with its lease already spent, and stopped at once ("Rollback failed").
    expect(record.rollback).toBeUndefined();
    expect(record.reason).toContain("No rollback was done: the run's lease on the scale set could not be extended");
    expect(writesOf(emu)).toEqual(["PATCH VirtualMachineScaleSets.Update", upgrade(first)]);
  });

  it("a lease taken over before the rollback: its extension finds it another run's, and no rollback is done", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    const [first = ""] = instanceIds(emu);
    emu.faults.failUpgrade(first, { scaleSet: "vmss1" });
    const taken = leaseOf(Date.now() + 600_000);
    // Once the run has failed, another run takes the lease over, just before this run extends it for its rollback.
    const events = (event: RolloutEvent): void => {
      if (event.type === "stopped")
        emu.faults.concurrentWrite(
          { patch: { tags: taken } },
          { operation: "VirtualMachineScaleSets.UpdateTags", when: "before" },
        );
    };
    const { record } = await rollout(
      // A lease of 30 s: not renewed during this short run, and shorter than the rollback's budget, so the run writes
      // it longer before the rollback.
      configFor(emu, {
        rollout: { batchSize: count(1), maxUnhealthyPercent: 0, leaseDurationMs: 30_000, rollbackOnFailure: true },
      }),
      { events },
    );
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(record.reason).toContain("No rollback was done: the run lost its lease on the scale set");
    // No rollback write: the model and the upgraded instance stay as the failed rollout left them.
    expect(writesOf(emu)).toEqual(["PATCH VirtualMachineScaleSets.Update", upgrade(first)]);
    expect(tagsOf(emu)).toEqual(taken);
  });

  it("no room for the lease's tags: refused before any write, saying why", async () => {
    const full = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, "v"]));
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, tags: full, ...seed }] });
    const { record } = await rollout(configFor(emu));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/51 tags and Azure allows 50/);
    // What to do about it; waiting (lease-wait) would not help.
    expect(record.reason).toMatch(/remove tags the scale set no longer needs\.$/);
    expect(record.reason).not.toMatch(/lease-wait/);
    expect(emu.writes()).toEqual([]);
  });

  it("a tag Azure refuses already on the scale set: refused before any write, saying which, not to remove tags for room", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, tags: { "team/web": "v" }, ...seed }] });
    const { record } = await rollout(configFor(emu));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/the tag name 'team\/web' holds a character Azure refuses in tag names/);
    expect(record.reason).not.toMatch(/remove tags the scale set no longer needs/);
    expect(emu.writes()).toEqual([]);
  });

  it("Rolling mode: the lease is made to last the whole run before the platform rolls, then released", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Rolling", healthExtension: true, ...seed }],
    });
    const seen: string[] = [];
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Update", when: "before" }, () => {
      seen.push(tagsOf(emu)[LEASE_TAG] ?? "");
    });
    const { record } = await rollout(configFor(emu, { rollout: { leaseDurationMs: 30_000, timeoutMs: 60_000 } }));
    expect(record.result).toBe("succeeded");
    const until = Date.parse(/until=([^;]+)/.exec(seen[0] ?? "")?.[1] ?? "");
    // timeout (60 s) + health-timeout (2 s) from the start, beyond lease-duration (30 s).
    expect(until - Date.now()).toBeGreaterThan(45_000);
    // Taken, extended with the rollout record (in progress) before the platform write, the record's outcome with the
    // lease released (a first try may meet the etag the model write moved). After the roll the record was already
    // as meant: nothing to write.
    expect(tagWritesOf(emu).filter((w) => w === PATCH_TAGS)).toEqual(Array(3).fill(PATCH_TAGS));
    expect(decodeLease(tagsOf(emu))).toEqual({ kind: "none" });
  });
});

// Orchestration plays no part here (the lease and the run's clock): Uniform only, each case takes ~14 s.
describe("the lease in the platform's modes with a short timeout", () => {
  it.each(["Automatic", "Rolling"] as const)(
    "%s mode, a roll that outlasts a short timeout (10 s, health-timeout 2 s): the run times out, the lease does not run out first",
    async (upgradeMode) => {
      // A review (2026-12-07): the lease was made to last until the deadline plus health-timeout exactly, and the run
      // stops its work 5 s before its lease expires (at most a tenth of lease-duration) when no renewal landed (none
      // can while Azure rolls): with a health-timeout under those 5 s, the run stopped before its own timeout, saying
      // its lease was expiring and another run might take the scale set over.
      const emu = await emulator({
        scaleSets: [
          { name: "vmss1", instances: 3, upgradeMode, healthExtension: true, instanceUpgradeSeconds: 30_000 },
        ],
      });
      const { record, log } = await rollout(
        configFor(emu, { rollout: { timeoutMs: 10_000, healthTimeoutMs: 2_000, leaseDurationMs: 600_000 } }),
      );
      expect(record.result).toBe("failed");
      expect(record.reason).toMatch(/^Timed out after 9s \(timeout 10s, 1s of it kept for the final listing\)/);
      expect(log.text()).not.toMatch(/Lease expiring|no renewal landed in time/);
    },
    60_000,
  );
});
