// The engine through the real SDK adapter against the emulator: Automatic and Rolling upgrade modes, where the
// platform rolls the model change and the action follows it.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Pace } from "../../src/azure/operation-pace.ts";
import type { RolloutEvent } from "../../src/engine/events.ts";
import { listIds, sortIds } from "../../src/domain/ids.ts";
import { AzureApiError } from "../../src/domain/scale-set.ts";
import type { RolloutRecord } from "../../src/domain/record.ts";
import type { ScaleSetApi } from "../../src/engine/ports.ts";
import type { Emulator } from "../../emulator/index.ts";
import { buildOutputs, renderSummary } from "../../src/report/index.ts";
import {
  modelWrites,
  adapterFor,
  configFor,
  extensionAdded,
  instanceIds,
  NEW_VERSION,
  OLD_VERSION,
  ORCHESTRATIONS,
  outcomes,
  PATCH_EXTENSION,
  PATCH_SET,
  percent,
  rollout,
  runningVersions,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();

/**
 * The adapter's clock for operation status reads, observed: each wait it plans before a read (OperationPolls, whose
 * decisions are otherwise seen only as time passing), with the kind of operation (`upgrade` for a manualupgrade).
 * The waits themselves are left as they are.
 */
const pace = vi.hoisted(() => ({
  planned: undefined as ((kind: "upgrade" | undefined, ms: number) => void) | undefined,
}));
vi.mock(import("../../src/azure/operation-pace.ts"), async (importOriginal) => {
  const actual = await importOriginal();
  class ObservedPolls extends actual.OperationPolls {
    override pace(kind?: "upgrade"): Pace {
      const inner = super.pace(kind);
      const planned = (ms: number): number => {
        pace.planned?.(kind, ms);
        return ms;
      };
      return {
        ...inner,
        firstMs: () => planned(inner.firstMs()),
        nextMs: (elapsed, readMs) => planned(inner.nextMs(elapsed, readMs)),
      };
    }
  }
  return { ...actual, OperationPolls: ObservedPolls };
});
afterEach(() => {
  pace.planned = undefined;
});

const MODES = (["Automatic", "Rolling"] as const).flatMap((upgradeMode) =>
  ORCHESTRATIONS.map(({ mode, seed }) => ({
    upgradeMode,
    mode,
    // Rolling on a Flexible set needs the Application Health extension (Azure refuses the policy without it).
    seed: {
      ...seed,
      ...(seed.orchestrationMode === "Flexible" && upgradeMode === "Rolling" && { healthExtension: true }),
    },
  })),
);

describe.each(MODES)("$upgradeMode mode, $mode", ({ upgradeMode, seed }) => {
  it("follows the platform to success without sending manualupgrade", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, healthExtension: true, ...seed }],
    });
    const [a = "", b = "", c = "", d = "", e = ""] = instanceIds(emu);
    emu.setInstance("vmss1", e, { protected: true });
    const { record, log } = await rollout(configFor(emu));

    expect(record.result).toBe("succeeded");
    expect(record.upgradeMode).toBe(upgradeMode);
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(record.batches).toEqual([]);
    expect(outcomes(record)).toEqual({ updated: [a, b, c, d], "skipped-protected": [e] });
    expect(runningVersions(emu)).toEqual({
      [a]: NEW_VERSION,
      [b]: NEW_VERSION,
      [c]: NEW_VERSION,
      [d]: NEW_VERSION,
      [e]: OLD_VERSION,
    });
    expect(log.lines).toContain(`::group::Platform rollout (${upgradeMode})`);
    expect(log.text()).toMatch(
      new RegExp(`\\[${upgradeMode === "Rolling" ? "rolling" : "automatic"} upgrade\\] \\d/4 done`),
    );
    if (upgradeMode === "Rolling") {
      expect(record.rolling).toMatchObject({ code: "Completed", successfulInstanceCount: 4, failedInstanceCount: 0 });
      expect(log.text()).toMatch(/Rolling upgrade (RollingForward|Completed): \d succeeded/);
    }
  });

  it("an instance Azure's roll upgraded that turns unhealthy: its help says this run upgraded it", async () => {
    // A review (2026-12-07): its help read "On the latest model since before this run … this run did not upgrade it,
    // and a re-run will not either" (judged by "in no batch", and the platform's modes have no batches), pointing the
    // user away from the new image.
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed, healthExtension: true }],
    });
    const first = emu.state("vmss1").instances[0]!;
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: [first.instanceId] });
    const { record } = await rollout(configFor(emu, { rollout: { healthTimeoutMs: 2_000 } }));

    expect(record.result).toBe("failed");
    expect(record.instances.find((i) => i.instanceId === first.instanceId)).toMatchObject({
      outcome: "unhealthy",
      latestModelBefore: false,
    });
    const summary = renderSummary(record);
    expect(summary).not.toContain("this run did not upgrade it");
    expect(summary).toContain("Upgraded, but");
    // Rolling: Azure's roll faulted on it and reached no other; those are left on the model they ran before, not
    // failed (a review, 2026-12-07: judged after Azure's counts were weighed, they were failed and, with a rollback,
    // "brought back").
    const rest = sortIds(instanceIds(emu).filter((id) => id !== first.instanceId));
    expect(outcomes(record)).toEqual(
      upgradeMode === "Rolling"
        ? { unhealthy: [first.instanceId], "not-started": rest }
        : { unhealthy: [first.instanceId], updated: rest },
    );
  });

  it("turns a failed platform upgrade into a readable failure naming the instances", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
    const ids = instanceIds(emu);
    // The emulator's platform rolls in creation order: the first VM created is the first one it upgrades.
    const first = emu.state("vmss1").instances[0]!;
    const rest = ids.filter((id) => id !== first.instanceId);
    emu.faults.failUpgrade(first.instanceId, { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu));

    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(record.instances.find((i) => i.instanceId === first.instanceId)).toMatchObject({
      outcome: "failed",
      provisioningState: "Failed",
    });
    expect(record.instances.find((i) => i.instanceId === first.instanceId)?.error?.code).toBe(
      "VMExtensionProvisioningError",
    );
    // Azure's roll upgraded it in this run (there are no batches in the platform's modes): its help says the upgrade
    // failed, not that the run never touched it (a review, 2026-12-07: "this run did not upgrade it").
    expect(renderSummary(record)).not.toContain("this run did not upgrade it");
    // A Flexible VM's ID is its name: said once.
    const named = escapeRegExp(
      first.name === first.instanceId ? first.instanceId : `${first.instanceId} (${first.name})`,
    );
    if (upgradeMode === "Rolling") {
      // Batches of max(1, floor(5 × 20%)) = 1: the first failure is 100% > 20% → Faulted; the rest never start.
      expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1 });
      expect(record.reason).toMatch(
        new RegExp(
          `^Azure's rolling upgrade faulted \\(MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade: .*\\): 0 succeeded, 1 failed, 4 pending\\. Failed or unhealthy: .*${named}: provisioning Failed, .*VMExtensionProvisioningError`,
        ),
      );
      expect(record.reason).not.toContain("Not on the new model");
      // The faulted upgrade will finish none of the rest, which it never upgraded (Azure counts them pending): not
      // started, with why; not failed (nothing of theirs failed, and they run the model they ran before), nor
      // "unfinished, Azure may still finish it".
      expect(outcomes(record)).toEqual({ failed: [first.instanceId], "not-started": sortIds(rest) });
      expect(record.reason).toContain(
        `Left on the model they ran before (Azure will not upgrade them now): ${listIds(sortIds(rest))}.`,
      );
      // Nothing of their own went wrong: the reason (above) says why they were left.
      for (const id of rest) expect(record.instances.find((i) => i.instanceId === id)?.error).toBeUndefined();
      const summary = renderSummary(record);
      expect(summary).toContain("Rollout failed: 0/5 instances on the new model, 1 failed, 4 not started");
      expect(summary).toContain("Azure's upgrade ended before it upgraded them (its own count has them pending)");
      expect(JSON.parse(buildOutputs(record)["failed-instances"]!)).toEqual([first.instanceId]);
      expect(JSON.parse(buildOutputs(record)["pending-instances"]!)).toEqual(sortIds(rest));
    } else {
      expect(record.reason).toMatch(
        new RegExp(
          `^Azure's automatic upgrade failed \\(VMExtensionProvisioningError: .*\\)\\. Failed or unhealthy: ${named}: provisioning Failed, [^;]*\\.$`,
        ),
      );
      expect(outcomes(record)).toEqual({ failed: [first.instanceId], updated: rest });
    }
  });
});

