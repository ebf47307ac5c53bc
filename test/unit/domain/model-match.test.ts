import { describe, expect, it } from "vitest";
import {
  extensionsChanged,
  matchesModel,
  modelDifference,
  otherExtensionThan,
  showsExtensions,
  type VmConfiguration,
} from "../../../src/domain/model-match.ts";
import type { ExtensionModel, ScaleSetModel } from "../../../src/domain/scale-set.ts";

const script: ExtensionModel = {
  name: "customScript",
  publisher: "Microsoft.Azure.Extensions",
  type: "CustomScript",
  settings: { fileUris: ["https://st.blob.core.windows.net/s/v2.sh"], commandToExecute: "bash v2.sh" },
  forceUpdateTag: "run-2",
};

function model(overrides: Partial<ScaleSetModel> = {}): ScaleSetModel {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    orchestrationMode: "Flexible",
    upgradeMode: "Manual",
    imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "24.04.202501140" },
    extensions: [script],
    hasHealthSignal: false,
    ...overrides,
  };
}

const onModel: VmConfiguration = {
  imageReference: {
    publisher: "Canonical",
    offer: "ubuntu-24_04-lts",
    sku: "server",
    version: "24.04.202501140",
    exactVersion: "24.04.202501140",
  },
  extensions: [{ ...script, settings: { commandToExecute: "bash v2.sh", fileUris: script.settings?.["fileUris"] } }],
};

