import { describe, expect, it } from "vitest";
import {
  describeDrift,
  describeImage,
  driftFrom,
  floatsToLatest,
  holdsPart,
  isNoOp,
  planChange,
  withoutImageRollback,
  type ModelChange,
} from "../../../src/domain/change.ts";
import type { ChangeRequest } from "../../../src/config/types.ts";
import type { ExtensionModel, ImageReference, ScaleSetModel } from "../../../src/domain/scale-set.ts";

const platformImage: ImageReference = {
  publisher: "Canonical",
  offer: "UbuntuServer",
  sku: "18.04-LTS",
  version: "1.0.0",
};
const galleryImage: ImageReference = {
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app/versions/1.0.0",
};
const customScript: ExtensionModel = {
  name: "customScript",
  publisher: "Microsoft.Azure.Extensions",
  type: "CustomScript",
  settings: {
    fileUris: ["https://acct.blob.core.windows.net/c/v1.sh?sv=2020&sig=SECRET"],
    commandToExecute: "bash v1.sh",
  },
  forceUpdateTag: "run-1",
};

function model(overrides: Partial<ScaleSetModel> = {}): ScaleSetModel {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    etag: '"3"',
    orchestrationMode: "Uniform",
    upgradeMode: "Manual",
    imageReference: platformImage,
    extensions: [customScript],
    hasHealthSignal: false,
    ...overrides,
  };
}

function accepted(m: ScaleSetModel, request: ChangeRequest): ModelChange {
  const plan = planChange(m, request);
  if (!plan.ok) throw new Error(`refused: ${plan.reason}`);
  return plan;
}

describe("driftFrom: what another writer changed of a run's change", () => {
  const written: ChangeRequest = {
    imageVersion: "1.0.0",
    extension: { name: "customScript", forceUpdateTag: "run-1" },
  };
  const otherImage = { ...platformImage, version: "9.9.9" };
  const otherTag = [{ ...customScript, forceUpdateTag: "run-9" }];
  it.each([
    { name: "the model holds it", m: model(), parts: undefined, drift: undefined },
    {
      name: "another image",
      m: model({ imageReference: otherImage }),
      parts: undefined,
      drift: { kind: "image", image: otherImage },
    },
    {
      name: "another forceUpdateTag",
      m: model({ extensions: otherTag }),
      parts: undefined,
      drift: { kind: "extension", name: "customScript" },
    },
    {
      name: "another image, the image not asked about",
      m: model({ imageReference: otherImage }),
      parts: { image: false, extension: true },
      drift: undefined,
    },
    {
      name: "another forceUpdateTag, the extension not asked about",
      m: model({ extensions: otherTag }),
      parts: { image: true, extension: false },
      drift: undefined,
    },
    {
      name: "the extension removed",
      m: model({ extensions: [] }),
      parts: undefined,
      drift: { kind: "refused", fact: "extension 'customScript' is not on the scale set (it has no extensions)" },
    },
  ])("$name", ({ m, parts, drift }) => {
    expect(driftFrom(m, written, parts)).toEqual(drift);
  });

  // What another writer made of the model reads as a fact about it, never as advice about the run's inputs (which
  // were right when the run planned): describeDrift puts it in stop reasons and per-instance errors.
  it.each([
    {
      name: "the extension removed",
      m: model({ extensions: [{ ...customScript, name: "other" }] }),
      says: "it no longer holds this run's values: extension 'customScript' is not on the scale set (it has 'other')",
    },
    {
      name: "the image switched to an image ID",
      m: model({ imageReference: galleryImage }),
      says: `it no longer holds this run's values: it runs the image ID '${galleryImage.id}', on which Azure takes no image version`,
    },
    {
      name: "automatic OS image upgrades turned on",
      m: model({ automaticOsUpgrade: true }),
      says: "it no longer holds this run's values: automatic OS image upgrades are on (upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade), with which Azure takes only the image version 'latest', not '1.0.0'",
    },
    {
      name: "the upgrade mode unknown",
      m: model({ upgradeMode: "Unknown" }),
      says: "it no longer holds this run's values: its upgrade mode is one other than Manual, Automatic or Rolling",
    },
  ])("a refusal, described as what the model is now: $name", ({ m, says }) => {
    const drift = driftFrom(m, written);
    expect(drift && describeDrift(drift)).toBe(says);
  });
});

