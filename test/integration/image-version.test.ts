// The engine through the real SDK adapter against the emulator: a platform image version the scale set's region does
// not offer is refused before anything is written (the lease and the record included), naming the newest there are;
// so is a gallery image version (image-id) that does not exist, is not ready, or is not published to the region.
import { describe, expect, it } from "vitest";
import type { GalleryVersionSeed } from "../../emulator/types.ts";
import { renderSummary } from "../../src/report/index.ts";
import { encodeLease } from "../../src/domain/lease.ts";
import {
  adapterFor,
  configFor,
  count,
  NEW_VERSION,
  OLD_VERSION,
  outcomes,
  PATCH_EXTENSION,
  PATCH_SET,
  rollout,
  runningVersions,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();
/** The emulator's subscription (emulator/index.ts SUBSCRIPTION_ID): the gallery is the scale set's. */
const SUB = "5c2f9b8a-0000-4000-8000-000000005ab5";

const IMAGE = "Canonical:ubuntu-24_04-lts:server";
const NEWER = "24.04.202502010";

describe("image-version the region does not offer", () => {
  it.each([
    { run: "a rollout", dryRun: false },
    { run: "a dry run", dryRun: true },
  ])("$run is refused before any write, naming the newest versions there", async ({ dryRun }) => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEWER] },
    });
    const { record } = await rollout(configFor(emu, { rollout: { dryRun } }));
    expect(emu.writes()).toEqual([]);
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toBe(
      `image-version '${NEW_VERSION}' does not exist: Azure offers no such version of ${IMAGE} in westeurope; its newest there: ${NEWER}, ${OLD_VERSION}. Nothing was written.`,
    );
  });

  it("a region that lists no version of the image at all: the check is left to the model write, which Azure refuses", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }], platformImages: { [IMAGE]: [] } });
    const { record, log } = await rollout(configFor(emu));
    expect(log.text()).toContain(`Azure lists no version of ${IMAGE} in westeurope, which the scale set runs`);
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toContain("PlatformImageNotFound");
  });

  const deprecated = (status: {
    imageState: "Deprecated" | "ScheduledForDeprecation";
    scheduledDeprecationTime?: string;
  }) => ({ [`${IMAGE}:${NEW_VERSION}`]: status });
  const inHours = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString();

  it.each([
    { name: "deprecated: a rollout", status: { imageState: "Deprecated" as const }, dryRun: false },
    { name: "deprecated: a dry run", status: { imageState: "Deprecated" as const }, dryRun: true },
    {
      name: "scheduled for a date already past",
      status: { imageState: "ScheduledForDeprecation" as const, scheduledDeprecationTime: inHours(-1) },
      dryRun: false,
    },
  ])("a version its publisher deprecated ($name) is refused before any write", async ({ status, dryRun }) => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
      deprecatedImages: deprecated(status),
    });
    const { record } = await rollout(configFor(emu, { rollout: { dryRun } }));
    expect(emu.writes()).toEqual([]);
    expect(record.result).toBe("failed");
    expect(record.reason).toBe(
      `image-version '${IMAGE}:${NEW_VERSION}' is deprecated by its publisher: Azure deploys no new instance from it in westeurope (ImageVersionDeprecated). Nothing was written. Name a version that is not deprecated (az vm image list --all --location westeurope --publisher Canonical --offer ubuntu-24_04-lts --sku server shows them).`,
    );
  });

  it.each([
    {
      alternativeOption: { type: "Offer" as const, value: "ubuntu-26_04-lts" },
      says: '; its publisher names offer "ubuntu-26_04-lts" instead (a change of offer, which this action does not make).',
    },
    {
      alternativeOption: { type: "Plan" as const, value: "pro" },
      says: '; its publisher names plan "pro" instead (a change of plan, which this action does not make).',
    },
    { alternativeOption: { type: "None" as const }, says: " shows them)." },
    { alternativeOption: { type: "Offer" as const, value: " " }, says: " shows them)." },
  ])(
    "a deprecated version whose publisher names $alternativeOption.type $alternativeOption.value: the refusal says so",
    async ({ alternativeOption, says }) => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 2 }],
        platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
        deprecatedImages: { [`${IMAGE}:${NEW_VERSION}`]: { imageState: "Deprecated", alternativeOption } },
      });
      const { record } = await rollout(configFor(emu));
      expect(emu.writes()).toEqual([]);
      expect(record.reason?.endsWith(says)).toBe(true);
    },
  );

  it.each([
    { name: "after the run's timeout", hours: 24 * 60, says: "Roll out a newer version before then." },
    { name: "within the run's timeout (2 h)", hours: 1, says: "That is within this run's timeout" },
  ])(
    "a version scheduled for deprecation $name: a warning naming the date, and the rollout goes on",
    async ({ hours, says }) => {
      const when = inHours(hours);
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 2 }],
        platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
        deprecatedImages: deprecated({ imageState: "ScheduledForDeprecation", scheduledDeprecationTime: when }),
      });
      const { record, log } = await rollout(configFor(emu, { rollout: { timeoutMs: 7_200_000 } }));
      expect(record.result).toBe("succeeded");
      const warnings = log.lines.filter((l) => l.startsWith("warning: image-version"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        `is scheduled for deprecation on ${new Date(when).toISOString()}: after then Azure deploys no new instance from it`,
      );
      expect(warnings[0]).toContain(says);
    },
  );

  it("a version the region offers is rolled out; the one a rollback would put back is looked up beside it", async () => {
    // Both catalog reads are in flight at once (one round trip before the first write, not two): the answer to the
    // first is held until the second arrives, which a run waiting for that answer would never send.
    let arrived = 0;
    let bothInFlight = false;
    let release = (): void => {};
    const second = new Promise<void>((resolve) => (release = resolve));
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
      latencyMs: 1,
      sleep: (_seconds, timer) => (arrived === 1 ? second.then(timer) : timer()),
    });
    emu.faults.onRequest({ operation: "VirtualMachineImages.Get", when: "before" }, () => (arrived = 1));
    emu.faults.onRequest({ operation: "VirtualMachineImages.Get", when: "before", after: 1 }, () => {
      bothInFlight = arrived === 1;
      arrived = 2;
      release();
    });
    const { record } = await rollout(configFor(emu));
    expect(bothInFlight).toBe(true);
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)[0]).toBe(PATCH_SET);
    // The version rolled out, and the one a rollback would put back.
    expect(
      emu.requests
        .filter((r) => r.operation === "VirtualMachineImages.Get")
        .map((r) => r.path.split("/").pop()?.split("?")[0])
        .sort(),
    ).toEqual([NEW_VERSION, OLD_VERSION].sort());
  });

  it("a lookup Azure refuses (no right to read the catalog) leaves the check to the model write", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    // Both lookups (the new version's and the one before, sent together) are refused.
    emu.faults.authorizationFailed({ operation: "VirtualMachineImages.Get", times: 2 });
    const { record, log } = await rollout(configFor(emu));
    expect(record.result).toBe("succeeded");
    expect(outcomes(record)).toEqual({ updated: ["0", "1"] });
    expect(log.text()).toContain(`Could not check that ${IMAGE} has version '${NEW_VERSION}' in westeurope`);
    expect(log.text()).toContain(
      `Could not check that a rollback could put back ${IMAGE}:${OLD_VERSION} in westeurope`,
    );
    expect(record.imageNotRestorable).toBeUndefined();
  });

  it("rollback: true to a version no longer offered is refused before any write", async () => {
    // The rollout's own version is offered; the one before it is not (any more). The rollout could not read that (its
    // catalog lookups, the new version's and the one before, sent together, were refused), so its record does not say
    // so: the rollback run finds out.
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [NEW_VERSION] },
    });
    emu.faults.authorizationFailed({ operation: "VirtualMachineImages.Get", times: 2 });
    const forward = await rollout(configFor(emu));
    expect(forward.record.result).toBe("succeeded");
    expect(forward.record.imageNotRestorable).toBeUndefined();
    const writes = emu.writes().length;
    const { record } = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(emu.writes()).toHaveLength(writes);
    expect(record.result).toBe("failed");
    expect(record.reason).toBe(
      `The image version the rollback would put back, '${OLD_VERSION}', is no longer offered: Azure offers no such version of ${IMAGE} in westeurope; its newest there: ${NEW_VERSION}. Nothing was written.`,
    );
  });
});

