// Issue 3 acceptance: dist/index.js run as a runner runs it, against the emulator, for every kind of change, a no-op
// re-run, a dry run, a failing instance and the batch plan. Assertions are on what a user sees: the exit code, the
// outputs, the job summary, the requests Azure received and the scale set's final state.
import { describe, expect, it } from "vitest";
import type { Emulator } from "../../emulator/types.ts";
import { describeRun, errorLines, idList, readable, runAction, startAction } from "./harness.ts";
import {
  emulator,
  expectExit,
  expectNoSecrets,
  FAST,
  manualUpgrades,
  ORCHESTRATIONS,
  record,
  requestLog,
  sortedIds,
  upgradeIds,
  writesTo,
} from "./fixtures.ts";

const OLD_VERSION = "24.04.202409120"; // the emulator's default image version
const NEW_VERSION = "24.04.202502210";
const IMAGE_SUB = "6f1c8e2a-3b4d-4c5e-9f60-7a8b9c0d1e2f";
const GALLERY = `/subscriptions/${IMAGE_SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galApps/images/web`;
const OLD_IMAGE_ID = `${GALLERY}/versions/1.0.0`;
const NEW_IMAGE_ID = `${GALLERY}/versions/1.1.0`;

type Json = Record<string, any>;

function model(emu: Emulator, scaleSet: string): Json {
  return emu.state(scaleSet).model;
}

