import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import {
  canaryWarnings,
  optionWarnings,
  platformResumeWarning,
  resumeWarning,
} from "../../../src/domain/option-warnings.ts";
import { planBatches } from "../../../src/domain/batches.ts";
import { planChange, type ModelChange } from "../../../src/domain/change.ts";
import type { InstanceState, ScaleSetModel, UpgradeMode } from "../../../src/domain/scale-set.ts";
import type { Config } from "../../../src/config/types.ts";

const BASE: Readonly<Record<string, string>> = {
  "subscription-id": "11111111-2222-3333-4444-555555555555",
  "resource-group": "rg",
  "scale-set": "vmss1",
  "image-version": "2.0.0",
};

const GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app";
const MANAGED = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/app";

function config(inputs: Record<string, string> = {}): ReturnType<typeof parseConfig> {
  const all = { ...BASE, ...inputs };
  return parseConfig((name) => all[name] ?? "", {});
}

function model(upgradeMode: UpgradeMode): ScaleSetModel {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    orchestrationMode: "Uniform",
    upgradeMode,
    imageReference: { publisher: "p", offer: "o", sku: "s", version: "1.0.0" },
    extensions: [],
    hasHealthSignal: false,
  };
}

function change(m: ScaleSetModel, version = "2.0.0"): ModelChange {
  const plan = planChange(m, { imageVersion: version });
  if (!plan.ok) throw new Error(plan.reason);
  return plan;
}

