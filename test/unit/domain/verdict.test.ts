import { describe, expect, it } from "vitest";
import {
  assessInstance,
  breachesMaxUnhealthy,
  describeBreach,
  describeInstance,
  finalResult,
  instanceOutcome,
  limitList,
  PROTECTED_SINCE_PLAN,
  runsRolledOutModel,
  type AssessOptions,
  type Assessment,
} from "../../../src/domain/verdict.ts";
import { listIds } from "../../../src/domain/ids.ts";
import type { ExtensionModel, InstanceState } from "../../../src/domain/scale-set.ts";

function instance(overrides: Partial<InstanceState> = {}): InstanceState {
  return {
    instanceId: "3",
    name: "vmss1_3",
    latestModelApplied: true,
    protectedFromScaleSetActions: false,
    provisioningState: "Succeeded",
    powerState: "running",
    ...overrides,
  };
}

const auto: AssessOptions = { health: "auto", scaleSetHasHealthSignal: true, healthWaitOver: false };
const extensionError = {
  code: "VMExtensionProvisioningError",
  message: "Enable failed: exit 1 on https://a/b.sh?sig=SECRET",
};
const monitoringError = {
  code: "1",
  message: "Extension 'monitoringAgent': heartbeat failed",
  extension: "monitoringAgent",
};
const scriptError = { code: "1", message: "Extension 'customScript': exit 1", extension: "customScript" };