describe.each(MODES.filter((m) => m.upgradeMode === "Rolling"))(
  "$upgradeMode mode, $mode: a faulted roll, rolled back",
  ({ upgradeMode, seed }) => {
    it("rolls back after Azure's roll faulted: the instance it upgraded comes back; the ones it never reached are not started, not rolled back", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
      const first = emu.state("vmss1").instances[0]!;
      const rest = sortIds(instanceIds(emu).filter((id) => id !== first.instanceId));
      emu.faults.failUpgrade(first.instanceId, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu, { rollout: { rollbackOnFailure: true } }));

      expect(record.result).toBe("rolled-back");
      expect(record.rollback).toMatchObject({ succeeded: true, instanceIds: [first.instanceId] });
      expect(outcomes(record)).toEqual({ "rolled-back": [first.instanceId], "not-started": rest });
      expect(new Set(Object.values(runningVersions(emu)))).toEqual(new Set([OLD_VERSION]));
      const summary = renderSummary(record);
      expect(summary).toContain("Rollout rolled back: 1 instance back on the previous model, 4 not started");
      expect(summary).toContain("**Rolled back** (1): ");
    });

    it("the same, Azure's roll unreadable during the rollback (a role without rollingUpgrades/read): the rollback is not ended by the read", async () => {
      // A review (2026-12-07): the look at Azure's roll (rollbackRollEnded) let a refused read end the rollback at once
      // as failed, with that read's error, while Azure may be rolling instances back. A look only: the rollback goes
      // on on its listings, here until its time runs out (Azure's roll of the restored model faulted, unseen).
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, upgradeMode, ...seed }] });
      const first = emu.state("vmss1").instances[0]!;
      emu.faults.failUpgrade(first.instanceId, { scaleSet: "vmss1" });
      let patches = 0;
      const { record } = await rollout(
        configFor(emu, { rollout: { rollbackOnFailure: true, healthTimeoutMs: 2_000, timeoutMs: 60_000 } }),
        {
          wrap: (api) => ({
            ...api,
            patchScaleSet: (...args) => {
              patches++;
              return api.patchScaleSet(...args);
            },
            // Refused once the rollback's PATCH went out (the forward one is not sent by patchScaleSet).
            getLatestRollingUpgrade: async (signal) => {
              if (patches >= 1)
                throw new AzureApiError(
                  "AuthorizationFailed",
                  "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read'.",
                  403,
                );
              return api.getLatestRollingUpgrade(signal);
            },
          }),
        },
      );

      expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_SET]);
      expect(record.result).toBe("failed");
      expect(record.rollback).toMatchObject({ succeeded: false, notBack: [first.instanceId], model: "restored" });
      expect(record.rollback?.error).toMatch(/health-timeout/);
      expect(record.rollback?.error).not.toMatch(/AuthorizationFailed/);
    }, 30_000);

    it("the rollback's own roll refused by Azure (too many unhealthy before its first batch): ends at once, saying why", async () => {
      // A review (2026-12-07): with 4 instances, the failed one is 25% unhealthy, over the policy's 20%, so Azure's
      // rolling upgrade of the restored model faults before its first batch and will never bring it back. Before, the
      // rollback waited out its whole health-timeout for the platform and then said only that the time ran out
      // "during the wait for the platform to roll instances … back".
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, upgradeMode, ...seed }] });
      const first = emu.state("vmss1").instances[0]!;
      emu.faults.failUpgrade(first.instanceId, { scaleSet: "vmss1" });
      const { record } = await rollout(
        configFor(emu, { rollout: { rollbackOnFailure: true, healthTimeoutMs: 20_000, timeoutMs: 60_000 } }),
      );

      expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_SET]);
      expect(record.result).toBe("failed");
      expect(record.rollback).toMatchObject({ succeeded: false, notBack: [first.instanceId], model: "restored" });
      expect(record.rollback?.error).toMatch(
        /^Azure's rolling upgrade of the restored model faulted \(MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade: /,
      );
      expect(record.rollback?.error).not.toMatch(/health-timeout/);
      expect(record.reason).toContain("MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade");
      // The forward roll's status stays the one reported for the rollout.
      expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1 });
      expect(runningVersions(emu)[first.instanceId]).toBe(NEW_VERSION);
    }, 30_000);
  },
);

describe.each(MODES.filter((m) => m.upgradeMode === "Automatic"))(
  "$upgradeMode mode, $mode: the rollback's own roll",
  ({ upgradeMode, seed }) => {
    // The forward roll fails on the first instance (the emulator rolls in creation order), and the run rolls back.
    // health-timeout is 2 minutes, longer than the test may take: a rollback that waited it out would time the test out.
    const ROLL_BACK = { rollbackOnFailure: true, healthTimeoutMs: 120_000, timeoutMs: 60_000 };
    // How Azure's roll of the restored model fails on an instance: not the forward failure's error, so that the
    // report is seen to carry the rollback's own.
    const BACK_FAILED = {
      code: "OSProvisioningTimedOut",
      message: "OS Provisioning for VM 'x' did not finish in the allotted time",
    };

    /** The rollback failed on `bad` alone: Azure's error, `others` brought back, the model restored. */
    function expectFailedBack(record: RolloutRecord, bad: string, others: readonly string[]): void {
      expect(record.result).toBe("failed");
      expect(record.rollback).toMatchObject({
        succeeded: false,
        instanceIds: others,
        notBack: [bad],
        model: "restored",
      });
      expect(record.rollback?.error).toBe(
        `Azure's automatic upgrade of the restored model failed (${BACK_FAILED.code}: ${BACK_FAILED.message}); Azure will not bring back instances ${bad}`,
      );
      expect(outcomes(record)).toEqual({ "rolled-back": others, failed: [bad] });
    }

    it.each([
      { row: "fails on an instance the forward roll upgraded", which: 1 },
      // Failed before the rollback's write: only the end of the rollback's own roll says it will not come back.
      { row: "fails again on the instance whose failure set the rollback off", which: 0 },
    ])(
      "$row, leaving it off the restored model: the rollback ends once Azure's roll is over, naming it with Azure's error",
      async ({ which }) => {
        // A review (2026-12-07): Automatic mode has no rolling-upgrade status to read, and the rollback waited out its
        // whole health-timeout for an instance Azure's roll had already failed, then said only that the time ran out.
        const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
        const vms = emu.state("vmss1").instances;
        const first = vms[0]!;
        const bad = vms[which]!.instanceId;
        const others = sortIds(instanceIds(emu).filter((id) => id !== bad));
        emu.faults.failUpgrade(first.instanceId, { scaleSet: "vmss1" });
        const { record } = await rollout(configFor(emu, { rollout: ROLL_BACK }), {
          events: (event) => {
            // Its upgrade back fails and leaves it on the image it ran (off the restored model).
            if (event.type !== "rollback-started") return;
            emu.faults.failUpgrade(bad, { scaleSet: "vmss1", ...BACK_FAILED });
            emu.faults.keepOldImage(bad, { scaleSet: "vmss1" });
          },
        });

        expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_SET]);
        expectFailedBack(record, bad, others);
        expect(record.reason).toContain(`Brought back: ${listIds(others)}. Not brought back: ${bad}`);
        expect(record.instances.find((i) => i.instanceId === bad)).toMatchObject({
          provisioningState: "Failed",
          error: { code: BACK_FAILED.code },
        });
        const summary = renderSummary(record);
        expect(summary).toContain(`not brought back (1): ${bad.replaceAll("_", "&#95;")}.`);
        expect(summary).toContain(`of the restored model failed (${BACK_FAILED.code}`);
        expect(summary).not.toContain("health-timeout");
        expect(JSON.parse(buildOutputs(record)["failed-instances"]!)).toEqual([bad]);
        expect(runningVersions(emu)).toEqual(
          Object.fromEntries(instanceIds(emu).map((id) => [id, id === bad ? NEW_VERSION : OLD_VERSION])),
        );
      },
      30_000,
    );

    it("the rollback PATCH's answer lost: still ends once Azure's roll is over, naming the instance with its error", async () => {
      // An audit (2026-12-07): the SDK's resend met 412, a read showed the model restored and waited for the set to be
      // idle (Azure's roll over), but how the roll ended was not taken from it: the rollback waited out health-timeout.
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
      const vms = emu.state("vmss1").instances;
      const bad = vms[1]!.instanceId;
      const others = sortIds(instanceIds(emu).filter((id) => id !== bad));
      emu.faults.failUpgrade(vms[0]!.instanceId, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu, { rollout: ROLL_BACK }), {
        events: (event) => {
          if (event.type !== "rollback-started") return;
          emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update", afterProcessing: true });
          emu.faults.failUpgrade(bad, { scaleSet: "vmss1", ...BACK_FAILED });
          emu.faults.keepOldImage(bad, { scaleSet: "vmss1" });
        },
      });

      expectFailedBack(record, bad, others);
      expect(renderSummary(record)).not.toContain("health-timeout");
    }, 30_000);

    it("brings back every instance, the one failed before the rollback's write too, when its roll goes through", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
      const first = emu.state("vmss1").instances[0]!;
      emu.faults.failUpgrade(first.instanceId, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu, { rollout: ROLL_BACK }));

      expect(record.result).toBe("rolled-back");
      expect(record.rollback).toMatchObject({ succeeded: true, instanceIds: sortIds(instanceIds(emu)) });
      expect(outcomes(record)).toEqual({ "rolled-back": sortIds(instanceIds(emu)) });
      expect(new Set(Object.values(runningVersions(emu)))).toEqual(new Set([OLD_VERSION]));
    }, 30_000);
  },
);