describe("optionWarnings", () => {
  it("says nothing for the defaults", () => {
    for (const mode of ["Manual", "Automatic", "Rolling"] as const)
      expect(optionWarnings(config(), model(mode), change(model(mode)))).toEqual([]);
  });

  it("names the batch options Azure ignores in Automatic and Rolling mode", () => {
    const c = config({ "batch-size": "2", canary: "1", "max-unhealthy": "0%", "pause-between-batches": "30s" });
    const [rolling] = optionWarnings(c, model("Rolling"), change(model("Rolling")));
    expect(rolling?.title).toBe("Rollout options ignored");
    expect(rolling?.message).toMatch(
      /^batch-size, canary, max-unhealthy, pause-between-batches have no effect: scale set 'vmss1' is in Rolling upgrade mode/,
    );
    expect(rolling?.message).toContain("by the scale set's rolling upgrade policy");
    const [automatic] = optionWarnings(config({ canary: "1" }), model("Automatic"), change(model("Automatic")));
    expect(automatic?.message).toMatch(/^canary has no effect: .* \(on every instance at once\)/);
  });

  it.each([
    { mode: "Automatic" as const, warned: true },
    { mode: "Rolling" as const, warned: true },
    { mode: "Manual" as const, warned: false },
  ])("an image and an extension change in $mode mode: two rolls warned of ($warned)", ({ mode, warned }) => {
    const m: ScaleSetModel = {
      ...model(mode),
      extensions: [{ name: "customScript", settings: { fileUris: ["https://a.blob.core.windows.net/c/v1.sh"] } }],
    };
    const plan = planChange(m, { imageVersion: "2.0.0", extension: { name: "customScript", forceUpdateTag: "t" } });
    if (!plan.ok) throw new Error(plan.reason);
    const twice = optionWarnings(config(), m, plan).filter((w) => w.title === "Two rolls");
    expect(twice).toHaveLength(warned ? 1 : 0);
    if (warned) expect(twice[0]?.message).toContain("every instance is upgraded twice");
  });

  it.each([
    {
      name: "image-version: latest, held already",
      image: { version: "latest" },
      request: { imageVersion: "latest" },
      warned: true,
    },
    {
      name: "image-version: latest onto a pinned version",
      image: { version: "1.0.0" },
      request: { imageVersion: "latest" },
      warned: false,
    },
    {
      name: "a gallery image without a version, held already",
      image: { id: GALLERY },
      request: { imageId: GALLERY },
      warned: true,
    },
    {
      name: "a gallery image version, held already",
      image: { id: `${GALLERY}/versions/1.0.0` },
      request: { imageId: `${GALLERY}/versions/1.0.0` },
      warned: false,
    },
    // An input audit (2026-12-06): `…/versions/latest` floats as an ID without a version does; it ended `unchanged`, unsaid.
    {
      name: "a gallery image's versions/latest, held already",
      image: { id: `${GALLERY}/versions/latest` },
      request: { imageId: `${GALLERY}/versions/latest` },
      warned: true,
    },
    {
      name: "a gallery image's versions/LATEST, held already as versions/latest",
      image: { id: `${GALLERY}/versions/latest` },
      request: { imageId: `${GALLERY}/versions/LATEST` },
      warned: true,
    },
    {
      name: "a managed image, held already (no version, none newer)",
      image: { id: MANAGED },
      request: { imageId: MANAGED },
      warned: false,
    },
  ])("$name: warned that no newer version is rolled out ($warned)", ({ image, request, warned }) => {
    const m: ScaleSetModel = { ...model("Manual"), imageReference: { ...image } };
    const plan = planChange(m, request);
    if (!plan.ok) throw new Error(plan.reason);
    const warning = optionWarnings(config(), m, plan, request).find((w) => w.title === "Latest is not a new version");
    expect(warning !== undefined).toBe(warned);
    if (request.imageId?.toLowerCase().endsWith("/versions/latest"))
      expect(warning?.message).toMatch(/^image-id ending in versions\/latest is what scale set/);
  });

  it("latest held already, with an extension change: the image is not written, but instances are upgraded", () => {
    const m: ScaleSetModel = {
      ...model("Manual"),
      imageReference: { publisher: "p", offer: "o", sku: "s", version: "latest" },
      extensions: [{ name: "customScript", forceUpdateTag: "a" }],
    };
    const request = { imageVersion: "latest", extension: { name: "customScript", forceUpdateTag: "b" } };
    const plan = planChange(m, request);
    if (!plan.ok) throw new Error(plan.reason);
    const [warning] = optionWarnings(config(), m, plan, request).filter(
      (w) => w.title === "Latest is not a new version",
    );
    expect(warning?.message).toContain("so the image is not written:");
    expect(warning?.message).not.toContain("no instance is upgraded");
    // With automatic OS image upgrades on, Azure rolls a new version out itself: no warning.
    const auto = { ...m, automaticOsUpgrade: true };
    expect(optionWarnings(config(), auto, plan, request).map((w) => w.title)).not.toContain(
      "Latest is not a new version",
    );
  });

  // An input review (2026-12-05): `batch-size: 20` (meant as 20%) on 10 instances upgraded them all in one batch, unsaid.
  it.each([
    { batchSize: "20", capacity: 10, warned: true },
    { batchSize: "10", capacity: 10, warned: true },
    { batchSize: "9", capacity: 10, warned: false },
    { batchSize: "100%", capacity: 10, warned: false },
    { batchSize: "5", capacity: 1, warned: false },
    { batchSize: "20", capacity: undefined, warned: false },
    // A canary comes first, with its gate, however large the batch after it.
    { batchSize: "10", capacity: 10, warned: false, canary: "1" },
  ])(
    "batch-size $batchSize on $capacity instances (canary $canary): one batch warned of: $warned",
    ({ batchSize, capacity, warned, canary }) => {
      const m: ScaleSetModel = { ...model("Manual"), ...(capacity !== undefined && { capacity }) };
      const inputs = { "batch-size": batchSize, ...(canary !== undefined && { canary }) };
      const warnings = optionWarnings(config(inputs), m, change(m));
      expect(warnings.map((w) => w.title)).toEqual(warned ? ["One batch"] : []);
      if (warned) expect(warnings[0]?.message).toContain(`(batch-size: ${batchSize}%)`);
    },
  );

  it.each([
    { what: "the tag the extension holds: warned", holds: "r7", asked: "r7", titles: ["force-update-tag unchanged"] },
    { what: "a new tag: written, not warned", holds: "r6", asked: "r7", titles: [] },
    { what: "no tag before: written, not warned", holds: undefined, asked: "r7", titles: [] },
    // A new image reimages each instance, and its extensions run again on the new disk.
    { what: "the tag held, with a new image: not warned", holds: "r7", asked: "r7", titles: [], image: "2.0.0" },
  ])("force-update-tag, $what", ({ holds, asked, titles, image }) => {
    const m: ScaleSetModel = {
      ...model("Manual"),
      extensions: [{ name: "customScript", ...(holds !== undefined && { forceUpdateTag: holds }) }],
    };
    const request = {
      ...(image !== undefined && { imageVersion: image }),
      extension: { name: "customScript", forceUpdateTag: asked },
    };
    const plan = planChange(m, request);
    if (!plan.ok) throw new Error(plan.reason);
    expect(optionWarnings(config(), m, plan, request).map((w) => w.title)).toEqual(titles);
  });

  it.each([
    // A re-run attempt of the run whose `auto` tag is in the model: said as the resume it is (a review, 2026-12-06:
    // it told the user that auto used the attempt).
    {
      what: "this run's own auto tag",
      runId: "42",
      held: "github-run-42",
      says: /an earlier attempt of this workflow run/,
    },
    { what: "another run's tag", runId: "43", held: "github-run-42", says: /Give a new value each run/ },
  ])("force-update-tag held, $what: the warning says why", ({ runId, held, says }) => {
    const m: ScaleSetModel = { ...model("Manual"), extensions: [{ name: "customScript", forceUpdateTag: held }] };
    const request = { extension: { name: "customScript", forceUpdateTag: held } };
    const plan = planChange(m, request);
    if (!plan.ok) throw new Error(plan.reason);
    const github = { runId } as NonNullable<Config["github"]>;
    const [warning] = optionWarnings({ ...config(), github }, m, plan, request);
    expect(warning?.message).toMatch(says);
    expect(warning?.message).not.toMatch(/attempt\)/);
  });

  it("does not warn about batch options in Manual mode or when nothing is written", () => {
    const c = config({ "batch-size": "2" });
    expect(optionWarnings(c, model("Manual"), change(model("Manual")))).toEqual([]);
    expect(optionWarnings(c, model("Rolling"), change(model("Rolling"), "1.0.0"))).toEqual([]);
  });

  it.each([
    { what: "an extension's forceUpdateTag where there was none", impossible: true, rollbackOnFailure: "true" },
    { what: "the same, rollback-on-failure off", impossible: true, rollbackOnFailure: "false" },
    { what: "an image version", impossible: false, rollbackOnFailure: "true" },
  ])("rollback-on-failure on a change it cannot undo ($what): warns before any write", (c) => {
    const m: ScaleSetModel = {
      ...model("Manual"),
      extensions: [{ name: "app", publisher: "Microsoft.Azure.Extensions", type: "CustomScript", settings: {} }],
    };
    const inputs: Record<string, string> = c.impossible
      ? { "image-version": "", "extension-name": "app", "force-update-tag": "run-2" }
      : { "image-version": "2.0.0" };
    const cfg = config({ ...inputs, "rollback-on-failure": c.rollbackOnFailure });
    const plan = planChange(m, cfg.change);
    if (!plan.ok) throw new Error(plan.reason);
    const warned = optionWarnings(cfg, m, plan).filter((w) => w.title === "rollback-on-failure cannot act");
    if (!c.impossible || c.rollbackOnFailure !== "true") return expect(warned).toEqual([]);
    expect(warned).toEqual([
      {
        title: "rollback-on-failure cannot act",
        message: expect.stringMatching(
          /^rollback-on-failure cannot undo this change \(extension 'app' had no forceUpdateTag before the run.*\): if the rollout fails, no rollback is done/,
        ),
      },
    ]);
  });

  it.each([
    { what: "settings without fileUris, new fileUris", settings: { commandToExecute: "x" }, uris: true, warns: true },
    { what: "no settings at all, new fileUris", settings: undefined, uris: true, warns: true },
    {
      what: "settings with fileUris, new fileUris",
      settings: { fileUris: ["https://a/old.sh"] },
      uris: true,
      warns: false,
    },
    { what: "settings without fileUris, a forceUpdateTag only", settings: {}, uris: false, warns: false },
  ])("an extension with $what: warns $warns", ({ settings, uris, warns }) => {
    const m: ScaleSetModel = {
      ...model("Manual"),
      extensions: [{ name: "app", type: "CustomScript", ...(settings && { settings }) }],
    };
    const cfg = config({
      "image-version": "",
      "extension-name": "app",
      ...(uris ? { "extension-file-uris": "https://a/new.sh" } : { "force-update-tag": "run-2" }),
    });
    const plan = planChange(m, cfg.change);
    if (!plan.ok) throw new Error(plan.reason);
    const warned = optionWarnings(cfg, m, plan).filter((w) => w.title === "fileUris added to an extension");
    expect(warned).toEqual(
      warns
        ? [
            {
              title: "fileUris added to an extension",
              message: expect.stringMatching(/^Extension 'app' has no fileUris in its settings: /),
            },
          ]
        : [],
    );
  });

  it.each([
    { mode: "Manual", warned: ["Canary is the whole rollout"] },
    { mode: "Rolling", warned: ["Rollout options ignored"] }, // canary has no effect there at all
    { mode: "Automatic", warned: ["Rollout options ignored"] },
  ] as const)("canary 100% in $mode mode: $warned", ({ mode, warned }) => {
    const warnings = optionWarnings(config({ canary: "100%" }), model(mode), change(model(mode)));
    expect(warnings.map((w) => w.title)).toEqual(warned);
    if (mode === "Manual") expect(warnings[0]?.message).toMatch(/^canary 100% covers every instance to upgrade, so /);
  });

  it("warns about a poll-interval below 5s in Azure's clouds", () => {
    const warnings = optionWarnings(config({ "poll-interval": "2s" }), model("Manual"), change(model("Manual")));
    expect(warnings).toEqual([
      {
        title: "Polling faster than Azure's limits",
        message: expect.stringMatching(/^poll-interval 2s is below 5s: /),
      },
    ]);
  });
});