describe("holdsPart: whether a write landed, judged on its part alone", () => {
  const request: ChangeRequest = {
    imageVersion: "2.0.0",
    extension: { name: "customScript", forceUpdateTag: "run-2" },
  };
  const written = model({ imageReference: { ...platformImage, version: "2.0.0" } });
  it.each([
    { name: "the image in the model", m: written, part: "image", held: true },
    {
      name: "the image in the model, the extension removed since",
      m: { ...written, extensions: [] },
      part: "image",
      held: true,
    },
    { name: "another image", m: model(), part: "image", held: false },
    { name: "the extension's tag not in the model", m: written, part: "extension", held: false },
    {
      name: "the extension's tag in the model, the image another",
      m: model({ extensions: [{ ...customScript, forceUpdateTag: "run-2" }] }),
      part: "extension",
      held: true,
    },
    { name: "the extension removed", m: { ...written, extensions: [] }, part: "extension", held: false },
  ] as const)("$name: $part held $held", ({ m, part, held }) => {
    expect(holdsPart(m, request, part)).toBe(held);
  });
});

describe("planChange: image", () => {
  it.each([
    {
      name: "platform version",
      current: platformImage,
      request: { imageVersion: "2.0.0" },
      patch: { imageReference: { version: "2.0.0" } },
      rollback: { imageReference: { version: "1.0.0" } },
      change: { property: "storageProfile.imageReference.version", before: "1.0.0", after: "2.0.0" },
    },
    {
      name: "image ID",
      current: galleryImage,
      request: { imageId: galleryImage.id!.replace("1.0.0", "2.0.0") },
      patch: { imageReference: { id: galleryImage.id!.replace("1.0.0", "2.0.0") } },
      rollback: { imageReference: { id: galleryImage.id } },
      change: {
        property: "storageProfile.imageReference.id",
        before: galleryImage.id,
        after: galleryImage.id!.replace("1.0.0", "2.0.0"),
      },
    },
  ])("patches only the $name and can put it back", ({ current, request, patch, rollback, change }) => {
    const plan = accepted(model({ imageReference: current }), request);
    expect(plan.scaleSetPatch).toEqual(patch);
    expect(plan.extensionPatch).toBeUndefined();
    expect(plan.rollback.scaleSetPatch).toEqual(rollback);
    expect(plan.changes).toEqual([change]);
    expect(plan.previousModel.imageReference).toEqual(current);
  });

  it.each([
    { name: "same version", current: platformImage, request: { imageVersion: "1.0.0" } },
    { name: "same ID, other case", current: galleryImage, request: { imageId: galleryImage.id!.toUpperCase() } },
    { name: "no image requested", current: platformImage, request: {} },
  ])("writes nothing when the model already holds it ($name)", ({ current, request }) => {
    const plan = accepted(model({ imageReference: current }), request);
    expect(isNoOp(plan)).toBe(true);
    expect(plan.changes).toEqual([]);
  });

  it.each([
    {
      name: "platform → image ID",
      current: platformImage,
      request: { imageId: galleryImage.id! },
      says: ["image-id", galleryImage.id!, "Canonical:UbuntuServer:18.04-LTS:1.0.0", "image-version"],
    },
    {
      name: "image ID → platform version",
      current: galleryImage,
      request: { imageVersion: "2.0.0" },
      says: ["image-version '2.0.0'", galleryImage.id!, "image-id"],
    },
    {
      name: "shared gallery → image ID",
      current: { sharedGalleryImageId: "/SharedGalleries/x/Images/app/Versions/1" },
      request: { imageId: galleryImage.id! },
      says: ["shared gallery image", "/SharedGalleries/x/Images/app/Versions/1", "does not change a shared"],
    },
    {
      name: "community gallery → platform version",
      current: { communityGalleryImageId: "/CommunityGalleries/x/Images/app/Versions/1" },
      request: { imageVersion: "2.0.0" },
      says: ["image-version '2.0.0'", "/CommunityGalleries/x", "does not change a shared or community gallery image"],
    },
  ])("refuses switching the image type ($name) with the current and requested values", ({ current, request, says }) => {
    const plan = planChange(model({ imageReference: current }), request);
    expect(plan.ok).toBe(false);
    for (const text of says) expect(plan.ok ? "" : plan.reason).toContain(text);
  });
});