describe.each(MODES)("$upgradeMode mode, $mode: the rollback's roll fails on the way back", ({ upgradeMode, seed }) => {
  // health-timeout: an instance reporting Unhealthy is waited for that long (forward, and on the way back).
  const ROLL_BACK = { rollbackOnFailure: true, healthTimeoutMs: 3_000, timeoutMs: 60_000 };
  const BACK_FAILED = { code: "OSProvisioningTimedOut", message: "OS Provisioning for VM 'x' did not finish in time" };

  it.each([
    { row: "upgraded by the forward roll", forward: "upgraded" },
    // The usual cause of a rollback (a review, 2026-12-07: the first version of the fix counted these back).
    { row: "unhealthy after the forward roll", forward: "unhealthy" },
    { row: "whose forward failure set the rollback off", forward: "failed" },
  ] as const)(
    "an instance $row, whose upgrade back fails on the restored model (provisioning Failed), is not brought back",
    async ({ forward }) => {
      // Found while reviewing the Automatic rollback's end (2026-12-07): Azure's roll leaves the instance on the
      // restored model with its provisioning Failed; the rollback said "the previous model is back" with it among the
      // instances brought back.
      const emu = await emulator({
        scaleSets: [
          {
            name: "vmss1",
            instances: 5,
            upgradeMode,
            ...seed,
            ...(forward === "unhealthy" && { healthExtension: true }),
          },
        ],
      });
      const vms = emu.state("vmss1").instances;
      // The forward roll fails on the last instance it reaches (the emulator rolls in creation order; in Rolling mode
      // a faulted roll reaches no more), after upgrading the others; or on the bad one itself.
      const bad = vms[forward === "failed" ? 4 : 1]!.instanceId;
      if (forward === "unhealthy")
        emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: [bad] });
      else emu.faults.failUpgrade(vms[4]!.instanceId, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu, { rollout: ROLL_BACK }), {
        events: (event) => {
          if (event.type === "rollback-started") emu.faults.failUpgrade(bad, { scaleSet: "vmss1", ...BACK_FAILED });
        },
      });

      expect(record.result).toBe("failed");
      expect(record.rollback).toMatchObject({ succeeded: false });
      expect(record.rollback?.instanceIds).not.toContain(bad);
      expect(record.rollback?.error).not.toContain("health-timeout");
      // Failed, or unhealthy as the forward roll left it (the verdict on it stands); on the restored model, with the
      // rollback roll's provisioning state and error.
      const { failed = [], unhealthy = [] } = outcomes(record);
      expect([...failed, ...unhealthy]).toContain(bad);
      expect(record.instances.find((i) => i.instanceId === bad)).toMatchObject({
        provisioningState: "Failed",
        error: { code: BACK_FAILED.code },
      });
      expect(renderSummary(record)).not.toContain("previous model is back");
      expect(JSON.parse(buildOutputs(record)["failed-instances"]!)).toContain(bad);
    },
    30_000,
  );
  it("an instance unhealthy (health extension) on the restored model is not brought back, and the run is not rolled-back", async () => {
    // An audit (2026-12-07): it was counted back and the run said rolled-back, where a Manual rollback's gate fails it.
    // It reports unhealthy from its upgrade back on: waited for within the rollback's time (health-timeout, 3 s), as a
    // gate waits for an Unhealthy instance, and named as unhealthy when that time runs out.
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed, healthExtension: true }],
    });
    const vms = emu.state("vmss1").instances;
    const sick = vms[1]!.instanceId;
    emu.faults.failUpgrade(vms[upgradeMode === "Rolling" ? 4 : 0]!.instanceId, { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu, { rollout: ROLL_BACK }), {
      events: (event) => {
        if (event.type === "rollback-started")
          emu.faults.unhealthyAfterUpgrade(OLD_VERSION, { scaleSet: "vmss1", instanceIds: [sick] });
      },
    });

    expect(emu.state("vmss1").instances.find((i) => i.instanceId === sick)).toMatchObject({ health: "unhealthy" });
    // Rolling: Azure's rolling upgrade of the restored model may fault on it, before rolling back the later ones.
    const running = runningVersions(emu);
    const others = sortIds(instanceIds(emu).filter((id) => id !== sick && running[id] === OLD_VERSION));
    expect(running[sick]).toBe(OLD_VERSION);
    if (upgradeMode === "Automatic") expect(others).toHaveLength(4);
    expect(record.result).toBe("failed");
    expect(record.rollback).toMatchObject({ succeeded: false, instanceIds: others, model: "restored" });
    expect(record.rollback?.notBack).toContain(sick);
    expect(record.rollback?.error).toContain(`unhealthy on the previous model (${sick}: reports unhealthy)`);
    // Rolling: Azure's roll of the restored model faults on it, and the rollback ends on that at once, naming it
    // (a review, 2026-12-07: it ran out its time instead). Automatic: no roll of Azure's judges health, so the
    // rollback waits it out within its time.
    if (upgradeMode === "Rolling") {
      expect(record.rollback?.error).toMatch(/^Azure's rolling upgrade of the restored model faulted/);
      expect(record.rollback?.error).not.toContain("health-timeout");
    }
    expect(outcomes(record)["rolled-back"]).toEqual(others);
    // On the old image and unhealthy there: not `updated` (session 33, seed 5055: it was, in updated-instances).
    expect(record.instances.find((i) => i.instanceId === sick)).toMatchObject({
      outcome: "unhealthy",
      error: { code: "UnhealthyOnPreviousModel" },
    });
    expect(renderSummary(record)).not.toContain("previous model is back");
  }, 30_000);
});

