// Issue 16, one run at a time, with dist/index.js run as its own process (as a runner starts it) against the emulator:
// two runs started at the same moment, and a run killed with SIGKILL mid-rollout whose lease the next run takes over
// after its expiry. Over the orchestration modes: a Flexible set's runs read their instances through two lists (and,
// without latestModelApplied, the model), so the loser meets the winner's lease at a different point of its reads. The
// SIGKILL row waits out a 30 s lease (the shortest lease-duration) in wall time: it runs in Uniform and once in
// Flexible, without latestModelApplied (the listing that also reads the model), not in all three.
import { describe, expect, it } from "vitest";
import { describeRun, startAction, until } from "./harness.ts";
import {
  emulator,
  FAST,
  instanceIds,
  manualUpgrades,
  ORCHESTRATIONS,
  record,
  requestLog,
  sortedIds,
  upgradeIds,
} from "./fixtures.ts";
import type { Emulator } from "../../emulator/types.ts";

const NEW_VERSION = "24.04.202502210";
const OTHER_VERSION = "24.04.202410020";
const LEASE = "vmss-rollout.lease";

type Json = Record<string, any>;

const tagsOf = (emu: Emulator, set: string): Record<string, string> =>
  emu.state(set).model["tags"] as Record<string, string>;
const run = (id: string) => ({ GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: "1" });

describe.each(ORCHESTRATIONS)("one run at a time (lease, $mode)", ({ seed }) => {
  it("two runs started at the same moment: one rolls out, the other fails fast naming it and writes nothing", async () => {
    const set = "vmss-race";
    // Each batch takes 1.5 s of wall-clock time, so the runs overlap even when one process starts late. The two runs
    // ship different versions, so whenever the second one reads the scale set it has a model write to make and meets
    // the lease. (With the same version, a run that reads after the other's model write has nothing to write, waits for
    // the operations in progress and may truthfully end `unchanged`: which ending came would be a wall-clock race.)
    const emu = await emulator({ scaleSets: [{ name: set, instances: 4, instanceUpgradeSeconds: 1_500, ...seed }] });
    const inputs = (version: string) => ({ ...FAST, "image-version": version, "batch-size": "2" });
    const [a, b] = await Promise.all([
      startAction({ emu, scaleSet: set, inputs: inputs(NEW_VERSION), env: run("1111") }).done,
      startAction({ emu, scaleSet: set, inputs: inputs(OTHER_VERSION), env: run("2222") }).done,
    ]);
    const [winner, loser, winnerId, loserId, winnerVersion] =
      a.exitCode === 0 ? [a, b, "1111", "2222", NEW_VERSION] : [b, a, "2222", "1111", OTHER_VERSION];
    expect(winner.exitCode, describeRun(winner)).toBe(0);
    expect(loser.exitCode, describeRun(loser)).toBe(1);
    expect(record(winner).result).toBe("succeeded");
    // The scale set and every instance hold the winner's version.
    const image = (emu.state(set).model as Json)["properties"]["virtualMachineProfile"]["storageProfile"][
      "imageReference"
    ];
    expect(image["version"]).toBe(winnerVersion);
    for (const i of emu.state(set).instances)
      expect(i.imageReference["exactVersion"] ?? i.imageReference["version"], i.instanceId).toBe(winnerVersion);
    const lost = record(loser);
    expect(lost.result).toBe("failed");
    expect(lost.modelUpdated).toBe(false);
    const link = `https://github.com/octo/app/actions/runs/${winnerId}/attempts/1`;
    expect(lost.reason).toContain(`octo/app run ${winnerId} (attempt 1) ${link}`);
    expect(lost.reason).toMatch(/lease-wait/);
    // The summary links the holder's run (on this run's own GitHub server).
    expect(loser.summary).toContain(`**Lease held by** <a href="${link}">octo/app run ${winnerId} (attempt 1)</a>`);
    expect(lost.leaseHeldBy).toMatchObject({ run: `octo/app run ${winnerId} (attempt 1)`, link });
    expect(loser.summary).toContain("Nothing was written to Azure");

    // Instances were never upgraded by both: each one once, the model written once.
    expect(sortedIds(manualUpgrades(emu).flatMap(upgradeIds)), requestLog(emu)).toEqual(instanceIds(emu, set));
    const modelWrites = emu.writes().filter((w) => w.operation === "VirtualMachineScaleSets.Update");
    expect(
      modelWrites.map((w) => w.status),
      requestLog(emu),
    ).toEqual([200]);
    // The loser wrote nothing Azure took: at most its lease write, refused on the etag the winner had moved (or none,
    // when it read the scale set after the winner's lease was on it).
    const loserWrites = emu.writes().filter((w) => JSON.stringify(w.body ?? {}).includes(`run=${loserId}/`));
    expect(
      loserWrites.filter((w) => w.status !== 412),
      requestLog(emu),
    ).toEqual([]);
    expect(loserWrites.length).toBeLessThanOrEqual(1);
    expect(tagsOf(emu, set)[LEASE]).toBeUndefined(); // released by the winner
  });

  if (seed.latestModelApplied !== "reported")
    it("a run killed with SIGKILL mid-rollout leaves its lease; the next run takes it over after its expiry", async () => {
      const set = "vmss-killed";
      // Each instance upgrade takes 4 s of wall-clock time: the first run is killed inside its first batch.
      const emu = await emulator({ scaleSets: [{ name: set, instances: 4, instanceUpgradeSeconds: 4_000, ...seed }] });
      const inputs = { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "lease-duration": "30s" };
      const first = startAction({ emu, scaleSet: set, inputs, env: run("3333"), killAfterMs: 60_000 });
      await until(() => manualUpgrades(emu).length >= 1, "the first batch to start");
      first.child.kill("SIGKILL");
      const killed = await first.done;
      expect(killed.signal, describeRun(killed)).toBe("SIGKILL");
      const left = tagsOf(emu, set)[LEASE];
      expect(left, "the dead run's lease is still on the scale set").toMatch(/run=3333\/1/);

      const second = await startAction({
        emu,
        scaleSet: set,
        inputs: { ...inputs, "lease-wait": "2m" },
        env: run("4444"),
        killAfterMs: 90_000,
      }).done;
      expect(second.exitCode, describeRun(second)).toBe(0);
      expect(second.stdout).toMatch(
        /::warning title=Lease taken over::Took over the scale set's lease from octo\/app run 3333/,
      );
      const rec = record(second);
      expect(rec.result).toBe("succeeded");
      // The model was already written by the dead run; the second one brought every instance onto it.
      expect(emu.state(set).instances.every((i) => i.latestModelApplied)).toBe(true);
      expect(tagsOf(emu, set)[LEASE]).toBeUndefined();
    });
});