describe("planChange: the way back from an image that floats to its newest version", () => {
  const GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app";
  const MANAGED = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/app-1";
  it.each([
    { ref: { ...platformImage, version: "latest" }, floats: true },
    { ref: { ...platformImage, version: "Latest" }, floats: true },
    { ref: platformImage, floats: false },
    { ref: { id: GALLERY }, floats: true },
    { ref: { id: `${GALLERY}/versions/latest` }, floats: true },
    { ref: { id: `${GALLERY}/versions/1.0.0` }, floats: false },
    { ref: { id: MANAGED }, floats: false },
  ])("$ref floats: $floats", ({ ref, floats }) => {
    expect(floatsToLatest(ref)).toBe(floats);
  });

  // An input review (2026-12-05): `Latest` in the model and `latest` asked for were two versions, and the image was
  // written (every instance upgraded) while the option warning said it was not.
  it.each([
    ["Latest", "latest"],
    ["latest", "LATEST"],
    ["latest", "latest"],
  ])("the model on %s, image-version %s: the same floating version, nothing to write", (held, asked) => {
    const plan = accepted(model({ imageReference: { ...platformImage, version: held } }), { imageVersion: asked });
    expect(isNoOp(plan)).toBe(true);
    expect(plan.scaleSetPatch).toBeUndefined();
  });

  it.each([
    {
      name: "latest → a version: no way back",
      current: { ...platformImage, version: "latest" },
      request: { imageVersion: "2.0.0" },
      back: undefined,
      impossible: /named image version 'latest' before.*set image-version to the version the instances ran/,
    },
    {
      name: "a version → latest: back to the version",
      current: platformImage,
      request: { imageVersion: "latest" },
      back: { imageReference: { version: "1.0.0" } },
      impossible: undefined,
    },
    {
      name: "a gallery image → one of its versions: no way back",
      current: { id: GALLERY },
      request: { imageId: `${GALLERY}/versions/2.0.0` },
      back: undefined,
      impossible: /gallery image without a version before.*set image-id to the ID of the version the instances ran/,
    },
    {
      name: "a gallery image → a version of another gallery image: back to the first (its newest is not this run's)",
      current: { id: GALLERY },
      request: { imageId: `${GALLERY}-other/versions/2.0.0` },
      back: { imageReference: { id: GALLERY } },
      impossible: undefined,
    },
    {
      name: "a gallery image → a managed image: back to the gallery image",
      current: { id: GALLERY },
      request: { imageId: MANAGED },
      back: { imageReference: { id: GALLERY } },
      impossible: undefined,
    },
    {
      name: "a gallery image → one of its versions, the ID in other case: no way back",
      current: { id: GALLERY },
      request: { imageId: `${GALLERY.toUpperCase()}/versions/2.0.0` },
      back: undefined,
      impossible: /gallery image without a version before/,
    },
    {
      name: "a gallery image version → another: back to it",
      current: { id: `${GALLERY}/versions/1.0.0` },
      request: { imageId: `${GALLERY}/versions/2.0.0` },
      back: { imageReference: { id: `${GALLERY}/versions/1.0.0` } },
      impossible: undefined,
    },
  ])("$name", ({ current, request, back, impossible }) => {
    const plan = planChange(model({ imageReference: current }), request);
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.rollback.scaleSetPatch).toEqual(back);
    if (impossible === undefined) expect(plan.rollback.impossible).toBeUndefined();
    else expect(plan.rollback.impossible).toMatch(impossible);
  });
});