describe.each(MODES)(
  "$upgradeMode mode, $mode: the rollback's time runs out during Azure's roll back",
  ({ upgradeMode, seed }) => {
    // The forward roll fails: in Automatic mode on the first instance (all upgraded at once), in Rolling mode on the last
    // (batches of one, so the others are upgraded first).
    const forwardFails = upgradeMode === "Rolling" ? 4 : 0;

    it("one instance's upgrade back hangs: the instances Azure did bring back are reported brought back, not updated", async () => {
      // An audit (2026-12-07): the model write's operation lasts Azure's whole roll in these modes, and the rollback's
      // time ran out in it, before the instances were marked sent back: none was reported brought back, and those Azure
      // had brought back were "updated" (on the rolled-out model). The rollback's time (health-timeout) must run out
      // here: the hung upgrade never ends.
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
      const vms = emu.state("vmss1").instances;
      emu.faults.failUpgrade(vms[forwardFails]!.instanceId, { scaleSet: "vmss1" });
      const hung = vms[2]!.instanceId;
      const { record } = await rollout(
        configFor(emu, { rollout: { rollbackOnFailure: true, healthTimeoutMs: 3_000, timeoutMs: 60_000 } }),
        { events: (e) => void (e.type === "rollback-started" && emu.faults.hangUpgrade(hung, { scaleSet: "vmss1" })) },
      );

      const running = runningVersions(emu);
      const back = sortIds(instanceIds(emu).filter((id) => id !== hung && running[id] === OLD_VERSION));
      expect(back.length).toBeGreaterThan(0);
      expect(record.result).toBe("failed");
      expect(record.rollback).toMatchObject({ succeeded: false, model: "restored", instanceIds: back });
      expect(record.rollback?.notBack).toContain(hung);
      expect(outcomes(record)["rolled-back"]).toEqual(back);
      // No instance that runs the previous image is called updated.
      expect((outcomes(record)["updated"] ?? []).filter((id) => running[id] !== NEW_VERSION)).toEqual([]);
      expect(record.reason).toContain(`Brought back: ${listIds(back)}.`);
    }, 30_000);

    it("the rollback's PATCH refused: nothing was written, so no instance is reported sent back or brought back", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed }] });
      const vms = emu.state("vmss1").instances;
      emu.faults.failUpgrade(vms[forwardFails]!.instanceId, { scaleSet: "vmss1" });
      const { record } = await rollout(
        configFor(emu, { rollout: { rollbackOnFailure: true, healthTimeoutMs: 120_000, timeoutMs: 60_000 } }),
        {
          events: (e) =>
            void (
              e.type === "rollback-started" &&
              emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.Update" })
            ),
        },
      );

      expect(new Set(Object.values(runningVersions(emu)))).toEqual(new Set([NEW_VERSION]));
      expect(record.rollback).toMatchObject({ succeeded: false, model: "unchanged", instanceIds: [] });
      const { failed = [], updated = [] } = outcomes(record);
      expect(failed).toEqual([vms[forwardFails]!.instanceId]);
      expect(updated).toEqual(sortIds(instanceIds(emu).filter((id) => id !== vms[forwardFails]!.instanceId)));
      expect(record.reason).not.toContain("failed on the way back");
    }, 30_000);
  },
);

describe.each(MODES)("$upgradeMode mode, $mode: stopped before the first poll", ({ upgradeMode, seed }) => {
  // The run stops before the platform's roll is first looked at: verification lists the instances after the write,
  // and each is reported as that listing shows it (never `unknown`: the listing came after the write).
  it.each([
    { stop: "a cancel right after the model write", result: "cancelled", lostAnswer: false },
    { stop: "a refused first listing", result: "failed", lostAnswer: false },
    // The write's answer lost, the SDK's resend met 412, and a read showed the model holding it: the run's own write,
    // whose roll the platform follows like any other (before, the run then took itself for a Manual one with nothing
    // to do, and reported no instance as rolling).
    { stop: "a cancel after a write whose answer was lost", result: "cancelled", lostAnswer: true },
  ])("$stop: every instance as the last listing shows it", async ({ result, lostAnswer }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
    const cancel = new AbortController();
    if (result === "failed") emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List", times: 1 });
    if (lostAnswer) emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update", afterProcessing: true });
    const { record } = await rollout(configFor(emu), {
      signal: cancel.signal,
      events: (event) => {
        if (result === "cancelled" && event.type === "wrote") cancel.abort();
      },
    });
    expect(record.result).toBe(result);
    expect(record.modelUpdated).toBe(true);
    expect(record.instances).toHaveLength(3);
    for (const instance of record.instances)
      expect(instance.outcome).toBe(instance.latestModelAfter ? "updated" : "straggler");
    // A cancel does not stop Azure's roll: the reason says it goes on, not that no further batch was started.
    if (result === "cancelled") {
      expect(record.reason).toContain("Azure goes on rolling the new model out");
      expect(record.reason).not.toContain("no further batch");
    }
  });
});

describe.each(["Automatic", "Rolling"] as const)("%s mode: stopped in the middle of Azure's roll", (upgradeMode) => {
  it.each([
    { roll: "the only roll", change: undefined, accepted: 1 },
    {
      // The instances the first roll settled are waited for anew in the second (before, they kept the first's verdict
      // and no listing was taken: the report showed them as the first roll left them).
      roll: "the second of two rolls",
      change: IMAGE_AND_EXTENSION,
      accepted: 2,
    },
  ])(
    "$roll: the instances are listed once more for the report: Azure moved them on since the last poll",
    async ({ change, accepted }) => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, instanceUpgradeSeconds: 60 }],
      });
      let seen = 0;
      const cancel = new AbortController();
      const lists = (): number => emu.requests.filter((r) => r.operation === "VirtualMachineScaleSetVMs.List").length;
      let listsAtCancel = 0;
      const { record } = await rollout(configFor(emu, change && { change }), {
        signal: cancel.signal,
        events: (event) => {
          // The first poll of the roll listed the instances and noted them as Azure's to roll.
          if (event.type === "upgrade-accepted" && ++seen === accepted) {
            listsAtCancel = lists();
            cancel.abort();
          }
        },
      });
      expect(record.result).toBe("cancelled");
      expect(lists()).toBe(listsAtCancel + 1);
      expect(record.instances).toHaveLength(3);
      for (const instance of record.instances)
        expect(instance.outcome).toBe(instance.latestModelAfter ? "updated" : "straggler");
    },
  );
});

describe("Automatic mode", () => {
  it("a lease that cannot be extended to last through Azure's roll: the model is not written", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Automatic" }] });
    // The first tag write takes the lease; the second, which would make it last through the roll, is refused.
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.UpdateTags", after: 1, times: 1 });
    const { record } = await rollout(configFor(emu));
    expect(writesOf(emu)).toEqual([]);
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toMatch(/^The scale set's lease could not be extended to last through Azure's roll/);
    expect(emu.state("vmss1").instances.every((i) => i.latestModelApplied)).toBe(true);
  });

  it.each(ORCHESTRATIONS)(
    "rolls back a failed platform upgrade: the previous model, which the platform rolls out again ($mode)",
    async ({ seed }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Automatic", ...seed }] });
      const ids = instanceIds(emu);
      emu.faults.failUpgrade(ids[1]!, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu, { rollout: { rollbackOnFailure: true } }));

      expect(record.result).toBe("rolled-back");
      expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_SET]);
      expect(modelWrites(emu)[1]!.body).toEqual({
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OLD_VERSION } } } },
      });
      expect(Object.values(runningVersions(emu))).toEqual([OLD_VERSION, OLD_VERSION, OLD_VERSION]);
      expect(record.rollback).toEqual({ succeeded: true, instanceIds: ids });
      expect(outcomes(record)).toEqual({ "rolled-back": ids });
    },
  );
});

/** An image and an extension change: two rolls, one after the other. */
const IMAGE_AND_EXTENSION = {
  imageVersion: NEW_VERSION,
  extension: { name: "customScript", forceUpdateTag: "run-2" },
};

/**
 * Wraps the adapter so that another writer sets image `version` once Azure's first roll of this run is over (Automatic:
 * the model write's operation lasts the roll; Rolling: the rolling upgrade's first Completed), landing before the next
 * request; no roll of it follows (the emulator's concurrentWrite starts none). `written()`: whether it did.
 */