function imageReference(emu: Emulator, scaleSet: string): Json {
  return model(emu, scaleSet)["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] as Json;
}

function extension(emu: Emulator, scaleSet: string, name: string): Json {
  const extensions = model(emu, scaleSet)["properties"]["virtualMachineProfile"]["extensionProfile"][
    "extensions"
  ] as Json[];
  const found = extensions.find((e) => e["name"] === name);
  if (!found) throw new Error(`extension ${name} not in the model`);
  return found["properties"] as Json;
}

function instanceIds(emu: Emulator, scaleSet: string): string[] {
  return sortedIds(emu.state(scaleSet).instances.map((i) => i.instanceId));
}

function allOnLatestModel(emu: Emulator, scaleSet: string): void {
  const stale = emu
    .state(scaleSet)
    .instances.filter((i) => !i.latestModelApplied)
    .map((i) => i.instanceId);
  expect(stale, "instances not on the latest model").toEqual([]);
}

describe("a change rolled out to every instance", () => {
  it.each(ORCHESTRATIONS)(
    "image-version: patches storageProfile.imageReference.version, upgrades every instance, succeeds ($mode)",
    async ({ seed }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss-web", instances: 4, ...seed }] });
      const result = await runAction({ emu, scaleSet: "vmss-web", inputs: { ...FAST, "image-version": NEW_VERSION } });

      expectExit(result, 0);
      expect(result.outputs["result"]).toBe("succeeded");
      expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual(instanceIds(emu, "vmss-web"));
      // Instances are named as Azure names them: Uniform `<set>_<id>`; Flexible, the VM name, which is the ID.
      const ids = instanceIds(emu, "vmss-web");
      expect(record(result).instances.map((i) => i.name)).toEqual(
        seed.orchestrationMode === "Flexible" ? ids : ids.map((id) => `vmss-web_${id}`),
      );
      expect(idList(result.outputs, "failed-instances")).toEqual([]);
      expect(idList(result.outputs, "skipped-instances")).toEqual([]);
      expect(JSON.parse(result.outputs["previous-model"] ?? "{}").imageReference).toMatchObject({
        version: OLD_VERSION,
      });

      // Azure received one model write carrying the new version, and the instances run it.
      const modelWrites = writesTo(emu, /\/virtualMachineScaleSets\/vmss-web$/i);
      expect(modelWrites, requestLog(emu)).toHaveLength(1);
      expect(JSON.stringify(modelWrites[0]?.body)).toContain(`"version":"${NEW_VERSION}"`);
      expect(imageReference(emu, "vmss-web")["version"]).toBe(NEW_VERSION);
      allOnLatestModel(emu, "vmss-web");
      for (const instance of emu.state("vmss-web").instances) {
        expect(instance.imageReference["exactVersion"] ?? instance.imageReference["version"]).toBe(NEW_VERSION);
      }

      // The summary tells what changed and how it ended.
      expect(result.summary).toContain(OLD_VERSION);
      expect(result.summary).toContain(NEW_VERSION);
      expect(result.summary).toMatch(/succeeded/i);
      expect(errorLines(result.stdout)).toEqual([]);
      expectNoSecrets(result, emu);
    },
  );

  it("image-id: a scale set on a gallery image version moves to another version", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-gal", instances: 3, image: { id: OLD_IMAGE_ID } }] });
    const result = await runAction({ emu, scaleSet: "vmss-gal", inputs: { ...FAST, "image-id": NEW_IMAGE_ID } });

    expectExit(result, 0);
    expect(result.outputs["result"]).toBe("succeeded");
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual(["0", "1", "2"]);
    expect(JSON.parse(result.outputs["previous-model"] ?? "{}").imageReference).toMatchObject({ id: OLD_IMAGE_ID });
    const modelWrites = writesTo(emu, /\/virtualMachineScaleSets\/vmss-gal$/i);
    expect(modelWrites, requestLog(emu)).toHaveLength(1);
    expect(JSON.stringify(modelWrites[0]?.body)).toContain(JSON.stringify(NEW_IMAGE_ID));
    expect(imageReference(emu, "vmss-gal")["id"]).toBe(NEW_IMAGE_ID);
    allOnLatestModel(emu, "vmss-gal");
    for (const instance of emu.state("vmss-gal").instances) expect(instance.imageReference["id"]).toBe(NEW_IMAGE_ID);
    expect(result.summary).toContain("1.0.0");
    expect(result.summary).toContain("1.1.0");
    expectNoSecrets(result, emu);
  });

  it("extension-file-uris with SAS tokens: Azure gets the full URIs, nothing a user reads shows the query", async () => {
    const sig = "k3Yd9Qz7Wm2Xb8Lr5Tn4Pv6Hs1Jc0Fg%2BaBcDeFgHiJ%3D";
    const query = `sv=2024-08-04&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=${sig}`;
    const uris = [
      `https://stvmssdemo.blob.core.windows.net/scripts/install-v2.sh?${query}`,
      `https://stvmssdemo.blob.core.windows.net/scripts/app-v2.tar.gz?${query}`,
    ];
    const emu = await emulator({ scaleSets: [{ name: "vmss-ext", instances: 3 }] });
    const result = await runAction({
      emu,
      scaleSet: "vmss-ext",
      // One per line and a comma, as a workflow's block scalar or one-liner would give them.
      inputs: { ...FAST, "extension-name": "customScript", "extension-file-uris": `${uris[0]},\n${uris[1]}\n` },
      env: { ACTIONS_STEP_DEBUG: "true", RUNNER_DEBUG: "1" },
    });

    expectExit(result, 0);
    expect(result.outputs["result"]).toBe("succeeded");
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual(["0", "1", "2"]);

    // The extension PATCH carried the complete settings: the new fileUris with their SAS, commandToExecute kept.
    const extensionWrites = writesTo(emu, /\/extensions\/customScript$/i);
    expect(extensionWrites, requestLog(emu)).toHaveLength(1);
    const sent = (extensionWrites[0]?.body as Json)["properties"] as Json;
    expect(sent["settings"]).toEqual({ fileUris: uris, commandToExecute: "bash install.sh" });
    expect(extension(emu, "vmss-ext", "customScript")["settings"]).toEqual({
      fileUris: uris,
      commandToExecute: "bash install.sh",
    });
    allOnLatestModel(emu, "vmss-ext");
    for (const instance of emu.state("vmss-ext").instances) {
      expect((instance.extensions["customScript"]?.settings as Json | undefined)?.["fileUris"]).toEqual(uris);
    }

    // Users see the URIs without their query strings, everywhere.
    expectNoSecrets(result, emu, { "SAS signature": sig, "SAS query string": query, "sig= parameter": "sig=k3Yd9" });
    expect(result.summary).toContain("install-v2.sh");
    const previous = JSON.parse(result.outputs["previous-model"] ?? "{}");
    expect(previous.extension).toMatchObject({
      name: "customScript",
      fileUris: ["https://stvmssdemo.blob.core.windows.net/scripts/install.sh"],
    });
  });

  it("force-update-tag auto: a tag unique to the workflow run; a re-run attempt resumes, a new run re-runs the extension", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-tag", instances: 2 }] });
    const inputs = { ...FAST, "extension-name": "customScript", "force-update-tag": "auto" };
    const tagSent = (): unknown =>
      (
        (writesTo(emu, /\/extensions\/customScript$/i)[0]?.body as Json | undefined)?.["properties"] as Json | undefined
      )?.["forceUpdateTag"];

    const first = await runAction({
      emu,
      scaleSet: "vmss-tag",
      inputs,
      env: { GITHUB_RUN_ID: "987654321", GITHUB_RUN_ATTEMPT: "3" },
    });
    expectExit(first, 0);
    expect(first.outputs["result"]).toBe("succeeded");
    expect(writesTo(emu, /\/extensions\/customScript$/i), requestLog(emu)).toHaveLength(1);
    expect(tagSent()).toBe("github-run-987654321");
    expect(extension(emu, "vmss-tag", "customScript")["forceUpdateTag"]).toBe("github-run-987654321");
    // settings untouched by a tag-only change
    expect(extension(emu, "vmss-tag", "customScript")["settings"]).toEqual({
      fileUris: ["https://stvmssdemo.blob.core.windows.net/scripts/install.sh"],
      commandToExecute: "bash install.sh",
    });
    for (const instance of emu.state("vmss-tag").instances)
      expect(instance.extensions["customScript"]?.forceUpdateTag).toBe("github-run-987654321");

    // A re-run attempt of the same workflow run: the tag is in the model, nothing is written or upgraded again.
    emu.resetLog();
    const rerun = await runAction({
      emu,
      scaleSet: "vmss-tag",
      inputs,
      env: { GITHUB_RUN_ID: "987654321", GITHUB_RUN_ATTEMPT: "4" },
    });
    expectExit(rerun, 0);
    expect(rerun.outputs["result"]).toBe("unchanged");
    expect(
      emu.requests.filter((r) => r.method !== "GET" && !r.operation.startsWith("Entra.")),
      requestLog(emu),
    ).toEqual([]);

    // A new workflow run: a new tag, the extension runs again on every instance.
    emu.resetLog();
    const next = await runAction({
      emu,
      scaleSet: "vmss-tag",
      inputs,
      env: { GITHUB_RUN_ID: "987654322", GITHUB_RUN_ATTEMPT: "1" },
    });
    expectExit(next, 0);
    expect(tagSent()).toBe("github-run-987654322");
    expect(sortedIds(idList(next.outputs, "updated-instances"))).toEqual(["0", "1"]);
    expectNoSecrets(first, emu);
    expectNoSecrets(next, emu);
  });

  it("force-update-tag auto: a re-run attempt of a failed rollout upgrades only what the first attempt left", async () => {
    // A docs audit (2026-12-06): with the attempt in the tag, the re-run sent every instance again. The instance whose
    // extension failed is on the latest model (its upgrade applied it): a re-run says so and leaves it (a fix needs a
    // new tag), as with any other input.
    const emu = await emulator({ scaleSets: [{ name: "vmss-rerun", instances: 4 }] });
    const inputs = { ...FAST, "extension-name": "customScript", "force-update-tag": "auto", "batch-size": "1" };
    emu.faults.failUpgrade("2", { scaleSet: "vmss-rerun" });
    const env = (attempt: string) => ({ GITHUB_RUN_ID: "555", GITHUB_RUN_ATTEMPT: attempt });
    const first = await runAction({ emu, scaleSet: "vmss-rerun", inputs, env: env("1") });
    expect(first.outputs["result"], describeRun(first)).toBe("failed");
    expect(sortedIds(idList(first.outputs, "updated-instances"))).toEqual(["0", "1"]);

    const before = manualUpgrades(emu).length;
    const second = await runAction({ emu, scaleSet: "vmss-rerun", inputs, env: env("2") });
    expect(manualUpgrades(emu).slice(before).flatMap(upgradeIds).sort(), describeRun(second)).toEqual(["3"]);
    expect(idList(second.outputs, "failed-instances")).toEqual(["2"]);
  });
});