describe("canaryWarnings: a canary that is the whole rollout", () => {
  function instances(n: number): InstanceState[] {
    return Array.from({ length: n }, (_, id) => ({
      instanceId: String(id),
      name: `vmss1_${id}`,
      latestModelApplied: false,
      protectedFromScaleSetActions: false,
    }));
  }
  function warnings(inputs: Record<string, string>, n: number) {
    const { rollout } = config(inputs);
    return canaryWarnings(rollout, planBatches(instances(n), rollout));
  }

  it.each([
    { canary: "6", n: 6, text: "canary 6 covers all 6 instances to upgrade" },
    { canary: "10", n: 3, text: "canary 10 covers all 3 instances to upgrade" },
    { canary: "60%", n: 2, text: "canary 60% covers all 2 instances to upgrade" }, // 1.2 rounds up to 2
  ])("canary $canary of $n instance(s): warns", ({ canary, n, text }) => {
    const [warning, ...more] = warnings({ canary }, n);
    expect(more).toEqual([]);
    expect(warning?.title).toBe("Canary is the whole rollout");
    expect(warning?.message).toMatch(new RegExp(`^${text}, so the canary is the whole rollout in one batch`));
    expect(warning?.message).toContain("Set canary to a part of the instances (e.g. 1 or 10%), or remove canary");
  });

  it.each([
    { canary: "", n: 6 }, // no canary
    { canary: "1", n: 6 },
    { canary: "99%", n: 200 }, // 198 of 200: a batch follows
    { canary: "5", n: 6 },
    { canary: "1", n: 1 }, // one instance is one batch whatever the options
    { canary: "100%", n: 0 }, // nothing to upgrade: no batch at all
    { canary: "100%", n: 6 }, // warned of as the inputs are read (config/inputs.ts), before anything is written
  ])("canary '$canary' of $n instance(s): no warning", ({ canary, n }) => {
    expect(warnings({ canary }, n)).toEqual([]);
  });
});