function otherImageOnceRolled(
  emu: Emulator,
  upgradeMode: "Automatic" | "Rolling",
  version: string,
): { wrap: (api: ScaleSetApi) => ScaleSetApi; written: () => boolean } {
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    emu.faults.concurrentWrite(
      { patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version } } } } } },
      { when: "before" },
    );
  };
  return {
    written: () => written,
    wrap: (api) => ({
      ...api,
      startPatchScaleSet: async (patch, etag, signal) => {
        const pending = await api.startPatchScaleSet(patch, etag, signal);
        if (upgradeMode === "Rolling") return pending;
        return { done: pending.done.then((outcome) => (write(), outcome)) };
      },
      getLatestRollingUpgrade: async (signal) => {
        const status = await api.getLatestRollingUpgrade(signal);
        if (status?.code === "Completed") write();
        return status;
      },
    }),
  };
}

/** Events that run `act` once, between the two rolls: as the extension's model write begins. */
function betweenTheRolls(act: () => void): (event: RolloutEvent) => void {
  let modelWrites = 0;
  return (event) => {
    if (event.type === "phase" && event.phase.kind === "updating-model" && ++modelWrites === 2) act();
  };
}

describe.each(MODES)("$upgradeMode mode, $mode: another writer between the two rolls", ({ upgradeMode, seed }) => {
  it("its image is kept: the extension is not written, so Azure does not roll that writer's image under this run's name", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
    const { record } = await rollout(configFor(emu, { change: IMAGE_AND_EXTENSION }), {
      // The image's roll is over; before the extension's write reads the model, another writer sets its image.
      events: betweenTheRolls(() =>
        emu.faults.concurrentWrite(
          {
            patch: {
              properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } },
            },
          },
          { operation: "VirtualMachineScaleSets.Get", when: "before" },
        ),
      ),
    });
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(emu.state("vmss1").model).toMatchObject({
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } },
    });
    expect(emu.state("vmss1").instances.map((i) => i.extensions["customScript"]?.forceUpdateTag ?? null)).not.toContain(
      "run-2",
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Stopped before the extension write: the scale set's model was changed by another writer/,
    );
    expect(record.reason).toContain(`its image is now Canonical:ubuntu-24_04-lts:server:${OTHER}`);
    // Rolled onto this run's image, then the model moved: as a fresh listing shows them, no longer on the latest model.
    expect(Object.values(runningVersions(emu))).toEqual([NEW_VERSION, NEW_VERSION, NEW_VERSION]);
    expect(record.instances.map((i) => i.latestModelAfter)).toEqual([false, false, false]);
    expect(record.instances.every((i) => i.outcome !== "updated")).toBe(true);
  });

  it("after the image's roll of an image and extension change: the extension is not written, and the reason says so", async () => {
    // Only the image went out: "rolled this run's model out" would not be true (a review, 2026-12-07).
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
    const other = otherImageOnceRolled(emu, upgradeMode, OTHER);
    const { record } = await rollout(configFor(emu, { change: IMAGE_AND_EXTENSION, rollout: { timeoutMs: 20_000 } }), {
      wrap: other.wrap,
    });
    expect(other.written()).toBe(true);
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Stopped before the extension write: the scale set's model was changed by another writer/,
    );
    expect(record.reason).toContain(`its image is now Canonical:ubuntu-24_04-lts:server:${OTHER}`);
    expect(record.instances.every((i) => i.outcome !== "updated")).toBe(true);
  });
});

describe.each(MODES)(
  "$upgradeMode mode, $mode: another writer's image once Azure's roll is over",
  ({ upgradeMode, seed }) => {
    // Azure rolled this run's model onto every instance; then another writer set another image, and no roll of it came
    // (one refused or cancelled: the emulator's concurrentWrite starts none). Before, the run waited for the instances to
    // reach the latest model until `timeout`, then said "Azure goes on rolling the new model out" and "No instance was
    // updated" (a fuzz run, 2026-12-07): waiting on a roll of that writer's model, which is not this run's.
    it("the run does not wait for a roll of that writer's model: it stops, with the instances on this run's model left behind", async () => {
      const OTHER = "24.04.202503030";
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
      const ids = instanceIds(emu);
      const other = otherImageOnceRolled(emu, upgradeMode, OTHER);
      const { record } = await rollout(configFor(emu, { rollout: { timeoutMs: 20_000 } }), { wrap: other.wrap });
      expect(other.written()).toBe(true);
      expect(writesOf(emu)).toEqual([PATCH_SET]);
      expect(Object.values(runningVersions(emu))).toEqual([NEW_VERSION, NEW_VERSION, NEW_VERSION]);
      expect(record.result).toBe("failed");
      expect(record.reason).not.toMatch(/^Timed out/);
      expect(record.reason).toMatch(
        new RegExp(
          `^Azure's (automatic|rolling) upgrade rolled this run's model out, and another writer changed the scale set's ` +
            `model since \\(its image is now Canonical:ubuntu-24_04-lts:server:${OTHER}\\)\\. 3 instance\\(s\\) upgraded ` +
            `before that change run this run's model but are no longer on the latest model: ` +
            `${listIds(ids).replace(/[()]/g, "\\$&")}\\. The run does not wait`,
        ),
      );
      expect(outcomes(record)).toEqual({ straggler: ids });
      expect(record.instances.map((i) => i.error?.code)).toEqual(ids.map(() => "ModelChangedSinceUpgrade"));
      expect(renderSummary(record).split("\n")[0]).toMatch(/another writer changed the model during the run$/);
    });
  },
);

describe.each(MODES)("$upgradeMode mode, $mode: an instance removed between the two rolls", ({ upgradeMode, seed }) => {
  it("stays in the report, as removed", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
    const [a = "", b = "", c = ""] = instanceIds(emu);
    const { record } = await rollout(configFor(emu, { change: IMAGE_AND_EXTENSION }), {
      events: betweenTheRolls(() => emu.deleteInstance("vmss1", c)),
    });
    expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_EXTENSION]);
    expect(outcomes(record)).toEqual({ updated: [a, b], removed: [c] });
  });
});