describe("runs that change nothing", () => {
  it("a re-run with the same inputs writes nothing and reports unchanged", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-again", instances: 3 }] });
    const inputs = { ...FAST, "image-version": NEW_VERSION };
    const first = await runAction({ emu, scaleSet: "vmss-again", inputs });
    expectExit(first, 0);
    expect(first.outputs["result"]).toBe("succeeded");

    emu.resetLog();
    const again = await runAction({ emu, scaleSet: "vmss-again", inputs });
    expectExit(again, 0);
    expect(again.outputs["result"]).toBe("unchanged");
    expect(emu.writes(), requestLog(emu)).toEqual([]);
    expect(idList(again.outputs, "updated-instances")).toEqual([]);
    expect(idList(again.outputs, "failed-instances")).toEqual([]);
    expect(again.summary).toMatch(/unchanged|already|nothing to do/i);
    expectNoSecrets(again, emu);
  });

  it.each(ORCHESTRATIONS)(
    "dry run: writes nothing, reports planned, and the summary shows before → after and the batch plan ($mode)",
    async ({ seed }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss-dry", instances: 6, ...seed }] });
      const [i0, i1, i2, i3, i4, i5] = instanceIds(emu, "vmss-dry");
      const before = JSON.stringify(emu.state("vmss-dry").model);
      const result = await runAction({
        emu,
        scaleSet: "vmss-dry",
        inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "dry-run": "true" },
      });

      expectExit(result, 0);
      expect(result.outputs["result"]).toBe("planned");
      expect(emu.writes(), requestLog(emu)).toEqual([]);
      expect(JSON.stringify(emu.state("vmss-dry").model)).toBe(before);
      expect(idList(result.outputs, "updated-instances")).toEqual([]);

      const rec = record(result);
      expect(rec.dryRun).toBe(true);
      expect(rec.changes).toEqual([
        expect.objectContaining({
          before: expect.stringContaining(OLD_VERSION),
          after: expect.stringContaining(NEW_VERSION),
        }),
      ]);
      expect(rec.batches.map((b) => b.instanceIds)).toEqual([
        [i0, i1],
        [i2, i3],
        [i4, i5],
      ]);

      expect(result.summary).toContain(OLD_VERSION);
      expect(result.summary).toContain(NEW_VERSION);
      expect(result.summary).toMatch(/dry run/i);
      // The batch plan: three batches, each with its instances.
      expect(result.summary).toMatch(/batch/i);
      for (const batch of [`${i0}, ${i1}`, `${i2}, ${i3}`, `${i4}, ${i5}`])
        expect(readable(result.summary)).toContain(batch);
      expectNoSecrets(result, emu);
    },
  );
});

