import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import { RunState } from "../../../src/engine/state.ts";
import { planChange } from "../../../src/domain/change.ts";
import type { InstanceState, ScaleSetModel } from "../../../src/domain/scale-set.ts";

const config = parseConfig(
  (name) =>
    ({
      "subscription-id": "11111111-2222-3333-4444-555555555555",
      "resource-group": "rg",
      "scale-set": "vmss1",
      "image-version": "2.0.0",
    })[name] ?? "",
  {},
);

const instance = (instanceId: string, latestModelApplied = false): InstanceState => ({
  instanceId,
  name: `vmss1_${instanceId}`,
  latestModelApplied,
  protectedFromScaleSetActions: false,
});

describe("RunState transitions", () => {
  it("a listing marks the targets it no longer shows as removed, once", () => {
    const state = new RunState(config, 0);
    state.targeted({ toUpgrade: ["0", "1", "2"], current: ["3"], protected: [], ownModel: [], batches: [] });
    expect(state.listed([instance("0"), instance("1"), instance("3", true)], 10, state.mark())).toEqual(["2"]);
    expect(state.listed([instance("0"), instance("3", true)], 20, state.mark())).toEqual(["1"]);
    expect([...state.removed]).toEqual(["2", "1"]);
    expect(state.listedAt).toBe(20);
    expect([...state.before]).toEqual([
      ["0", false],
      ["1", false],
      ["2", false],
      ["3", true],
    ]);
  });

  it("writes: the model is updated once Azure accepted one, and each is remembered for the rollback", () => {
    const state = new RunState(config, 0);
    expect(state.modelUpdated).toBe(false);
    state.wrote("extension", 5);
    expect(state.modelUpdated).toBe(true);
    expect(state.written).toEqual({ image: false, extension: true });
    expect(state.wroteAt).toBe(5);
    state.upgradeStarted(["0"], 9);
    state.upgradeStarted(["1"]);
    expect([...state.started]).toEqual(["0", "1"]);
    expect(state.wroteAt).toBe(9);
  });

  it("a rollback rolls back the instances it brought back, also one that did not complete", () => {
    const ok = new RunState(config, 0);
    ok.rollbackEnded({ succeeded: true, instanceIds: ["0", "1"] });
    expect([...ok.rolledBack]).toEqual(["0", "1"]);
    const failed = new RunState(config, 0);
    failed.rollbackEnded({ succeeded: false, instanceIds: ["0"], notBack: ["1"], model: "restored", error: "boom" });
    expect([...failed.rolledBack]).toEqual(["0"]);
    expect(failed.rollback).toEqual({
      succeeded: false,
      instanceIds: ["0"],
      notBack: ["1"],
      model: "restored",
      error: "boom",
    });
  });

  it("batches: planned with their instances, then changed one at a time", () => {
    const state = new RunState(config, 0);
    state.batchesPlanned([
      { index: 1, canary: false, instanceIds: ["0", "1"], result: "not-started" },
      { index: 2, canary: false, instanceIds: ["2"], result: "not-started" },
    ]);
    state.batchChanged(2, { result: "succeeded" });
    expect(state.batches.map((b) => b.result)).toEqual(["not-started", "succeeded"]);
    expect([...state.batchOf]).toEqual([
      ["0", 1],
      ["1", 1],
      ["2", 2],
    ]);
  });
});