describe("Rolling mode", () => {
  it("a re-run that finds the change in the model upgrades the instances in its own batches, and its warning says so", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Rolling" }] });
    const ids = instanceIds(emu);
    // An earlier run's write, whose roll never reached the instances.
    emu.faults.concurrentWrite({
      patch: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: NEW_VERSION } } } },
      },
    });
    await adapterFor(configFor(emu)).getScaleSet(); // the write above lands on this request
    const events: RolloutEvent[] = [];
    const { record, log } = await rollout(
      configFor(emu, { rollout: { batchSize: percent(100), rollbackOnFailure: true } }),
      { events: (e) => events.push(e) },
    );

    expect(record.result).toBe("succeeded");
    // No model write, so no roll of Azure's: the run's own batch, its manualupgrade.
    expect(writesOf(emu)).toEqual([upgrade(...ids)]);
    expect(events.filter((e) => e.type === "batch-started")).toEqual([{ type: "batch-started", batch: 1, of: 1, ids }]);
    // The warning (an annotation) is the only place the user learns that rollback-on-failure cannot act here.
    expect(log.lines.filter((l) => l.startsWith("warning: rollback-on-failure will not act"))).toEqual([
      expect.stringContaining("It upgrades the 3 instance(s) still on an older model, in batches"),
    ]);
    // And, rollback-on-failure or not, that the scale set's rolling upgrade policy does not apply to them.
    expect(log.lines.filter((l) => l.startsWith("warning: Scale set 'vmss1' is in Rolling upgrade mode"))).toEqual([
      expect.stringContaining("the scale set's rolling upgrade policy does not apply to them"),
    ]);
  });

  it("a dry run of that re-run says the run's own batches would upgrade them, not Azure's roll", async () => {
    // A review (2026-12-07): the headline said "Azure would roll 3 of 3 instances" beside the warning that no roll
    // starts, and three batches were planned.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Rolling" }] });
    emu.faults.concurrentWrite({
      patch: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: NEW_VERSION } } } },
      },
    });
    await adapterFor(configFor(emu)).getScaleSet(); // the write above lands on this request
    const { record } = await rollout(configFor(emu, { rollout: { dryRun: true } }));

    expect(record.result).toBe("planned");
    const summary = renderSummary(record);
    expect(summary.split("\n")[0]).toMatch(/would upgrade 3 of 3 instances in \d+ batch/);
    expect(summary).not.toContain("Azure would roll");
    expect(summary).not.toContain("Azure then rolls it out itself");
  });

  it("a faulted roll beside a target that had failed before the run: that one stays failed, the untouched ones are not started", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode: "Rolling" }] });
    const ids = emu.state("vmss1").instances.map((i) => i.instanceId);
    const [first = "", , , , last = ""] = ids;
    emu.setInstance("vmss1", last, { provisioningState: "Failed" });
    emu.faults.failUpgrade(first, { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu));

    expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1 });
    // Azure's pending count (4) covers every target off the new model (the failed one included): none of the three
    // untouched ones can be one it upgraded and rolled back.
    expect(outcomes(record)).toEqual({
      failed: sortIds([first, last]),
      "not-started": sortIds(ids.filter((id) => id !== first && id !== last)),
    });
  });

  describe("a faulted roll that put its failed instance back (rollbackFailedInstancesOnPolicyBreach)", () => {
    // Batches of one: the first instance's upgrade fails, Azure faults the roll and puts that instance back on the
    // model it ran before; it counts 1 failed and 4 pending. Upgrades take 100 s (a reimage: phases of 20, 30, 20 and
    // 30 s): the failing upgrade's two 20 s waits are the first and second (the instance busy, off the new model),
    // Azure's putting it back (RollingBack; the instance is on the new model until it is back) the third and fourth.
    const seed = {
      name: "vmss1",
      instances: 5,
      upgradeMode: "Rolling" as const,
      instanceUpgradeSeconds: 100,
      rollingUpgradePolicy: { rollbackFailedInstancesOnPolicyBreach: true },
    };
    const PUT_BACK =
      "though a listing showed it being upgraded or on the new model during this roll (Azure puts the instances its faulted roll failed back on the model they ran before: rollbackFailedInstancesOnPolicyBreach)";

    /**
     * The emulator's clock and the run's events, holding the `n`-th 20 s wait of `holds` until the action's second
     * listing after it began (listings come one after another, so that one was asked for once the wait had begun):
     * the action sees the instances as they are then, whatever the machine's speed. A hold's function runs as it
     * begins, and what it returns once it is released. `thenInstant`: once the last hold is released, waits take no
     * time (what follows happens between two listings).
     */
    function holding(holds: Readonly<Record<number, (() => () => void) | undefined>>, thenInstant = false) {
      const last = Math.max(0, ...Object.keys(holds).map(Number));
      let waits = 0;
      let release: (() => void) | undefined;
      let listings = 0;
      return {
        sleep: async (seconds: number, timer: () => Promise<void>) => {
          if (seconds === 20 && ++waits in holds) {
            const after = holds[waits]?.();
            listings = 0;
            await new Promise<void>((resolve) => (release = resolve));
            release = undefined;
            after?.();
          }
          if (thenInstant && waits >= last) return;
          await timer();
        },
        events: (event: RolloutEvent) => {
          if (event.type === "listed" && release !== undefined && ++listings === 2) release();
        },
      };
    }

    it.each([
      {
        rollbackOnFailure: false,
        result: "failed",
        outcome: "failed",
        headline: "Rollout failed: 0/5 instances on the new model, 1 failed, 4 not started",
      },
      {
        rollbackOnFailure: true,
        result: "rolled-back",
        outcome: "rolled-back",
        headline: "Rollout rolled back: 1 instance back on the previous model, 4 not started",
      },
    ])(
      "a listing saw it on the new model: that one is $outcome, the others not started (rollback-on-failure $rollbackOnFailure)",
      async ({ rollbackOnFailure, result, outcome, headline }) => {
        // Seen once on the new model while Azure puts it back; the rest takes no time.
        const { sleep, events } = holding({ 3: undefined }, true);
        const emu = await emulator({ scaleSets: [seed], sleep });
        const [first = "", ...rest] = emu.state("vmss1").instances.map((i) => i.instanceId);
        emu.faults.failUpgrade(first, { scaleSet: "vmss1" });
        const { record } = await rollout(configFor(emu, { rollout: { rollbackOnFailure } }), { events });

        expect(record.result).toBe(result);
        expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1, pendingInstanceCount: 4 });
        expect(new Set(Object.values(runningVersions(emu)))).toEqual(new Set([OLD_VERSION]));
        expect(outcomes(record)).toEqual({ [outcome]: [first], "not-started": sortIds(rest) });
        expect(record.instances.find((i) => i.instanceId === first)?.error?.message).toContain(PUT_BACK);
        expect(record.reason).toContain(
          `Left on the model they ran before (Azure will not upgrade them now): ${listIds(sortIds(rest))}.`,
        );
        expect(renderSummary(record)).toContain(headline);
        expect(JSON.parse(buildOutputs(record)["pending-instances"]!)).toEqual(sortIds(rest));
      },
    );

    it("an instance busy with another operation while Azure upgrades one is not taken for Azure's: it stays not started", async () => {
      // While Azure upgrades instance 0 (1 in progress), instance 3 is Updating too, for something else (a repair,
      // say): two busy instances where Azure counts one, so that listing says neither is Azure's. A later listing sees 0
      // on the new model while Azure puts it back.
      let emu: Awaited<ReturnType<typeof emulator>> | undefined = undefined;
      let ids: string[] = [];
      const busy = (state: "Updating" | "Succeeded") =>
        emu?.setInstance("vmss1", ids[3]!, { provisioningState: state });
      const { sleep, events } = holding(
        {
          1: () => {
            busy("Updating");
            return () => busy("Succeeded");
          },
          3: undefined,
        },
        true,
      );
      emu = await emulator({ scaleSets: [seed], sleep });
      ids = emu.state("vmss1").instances.map((i) => i.instanceId);
      emu.faults.failUpgrade(ids[0]!, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu), { events });

      expect(outcomes(record)).toEqual({ failed: [ids[0]], "not-started": sortIds(ids.slice(1)) });
    });

    it.each([
      {
        seen: "a listing saw it only being upgraded (off the new model)",
        // Once the action has seen it being upgraded, the rest of its upgrade and Azure's putting it back take no time.
        holds: { 1: undefined },
        thenInstant: true,
        pollIntervalMs: 5,
        seenWorking: true,
      },
      {
        // The action's first listing after the write comes when the roll's operation ended (a poll interval of 10 s,
        // the operation read every 3.3 s; the roll lasts about 0.2 s).
        seen: "no listing saw it",
        holds: {},
        thenInstant: false,
        pollIntervalMs: 10_000,
        seenWorking: false,
      },
    ])(
      "$seen: Azure's failure could be any of them, so every one is failed",
      async ({ holds, thenInstant, pollIntervalMs, seenWorking }) => {
        const { sleep, events } = holding(holds, thenInstant);
        const emu = await emulator({ scaleSets: [seed], sleep });
        const ids = emu.state("vmss1").instances.map((i) => i.instanceId);
        emu.faults.failUpgrade(ids[0]!, { scaleSet: "vmss1" });
        const { record } = await rollout(configFor(emu, { rollout: { pollIntervalMs } }), { events });

        expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1, pendingInstanceCount: 4 });
        expect(outcomes(record)).toEqual({ failed: sortIds(ids) });
        expect(record.reason).not.toContain("Left on the model they ran before");
        // The one seen being upgraded says so; the others, which the run never saw Azure work on, do not.
        const said = (id: string) => record.instances.find((i) => i.instanceId === id)?.error?.message ?? "";
        expect(said(ids[0]!).includes("though a listing showed it being upgraded")).toBe(seenWorking);
        expect(said(ids[1]!)).not.toContain("though a listing showed it being upgraded");
      },
    );

    it("a target that failed before the run does not account for Azure's failure: every one is failed", async () => {
      // Instance 4 failed before the run (Azure counts it pending: its roll never reached it), instance 3 leaves the
      // scale set as the roll starts (Azure still counts it pending), and Azure upgrades instance 0 and puts it back
      // before the action's first look (a poll interval of 10 s; every wait of the emulator takes no time). Azure's 4
      // pending are then not all targets off the new model: 4's failure is not the one Azure counts.
      let ids: string[] = [];
      let emu: Awaited<ReturnType<typeof emulator>> | undefined = undefined;
      emu = await emulator({
        scaleSets: [seed],
        sleep: (seconds) => {
          if (seconds === 20 && emu?.state("vmss1").instances.some((i) => i.instanceId === ids[3]))
            emu.deleteInstance("vmss1", ids[3]!);
          return Promise.resolve();
        },
      });
      ids = emu.state("vmss1").instances.map((i) => i.instanceId);
      emu.setInstance("vmss1", ids[4]!, { provisioningState: "Failed" });
      emu.faults.failUpgrade(ids[0]!, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu, { rollout: { pollIntervalMs: 10_000 } }));

      expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1, pendingInstanceCount: 4 });
      expect(outcomes(record)).toEqual({ failed: sortIds([ids[0]!, ids[1]!, ids[2]!, ids[4]!]) });
      expect(record.reason).not.toContain("Left on the model they ran before");
    });

    it("an instance busy with another operation before the roll is not taken for one Azure worked on: every one is failed", async () => {
      // Instance 3 is Updating for something else while Azure updates the model, which waits for the action's second
      // listing; then Azure upgrades instance 0, fails it and puts it back at once, between two listings. Taking 3 for
      // the one Azure put back would leave room in Azure's counts to call 0 not started.
      let modelUpdated: (() => void) | undefined;
      let listings = 0;
      let ids: string[] = [];
      let emu: Awaited<ReturnType<typeof emulator>> | undefined = undefined;
      emu = await emulator({
        scaleSets: [seed],
        sleep: async (seconds) => {
          if (seconds !== 5 || modelUpdated !== undefined || emu === undefined) return; // upgrades take no time
          emu.setInstance("vmss1", ids[3]!, { provisioningState: "Updating" });
          await new Promise<void>((resolve) => (modelUpdated = resolve));
          emu.setInstance("vmss1", ids[3]!, { provisioningState: "Succeeded" });
        },
      });
      ids = emu.state("vmss1").instances.map((i) => i.instanceId);
      emu.faults.failUpgrade(ids[0]!, { scaleSet: "vmss1" });
      const { record } = await rollout(configFor(emu), {
        events: (event) => {
          if (event.type === "listed" && modelUpdated !== undefined && ++listings === 2) modelUpdated();
        },
      });

      expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1, pendingInstanceCount: 4 });
      expect(outcomes(record)).toEqual({ failed: sortIds(ids) });
      expect(record.reason).not.toContain("Left on the model they ran before");
    });
  });

  it("the second of two rolls faulted: the instances it left run the first roll's image, so they are failed, not 'not started'", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode: "Rolling" }] });
    const first = emu.state("vmss1").instances[0]!.instanceId;
    const rest = sortIds(instanceIds(emu).filter((id) => id !== first));
    const { record } = await rollout(configFor(emu, { change: IMAGE_AND_EXTENSION }), {
      events: betweenTheRolls(() => emu.faults.failUpgrade(first, { scaleSet: "vmss1" })),
    });

    expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_EXTENSION]);
    expect(record.rolling).toMatchObject({ code: "Faulted" });
    expect(Object.values(runningVersions(emu))).toEqual(Array(5).fill(NEW_VERSION));
    expect(outcomes(record)).toEqual({ failed: sortIds([first, ...rest]) });
    expect(JSON.parse(buildOutputs(record)["pending-instances"]!)).toEqual([]);
    expect(record.reason).not.toContain("Left on the model they ran before");
  });

  it("rolls an image and an extension change one after the other (Azure refuses a write during a roll)", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Rolling" }] });
    const { record, log } = await rollout(configFor(emu, { change: IMAGE_AND_EXTENSION }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, "PATCH VirtualMachineScaleSetExtensions.Update"]);
    for (const instance of emu.state("vmss1").instances) {
      expect(instance.imageReference["version"]).toBe(NEW_VERSION);
      expect(instance.extensions["customScript"]?.forceUpdateTag).toBe("run-2");
    }
    expect(log.lines.filter((l) => l === "::group::Platform rollout (Rolling)")).toHaveLength(2);
  });

  it("waits for a rolling upgrade already in progress, then rolls its own change", async () => {
    // Someone else's roll goes no further than its first instance's upgrade (60 simulated seconds) until the action
    // has said it waits for it: the action meets it rolling however slow the machine.
    let actionWaits!: () => void;
    const waiting = new Promise<void>((resolve) => (actionWaits = resolve));
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 4, upgradeMode: "Rolling", instanceUpgradeSeconds: 60 }],
      sleep: async (seconds, timer) => {
        if (seconds === 60) await waiting;
        await timer();
      },
    });
    // Someone else's model change: Azure is rolling it when the action starts.
    const running = await adapterFor(configFor(emu)).startPatchExtension({
      name: "customScript",
      forceUpdateTag: "other",
    });
    // Azure starts the roll once it took the write (and holds it there, above): the action starts while it runs.
    await vi.waitFor(() => expect(emu.state("vmss1").rollingUpgrade?.code).toBe("RollingForward"), {
      timeout: 5_000,
      interval: 5,
    });
    emu.resetLog();

    const { record, log } = await rollout(configFor(emu), {
      onLine: (line) => {
        if (line.startsWith("Waiting for an operation already in progress:")) actionWaits();
      },
    });
    actionWaits(); // a run that never said so: the other roll goes on now, for the assertions below to say what failed
    expect(await running.done).toEqual({ status: "Succeeded" });
    expect(record.result).toBe("succeeded");
    expect(log.text()).toMatch(
      /Waiting for an operation already in progress: the scale set is Updating; a rolling upgrade is RollingForward since .* \(\d done, \d in progress, \d pending\)/,
    );
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(NEW_VERSION));
  });
});