describe("the image version a rollback would put back, checked before any write", () => {
  it("without rollback-on-failure: a version no longer offered makes a change with no way back, and none is offered", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [NEW_VERSION] },
    });
    const { record, log } = await rollout(configFor(emu));
    expect(record.result).toBe("succeeded");
    expect(log.text()).toContain(
      `This change has no way back: the image version before, '${IMAGE}:${OLD_VERSION}', is no longer offered in westeurope.`,
    );
    expect(record.imageNotRestorable).toContain("is no longer offered in westeurope");
    expect(record.scaleSetRecord?.undoable).toBe(false);
    const summary = renderSummary(record);
    expect(summary).toContain("**No way back:**");
    expect(summary).not.toContain(`image-version: "${OLD_VERSION}"`);
    // And rollback: true, later, says so from the record before writing anything.
    const writes = emu.writes().length;
    const back = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(back.record.result).toBe("failed");
    expect(back.record.reason).toContain("cannot be undone from the record");
    expect(emu.writes()).toHaveLength(writes);
  });
});

describe("rollback-on-failure: the image version a rollback would put back, checked before any write", () => {
  const SCRIPT = "https://stvmssdemo.blob.core.windows.net/scripts/install-v2.sh";
  const before = `${IMAGE}:${OLD_VERSION}`;
  const inHours = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString();
  // Before, the run rolled out and, after a failure, sent a rollback PATCH Azure refuses (ImageVersionDeprecated,
  // PlatformImageNotFound): a rollback that failed, the instances left on the new image all the same.
  it.each([
    {
      name: "deprecated by its publisher",
      catalog: {
        platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
        deprecatedImages: { [before]: { imageState: "Deprecated" as const } },
      },
      why: `the image version before, '${before}', is deprecated by its publisher`,
    },
    {
      name: "scheduled for deprecation on a date already past",
      catalog: {
        platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
        deprecatedImages: {
          [before]: { imageState: "ScheduledForDeprecation" as const, scheduledDeprecationTime: inHours(-1) },
        },
      },
      why: `the image version before, '${before}', is deprecated by its publisher`,
    },
    {
      name: "no longer offered in the region",
      catalog: { platformImages: { [IMAGE]: [NEW_VERSION] } },
      why: `the image version before, '${before}', is no longer offered in westeurope`,
    },
  ])("$name: said before the write, and no rollback Azure would refuse is sent", async ({ catalog, why }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }], ...catalog });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record, log } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(log.lines.filter((l) => l.startsWith("warning: rollback-on-failure cannot undo this change"))).toEqual([
      expect.stringContaining(why) as unknown,
    ]);
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(record.noRollback?.reason).toContain(why);
    expect(writesOf(emu).filter((w) => w === PATCH_SET)).toHaveLength(1);
    expect(runningVersions(emu)).toEqual({ "0": NEW_VERSION, "1": OLD_VERSION });
    expect(renderSummary(record)).not.toContain(`image-version: "${OLD_VERSION}"`);
  });

  it("image and extension: nothing is put back (the instances are not left on a model that is neither), as said before the write", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
      deprecatedImages: { [before]: { imageState: "Deprecated" } },
    });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record, log } = await rollout(
      configFor(emu, {
        change: { imageVersion: NEW_VERSION, extension: { name: "customScript", fileUris: [SCRIPT] } },
        rollout: { batchSize: count(1), maxUnhealthyPercent: 0, rollbackOnFailure: true },
      }),
    );
    expect(log.lines.filter((l) => l.startsWith("warning: rollback-on-failure cannot undo this change"))).toEqual([
      expect.stringContaining(`the image version before, '${before}', is deprecated by its publisher`) as unknown,
    ]);
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(writesOf(emu).filter((w) => w === PATCH_SET || w === PATCH_EXTENSION)).toEqual([PATCH_SET, PATCH_EXTENSION]);
    // Neither rollback: true (it would refuse) nor the image version before, nor the extension alone (a model that is
    // neither), is offered as a way back: the summary says there is none, and why.
    const summary = renderSummary(record);
    expect(summary).not.toContain("rollback: true");
    expect(summary).not.toContain(`image-version: "${OLD_VERSION}"`);
    expect(summary).not.toContain('extension-name: "customScript"');
    expect(summary).toMatch(
      /\*\*No way back:\*\* the action cannot undo this change: the image version before, .*24\.04\.202409120&#39;, is deprecated by its publisher/,
    );
  });

  /** The version another writer moves the model to while the run is under way. */
  const MID = "24.04.202411010";
  it("the model moved to another version while the run waited for a lease: that version is the way back, and is checked", async () => {
    const expiresAt = Date.now() + 60_000;
    let offset = 0;
    const otherRun = {
      token: "other",
      repository: "octo/hotfix",
      serverUrl: "https://github.com",
      runId: "7",
      runAttempt: "1",
    };
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, tags: encodeLease({ holder: otherRun, expiresAt }) }],
      platformImages: { [IMAGE]: [OLD_VERSION, MID, NEW_VERSION] },
      deprecatedImages: { [before]: { imageState: "Deprecated" } },
    });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record } = await rollout(
      configFor(emu, {
        rollout: {
          leaseWaitMs: 120_000,
          timeoutMs: 600_000,
          pollIntervalMs: 200,
          batchSize: count(1),
          maxUnhealthyPercent: 0,
          rollbackOnFailure: true,
        },
      }),
      {
        now: () => Date.now() + offset,
        // While the run waits, the lease's holder moves the model to MID and its lease runs out.
        events: (e) => {
          if (e.type === "lease" && e.what === "waiting")
            void adapterFor(configFor(emu))
              .patchScaleSet({ imageReference: { version: MID } }, undefined)
              .then(() => (offset = expiresAt + 1 - Date.now()));
        },
      },
    );
    expect(record.changes.map((c) => [c.before, c.after])).toEqual([[MID, NEW_VERSION]]);
    expect(record.imageNotRestorable).toBeUndefined();
    expect(record.result).toBe("rolled-back");
    expect(runningVersions(emu)).toEqual({ "0": MID, "1": OLD_VERSION });
  });

  const moveTo = {
    patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: MID } } } } },
  };
  it.each([
    // Another writer's image lands right before the run's PATCH: 412, and the change is planned again on it.
    { name: "between the read and the write (412)", when: "write" as const },
    // The scale set is busy when first read, and another writer's image is in it once it is not.
    { name: "while the run waited for an operation in progress", when: "wait" as const },
  ])(
    "the model moved to a deprecated version $name: that version is looked up, and no rollback Azure would refuse is sent",
    async ({ when }) => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 2 }],
        platformImages: { [IMAGE]: [OLD_VERSION, MID, NEW_VERSION] },
        deprecatedImages: { [`${IMAGE}:${MID}`]: { imageState: "Deprecated" } },
      });
      emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
      if (when === "write")
        emu.faults.concurrentWrite(moveTo, { operation: "VirtualMachineScaleSets.Update", when: "before" });
      let reads = 0;
      const { record } = await rollout(
        configFor(emu, {
          rollout: { batchSize: count(1), maxUnhealthyPercent: 0, rollbackOnFailure: true, pollIntervalMs: 50 },
        }),
        {
          wrap: (api) => ({
            ...api,
            getScaleSet: async (signal) => {
              const model = await api.getScaleSet(signal);
              if (when !== "wait" || reads++ > 0) return model;
              // The first read: the scale set is Updating, another writer's image about to be in it.
              emu.faults.concurrentWrite(moveTo);
              return { ...model, provisioningState: "Updating" };
            },
          }),
        },
      );
      expect(record.changes.map((c) => [c.before, c.after])).toEqual([[MID, NEW_VERSION]]);
      expect(record.result).toBe("failed");
      expect(record.rollback).toBeUndefined();
      expect(record.noRollback?.reason).toContain(`the image version before, '${IMAGE}:${MID}', is deprecated`);
      expect(writesOf(emu).filter((w) => w.startsWith(PATCH_SET) && !w.endsWith("412"))).toEqual([PATCH_SET]);
    },
  );

  it("scheduled for deprecation within the run's time: a warning, and the rollback is done", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
      deprecatedImages: { [before]: { imageState: "ScheduledForDeprecation", scheduledDeprecationTime: inHours(1) } },
    });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record, log } = await rollout(
      configFor(emu, {
        rollout: { batchSize: count(1), maxUnhealthyPercent: 0, rollbackOnFailure: true, timeoutMs: 7_200_000 },
      }),
    );
    expect(
      log.lines.filter((l) => l.startsWith("warning: The image version a rollback-on-failure would put back")),
    ).toEqual([expect.stringContaining(`'${before}', is scheduled for deprecation`) as unknown]);
    expect(record.result).toBe("rolled-back");
    expect(runningVersions(emu)).toEqual({ "0": OLD_VERSION, "1": OLD_VERSION });
  });
});

