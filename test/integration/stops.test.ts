// The engine through the real SDK adapter against the emulator: what stops a rollout (timeout, cancellation,
// operations already running, concurrent writers, throttling, Azure errors) and what the record says then.
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "../emulator/index.ts";
import type { ScaleSetApi, Size } from "../../src/types.ts";
import { adapterFor, configFor, NEW_VERSION, OLD_VERSION, outcomes, rollout, runningVersions, writesOf } from "./harness.ts";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function emulator(options: EmulatorOptions): Promise<Emulator> {
  emu = await start({ speed: 0.001, ...options });
  return emu;
}

const upgrade = (...ids: string[]): string => `POST VirtualMachineScaleSets.UpdateInstances [${ids.join(",")}]`;
const PATCH_SET = "PATCH VirtualMachineScaleSets.Update";
const count = (value: number): Size => ({ kind: "count", value });

describe("timeout", () => {
  it("stops when the timeout is spent and records the state of every instance", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.hangUpgrade("2", { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), timeoutMs: 1_000 } }));

    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "timed-out"]);
    expect(record.instances.map((i) => [i.instanceId, i.outcome, i.provisioningState])).toEqual([
      ["0", "updated", "Succeeded"],
      ["1", "updated", "Succeeded"],
      ["2", "straggler", "Updating"],
      // 3 finished in the same (hung) operation after the action stopped waiting, or not yet: either way its true state.
      ["3", record.instances[3]!.latestModelAfter ? "updated" : "straggler", record.instances[3]!.provisioningState],
    ]);
    expect(record.reason).toMatch(/^Timed out after 1s \(timeout\) while upgrading batch 2 of 2\. Updated: 0, 1.*\. Not on the new model or unhealthy: 2 \(vmss1_2\): provisioning Updating, .*not on the latest model/);
  });
});

describe("cancellation", () => {
  it("starts no new batch once cancelled and records the true state", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6, instanceUpgradeSeconds: 300 }] });
    const cancel = new AbortController();
    // The runner cancels while Azure upgrades batch 2 (an upgrade takes ~300 ms here).
    const onLine = (line: string): void => {
      if (line === "manualupgrade 2, 3") setTimeout(() => cancel.abort(), 100);
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), { signal: cancel.signal, onLine });

    expect(record.result).toBe("cancelled");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "cancelled", "not-started"]);
    expect(outcomes(record)).toEqual({ updated: ["0", "1"], straggler: ["2", "3"], "not-started": ["4", "5"] });
    expect(record.instances.filter((i) => i.outcome === "straggler").map((i) => i.provisioningState)).toEqual(["Updating", "Updating"]);
    expect(record.reason).toMatch(
      /^The job was cancelled while upgrading batch 2 of 3; no further batch was started\. Updated: 0, 1\. Not on the new model or unhealthy: 2 \(vmss1_2\): provisioning Updating, .*Not started: 4, 5\.$/,
    );
    expect(record.rollback).toBeUndefined();
  });

  it("a cancel between batches is honoured before the next one starts", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    const cancel = new AbortController();
    const onLine = (line: string): void => {
      if (line.startsWith("Batch 1: succeeded")) cancel.abort();
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), rollbackOnFailure: true } }), { signal: cancel.signal, onLine });
    expect(record.result).toBe("cancelled");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1")]);
    expect(record.reason).toMatch(/^The job was cancelled before batch 2 of 2 started; no further batch was started\./);
  });
});

describe("operations already running", () => {
  it("waits for an instance upgrade already in progress, then rolls out", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, instanceUpgradeSeconds: 200 }] });
    // Someone changed the model and is upgrading instance 1 when the action starts.
    const other = adapterFor(configFor(emu));
    await other.patchScaleSet({ imageReference: { version: NEW_VERSION } }, undefined);
    const running = other.upgradeInstances(["1"]);
    await waitFor(() => emu.state("vmss1").instances[1]?.provisioningState === "Updating");
    emu.resetLog();

    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(3) } }));
    expect(await running).toEqual({ status: "Succeeded" });
    expect(record.result).toBe("succeeded");
    expect(log.text()).toContain("Waiting for an operation already in progress: instance(s) 1 Updating.");
    expect(writesOf(emu)).toEqual([upgrade("0", "2")]);
    expect(outcomes(record)).toEqual({ updated: ["0", "2"], "already-current": ["1"] });
  });

  it("fails saying what is running when it does not end within the timeout, having written nothing", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }] });
    emu.faults.hangUpgrade("1", { scaleSet: "vmss1" });
    const other = adapterFor(configFor(emu));
    await other.patchScaleSet({ imageReference: { version: NEW_VERSION } }, undefined);
    const abandon = new AbortController();
    const running = other.upgradeInstances(["1"], abandon.signal).catch(() => undefined);
    await waitFor(() => emu.state("vmss1").instances[1]?.provisioningState === "Updating");
    emu.resetLog();

    const { record } = await rollout(configFor(emu, { rollout: { timeoutMs: 300 } }));
    abandon.abort();
    await running;
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^Timed out after 300ms \(timeout\) while waiting for an operation already in progress \(instance\(s\) 1 Updating\)\./);
    expect(writesOf(emu)).toEqual([]);
  });
});