describe("modelDifference: is a VM on the model when Azure does not say", () => {
  it.each<{ name: string; model?: Partial<ScaleSetModel>; vm: VmConfiguration; difference?: RegExp }>([
    { name: "same image and extension (settings keys in another order)", vm: onModel },
    {
      name: "the old image version",
      vm: { ...onModel, imageReference: { ...onModel.imageReference, exactVersion: "24.04.202409120" } },
      difference: /runs image version 24.04.202409120/,
    },
    {
      name: "another sku",
      vm: { ...onModel, imageReference: { ...onModel.imageReference, sku: "minimal" } },
      difference: /runs sku minimal/,
    },
    { name: "an image not shown", vm: { extensions: onModel.extensions ?? [] }, difference: /image is not shown/ },
    {
      name: "the model's image ID, another case",
      model: { imageReference: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/v2" } },
      vm: {
        ...onModel,
        imageReference: { id: "/SUBSCRIPTIONS/s/resourceGroups/rg/providers/Microsoft.Compute/images/V2" },
      },
    },
    {
      name: "another image ID",
      model: { imageReference: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/v2" } },
      vm: {
        ...onModel,
        imageReference: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/v1" },
      },
      difference: /runs image .*images\/v1/,
    },
    {
      name: "a platform image where the model has an image ID",
      model: { imageReference: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/v2" } },
      vm: onModel,
      difference: /another kind/,
    },
    {
      name: "the old forceUpdateTag",
      vm: { ...onModel, extensions: [{ ...script, forceUpdateTag: "run-1" }] },
      difference: /another forceUpdateTag/,
    },
    {
      name: "the old fileUris",
      vm: { ...onModel, extensions: [{ ...script, settings: { ...script.settings, fileUris: ["v1"] } }] },
      difference: /other settings/,
    },
    { name: "the extension missing", vm: { ...onModel, extensions: [] }, difference: /'customScript' is missing/ },
    {
      name: "extensions not shown",
      vm: { imageReference: onModel.imageReference ?? {} },
      difference: /extensions are not shown/,
    },
    {
      name: "a model on `latest`, the VM on `latest` too: on it, whatever exact version it runs (no version to compare with)",
      model: {
        imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
      },
      vm: {
        ...onModel,
        imageReference: { ...onModel.imageReference, version: "latest", exactVersion: "24.04.202409120" },
      },
    },
    {
      name: "a model on `latest`, the VM still on a version of its own (a change from a pinned version): not on it",
      model: {
        imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
      },
      vm: { ...onModel, imageReference: { ...onModel.imageReference, exactVersion: "24.04.202409120" } },
      difference: /runs image version/,
    },
  ])("$name", ({ model: overrides, vm, difference }) => {
    const found = modelDifference(model(overrides), vm);
    if (difference === undefined) {
      expect(found).toBeUndefined();
      expect(matchesModel(model(overrides), vm)).toBe(true);
    } else {
      expect(found).toMatch(difference);
      expect(matchesModel(model(overrides), vm)).toBe(false);
    }
  });
});

describe("extensionsChanged: what changed in the extensions between two reads of the model", () => {
  const script: ExtensionModel = { name: "customScript", settings: { fileUris: ["a"], commandToExecute: "x" } };
  const health: ExtensionModel = { name: "health", settings: { port: 80 } };
  it.each([
    { name: "nothing", before: [script, health], after: [health, script], changed: [] },
    {
      name: "settings in another key order are the same",
      before: [script],
      after: [{ name: "CUSTOMSCRIPT", settings: { commandToExecute: "x", fileUris: ["a"] } }],
      changed: [],
    },
    {
      name: "a setting",
      before: [script, health],
      after: [script, { ...health, settings: { port: 8080 } }],
      changed: ["health"],
    },
    {
      name: "a forceUpdateTag",
      before: [script],
      after: [{ ...script, forceUpdateTag: "2" }],
      changed: ["customScript"],
    },
    { name: "one added", before: [script], after: [script, health], changed: ["health"] },
    { name: "one removed", before: [script, health], after: [script], changed: ["health"] },
    {
      name: "its handler version",
      before: [{ ...script, typeHandlerVersion: "2.1" }],
      after: [{ ...script, typeHandlerVersion: "2.2" }],
      changed: ["customScript"],
    },
    {
      name: "a patch number on the same major.minor, between two reads of the model",
      before: [{ ...script, typeHandlerVersion: "2.1" }],
      after: [{ ...script, typeHandlerVersion: "2.1.0" }],
      changed: ["customScript"],
    },
    {
      name: "enableAutomaticUpgrade turned on",
      before: [script],
      after: [{ ...script, enableAutomaticUpgrade: true }],
      changed: ["customScript"],
    },
    {
      name: "a flag set to false where it was left out is the same",
      before: [script],
      after: [{ ...script, suppressFailures: false }],
      changed: [],
    },
    {
      name: "autoUpgradeMinorVersion turned off",
      before: [{ ...health, autoUpgradeMinorVersion: true }],
      after: [{ ...health, autoUpgradeMinorVersion: false }],
      changed: ["health"],
    },
    {
      name: "provisionAfterExtensions: another order and case is the same, another name is not",
      before: [{ ...health, provisionAfterExtensions: ["customScript", "agent"] }],
      after: [{ ...health, provisionAfterExtensions: ["Agent", "customscript"] }],
      changed: [],
    },
    {
      name: "provisionAfterExtensions given a name",
      before: [health],
      after: [{ ...health, provisionAfterExtensions: ["customScript"] }],
      changed: ["health"],
    },
    {
      name: "its publisher, in another case only, is the same",
      before: [{ ...script, publisher: "Microsoft.Azure.Extensions" }],
      after: [{ ...script, publisher: "microsoft.azure.extensions" }],
      changed: [],
    },
    {
      name: "its type",
      before: [{ ...script, type: "CustomScript" }],
      after: [{ ...script, type: "CustomScriptForLinux" }],
      changed: ["customScript"],
    },
  ])("$name", ({ before, after, changed }) => {
    expect(extensionsChanged({ extensions: before }, { extensions: after })).toEqual(changed);
  });
});

describe("otherExtensionThan: does an instance show another writer's extension change (only what it shows counts)", () => {
  const expected: ExtensionModel = { ...script, typeHandlerVersion: "2.1", autoUpgradeMinorVersion: true };
  it.each<{ name: string; shown: ExtensionModel; difference?: RegExp }>([
    { name: "the same, every property shown", shown: expected },
    { name: "nothing but its name shown", shown: { name: "CUSTOMSCRIPT" } },
    {
      name: "another handler version",
      shown: { ...expected, typeHandlerVersion: "3.0" },
      difference: /extension 'customScript' has another typeHandlerVersion/,
    },
    {
      name: "the handler version with a patch number, same major.minor",
      shown: { ...expected, typeHandlerVersion: "2.1.7" },
    },
    {
      name: "automatic upgrade turned on",
      shown: { ...expected, enableAutomaticUpgrade: true },
      difference: /another enableAutomaticUpgrade/,
    },
    {
      name: "autoUpgradeMinorVersion left out of the listing",
      shown: { ...expected, autoUpgradeMinorVersion: undefined },
    },
    {
      name: "autoUpgradeMinorVersion off",
      shown: { ...expected, autoUpgradeMinorVersion: false },
      difference: /another autoUpgradeMinorVersion/,
    },
    {
      name: "suppressFailures turned on",
      shown: { ...expected, suppressFailures: true },
      difference: /another suppressFailures/,
    },
    { name: "another publisher", shown: { ...expected, publisher: "Contoso" }, difference: /another publisher/ },
    {
      name: "provisionAfterExtensions given a name",
      shown: { ...expected, provisionAfterExtensions: ["agent"] },
      difference: /another provisionAfterExtensions/,
    },
    {
      name: "provisionAfterExtensions shown empty, none in the model",
      shown: { ...expected, provisionAfterExtensions: [] },
    },
    {
      name: "other settings",
      shown: { ...expected, settings: { commandToExecute: "rm -rf /" } },
      difference: /other settings/,
    },
    { name: "settings left out", shown: { ...expected, settings: undefined } },
  ])("$name", ({ shown, difference }) => {
    const found = otherExtensionThan([expected], [shown]);
    if (difference === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(difference);
  });
});

describe("showsExtensions: does an instance show every extension as the model holds it (positive evidence)", () => {
  const expected: ExtensionModel = { ...script, typeHandlerVersion: "2.1", enableAutomaticUpgrade: true };
  it.each<{ name: string; shown: ExtensionModel[] | undefined; shows: boolean }>([
    { name: "the same", shown: [expected], shows: true },
    {
      name: "flags and handler version left out: settings and tag are what must be shown",
      shown: [script],
      shows: true,
    },
    { name: "settings left out", shown: [{ ...expected, settings: undefined }], shows: false },
    { name: "another handler version", shown: [{ ...expected, typeHandlerVersion: "2.2" }], shows: false },
    {
      name: "a patch number on the same major.minor",
      shown: [{ ...expected, typeHandlerVersion: "2.1.7" }],
      shows: true,
    },
    { name: "automatic upgrade off", shown: [{ ...expected, enableAutomaticUpgrade: false }], shows: false },
    { name: "not listed", shown: [], shows: false },
    { name: "extensions not shown", shown: undefined, shows: false },
  ])("$name", ({ shown, shows }) => {
    expect(showsExtensions([expected], shown)).toBe(shows);
  });
});