describe("planChange: an image with no way back, next to an extension change", () => {
  // Before, the extension alone was put back: the instances were left on the new image with the old extension, a
  // model neither before nor after the run, reported as rolled back.
  it.each([
    { name: "the image floats", image: { ...platformImage, version: "latest" }, refused: undefined },
    { name: "Azure would refuse the image before", image: platformImage, refused: "it is deprecated" },
  ])("$name: no rollback at all, the reason the image's", ({ image, refused }) => {
    const planned = accepted(model({ imageReference: image }), {
      imageVersion: "2.0.0",
      extension: { name: "customScript", forceUpdateTag: "run-2" },
    });
    const plan = refused === undefined ? planned : withoutImageRollback(planned, refused);
    expect(plan.rollback.impossible).toMatch(refused ?? /named image version 'latest' before/);
    expect(plan.rollback.scaleSetPatch).toBeUndefined();
    // What the extension held before is still known (the record and the summary name it).
    expect(plan.rollback.extensionPatch).toEqual({ name: "customScript", forceUpdateTag: "run-1" });
  });

  it("an extension tag that cannot be removed, next to an image that can be put back: the rollback goes ahead", () => {
    const plan = accepted(model({ extensions: [{ ...customScript, forceUpdateTag: undefined }] }), {
      imageVersion: "2.0.0",
      extension: { name: "customScript", forceUpdateTag: "run-2" },
    });
    expect(plan.rollback.impossible).toBeUndefined();
    expect(plan.rollback.scaleSetPatch).toEqual({ imageReference: { version: "1.0.0" } });
  });
});