describe("concurrent writers", () => {
  /** Before each of the first `times` image writes, someone else writes the scale set (a new etag). */
  function racedBy(emu: Emulator, times: number): (api: ScaleSetApi) => ScaleSetApi {
    const other = adapterFor(configFor(emu));
    let raced = 0;
    return (api) => ({
      ...api,
      startPatchScaleSet: async (patch, etag, signal) => {
        if (raced++ < times) await other.patchScaleSet({ imageReference: { version: OLD_VERSION } }, undefined);
        return api.startPatchScaleSet(patch, etag, signal);
      },
    });
  }

  it("re-reads and retries after 412 PreconditionFailed", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), { wrap: racedBy(emu, 1) });
    expect(record.result).toBe("succeeded");
    // Someone else's PATCH, ours refused on the stale etag, ours again on the etag read afresh.
    expect(writesOf(emu)).toEqual([PATCH_SET, `${PATCH_SET} → 412`, PATCH_SET, upgrade("0", "1")]);
    expect(emu.writes().slice(1, 3).map((w) => w.headers["if-match"])).toEqual(['"1"', '"2"']);
    expect(log.text()).toContain("The scale set changed since it was read (412 PreconditionFailed): reading it again (attempt 2).");
    expect(Object.values(runningVersions(emu))).toEqual([NEW_VERSION, NEW_VERSION]);
  });

  it("gives up after 3 attempts without writing", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const { record } = await rollout(configFor(emu), { wrap: racedBy(emu, 5) });
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toBe(
      "The scale set changed under the action 3 times in a row (412 PreconditionFailed on its etag); nothing was written. Re-run when other changes have settled.",
    );
    expect(emu.writes().filter((w) => w.headers["if-match"] !== undefined).map((w) => w.status)).toEqual([412, 412, 412]);
  });
});

describe("throttling and Azure errors", () => {
  it("honours Retry-After on a throttled list and finishes", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", after: 1, retryAfterSeconds: 1 });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("succeeded");
    expect(emu.counters()["Throttled"]).toBe(1);
  });

  it("never waits a Retry-After past the timeout: it says so instead", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", after: 1, retryAfterSeconds: 600 });
    const { record } = await rollout(configFor(emu, { rollout: { timeoutMs: 10_000 } }));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Failed while listing the instances to upgrade: TooManyRequests: Azure throttled the request \(HTTP 429\) and asked to wait 600s, more than the \d+s left before the timeout\./,
    );
    expect(emu.counters()["Throttled"]).toBe(1);
  });

  it("a manualupgrade refused with 409 Conflict fails its batch with Azure's words", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.conflict({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("failed");
    expect(record.batches[0]).toMatchObject({ result: "failed", error: { code: "Conflict" } });
    expect(record.reason).toMatch(/Conflict: The request failed due to conflict with a concurrent request/);
  });

  it("a missing scale set is a failed record, not an exception", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const { record } = await rollout(configFor(emu, { scaleSet: "nope" }));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^Failed while reading the scale set: ResourceNotFound: /);
    expect(record.instances).toEqual([]);
  });

  it("a sign-in failure is one line from the credential module", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const config = configFor(emu);
    const { record } = await rollout({ ...config, auth: { mode: "creds", clientId: emu.clientId, clientSecret: "not-the-secret-x9", tenantId: emu.tenantId } });
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^Failed while reading the scale set: AuthenticationFailed: Sign-in failed: .*AADSTS7000215/);
    expect(record.reason).not.toContain("not-the-secret-x9");
    expect(writesOf(emu)).toEqual([]);
  });

  it("slows polling when Azure's throttling headroom runs low", async () => {
    // Real-time buckets (speed 1: Azure's refill rates), with short simulated operations.
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2, healthExtension: true, instanceUpgradeSeconds: 0.03 }],
      throttle: true,
      speed: 1,
      modelUpdateSeconds: 0.01,
    });
    // The application starts slowly: the gate polls (one list each) until the headroom is low, then it turns healthy.
    const onLine = (line: string): void => {
      if (line.startsWith("manualupgrade succeeded")) ["0", "1"].forEach((id) => emu.setInstance("vmss1", id, { health: "initializing" }));
      if (line.startsWith("Azure's throttling headroom is low")) ["0", "1"].forEach((id) => emu.setInstance("vmss1", id, { health: "healthy" }));
    };
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), { onLine });
    expect(record.result).toBe("succeeded");
    expect(log.text()).toMatch(/Azure's throttling headroom is low \((\d|10) requests left\): polling every (10|20)ms\./);
    expect(emu.counters()["Throttled"] ?? 0).toBe(0);
  });

  it("the adapter reports the throttling headroom Azure sends", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const api = adapterFor(configFor(emu));
    expect(api.rateLimitRemaining?.()).toBeUndefined();
    await api.getScaleSet();
    expect(api.rateLimitRemaining?.()).toEqual(expect.any(Number));
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error("condition not reached");
}