// A re-run of a stopped rollout finds the change in the model and writes none: rollback-on-failure then has nothing of
// this run's to put back. Before, it said nothing, and a failure was left as it was without a word.
describe("resumeWarning", () => {
  const held = change(model("Manual"), "1.0.0"); // the model already holds 1.0.0: nothing to write
  const writes = change(model("Manual"));
  it.each<{ name: string; inputs: Record<string, string>; plan: ModelChange; toUpgrade: number; warns: boolean }>([
    {
      name: "rollback-on-failure, a change already in the model, instances to upgrade",
      inputs: { "rollback-on-failure": "true" },
      plan: held,
      toUpgrade: 3,
      warns: true,
    },
    {
      name: "rollback-on-failure, a change this run writes",
      inputs: { "rollback-on-failure": "true" },
      plan: writes,
      toUpgrade: 3,
      warns: false,
    },
    {
      name: "rollback-on-failure, nothing to upgrade",
      inputs: { "rollback-on-failure": "true" },
      plan: held,
      toUpgrade: 0,
      warns: false,
    },
    {
      name: "a dry run",
      inputs: { "rollback-on-failure": "true", "dry-run": "true" },
      plan: held,
      toUpgrade: 3,
      warns: false,
    },
    { name: "no rollback-on-failure", inputs: {}, plan: held, toUpgrade: 3, warns: false },
  ])("$name: warns $warns", ({ inputs, plan, toUpgrade, warns }) => {
    const warning = resumeWarning(config(inputs).rollout, plan, toUpgrade);
    expect(warning?.title).toBe(warns ? "rollback-on-failure cannot act" : undefined);
    if (warns) expect(warning?.message).toContain("rollback: true");
  });
});