describe("planChange: automatic OS image upgrades on (Azure takes only version 'latest')", () => {
  it.each([
    {
      name: "a platform version",
      current: platformImage,
      request: { imageVersion: "2.0.0" },
      input: "image-version",
      valid: "'latest'. Publish",
    },
    {
      name: "a gallery image version's ID",
      current: galleryImage,
      request: { imageId: galleryImage.id!.replace("1.0.0", "2.0.0") },
      input: "image-id",
      // The valid image-id named, not only the version.
      valid: "'latest' (for image-id: the gallery image's ID without /versions/…, which stands for its latest version)",
    },
  ])(
    "refuses $name before any write, naming the input, the setting and what it takes",
    ({ current, request, input, valid }) => {
      const plan = planChange(model({ imageReference: current, automaticOsUpgrade: true }), request);
      expect(plan.ok).toBe(false);
      expect(plan.ok ? "" : plan.reason).toContain(`Cannot set ${input} '`);
      expect(plan.ok ? "" : plan.reason).toContain("enableAutomaticOSUpgrade");
      expect(plan.ok ? "" : plan.reason).toContain(valid);
    },
  );

  it.each([
    { name: "version latest", current: platformImage, request: { imageVersion: "latest" } },
    {
      name: "a gallery image's ID (its latest version)",
      current: galleryImage,
      request: { imageId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app2" },
    },
    {
      name: "an extension change",
      current: platformImage,
      request: { extension: { name: "customScript", forceUpdateTag: "x" } },
    },
  ])("plans $name as usual", ({ current, request }) => {
    expect(planChange(model({ imageReference: current, automaticOsUpgrade: true }), request).ok).toBe(true);
  });
});

describe("planChange: what a rollback can restore", () => {
  it("an image version that was not set cannot be restored", () => {
    const plan = accepted(model({ imageReference: { ...platformImage, version: undefined } }), {
      imageVersion: "2.0.0",
    });
    expect(plan.rollback).toEqual({
      impossible: "the scale set had no image version before, and a PATCH cannot remove one",
    });
  });

  it("an image change with an extension tag that cannot be removed is restorable through the image", () => {
    const plan = accepted(model({ extensions: [{ ...customScript, forceUpdateTag: undefined }] }), {
      imageVersion: "2.0.0",
      extension: { name: "customScript", forceUpdateTag: "run-2" },
    });
    expect(plan.rollback).toEqual({ scaleSetPatch: { imageReference: { version: "1.0.0" } } });
  });
});

describe("planChange: extension", () => {
  it("sends the full settings with the new fileUris and shows them without SAS", () => {
    const plan = accepted(model(), {
      extension: { name: "customScript", fileUris: ["https://acct.blob.core.windows.net/c/v2.sh?sv=2020&sig=NEW"] },
    });
    expect(plan.extensionPatch).toEqual({
      name: "customScript",
      settings: {
        fileUris: ["https://acct.blob.core.windows.net/c/v2.sh?sv=2020&sig=NEW"],
        commandToExecute: "bash v1.sh",
      },
    });
    expect(plan.rollback.extensionPatch).toEqual({ name: "customScript", settings: customScript.settings });
    expect(plan.changes).toEqual([
      {
        property: "extensions[customScript].settings.fileUris",
        before: "https://acct.blob.core.windows.net/c/v1.sh?[query removed]",
        after: "https://acct.blob.core.windows.net/c/v2.sh?[query removed]",
      },
    ]);
    expect(plan.previousModel.extension).toEqual({
      name: "customScript",
      fileUris: ["https://acct.blob.core.windows.net/c/v1.sh?[query removed]"],
      forceUpdateTag: "run-1",
    });
    expect(JSON.stringify([plan.changes, plan.previousModel])).not.toContain("SECRET");
  });

  it.each([
    {
      name: "forceUpdateTag only",
      request: { name: "customScript", forceUpdateTag: "run-2" },
      patch: { name: "customScript", forceUpdateTag: "run-2" },
      properties: ["extensions[customScript].forceUpdateTag"],
    },
    {
      name: "both, name in another case",
      request: { name: "CUSTOMSCRIPT", fileUris: ["https://x/y.sh"], forceUpdateTag: "run-2" },
      patch: {
        name: "customScript",
        settings: { fileUris: ["https://x/y.sh"], commandToExecute: "bash v1.sh" },
        forceUpdateTag: "run-2",
      },
      properties: ["extensions[customScript].settings.fileUris", "extensions[customScript].forceUpdateTag"],
    },
  ])("patches the extension child resource ($name)", ({ request, patch, properties }) => {
    const plan = accepted(model(), { extension: request });
    expect(plan.scaleSetPatch).toBeUndefined();
    expect(plan.extensionPatch).toEqual(patch);
    expect(plan.changes.map((c) => c.property)).toEqual(properties);
  });

  it("writes nothing when the extension already holds the values", () => {
    const plan = accepted(model(), {
      extension: {
        name: "customScript",
        fileUris: [...(customScript.settings!["fileUris"] as string[])],
        forceUpdateTag: "run-1",
      },
    });
    expect(isNoOp(plan)).toBe(true);
    expect(plan.previousModel.extension?.name).toBe("customScript");
  });

  it("cannot roll back a tag that did not exist (a PATCH cannot remove it), and says so", () => {
    const plan = accepted(model({ extensions: [{ ...customScript, forceUpdateTag: undefined }] }), {
      extension: { name: "customScript", forceUpdateTag: "run-2" },
    });
    expect(plan.extensionPatch).toEqual({ name: "customScript", forceUpdateTag: "run-2" });
    expect(plan.rollback).toEqual({
      impossible: "extension 'customScript' had no forceUpdateTag before the run, and a PATCH cannot remove one",
    });
  });

  it("rolls back the settings when the tag that did not exist cannot be (the tag only re-runs the extension)", () => {
    const plan = accepted(model({ extensions: [{ ...customScript, forceUpdateTag: undefined }] }), {
      extension: { name: "customScript", fileUris: ["https://x/y.sh"], forceUpdateTag: "run-2" },
    });
    expect(plan.rollback).toEqual({ extensionPatch: { name: "customScript", settings: customScript.settings } });
  });

  it("restores a tag that existed", () => {
    const plan = accepted(model(), { extension: { name: "customScript", forceUpdateTag: "run-2" } });
    expect(plan.rollback).toEqual({ extensionPatch: { name: "customScript", forceUpdateTag: "run-1" } });
  });

  it.each([
    {
      name: "from the inputs, naming extension-name and the ones that exist",
      extensions: undefined,
      source: "inputs" as const,
      reason:
        "extension-name 'health' does not exist on scale set 'vmss1' (it has 'customScript'); vmss-rollout changes existing extensions only: set extension-name to one of those.",
    },
    {
      name: "from the inputs, on a scale set with no extensions",
      extensions: [],
      source: "inputs" as const,
      reason:
        "extension-name 'health' does not exist on scale set 'vmss1' (it has no extensions); vmss-rollout changes existing extensions only: set extension-name to an extension the scale set has, once it has one.",
    },
    {
      name: "from the rollout record (rollback: true), naming no input",
      extensions: undefined,
      source: "record" as const,
      reason:
        "Extension 'health', whose values the rollout record says to put back, no longer exists on scale set 'vmss1' (it has 'customScript'); vmss-rollout changes existing extensions only, so there is nothing to roll back there.",
    },
  ])("refuses an extension that does not exist: $name", ({ extensions, source, reason }) => {
    const m = extensions === undefined ? model() : { ...model(), extensions };
    const plan = planChange(m, { extension: { name: "health", forceUpdateTag: "x" } }, source);
    expect(plan).toEqual({
      ok: false,
      reason,
      fact: expect.stringMatching(/^extension .health. is not on the scale set /),
    });
  });

  // An input review (2026-12-06): fileUris for the health extension were written into its settings, and the run
  // reported a success that ran nothing new on the VMs.
  const health: ExtensionModel = {
    name: "healthExtension",
    publisher: "Microsoft.ManagedServices",
    type: "ApplicationHealthLinux",
    settings: { protocol: "http", port: 80, requestPath: "/health" },
  };
  it.each([
    {
      name: "the health extension, beside a Custom Script one",
      extensions: [customScript, health],
      wanted: "healthExtension",
      refused:
        "extension-name 'healthExtension' is an extension of type ApplicationHealthLinux, which takes no fileUris: written into its settings, they would download and run nothing. Set extension-name to the extension that runs your script (the scale set also has 'customScript'), or leave extension-file-uris out.",
    },
    {
      name: "the health extension, alone, its type in another case",
      extensions: [{ ...health, type: "applicationhealthlinux" }],
      wanted: "HEALTHEXTENSION",
      refused:
        "extension-name 'healthExtension' is an extension of type applicationhealthlinux, which takes no fileUris: written into its settings, they would download and run nothing. Set extension-name to the extension that runs your script (a Custom Script extension), or leave extension-file-uris out.",
    },
    {
      name: "a Custom Script extension",
      extensions: [customScript, health],
      wanted: "customScript",
      refused: undefined,
    },
    {
      name: "a kind the table does not know, with no fileUris yet",
      extensions: [{ ...health, name: "mine", publisher: "Contoso", type: "Deployer", settings: {} }],
      wanted: "mine",
      refused: undefined,
    },
    {
      name: "a listed kind that holds fileUris already (taken at its word)",
      extensions: [{ ...health, settings: { fileUris: ["https://a.example/old.sh"] } }],
      wanted: "healthExtension",
      refused: undefined,
    },
  ])("fileUris for $name", ({ extensions, wanted, refused }) => {
    const plan = planChange(model({ extensions }), {
      extension: { name: wanted, fileUris: ["https://a.example/new.sh"] },
    });
    if (refused === undefined) expect(plan.ok).toBe(true);
    else
      expect(plan).toEqual({
        ok: false,
        reason: refused,
        fact: expect.stringMatching(/^extension 'healthExtension' \(applicationhealthlinux\) takes no fileUris$/i),
      });
    // A forceUpdateTag alone re-runs any extension: never refused.
    expect(planChange(model({ extensions }), { extension: { name: wanted, forceUpdateTag: "x" } }).ok).toBe(true);
  });

  it("combines an image and an extension change", () => {
    const plan = accepted(model(), {
      imageVersion: "2.0.0",
      extension: { name: "customScript", forceUpdateTag: "run-2" },
    });
    expect(plan.scaleSetPatch).toEqual({ imageReference: { version: "2.0.0" } });
    expect(plan.extensionPatch).toEqual({ name: "customScript", forceUpdateTag: "run-2" });
    expect(plan.changes).toHaveLength(2);
  });
});

describe("planChange: scale set kind", () => {
  it.each(["Uniform", "Flexible"] as const)("plans a change of a %s scale set alike", (orchestrationMode) => {
    const plan = planChange(model({ orchestrationMode }), { imageVersion: "2.0.0" });
    expect(plan.ok && plan.scaleSetPatch).toEqual({ imageReference: { version: "2.0.0" } });
  });

  it("refuses a Flexible scale set without a VM profile: there is no model to roll out", () => {
    const plan = planChange(model({ orchestrationMode: "Flexible", withoutVmProfile: true }), {
      imageVersion: "2.0.0",
    });
    expect(plan.ok).toBe(false);
    expect(plan.ok ? "" : plan.reason).toMatch(/has no VM profile: its VMs are created and changed one by one/);
  });
});

describe("describeImage", () => {
  it.each([
    [platformImage, "Canonical:UbuntuServer:18.04-LTS:1.0.0"],
    [
      { ...platformImage, version: "latest", exactVersion: "18.04.202401010" },
      "Canonical:UbuntuServer:18.04-LTS:latest (18.04.202401010)",
    ],
    [galleryImage, galleryImage.id],
  ])("%o → %s", (ref, text) => {
    expect(describeImage(ref)).toBe(text);
  });
});