describe("assessInstance", () => {
  it.each([
    { name: "upgraded and healthy", state: instance({ health: "healthy" }), options: auto, expected: { kind: "done" } },
    {
      name: "protected since the plan and not on the model fails at once (Azure skips it)",
      state: instance({ latestModelApplied: false, protectedFromScaleSetActions: true }),
      options: auto,
      expected: { kind: "failed", error: PROTECTED_SINCE_PLAN },
    },
    {
      name: "protected since the plan but on the model is done",
      state: instance({ protectedFromScaleSetActions: true, health: "healthy" }),
      options: auto,
      expected: { kind: "done" },
    },
    {
      name: "on the latest model while still updating waits, whatever health it reports from before",
      state: instance({ provisioningState: "Updating", health: "healthy" }),
      options: { ...auto, health: "off" as const },
      expected: { kind: "pending", waitingFor: "its upgrade to finish (provisioning Updating)" },
    },
    {
      name: "busy on the latest model once its wait is over (judged before, busy with something else): judged on health",
      state: instance({ provisioningState: "Updating", health: "healthy" }),
      options: { ...auto, healthWaitOver: true },
      expected: { kind: "done" },
    },
    {
      name: "protected since the plan while being upgraded waits",
      state: instance({ latestModelApplied: false, protectedFromScaleSetActions: true, provisioningState: "Updating" }),
      options: auto,
      expected: { kind: "pending", waitingFor: "the new model" },
    },
    {
      name: "health off ignores vmHealth",
      state: instance({ health: "unhealthy" }),
      options: { ...auto, health: "off" as const },
      expected: { kind: "done" },
    },
    {
      name: "no health signal anywhere",
      state: instance(),
      options: { ...auto, scaleSetHasHealthSignal: false },
      expected: { kind: "done" },
    },
    {
      name: "initializing waits",
      state: instance({ health: "initializing" }),
      options: auto,
      expected: { kind: "pending", waitingFor: "health (initializing)" },
    },
    {
      name: "no vmHealth yet on a scale set with a signal waits",
      state: instance(),
      options: auto,
      expected: { kind: "pending", waitingFor: "health (no health reported yet)" },
    },
    {
      name: "initializing after health-timeout is unhealthy",
      state: instance({ health: "initializing" }),
      options: { ...auto, healthWaitOver: true },
      expected: { kind: "unhealthy", detail: "not healthy within health-timeout (last: initializing)" },
    },
    {
      // Binary Health States have no Initializing: an application still starting reports Unhealthy.
      name: "unhealthy within health-timeout waits, as initializing does",
      state: instance({ health: "unhealthy" }),
      options: auto,
      expected: { kind: "pending", waitingFor: "health (unhealthy so far)" },
    },
    {
      name: "unhealthy once the wait is over (health-timeout spent, or an earlier batch's instance) is unhealthy",
      state: instance({ health: "unhealthy" }),
      options: { ...auto, healthWaitOver: true },
      expected: { kind: "unhealthy", detail: "reports unhealthy" },
    },
    {
      name: "an instance reporting health on a scale set without a known signal is gated",
      state: instance({ health: "unhealthy" }),
      options: { ...auto, scaleSetHasHealthSignal: false, healthWaitOver: true },
      expected: { kind: "unhealthy", detail: "reports unhealthy" },
    },
    {
      name: "not yet on the new model",
      state: instance({ latestModelApplied: false, provisioningState: "Updating" }),
      options: auto,
      expected: { kind: "pending", waitingFor: "the new model" },
    },
    {
      name: "provisioning failed, with its error",
      state: instance({ latestModelApplied: false, provisioningState: "Failed", error: extensionError }),
      options: auto,
      expected: { kind: "failed", error: extensionError },
    },
    {
      name: "upgrade operation failed and the instance is stale",
      state: instance({ latestModelApplied: false }),
      options: { ...auto, operationError: extensionError },
      expected: { kind: "failed", error: extensionError },
    },
    {
      name: "an Error-level status of another extension on an instance upgraded fine and healthy is information",
      state: instance({ health: "healthy", error: monitoringError, errors: [monitoringError] }),
      options: { ...auto, changedExtension: "customScript" },
      expected: { kind: "done" },
    },
    {
      name: "an Error-level status of an instance's own (suppressFailures, say) without a failed provisioning is information",
      state: instance({ health: "healthy", error: { code: "SomeWarningAsError", message: "x" } }),
      options: auto,
      expected: { kind: "done" },
    },
    {
      name: "an Error-level status of the extension the rollout changed fails the instance",
      state: instance({ health: "healthy", error: monitoringError, errors: [monitoringError, scriptError] }),
      options: { ...auto, changedExtension: "CUSTOMSCRIPT" },
      expected: { kind: "failed", error: scriptError },
    },
    {
      name: "the changed extension's error waits while the instance is still updating",
      state: instance({ latestModelApplied: false, provisioningState: "Updating", errors: [scriptError] }),
      options: { ...auto, changedExtension: "customScript" },
      expected: { kind: "pending", waitingFor: "the new model" },
    },
    {
      name: "a deallocated instance reports no health: the gate does not apply",
      state: instance({ powerState: "deallocated" }),
      options: auto,
      expected: { kind: "done" },
    },
    {
      name: "a stopped instance reports no health: the gate does not apply, even after health-timeout",
      state: instance({ powerState: "stopped" }),
      options: { ...auto, healthWaitOver: true },
      expected: { kind: "done" },
    },
    {
      name: "a starting instance is waited for",
      state: instance({ powerState: "starting" }),
      options: auto,
      expected: { kind: "pending", waitingFor: "health (no health reported yet)" },
    },
    {
      name: "gone from the scale set (scale-in): removed, not failed",
      state: undefined,
      options: auto,
      expected: { kind: "removed" },
    },
  ])("$name", ({ state, options, expected }) => {
    expect(assessInstance(state, options)).toEqual(expected);
  });
});

/** Done when `failed` is undefined; otherwise failed as upgraded onto another writer's model, naming `failed`. */
function expectOtherWritersVerdict(verdict: Assessment, failed: string | undefined): void {
  if (failed === undefined) expect(verdict).toEqual({ kind: "done" });
  else {
    expect(verdict.kind).toBe("failed");
    expect(verdict.kind === "failed" && verdict.error?.code).toBe("ModelChangedByAnotherWriter");
    expect(verdict.kind === "failed" && verdict.error?.message).toContain(failed);
  }
}