describe("image-id: a gallery image version checked before any write", () => {
  const definition = (sub: string): string =>
    `/subscriptions/${sub}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal/images/web`;
  // Before, each of these was refused by Azure only at the model write (GalleryImageNotFound), after the lease and the
  // record were written.
  it.each<{ name: string; versions: Record<string, GalleryVersionSeed>; says: string }>([
    {
      name: "a version that does not exist",
      versions: { "1.0.0": { regions: ["West Europe"] }, "0.9.0": { regions: ["West Europe"] } },
      says: "does not exist; its newest versions: 1.0.0, 0.9.0",
    },
    {
      name: "a version not published to the scale set's region",
      versions: { "1.0.0": { regions: ["West Europe"] }, "1.1.0": { regions: ["North Europe", "East US"] } },
      says: "is not published to westeurope, the scale set's region (its target regions: North Europe, East US): add westeurope to the image version's target regions, then run again",
    },
    {
      name: "a version still replicating there",
      versions: {
        "1.0.0": { regions: ["West Europe"] },
        "1.1.0": { regions: ["West Europe"], replicating: ["West Europe"] },
      },
      says: "is still replicating to westeurope: run again once its replication there has completed",
    },
    {
      name: "a version Azure is still creating",
      versions: {
        "1.0.0": { regions: ["West Europe"] },
        "1.1.0": { regions: ["West Europe"], provisioningState: "Creating" },
      },
      says: "is still replicating to westeurope: run again once its replication there has completed",
    },
  ])("$name is refused, nothing written", async ({ versions, says }) => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, image: { id: `${definition(SUB)}/versions/1.0.0` } }],
      galleryImages: { [definition(SUB)]: versions },
    });
    for (const dryRun of [false, true]) {
      const { record } = await rollout(
        configFor(emu, {
          change: { imageId: `${definition(emu.subscriptionId)}/versions/1.1.0` },
          rollout: { dryRun },
        }),
      );
      expect(emu.writes()).toEqual([]);
      expect(record.result).toBe("failed");
      expect(record.reason).toBe(`image-id version '1.1.0' of gallery image 'gal/web' ${says}. Nothing was written.`);
    }
  });

  it.each<{ name: string; version: GalleryVersionSeed }>([
    { name: "published and replicated to the region", version: { regions: ["westeurope"] } },
    // Being updated (a region added elsewhere, which can take hours): usable where its replica is complete. Before, a
    // provisioning state other than Succeeded was refused whatever the region's replica.
    {
      name: "being updated, its replica in the region complete",
      version: {
        regions: ["West Europe", "North Europe"],
        replicating: ["North Europe"],
        provisioningState: "Updating",
      },
    },
  ])("a version $name is rolled out", async ({ version }) => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, image: { id: `${definition(SUB)}/versions/1.0.0` } }],
      galleryImages: { [definition(SUB)]: { "1.0.0": { regions: ["West Europe"] }, "1.1.0": version } },
    });
    const { record } = await rollout(configFor(emu, { change: { imageId: `${definition(SUB)}/versions/1.1.0` } }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)[0]).toBe(PATCH_SET);
    expect(emu.requests.filter((r) => r.operation === "GalleryImageVersions.Get")).toHaveLength(1);
  });

  it("a lookup Azure refuses leaves the check to the model write, which Azure refuses (GalleryImageNotFound)", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, image: { id: `${definition(SUB)}/versions/1.0.0` } }],
      galleryImages: { [definition(SUB)]: { "1.0.0": { regions: ["West Europe"] } } },
    });
    emu.faults.authorizationFailed({ operation: "GalleryImageVersions.Get" });
    const { record, log } = await rollout(configFor(emu, { change: { imageId: `${definition(SUB)}/versions/1.1.0` } }));
    expect(log.text()).toContain(
      "Could not check that gallery image 'gal/web' has version '1.1.0' published to westeurope",
    );
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toContain("GalleryImageNotFound");
    // The model still runs 1.0.0: every instance is on it.
    expect(emu.state("vmss1").instances.map((i) => [i.imageReference["id"], i.latestModelApplied])).toEqual([
      [`${definition(SUB)}/versions/1.0.0`, true],
      [`${definition(SUB)}/versions/1.0.0`, true],
    ]);
  });
});
