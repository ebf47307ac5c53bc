// rollback: true runs and the rollout record on the scale set's tags (an audit, 2026-12-06): a rollback left half done
// (its image back, its extension write refused) is finished by the next rollback: true, not refused as another
// writer's change nor called done; and a rollback whose lease take meets 412 after another run's whole rollout does not
// replace that run's record or undo a change that is no longer the last.
import { describe, expect, it } from "vitest";
import { renderSummary } from "../../src/report/summary.ts";
import { decodeRecord } from "../../src/domain/rollout-tags.ts";
import { LEASE_TAG } from "../../src/domain/lease.ts";
import { configFor, count, NEW_VERSION, OLD_VERSION, rollout, useEmulator, type RunResult } from "./harness.ts";

const emulator = useEmulator();
const OLD_URI = "https://stvmssdemo.blob.core.windows.net/scripts/install.sh";
const NEW_URI = "https://stvmssdemo.blob.core.windows.net/scripts/install-v2.sh";
const BOTH = { imageVersion: NEW_VERSION, extension: { name: "customScript", fileUris: [NEW_URI] } };

type Emulator = Awaited<ReturnType<ReturnType<typeof useEmulator>>>;
const model = (emu: Emulator): Record<string, any> => emu.state("vmss1").model as Record<string, any>;
const version = (emu: Emulator): unknown =>
  model(emu)["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["version"];
const uris = (emu: Emulator): unknown =>
  (model(emu)["properties"]["virtualMachineProfile"]["extensionProfile"]["extensions"] as Record<string, any>[]).find(
    (e) => e["name"] === "customScript",
  )?.["properties"]["settings"]["fileUris"];

describe("a rollback left half done: the image back, the extension's write refused", () => {
  it("rollback: true after such a rollback: true finishes it, the extension back too", async () => {
    // Before, the half-done rollback's record named the image only and replaced the rollout's: the next rollback: true
    // "finished" the image alone and reported reverted, the extension left on the rolled-out URIs.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    expect((await rollout(configFor(emu, { change: BOTH }))).record.result).toBe("succeeded");
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetExtensions.Update", times: 1 });
    const half = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(half.record.result).toBe("failed");
    expect([version(emu), uris(emu)]).toEqual([OLD_VERSION, [NEW_URI]]);

    const again = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(again.record.result).toBe("reverted");
    expect([version(emu), uris(emu)]).toEqual([OLD_VERSION, [OLD_URI]]);
  });

  it("rollback: true after such a rollback-on-failure finishes it, not blaming another writer", async () => {
    // Before, it refused: "The scale set's model no longer holds what … wrote … Another writer changed it".
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    // The forward extension PATCH goes through; the rollback's is refused.
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetExtensions.Update", after: 1, times: 1 });
    await rollout(
      configFor(emu, {
        change: BOTH,
        rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true },
      }),
    );
    expect([version(emu), uris(emu)]).toEqual([OLD_VERSION, [NEW_URI]]);

    const rb = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(rb.record.reason ?? "").not.toMatch(/another writer/i);
    expect(rb.record.result).toBe("reverted");
    expect(uris(emu)).toEqual([OLD_URI]);
  });
});

describe("a rollback whose image write's outcome is unknown (its answer lost, the model unreadable after)", () => {
  it("keeps the extension's way back on record: the next rollback: true puts the extension back too", async () => {
    // 7924cca: with the parts taken from the unknown write alone, the record named the image only, replaced the
    // rollout's, and the next rollback: true "finished" the image and reported reverted, the extension left on the
    // rolled-out URIs.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    expect((await rollout(configFor(emu, { change: BOTH }))).record.result).toBe("succeeded");
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update", afterProcessing: true, times: 1 });
    // The SDK's resend meets 412 (the first copy moved the etag); the reads after it fail, the record's write after them
    // lands.
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Update", when: "after" }, () =>
      emu.faults.serverError({ operation: "VirtualMachineScaleSets.Get", times: 10 }),
    );
    const cut = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    // The image write had landed: not "nothing was written".
    expect(cut.record.modelWriteUnknown).toBe("image");
    expect(renderSummary(cut.record)).toContain("whether Azure applied the change is unknown");
    expect([version(emu), uris(emu)]).toEqual([OLD_VERSION, [NEW_URI]]);

    emu.faults.clear();
    const again = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(again.record.result).toBe("reverted");
    expect([version(emu), uris(emu)]).toEqual([OLD_VERSION, [OLD_URI]]);
  });
});

describe("rollback: true whose lease take meets 412 after another run's whole rollout", () => {
  it("refuses, writing nothing, as after a lease-wait; the other run's record stays", async () => {
    // Before, the take decided again on the fresh tags took the other run's record for the one at the lease, replaced
    // it with the rollback's, and undid the first run's image: the other run's extension change was then on no record.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    expect((await rollout(configFor(emu, { change: { imageVersion: NEW_VERSION } }))).record.result).toBe("succeeded");

    let other: Awaited<ReturnType<typeof rollout>> | undefined;
    const rb = await rollout(
      { ...configFor(emu, { change: {} }), rollback: true },
      {
        wrap: (api) => ({
          ...api,
          writeTags: async (...args: Parameters<typeof api.writeTags>) => {
            other ??= await rollout(
              configFor(emu, { change: { extension: { name: "customScript", fileUris: [NEW_URI] } } }),
            );
            return api.writeTags(...args);
          },
        }),
      },
    );
    expect(other?.record.result).toBe("succeeded");
    const after = decodeRecord(model(emu)["tags"] as Record<string, string>);
    expect(after.kind === "record" && after.record.changes.map((c) => c.property)).toContain("extension-file-uris");
    expect(rb.record.modelUpdated).toBe(false);
    expect(rb.record.reason).toMatch(/rollout record on the scale set changed before the rollback took its lease/);
    expect(version(emu)).toBe(NEW_VERSION);
  });
});