describe("assessInstance: an instance on another writer's image", () => {
  const platform = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server" };
  const galleryId =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app/versions/2.0.0";
  it.each([
    {
      name: "a platform version other than the run's fails, naming both",
      image: { ...platform, version: "3.0.0" },
      expected: { imageVersion: "2.0.0" },
      failed: "runs image Canonical:ubuntu-24_04-lts:server:3.0.0, not 2.0.0",
    },
    {
      name: "the run's platform version is done",
      image: { ...platform, version: "2.0.0" },
      expected: { imageVersion: "2.0.0" },
    },
    {
      name: "latest resolved to an exact version is the run's latest",
      image: { ...platform, version: "latest", exactVersion: "2.0.0" },
      expected: { imageVersion: "latest" },
    },
    {
      name: "an image ID compares case-insensitively",
      image: { id: galleryId.toUpperCase() },
      expected: { imageId: galleryId },
    },
    {
      name: "another image ID fails",
      image: { id: galleryId.replace("2.0.0", "3.0.0") },
      expected: { imageId: galleryId },
      failed: "not " + galleryId,
    },
    { name: "no image in the listing says nothing", image: undefined, expected: { imageVersion: "2.0.0" } },
    { name: "an extension-only change says nothing", image: { ...platform, version: "3.0.0" }, expected: {} },
  ])("$name", ({ image, expected, failed }) => {
    const state = instance({ health: "healthy", ...(image && { imageReference: image }) });
    const verdict = assessInstance(state, { ...auto, expectedImage: expected });
    expectOtherWritersVerdict(verdict, failed);
  });

  it("an instance still being upgraded waits, whatever its image says", () => {
    const state = instance({ provisioningState: "Updating", imageReference: { ...platform, version: "3.0.0" } });
    expect(assessInstance(state, { ...auto, expectedImage: { imageVersion: "2.0.0" } }).kind).not.toBe("failed");
  });
});

describe("assessInstance: an instance on another writer's extensions", () => {
  const script: ExtensionModel = {
    name: "customScript",
    settings: { fileUris: ["https://example.org/v2.sh"] },
    forceUpdateTag: "2",
  };
  const health: ExtensionModel = { name: "health", settings: { port: 80, protocol: "http" } };
  const written = [script, health];
  it.each([
    { name: "the extensions as written are done", shown: written },
    {
      name: "settings in another key order are the same settings",
      shown: [script, { name: "HEALTH", settings: { protocol: "http", port: 80 } }],
    },
    {
      name: "other settings of an extension the run did not write fail",
      shown: [script, { name: "health", settings: { port: 8080, protocol: "http" } }],
      failed: "extension 'health' has other settings than the model this run rolled out",
    },
    {
      name: "another forceUpdateTag fails",
      shown: [{ ...script, forceUpdateTag: "3" }, health],
      failed: "extension 'customScript' has another forceUpdateTag",
    },
    {
      name: "an extension of the instance's own, not in the model, says nothing",
      shown: [...written, { name: "own" }],
    },
    { name: "an extension the listing leaves out says nothing", shown: [script] },
    {
      name: "a forceUpdateTag the listing leaves out says nothing",
      shown: [{ name: "customScript", settings: script.settings }, health],
    },
    {
      name: "settings the listing leaves out say nothing",
      shown: [{ name: "customScript", forceUpdateTag: "2" }, health],
    },
    {
      name: "a forceUpdateTag where the model as written has none fails",
      shown: [script, { ...health, forceUpdateTag: "x" }],
      failed: "extension 'health' has another forceUpdateTag",
    },
    { name: "no extensions shown says nothing", shown: undefined },
  ])("$name", ({ shown, failed }) => {
    const state = instance({ health: "healthy", ...(shown && { extensions: shown }) });
    const verdict = assessInstance(state, { ...auto, expectedExtensions: written });
    expectOtherWritersVerdict(verdict, failed);
  });

  it("an instance not on the latest model yet is waited for, whatever its extensions say", () => {
    const state = instance({ latestModelApplied: false, extensions: [{ name: "health", settings: { port: 1 } }] });
    expect(assessInstance(state, { ...auto, expectedExtensions: written }).kind).toBe("pending");
  });
});