describe("platformResumeWarning", () => {
  // A re-run on an Automatic/Rolling scale set whose model already holds the change: no roll of Azure's starts, and
  // the run upgrades the instances left in its own batches (a review, 2026-12-07: said only beside rollback-on-failure).
  it.each<{ mode: UpgradeMode; inputs: Record<string, string>; writes: boolean; toUpgrade: number; says?: string }>([
    {
      mode: "Rolling",
      inputs: {},
      writes: false,
      toUpgrade: 3,
      says: "upgrades the 3 instance(s) still on an older model itself, with manualupgrade in batches of batch-size 20%, behind its own health gates (max-unhealthy 20%); the scale set's rolling upgrade policy does not apply to them.",
    },
    {
      mode: "Automatic",
      inputs: { "batch-size": "2", canary: "1" },
      writes: false,
      toUpgrade: 5,
      says: "upgrades the 5 instance(s) still on an older model itself, with manualupgrade in batches of batch-size 2, a canary of 1 first, behind its own health gates (max-unhealthy 20%).",
    },
    { mode: "Rolling", inputs: { "dry-run": "true" }, writes: false, toUpgrade: 3, says: "would upgrade the 3" },
    { mode: "Rolling", inputs: {}, writes: true, toUpgrade: 3 },
    { mode: "Rolling", inputs: {}, writes: false, toUpgrade: 0 },
    { mode: "Manual", inputs: {}, writes: false, toUpgrade: 3 },
  ])("$mode, $inputs, writes $writes, $toUpgrade to upgrade", ({ mode, inputs, writes, toUpgrade, says }) => {
    const m = model(mode);
    const warning = platformResumeWarning(m, config(inputs).rollout, change(m, writes ? "2.0.0" : "1.0.0"), toUpgrade);
    expect(warning?.title).toBe(says === undefined ? undefined : "Resumed in the action's batches");
    if (says !== undefined) expect(warning?.message).toContain(says);
  });
});