describe("RunState.otherWriter: another writer's change to the model after this run's write", () => {
  const model = (version: string): ScaleSetModel => ({
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    orchestrationMode: "Uniform",
    upgradeMode: "Manual",
    imageReference: { publisher: "Canonical", offer: "ubuntu", sku: "server", version },
    extensions: [],
    hasHealthSignal: false,
  });
  it.each([
    { name: "before this run wrote anything: nothing to compare", wrote: false, reads: ["1.0.0"], seen: undefined },
    { name: "the model holds this run's image", wrote: true, reads: ["2.0.0"], seen: undefined },
    { name: "another image after this run's", wrote: true, reads: ["2.0.0", "3.0.0"], seen: "3.0.0" },
    {
      name: "another image, then this run's again (taken back)",
      wrote: true,
      reads: ["3.0.0", "2.0.0"],
      seen: undefined,
    },
  ])("$name", ({ wrote, reads, seen }) => {
    const state = new RunState(config, 0);
    if (wrote) state.wrote("image", 1);
    for (const version of reads) state.read(model(version));
    const drift = state.otherWriter;
    expect(drift?.kind === "image" ? drift.image.version : drift).toBe(seen);
  });

  it.each<{
    name: string;
    steps: ("moved" | "moved-again" | "back" | "list" | "list-0" | "send-list" | "listed")[];
    before: [boolean, boolean];
    unlisted: boolean;
  }>([
    {
      name: "a listing after the read that found the change",
      steps: ["moved", "list"],
      before: [true, true],
      unlisted: false,
    },
    {
      name: "a listing sent before that read, answered after it, is from before it",
      steps: ["send-list", "moved", "listed"],
      before: [false, false],
      unlisted: true,
    },
    { name: "a listing before it only", steps: ["list", "moved"], before: [false, false], unlisted: true },
    {
      name: "a filtered listing after it, showing instance 0 only",
      steps: ["list", "moved", "list-0"],
      before: [true, false],
      unlisted: true,
    },
    {
      name: "a later read of the same change does not move it later",
      steps: ["moved", "list", "moved"],
      before: [true, true],
      unlisted: false,
    },
    {
      name: "taken back before the listing",
      steps: ["moved", "back", "list"],
      before: [false, false],
      unlisted: false,
    },
    {
      name: "taken back after a listing that showed instances on the changed model: they are no longer on the latest",
      steps: ["moved", "list", "back"],
      before: [false, false],
      unlisted: true,
    },
    {
      name: "changed once more, to another value, after the listing: still the first change's",
      steps: ["moved", "list", "moved-again"],
      before: [true, true],
      unlisted: false,
    },
    {
      name: "taken back, then changed again after the listing",
      steps: ["moved", "back", "list", "moved"],
      before: [false, false],
      unlisted: true,
    },
  ])("otherWriterBefore and movedSinceListing: $name", ({ steps, before, unlisted }) => {
    const state = new RunState(config, 0);
    state.wrote("image", 1);
    state.read(model("2.0.0"));
    let sent = 0;
    for (const step of steps) {
      if (step === "send-list") sent = state.mark();
      if (step === "listed") state.listed([instance("0", true), instance("1", true)], 5, sent);
      if (step === "moved") state.read(model("3.0.0"));
      if (step === "moved-again") state.read(model("4.0.0"));
      if (step === "back") state.read(model("2.0.0"));
      if (step === "list") state.listed([instance("0", true), instance("1", true)], 5, state.mark());
      if (step === "list-0") state.listedSome([instance("0", true)], state.mark());
    }
    expect([state.otherWriterBefore("0") !== undefined, state.otherWriterBefore("1") !== undefined]).toEqual(before);
    expect(state.movedSinceListing).toBe(unlisted);
  });

  it("a rollback's own read of the previous model is not another writer's", () => {
    const state = new RunState(config, 0);
    state.wrote("image", 1);
    state.entered({ kind: "rolling-back" });
    state.read(model("1.0.0"));
    expect(state.otherWriter).toBeUndefined();
  });
});

describe("RunState: the extensions as this run left the model, whatever its extension write's outcome", () => {
  const OLD = "https://example.org/install.sh";
  const NEW = "https://example.org/install-v2.sh";
  const extensionRun = parseConfig(
    (name) =>
      ({
        "subscription-id": "11111111-2222-3333-4444-555555555555",
        "resource-group": "rg",
        "scale-set": "vmss1",
        "extension-name": "customScript",
        "extension-file-uris": NEW,
      })[name] ?? "",
    {},
  );
  const health = { name: "health", settings: { port: 80 } };
  const model = (uri: string): ScaleSetModel => ({
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    orchestrationMode: "Uniform",
    upgradeMode: "Automatic",
    imageReference: { publisher: "Canonical", offer: "ubuntu", sku: "server", version: "1.0.0" },
    extensions: [{ name: "customScript", settings: { fileUris: [uri] } }, health],
    hasHealthSignal: false,
  });
  const planned = (): RunState => {
    const state = new RunState(extensionRun, 0);
    const plan = planChange(model(OLD), extensionRun.change);
    if (!plan.ok) throw new Error(plan.reason);
    state.planned(plan, model(OLD));
    return state;
  };
  it.each([
    { name: "before the write: as planned", act: () => {}, own: [OLD] },
    { name: "the write accepted: the run's values", act: (s: RunState) => s.wrote("extension", 1), own: [NEW] },
    {
      name: "the write's outcome unknown: the extension left out",
      act: (s: RunState) => s.writeUnknown("extension"),
      own: undefined,
    },
  ])("$name", ({ act, own }) => {
    const state = planned();
    expect(state.expectedExtensions).toBeDefined(); // asked before the transition: what follows must not be stale
    act(state);
    const shown = state.expectedExtensions?.find((e) => e.name === "customScript")?.settings?.["fileUris"];
    expect(shown).toEqual(own);
    expect(state.expectedExtensions?.find((e) => e.name === "health")).toEqual(health);
    // The model holding the run's values is no other writer's change once the write counts or may have landed.
    expect(state.driftBeyondWritten(model(NEW))).toEqual(
      own?.[0] === OLD ? { kind: "extension", name: "customScript", beyond: true } : undefined,
    );
  });
});