describe("following the platform", () => {
  it("keeps following a rolling upgrade still RollingForward after the model update's operation ended, past health-timeout", async () => {
    // Instances take ~0.3 s each, one at a time: the roll lasts ~1.5 s, longer than health-timeout (100 ms here).
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 5, upgradeMode: "Rolling", instanceUpgradeSeconds: 300 }],
    });
    const { record } = await rollout(configFor(emu, { rollout: { healthTimeoutMs: 100, pollIntervalMs: 20 } }), {
      // Azure ends the model update's operation before the roll does.
      wrap: (api) => ({
        ...api,
        startPatchScaleSet: async (patch, etag, signal) => {
          await api.startPatchScaleSet(patch, etag, signal);
          return { done: Promise.resolve({ status: "Succeeded" as const }) };
        },
      }),
    });
    expect(record.result).toBe("succeeded");
    expect(outcomes(record)).toEqual({ updated: ["0", "1", "2", "3", "4"] });
    expect(record.rolling).toMatchObject({ code: "Completed", successfulInstanceCount: 5 });
  });

  it("warns that batch options have no effect where Azure rolls the change itself", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, upgradeMode: "Automatic" }] });
    const { record, log } = await rollout(
      configFor(emu, {
        rollout: {
          batchSize: { kind: "count", value: 1 },
          maxUnhealthyPercent: 0,
          nonDefaultBatchOptions: ["batch-size", "max-unhealthy"],
        },
      }),
    );
    expect(record.result).toBe("succeeded");
    expect(log.lines.filter((l) => l.startsWith("warning: "))).toEqual([
      "warning: batch-size, max-unhealthy have no effect: scale set 'vmss1' is in Automatic upgrade mode, where Azure rolls a model change itself " +
        "(on every instance at once) and the action only follows it. Set batches and thresholds in the scale set's upgrade policy, or switch it " +
        "to Manual mode to have the action roll out in batches.",
    ]);
  });

  it("warns about a poll-interval below 5 s against Azure's clouds, not against a custom endpoint", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const custom = configFor(emu);
    const azure = { ...custom, cloud: { ...custom.cloud, name: "AzureCloud" as const } };
    const warnings = async (config: typeof custom): Promise<string[]> =>
      (await rollout(config)).log.lines.filter((l) => l.startsWith("warning: "));
    expect(await warnings(custom)).toEqual([]);
    expect(await warnings(azure)).toEqual([
      expect.stringMatching(/^warning: poll-interval 5 ms is below 5s: every poll lists the instances/),
    ]);
  });
});