describe("assessInstance: a read before the listing found another writer's change (latestModelMoved)", () => {
  const moved = "extension 'agent' changed, which this run did not write";
  it.each([
    { name: "on the latest model: failed, naming the change", fields: {}, kind: "failed" },
    { name: "not on the latest model: waited for", fields: { latestModelApplied: false }, kind: "pending" },
    { name: "still being upgraded: waited for", fields: { provisioningState: "Updating" }, kind: "pending" },
    { name: "its provisioning failed: Azure's error first", fields: { provisioningState: "Failed" }, kind: "failed" },
    {
      name: "a Flexible VM on it by comparison: failed, saying it cannot be told which",
      fields: { modelCompared: true },
      kind: "failed",
    },
  ])("$name", ({ fields, kind }) => {
    const verdict = assessInstance(instance({ health: "healthy", ...fields }), { ...auto, latestModelMoved: moved });
    if ("modelCompared" in fields) {
      expectOtherWritersVerdict(
        verdict,
        `runs that writer's change, or this run's model with the latest model moved on`,
      );
      return;
    }
    expect(verdict.kind).toBe(kind);
    if (kind === "failed" && !("provisioningState" in fields)) {
      expectOtherWritersVerdict(verdict, `that model is no longer the one this run rolled out (${moved})`);
    }
  });
});

describe("runsRolledOutModel: an instance not on the latest model that runs the run's model", () => {
  const platform = { publisher: "Canonical", offer: "ubuntu", sku: "server" };
  const script: ExtensionModel = { name: "customScript", settings: { fileUris: ["https://example.org/v2.sh"] } };
  const written = [script, { name: "health", settings: { port: 80 } }];
  it.each([
    {
      name: "an image run: the run's image, every extension as left",
      state: { imageReference: { ...platform, version: "2.0.0" }, extensions: written },
      rolledOut: { image: { imageVersion: "2.0.0" }, extensions: written },
      runs: true,
    },
    {
      name: "an image run: the image before (not upgraded yet)",
      state: { imageReference: { ...platform, version: "1.0.0" }, extensions: written },
      rolledOut: { image: { imageVersion: "2.0.0" }, extensions: written },
      runs: false,
    },
    {
      name: "an image run, no extensions shown: the image alone proves nothing",
      state: { imageReference: { ...platform, version: "2.0.0" } },
      rolledOut: { image: { imageVersion: "2.0.0" }, extensions: written },
      runs: false,
    },
    {
      name: "an extension of the model left out of the listing proves nothing",
      state: { imageReference: { ...platform, version: "2.0.0" }, extensions: [script] },
      rolledOut: { image: { imageVersion: "2.0.0" }, extensions: written },
      runs: false,
    },
    {
      name: "an extension of the instance's own beside the model's says nothing against it",
      state: { imageReference: { ...platform, version: "2.0.0" }, extensions: [...written, { name: "own" }] },
      rolledOut: { image: { imageVersion: "2.0.0" }, extensions: written },
      runs: true,
    },
    {
      name: "an image run: the run's image, but another extension as another writer left it",
      state: {
        imageReference: { ...platform, version: "2.0.0" },
        extensions: [script, { name: "health", settings: { port: 1 } }],
      },
      rolledOut: { image: { imageVersion: "2.0.0" }, extensions: written },
      runs: false,
    },
    {
      name: "an extension run: the extension as written",
      state: { imageReference: { ...platform, version: "1.0.0" }, extensions: written },
      rolledOut: { image: { imageVersion: "1.0.0" }, extensions: written },
      runs: true,
    },
    {
      name: "an extension run: the extension before (not upgraded yet)",
      state: {
        imageReference: { ...platform, version: "1.0.0" },
        extensions: [{ name: "customScript", settings: {} }],
      },
      rolledOut: { image: { imageVersion: "1.0.0" }, extensions: written },
      runs: false,
    },
    {
      name: "an extension run: extensions not shown prove nothing",
      state: { imageReference: { ...platform, version: "1.0.0" } },
      rolledOut: { image: { imageVersion: "1.0.0" }, extensions: written },
      runs: false,
    },
    {
      name: "a forceUpdateTag the run wrote and the listing leaves out proves nothing",
      state: {
        imageReference: { ...platform, version: "1.0.0" },
        extensions: [{ name: "customScript", settings: {} }],
      },
      rolledOut: {
        image: { imageVersion: "1.0.0" },
        extensions: [{ name: "customScript", settings: {}, forceUpdateTag: "2" }],
      },
      runs: false,
    },
    {
      name: "a gallery image ID compares case-insensitively",
      state: { imageReference: { id: "/subscriptions/s/Galleries/g/images/i/versions/2.0.0" } },
      rolledOut: { image: { imageId: "/subscriptions/s/galleries/g/images/i/versions/2.0.0" }, extensions: [] },
      runs: true,
    },
    {
      name: "no image shown proves nothing",
      state: {},
      rolledOut: { image: { imageVersion: "2.0.0" } },
      runs: false,
    },
  ])("$name", ({ state, rolledOut, runs }) => {
    expect(runsRolledOutModel(instance({ latestModelApplied: false, ...state }), rolledOut)).toBe(runs);
  });
});