describe("a run whose own record finds no room among the scale set's 50 tags", () => {
  it("removes the older record, so that rollback: true does not undo that older change in place of this one", async () => {
    // An audit (2026-12-06): the older run's record stayed, and a later rollback: true undid that run's image, reporting
    // reverted, while the newer run's extension stayed.
    const user = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`team${i}`, "x"]));
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, tags: user }] });
    expect((await rollout(configFor(emu, { change: { imageVersion: NEW_VERSION } }))).record.result).toBe("succeeded");
    const longUri = `https://stvmssdemo.blob.core.windows.net/scripts/${"install-v2-".repeat(30)}.sh`;
    const newer = await rollout(
      configFor(emu, { change: { extension: { name: "customScript", fileUris: [longUri] } } }),
    );
    expect(newer.record.result).toBe("succeeded");
    expect(newer.log.text()).toMatch(
      /The rollout record was not written: .*the older record on the scale set, of .*, was removed/,
    );
    expect(decodeRecord(model(emu)["tags"] as Record<string, string>).kind).toBe("none");

    const rb = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(rb.record.result).toBe("failed");
    expect(version(emu)).toBe(NEW_VERSION);
  });

  it("a run that then writes no model puts the older record back", async () => {
    const user = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`team${i}`, "x"]));
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, tags: user }] });
    expect((await rollout(configFor(emu, { change: { imageVersion: NEW_VERSION } }))).record.result).toBe("succeeded");
    const before = decodeRecord(model(emu)["tags"] as Record<string, string>);
    const longUri = `https://stvmssdemo.blob.core.windows.net/scripts/${"install-v2-".repeat(30)}.sh`;
    // The extension's write refused: nothing of this run's lands, so the record it removed goes back.
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetExtensions.Update", times: 1 });
    const refused = await rollout(
      configFor(emu, { change: { extension: { name: "customScript", fileUris: [longUri] } } }),
    );
    expect(refused.record.result).toBe("failed");
    expect(decodeRecord(model(emu)["tags"] as Record<string, string>)).toEqual(before);
  });
});

// A review of the fixes above (2026-12-06).
describe("what the fixes above must not take for a half-done rollback or a changed record", () => {
  it("a finished rollback whose image another writer put back: rollback: true refuses, that writer's image stays", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    expect((await rollout(configFor(emu, { change: { imageVersion: NEW_VERSION } }))).record.result).toBe("succeeded");
    expect((await rollout({ ...configFor(emu, { change: {} }), rollback: true })).record.result).toBe("reverted");
    emu.faults.concurrentWrite(
      {
        patch: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: NEW_VERSION } } } },
        },
      },
      { when: "before" },
    );
    const again = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(again.record.reason ?? "").toMatch(/another writer/i);
    expect(version(emu)).toBe(NEW_VERSION);
  });

  it("a rollback waiting for another run's lease, whose planned record that run takes back: goes on once it is free", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    expect((await rollout(configFor(emu, { change: { imageVersion: NEW_VERSION } }))).record.result).toBe("succeeded");
    const originAt = (decodeRecord(model(emu)["tags"] as Record<string, string>) as { record: { at: string } }).record
      .at;
    let release = (): void => undefined;
    const waiting = new Promise<void>((resolve) => (release = resolve));
    let other: Promise<RunResult> | undefined;
    let sawOther = false;
    // The other run's extension write waits until the rollback waits for the lease, then is refused: it writes no
    // model and takes its planned record back.
    const held =
      <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        await waiting;
        emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetExtensions.Update", times: 1 });
        return write(...args);
      };
    let rb: RunResult | undefined;
    try {
      rb = await rollout(
        { ...configFor(emu, { change: {}, rollout: { leaseWaitMs: 60_000, pollIntervalMs: 100 } }), rollback: true },
        {
          wrap: (api) => ({
            ...api,
            writeTags: async (...args: Parameters<typeof api.writeTags>) => {
              if (other === undefined) {
                other = rollout(
                  configFor(emu, { change: { extension: { name: "customScript", fileUris: [NEW_URI] } } }),
                  {
                    wrap: (inner) => ({
                      ...inner,
                      patchExtension: held(inner.patchExtension.bind(inner)),
                      startPatchExtension: held(inner.startPatchExtension.bind(inner)),
                    }),
                  },
                );
                for (let i = 0; i < 200 && (model(emu)["tags"] as Record<string, string>)[LEASE_TAG] === undefined; i++)
                  await new Promise((resolve) => setTimeout(resolve, 20));
                const found = decodeRecord(model(emu)["tags"] as Record<string, string>);
                sawOther = found.kind === "record" && found.record.at !== originAt;
              }
              return api.writeTags(...args);
            },
          }),
          events: (event) => {
            if (event.type === "lease" && event.what === "waiting") release();
          },
        },
      );
    } finally {
      release();
    }
    expect(sawOther).toBe(true);
    expect((await other)?.record.modelUpdated).toBe(false);
    expect(rb?.record.result).toBe("reverted");
    expect(version(emu)).toBe(OLD_VERSION);
  });
});