describe("operation polling", () => {
  it("polls an operation's status at least every 5 s whatever poll-interval is, so its end is noticed soon", async () => {
    // The model is already changed (by an earlier run): one batch, whose operation is over as soon as Azure took it (no
    // simulated time passes here). Its status is read 5 s after that (not at once, nor after poll-interval, 20 s),
    // and once: its end is noticed at that read.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }], sleep: async () => {} });
    await adapterFor(configFor(emu)).patchScaleSet({ imageReference: { version: NEW_VERSION } }, undefined);
    const upgradeWaits: number[] = [];
    pace.planned = (kind, ms) => void (kind === "upgrade" && upgradeWaits.push(ms));
    // The run's own waits (poll-interval), noted and passed at once: none may hold it up.
    const runWaits: number[] = [];
    const { record } = await rollout(
      configFor(emu, {
        rollout: { pollIntervalMs: 20_000, timeoutMs: 40_000, batchSize: { kind: "percent", value: 100 } },
      }),
      {
        sleep: (ms) => {
          runWaits.push(ms);
          return Promise.resolve();
        },
      },
    );
    expect(record.result).toBe("succeeded");
    expect(upgradeWaits).toEqual([5_000]);
    const [upgrade, ...more] = emu
      .state("vmss1")
      .operations.filter((o) => o.operation === "VirtualMachineScaleSets.UpdateInstances");
    expect(more).toEqual([]);
    const reads = emu.requests.filter(
      (r) => r.operation.startsWith("Operations.") && r.path.toLowerCase().includes(upgrade?.id.toLowerCase() ?? "?"),
    );
    expect(reads).toHaveLength(1);
    expect(runWaits).toEqual([]);
  });

  it("slows operation polls to the bucket's refill when their throttling bucket runs low, instead of getting 429s", async () => {
    // GetOperation holds 45 tokens, on a frozen clock here (no refill). The upgrade goes no further than its first
    // phase until the adapter has slowed its status reads to the bucket's refill (4 s), and is over at once then:
    // reads every 20 ms (every 7 ms at first) would drain the bucket long before it ended.
    let slowed!: () => void;
    const slowedDown = new Promise<void>((resolve) => (slowed = resolve));
    const upgradeWaits: number[] = [];
    pace.planned = (kind, ms) => {
      if (kind !== "upgrade") return;
      upgradeWaits.push(ms);
      if (ms >= 4_000) slowed();
    };
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 1, instanceUpgradeSeconds: 1 }],
      throttle: true,
      throttleNow: () => 0,
      speed: 1,
      modelUpdateSeconds: 0.01,
      sleep: (seconds, timer) =>
        emu.state("vmss1").instances.some((i) => i.provisioningState === "Updating") ? slowedDown : timer(),
    });
    const { record } = await rollout(configFor(emu, { rollout: { pollIntervalMs: 20, timeoutMs: 20_000 } }));
    expect(record.result).toBe("succeeded");
    expect(emu.counters()["Throttled"] ?? 0).toBe(0);
    expect(emu.counters()["Operations.Get"]).toBeLessThan(45);
    // Fast reads until the bucket ran low, then one after 4 s, which found the upgrade over.
    expect(upgradeWaits.at(-1)).toBe(4_000);
    expect(upgradeWaits.slice(0, -1).every((ms) => ms <= 20)).toBe(true);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe.each(MODES)("$upgradeMode mode, $mode: another writer during Azure's roll", ({ upgradeMode, seed }) => {
  it("an extension added right after the run's image write: the instances Azure rolls onto it are failed, not updated", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
    // Right after the run's model write, before Azure takes the model it rolls (Azure rolls every model change in
    // these modes, or refuses a write during its roll with 409; the emulator's fault does neither, so a later write
    // would leave the instances stale for good, which Azure would not).
    emu.faults.concurrentWrite(extensionAdded(emu), { operation: "VirtualMachineScaleSets.Update" });
    const { record } = await rollout(configFor(emu));

    expect(record.result).toBe("failed");
    // What the run says of each instance agrees with the scale set: none is this run's model on the latest model.
    expect(emu.state("vmss1").instances.map((i) => i.latestModelApplied)).toEqual([true, true, true]);
    expect(record.instances.map((i) => [i.outcome, i.error?.code])).toEqual(
      Array(3).fill(["failed", "ModelChangedByAnotherWriter"]),
    );
    expect(record.reason).toContain("otherWritersAgent");
  });

  it("the same, the run stopped before its first look at the roll (its first listing refused): still failed, not updated", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode, ...seed }] });
    emu.faults.concurrentWrite(extensionAdded(emu), { operation: "VirtualMachineScaleSets.Update" });
    // The roll's first listing is refused (once): the run stops before it knows the roll's instances; verification's
    // listing then finds them on the latest model.
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Update" }, () =>
      emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List", times: 1 }),
    );
    // A poll interval longer than the roll: the first look comes when Azure's operation ends, every instance upgraded.
    const { record } = await rollout(configFor(emu, { rollout: { pollIntervalMs: 60_000, timeoutMs: 120_000 } }));

    expect(record.result).toBe("failed");
    expect(record.instances.map((i) => [i.outcome, i.error?.code])).toEqual(
      Array(3).fill(["failed", "ModelChangedByAnotherWriter"]),
    );
  });
});

describe("a cancel during verification's read of the model (Automatic mode)", () => {
  it("ends that read at once: the listing after it still says where each instance is", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Automatic" }] });
    const cancel = new AbortController();
    // The roll's first listing is refused: the run stops before its first look at the roll.
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Update" }, () =>
      emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List", times: 1 }),
    );
    // Then verification reads the model: that read is held, and the job cancelled as it arrives.
    const onStop = (): void => {
      emu.faults.hangRequest({ operation: "VirtualMachineScaleSets.Get", seconds: 9 });
      emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Get", when: "before" }, () => cancel.abort());
    };
    const { record } = await rollout(configFor(emu, { rollout: { pollIntervalMs: 60_000, timeoutMs: 120_000 } }), {
      signal: cancel.signal,
      events: (event) => {
        if (event.type === "stopped") onStop();
      },
    });

    expect(cancel.signal.aborted).toBe(true);
    expect(record.instances).toHaveLength(3);
    expect(record.instances.every((i) => i.outcome !== "not-started")).toBe(true);
  });
});

describe.each(MODES.filter((m) => m.upgradeMode === "Automatic"))(
  "Automatic mode, $mode: the roll ends failed while an upgraded instance's health is still waited for",
  ({ upgradeMode, seed }) => {
    it("the reason says it is on the new model and not healthy yet, not that it is off it", async () => {
      // A review (2026-12-07): "Not on the new model, or still being upgraded: 1" for an idle instance on the new
      // model that reported Unhealthy within its health-timeout.
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, ...seed, healthExtension: true }],
      });
      const [failing, sick] = emu.state("vmss1").instances;
      emu.faults.failUpgrade(failing!.instanceId, { scaleSet: "vmss1" });
      emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: [sick!.instanceId] });
      const { record } = await rollout(configFor(emu, { rollout: { healthTimeoutMs: 30_000 } }));

      expect(record.result).toBe("failed");
      expect(record.reason).toContain(
        "On the new model, not healthy yet when the roll ended (within health-timeout): ",
      );
      expect(record.reason).not.toMatch(/Not on the new model, or still being upgraded: [^.]*\b/);
      expect(renderSummary(record)).toContain("On the latest model, but the run ended before it reported healthy");
    });
  },
);