describe("breachesMaxUnhealthy", () => {
  it.each([
    { upgraded: 5, bad: 0, max: 0, canary: true, breach: false },
    { upgraded: 1, bad: 1, max: 100, canary: true, breach: true }, // the canary tolerates none
    { upgraded: 5, bad: 1, max: 20, canary: false, breach: false }, // exactly 20% is allowed
    { upgraded: 6, bad: 2, max: 20, canary: false, breach: true },
    { upgraded: 2, bad: 1, max: 20, canary: false, breach: true },
    { upgraded: 10, bad: 1, max: 0, canary: false, breach: true },
  ])("$bad bad of $upgraded, max $max%, canary $canary → $breach", ({ upgraded, bad, max, canary, breach }) => {
    expect(breachesMaxUnhealthy({ upgraded, bad, maxUnhealthyPercent: max, canary })).toBe(breach);
  });
});

describe("describeBreach", () => {
  it.each([
    {
      upgraded: 4,
      bad: 2,
      max: 20,
      text: "50% of the upgraded instances, more than max-unhealthy 20% allows (at most 0 of 4)",
    },
    // Rounded to a whole percent these would read "20%, more than max-unhealthy 20%".
    {
      upgraded: 104,
      bad: 21,
      max: 20,
      text: "20.2% of the upgraded instances, more than max-unhealthy 20% allows (at most 20 of 104)",
    },
    {
      upgraded: 1000,
      bad: 201,
      max: 20,
      text: "20.1% of the upgraded instances, more than max-unhealthy 20% allows (at most 200 of 1000)",
    },
    {
      upgraded: 2500,
      bad: 501,
      max: 20,
      text: "20.04% of the upgraded instances, more than max-unhealthy 20% allows (at most 500 of 2500)",
    },
    {
      upgraded: 10,
      bad: 1,
      max: 0,
      text: "10% of the upgraded instances, more than max-unhealthy 0% allows (at most 0 of 10)",
    },
  ])("$bad of $upgraded, max $max%", ({ upgraded, bad, max, text }) => {
    expect(breachesMaxUnhealthy({ upgraded, bad, maxUnhealthyPercent: max, canary: false })).toBe(true);
    expect(describeBreach({ upgraded, bad, maxUnhealthyPercent: max })).toBe(text);
  });
});