describe.each(ORCHESTRATIONS)("batches and instance outcomes ($mode)", ({ seed }) => {
  const plans = [
    {
      name: "batch-size 2 on 6 instances",
      instances: 6,
      inputs: { "batch-size": "2" },
      batches: [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    },
    {
      name: "batch-size 40% on 5 instances",
      instances: 5,
      inputs: { "batch-size": "40%" },
      batches: [[0, 1], [2, 3], [4]],
    },
    {
      name: "canary 1 then the rest at once",
      instances: 4,
      inputs: { canary: "1", "batch-size": "100%" },
      batches: [[0], [1, 2, 3]],
    },
  ];

  it.each(plans)(
    "$name: one manualupgrade per batch, in order, every instance on the new model",
    async ({ instances, inputs, batches: at }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss-batches", instances, ...seed }] });
      const all = instanceIds(emu, "vmss-batches");
      const batches = at.map((b) => b.map((i) => all[i]!));
      const result = await runAction({
        emu,
        scaleSet: "vmss-batches",
        inputs: { ...FAST, ...inputs, "image-version": NEW_VERSION },
      });

      expectExit(result, 0);
      expect(result.outputs["result"]).toBe("succeeded");
      const upgrades = manualUpgrades(emu);
      expect(upgrades.map(upgradeIds), requestLog(emu)).toEqual(batches);
      // A batch starts only after the previous one finished: its request arrives after the previous operation ended.
      const ops = emu.state("vmss-batches").operations.filter((o) => /UpdateInstances/i.test(o.operation));
      expect(ops.map((o) => o.status)).toEqual(batches.map(() => "Succeeded"));
      for (let i = 1; i < ops.length; i++) {
        expect(Date.parse(ops[i]!.startTime)).toBeGreaterThanOrEqual(Date.parse(ops[i - 1]!.endTime ?? ""));
      }
      allOnLatestModel(emu, "vmss-batches");
      expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual(instanceIds(emu, "vmss-batches"));
      expect(record(result).batches.map((b) => [b.instanceIds, b.result])).toEqual(
        batches.map((ids) => [ids, "succeeded"]),
      );
      expectNoSecrets(result, emu);
    },
  );

  it("a protected instance is skipped, never upgraded, and reported as skipped", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-prot", instances: 4, ...seed }] });
    const [i0 = "", i1 = "", i2 = "", i3 = ""] = instanceIds(emu, "vmss-prot");
    emu.setInstance("vmss-prot", i2, { protected: true });
    const result = await runAction({
      emu,
      scaleSet: "vmss-prot",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2" },
    });

    expectExit(result, 0);
    expect(result.outputs["result"]).toBe("succeeded");
    expect(idList(result.outputs, "skipped-instances")).toEqual([i2]);
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual([i0, i1, i3]);
    expect(manualUpgrades(emu).flatMap(upgradeIds)).not.toContain(i2);
    expect(emu.state("vmss-prot").instances.find((i) => i.instanceId === i2)?.latestModelApplied).toBe(false);
    expect(result.summary).toMatch(/protected|skipped/i);
    expectNoSecrets(result, emu);
  });

  it("an instance whose upgrade fails: exit 1, named in failed-instances and in the summary", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-fail", instances: 6, ...seed }] });
    const [i0 = "", i1 = "", i2 = "", i3 = "", i4 = "", i5 = ""] = instanceIds(emu, "vmss-fail");
    emu.faults.failUpgrade(i3, {
      scaleSet: "vmss-fail",
      code: "VMExtensionProvisioningError",
      message: "Enable failed: install.sh exited with status 7",
    });
    const result = await runAction({
      emu,
      scaleSet: "vmss-fail",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2" },
    });

    expectExit(result, 1);
    expect(result.outputs["result"]).toBe("failed");
    expect(idList(result.outputs, "failed-instances")).toEqual([i3]);
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual(expect.arrayContaining([i0, i1, i2]));
    expect(idList(result.outputs, "updated-instances")).not.toContain(i3);

    const name = emu.state("vmss-fail").instances.find((i) => i.instanceId === i3)?.name ?? "?";
    expect(readable(result.summary)).toContain(name);
    expect(result.summary).toContain("VMExtensionProvisioningError");
    expect(result.summary).toMatch(/failed/i);
    // The job log says it too, as an error annotation.
    expect(errorLines(result.stdout).join("\n")).toMatch(/failed/i);
    const rec = record(result);
    expect(rec.instances.find((i) => i.instanceId === i3)).toMatchObject({
      outcome: "failed",
      provisioningState: "Failed",
    });
    expect(rec.instances.filter((i) => i.outcome === "not-started").map((i) => i.instanceId)).toEqual([i4, i5]);
    // Every instance's model in the record is the one the emulator has (batches that never started: the old one).
    for (const instance of rec.instances) {
      const actual = emu.state("vmss-fail").instances.find((i) => i.instanceId === instance.instanceId);
      expect(instance.latestModelAfter, `instance ${instance.instanceId}`).toBe(actual?.latestModelApplied);
    }
    expectNoSecrets(result, emu);
  });

  it("an upgrade that succeeds but leaves the old image: exit 1, never in updated-instances (the gate reads the instance itself)", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-stale", instances: 4, ...seed }] });
    const [i0 = "", i1 = "", i2 = "", i3 = ""] = instanceIds(emu, "vmss-stale");
    emu.faults.keepOldImage(i1, { scaleSet: "vmss-stale" });
    const result = await runAction({
      emu,
      scaleSet: "vmss-stale",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "100%", "health-timeout": "2s" },
    });

    expectExit(result, 1);
    expect(result.outputs["result"]).toBe("failed");
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual([i0, i2, i3]);
    expect(idList(result.outputs, "failed-instances")).toEqual([i1]);
    expect(readable(result.summary)).toContain(i1);
    const stale = emu.state("vmss-stale").instances.find((i) => i.instanceId === i1);
    expect(stale?.imageReference["version"]).toBe(OLD_VERSION);
    expectNoSecrets(result, emu);
  });

  it("an Azure error that quotes a SAS URL reaches the user without the query string", async () => {
    const sig = "Xy7Wq2Lm9Kp4Rt6Vn8Bz1Cd3Fg5Hj0%3D";
    const uri = `https://stvmssdemo.blob.core.windows.net/scripts/install-v3.sh?sv=2024-08-04&sr=b&sp=r&sig=${sig}`;
    const emu = await emulator({ scaleSets: [{ name: "vmss-sas-err", instances: 2 }] });
    emu.faults.failUpgrade("1", {
      scaleSet: "vmss-sas-err",
      code: "VMExtensionProvisioningError",
      message: `VM has reported a failure when processing extension 'customScript'. Error message: "Failed to download all specified files. Exiting. Error Message: The remote server returned an error: (403) Forbidden." Uri: ${uri}`,
    });
    const result = await runAction({
      emu,
      scaleSet: "vmss-sas-err",
      inputs: { ...FAST, "extension-name": "customScript", "extension-file-uris": uri, "batch-size": "1" },
      env: { ACTIONS_STEP_DEBUG: "true", RUNNER_DEBUG: "1" },
    });

    expectExit(result, 1);
    expect(idList(result.outputs, "failed-instances")).toEqual(["1"]);
    expect(readable(result.summary)).toContain("install-v3.sh");
    expect(readable(result.summary)).toContain("VMExtensionProvisioningError");
    expectNoSecrets(result, emu, { "SAS signature": sig, "sig= parameter": "sig=Xy7W" });
  });
});

// The runner reads the step's stdout; should it stop (its process gone), every write fails with EPIPE. That error was
// reported as an unexpected one, on stdout, which failed again, without end: the action never exited and kept a CPU
// busy (found 2026-12-07, orphaned action processes of the test suite still running an hour after their test).
describe("the step's stdout closed mid-run (the runner gone)", () => {
  it("the run still ends by itself, with its outputs, job summary and exit code", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-pipe", instances: 4 }] });
    const running = startAction({
      emu,
      scaleSet: "vmss-pipe",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2" },
      killAfterMs: 30_000,
    });
    running.child.stdout?.destroy();
    const result = await running.done;

    expect(result.killedByHarness, describeRun(result)).toBe(false);
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.outputs["result"]).toBe("succeeded");
    expect(result.summaryExists).toBe(true);
    expect(emu.state("vmss-pipe").instances.filter((i) => !i.latestModelApplied)).toEqual([]);
  });
});