describe("instanceOutcome", () => {
  const base = { protected: false, removed: false, targeted: true, started: true, rolledBack: false };
  it.each([
    { facts: { ...base, protected: true }, outcome: "skipped-protected" },
    { facts: { ...base, targeted: false, started: false }, outcome: "already-current" },
    { facts: { ...base, started: false }, outcome: "not-started" },
    { facts: { ...base }, outcome: "straggler" }, // started, never judged
    { facts: { ...base, assessment: { kind: "done" as const } }, outcome: "updated" },
    { facts: { ...base, assessment: { kind: "failed" as const } }, outcome: "failed" },
    { facts: { ...base, assessment: { kind: "unhealthy" as const, detail: "x" } }, outcome: "unhealthy" },
    { facts: { ...base, assessment: { kind: "pending" as const, waitingFor: "x" } }, outcome: "straggler" },
    { facts: { ...base, assessment: { kind: "done" as const }, rolledBack: true }, outcome: "rolled-back" },
    // Sent back by a rollback that failed on it: not on the rolled-out model any more.
    {
      facts: { ...base, assessment: { kind: "done" as const }, rollbackNotBack: "failed" as const },
      outcome: "failed",
    },
    {
      facts: { ...base, assessment: { kind: "done" as const }, rollbackNotBack: "straggler" as const },
      outcome: "straggler",
    },
    {
      facts: { ...base, assessment: { kind: "done" as const }, rollbackNotBack: "failed" as const, unknown: true },
      outcome: "unknown",
    },
    { facts: { ...base, assessment: { kind: "removed" as const } }, outcome: "removed" },
    { facts: { ...base, started: false, removed: true }, outcome: "removed" },
    // Issue #12: never called current without a listing that showed it so; lost track of → unknown.
    { facts: { ...base, targeted: false, started: false, latestModelApplied: false }, outcome: "not-started" },
    { facts: { ...base, targeted: false, started: false, latestModelApplied: true }, outcome: "already-current" },
    // On the latest model but failed or unhealthy there (a re-run after a failed upgrade): judged, not current.
    {
      facts: { ...base, targeted: false, started: false, latestModelApplied: true, troubled: "failed" as const },
      outcome: "failed",
    },
    {
      facts: { ...base, targeted: false, started: false, latestModelApplied: true, troubled: "unhealthy" as const },
      outcome: "unhealthy",
    },
    {
      facts: { ...base, targeted: false, started: false, latestModelApplied: false, troubled: "failed" as const },
      outcome: "not-started",
    },
    { facts: { ...base, unknown: true }, outcome: "unknown" },
    { facts: { ...base, unknown: true, assessment: { kind: "done" as const } }, outcome: "unknown" },
    { facts: { ...base, unknown: true, protected: true }, outcome: "skipped-protected" },
    // The platform's roll ended without it (faulted, say), and it is off the new model and idle: untouched, not failed.
    {
      facts: { ...base, notReached: true, assessment: { kind: "pending" as const, waitingFor: "x" } },
      outcome: "not-started",
    },
    // Never on the new model: not rolled back (a rollback had nothing to bring back).
    { facts: { ...base, notReached: true, rolledBack: true }, outcome: "not-started" },
    { facts: { ...base, notReached: true, removed: true }, outcome: "removed" },
  ])("$outcome ($facts)", ({ facts, outcome }) => {
    expect(instanceOutcome(facts)).toBe(outcome);
  });
});

describe("finalResult", () => {
  it.each([
    { facts: { cancelled: true, failed: true, workDone: true, rolledBack: false }, result: "cancelled" },
    { facts: { cancelled: false, failed: true, workDone: true, rolledBack: false }, result: "failed" },
    { facts: { cancelled: false, failed: true, workDone: true, rolledBack: true }, result: "rolled-back" },
    { facts: { cancelled: false, failed: false, workDone: true, rolledBack: false }, result: "succeeded" },
    { facts: { cancelled: false, failed: false, workDone: false, rolledBack: false }, result: "unchanged" },
  ])("$result", ({ facts, result }) => {
    expect(finalResult(facts)).toBe(result);
  });
});

describe("describeInstance", () => {
  it("says the states and the error on one line, without SAS", () => {
    const text = describeInstance(
      "3",
      instance({ latestModelApplied: false, provisioningState: "Failed", health: "unhealthy", error: extensionError }),
    );
    expect(text).toBe(
      "3 (vmss1_3): provisioning Failed, power running, health unhealthy, not on the latest model, " +
        "VMExtensionProvisioningError: Enable failed: exit 1 on https://a/b.sh?[query removed]",
    );
  });

  it("says when the instance is gone", () => {
    expect(describeInstance("7", undefined)).toBe("7: no longer in the scale set");
  });

  it("names a Flexible VM, whose ID is its name, once", () => {
    expect(describeInstance("vmss1_98c6492d", instance({ instanceId: "vmss1_98c6492d", name: "vmss1_98c6492d" }))).toBe(
      "vmss1_98c6492d: provisioning Succeeded, power running",
    );
  });
});

describe("listIds / limitList", () => {
  it.each([
    [["0", "1", "2", "3", "7", "9", "10"], "0-3, 7, 9, 10"],
    [["10", "2", "1", "0"], "0-2, 10"],
    [["vmss_a", "vmss_b"], "vmss_a, vmss_b"],
    [[], ""],
  ])("%o → %s", (ids, text) => {
    expect(listIds(ids)).toBe(text);
  });

  it("describes at most five and counts the rest", () => {
    expect(limitList(["a", "b"])).toBe("a; b");
    expect(limitList(["a", "b", "c", "d", "e", "f", "g"])).toBe("a; b; c; d; e; and 2 more");
  });
});
