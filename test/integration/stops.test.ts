// The engine through the real SDK adapter against the emulator: what stops a rollout (timeout, cancellation,
// operations already running, concurrent writers, throttling, Azure errors) and what the record says then.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import type { Emulator } from "../../emulator/index.ts";
import { AzureApiError } from "../../src/domain/scale-set.ts";
import type { ScaleSetApi } from "../../src/engine/ports.ts";
import type { RolloutEvent } from "../../src/engine/events.ts";
import type { Phase } from "../../src/engine/phase.ts";
import { createScaleSetApi } from "../../src/azure/index.ts";
import { runRollout } from "../../src/engine/rollout.ts";
import {
  modelWrites,
  adapterFor,
  configFor,
  count,
  FAST,
  instanceIds,
  memoryLogger,
  NEW_VERSION,
  OLD_VERSION,
  ORCHESTRATIONS,
  outcomes,
  PATCH_SET,
  rollout,
  runningVersions,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();

describe("timeout", () => {
  it("stops when the timeout is spent and records the state of every instance", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.hangUpgrade("2", { scaleSet: "vmss1" });
    // The timeout leaves room for sign-in, batch 1 and the final listing (its reserve: a tenth of it) on a loaded
    // machine; batch 2 never ends.
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), timeoutMs: 8_000 } }));

    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "timed-out"]);
    const states = record.instances.map((i) => [i.instanceId, i.outcome, i.provisioningState]);
    expect(states.slice(0, 3)).toEqual([
      ["0", "updated", "Succeeded"],
      ["1", "updated", "Succeeded"],
      ["2", "straggler", "Updating"],
    ]);
    // 3 finished in the same (hung) operation before the final listing, or not yet: either way its true state.
    expect([
      ["3", "updated", "Succeeded"],
      ["3", "straggler", "Updating"],
    ]).toContainEqual(states[3]);
    expect(record.reason).toMatch(
      /^Timed out after 7s \(timeout 8s, 800 ms of it kept for the final listing\) while upgrading batch 2 of 2\. Updated: 0, 1.*\. Not on the new model or unhealthy: 2 \(vmss1_2\): provisioning Updating, .*not on the latest model/,
    );
    // The final listing fits in the timeout: the rollout leaves a reserve for it, so the states above are that
    // listing's, not unknown. The run ends near its timeout, not after the hung upgrade: the bound is only that, with
    // room for a loaded machine's scheduling (no race on a few hundred milliseconds).
    expect(record.durationMs).toBeLessThan(8_000 + 2_000);
  });

  it("a rollback after a timeout gets its own budget (health-timeout), which Retry-After waits may use", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, healthExtension: true }] });
    // Batch 2's application never turns healthy: the run times out waiting for it (health-timeout is longer).
    let batches = 0;
    let stopped = false;
    const tagWritesAfterStop: string[] = [];
    const events = (event: RolloutEvent): void => {
      if (event.type === "upgrade-ended" && event.outcome?.status === "Succeeded" && ++batches === 2)
        for (const id of ["2", "3"]) emu.setInstance("vmss1", id, { health: "initializing" });
      // The first read after the stop (the lease's extension reads the tags) is throttled for a second: past the run's
      // timeout, within the rollback's budget.
      if (event.type === "stopped" && event.stop.kind === "timeout") {
        stopped = true;
        emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", retryAfterSeconds: 1 });
      }
      if (event.type === "tags-written" && stopped) tagWritesAfterStop.push(event.why);
    };
    const config = configFor(emu, {
      // A lease shorter than the rollback's budget: at the timeout it has less left than the rollback may take.
      rollout: {
        batchSize: count(2),
        timeoutMs: 4_000,
        healthTimeoutMs: 6_000,
        leaseDurationMs: 3_000,
        rollbackOnFailure: true,
      },
    });
    const { record } = await rollout(config, { events });
    expect(record.reason).toMatch(
      /^Timed out after 3.6s \(timeout 4s, 400 ms of it kept for the final listing\) while upgrading batch 2 of 2\./,
    );
    expect(emu.counters()["Throttled"]).toBe(1);
    expect(record.result).toBe("rolled-back");
    expect(record.rollback).toEqual({ succeeded: true, instanceIds: ["0", "1", "2", "3"] });
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(OLD_VERSION));
    // Never past timeout + health-timeout.
    expect(record.durationMs).toBeLessThanOrEqual(4_000 + 6_000);
    // The lease was made to last the rollback before it started, though the run's own time was spent: the renewals
    // wait while the rollback runs, so without it another run could take the scale set over in the middle of it.
    expect(tagWritesAfterStop[0]).toBe("lease extended");
  });
});

describe("a rollback after a timeout that cut off a running upgrade", () => {
  it("waits for that upgrade's operation (409 while it runs), then sends its instances back", async () => {
    // One batch of every instance, 3 s to upgrade; the run's time is up during it.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, instanceUpgradeSeconds: 3_000 }] });
    const config = configFor(emu, {
      rollout: { batchSize: count(4), timeoutMs: 1_500, healthTimeoutMs: 15_000, rollbackOnFailure: true },
    });
    const { record } = await rollout(config);
    const all = instanceIds(emu);
    expect(record.reason).toMatch(/^Timed out after/);
    // The rollback's manualupgrade met the forward one still running (409), and was sent again until it had ended.
    const upgrades = writesOf(emu).filter((w) => w.includes("UpdateInstances"));
    expect(upgrades.length).toBeGreaterThanOrEqual(3);
    expect([upgrades[0], upgrades.at(-1)]).toEqual([upgrade(...all), upgrade(...all)]);
    expect(upgrades.slice(1, -1)).toEqual(Array(upgrades.length - 2).fill(`${upgrade(...all)} → 409`));
    expect(record.result).toBe("rolled-back");
    expect(record.rollback).toEqual({ succeeded: true, instanceIds: all });
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(OLD_VERSION));
  });
});

describe("cancellation", () => {
  it("starts no new batch once cancelled and records the true state", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6, instanceUpgradeSeconds: 300 }] });
    const cancel = new AbortController();
    // The runner cancels once Azure has accepted batch 2's upgrade, while it upgrades it (~300 ms here).
    const events = (event: RolloutEvent): void => {
      if (event.type === "upgrade-accepted" && event.ids.includes("2")) cancel.abort();
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      signal: cancel.signal,
      events,
    });

    expect(record.result).toBe("cancelled");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "cancelled", "not-started"]);
    expect(outcomes(record)).toEqual({ updated: ["0", "1"], straggler: ["2", "3"], "not-started": ["4", "5"] });
    expect(record.instances.filter((i) => i.outcome === "straggler").map((i) => i.provisioningState)).toEqual([
      "Updating",
      "Updating",
    ]);
    expect(record.reason).toMatch(
      /^The job was cancelled while upgrading batch 2 of 3; no further batch was started\. Updated: 0, 1\. Not on the new model or unhealthy: 2 \(vmss1_2\): provisioning Updating, .*Not started: 4, 5\.$/,
    );
    expect(record.rollback).toBeUndefined();
  });

  it("a cancel between batches is honoured before the next one starts", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    const cancel = new AbortController();
    const events = (event: RolloutEvent): void => {
      if (event.type === "batch-ended" && event.batch === 1 && event.result === "succeeded") cancel.abort();
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), rollbackOnFailure: true } }), {
      signal: cancel.signal,
      events,
    });
    expect(record.result).toBe("cancelled");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1")]);
    expect(record.reason).toMatch(/^The job was cancelled before batch 2 of 2 started; no further batch was started\./);
  });
});

describe("operations already running", () => {
  it("waits for an instance upgrade already in progress, then rolls out", async () => {
    // 1000 simulated seconds (1 s here): room for the rollout's sign-in and first reads on a loaded machine.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, instanceUpgradeSeconds: 1_000 }] });
    // Someone changed the model and is upgrading instance 1 when the action starts.
    const other = adapterFor(configFor(emu));
    await other.patchScaleSet({ imageReference: { version: NEW_VERSION } }, undefined);
    const started = upgradeStarted(emu);
    const running = other.upgradeInstances(["1"]);
    await started;
    expect(emu.state("vmss1").instances[1]?.provisioningState).toBe("Updating");
    emu.resetLog();

    const phases: Phase[] = [];
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(3) } }), {
      events: (event) => void (event.type === "phase" && phases.push(event.phase)),
    });
    expect(await running).toEqual({ status: "Succeeded" });
    expect(record.result).toBe("succeeded");
    expect(phases).toContainEqual({ kind: "waiting-for-operation", busy: "instance(s) 1 Updating" });
    expect(writesOf(emu)).toEqual([upgrade("0", "2")]);
    expect(outcomes(record)).toEqual({ updated: ["0", "2"], "already-current": ["1"] });
  });

  it("fails saying what is running when it does not end within the timeout, having written nothing", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }] });
    emu.faults.hangUpgrade("1", { scaleSet: "vmss1" });
    const other = adapterFor(configFor(emu));
    await other.patchScaleSet({ imageReference: { version: NEW_VERSION } }, undefined);
    const abandon = new AbortController();
    const started = upgradeStarted(emu);
    const running = other.upgradeInstances(["1"], abandon.signal).catch(() => undefined);
    await started;
    expect(emu.state("vmss1").instances[1]?.provisioningState).toBe("Updating");
    emu.resetLog();

    const { record } = await rollout(configFor(emu, { rollout: { timeoutMs: 2_000 } }));
    abandon.abort();
    await running;
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Timed out after 1.8s \(timeout 2s, 200 ms of it kept for the final listing\) while waiting for an operation already in progress \(instance\(s\) 1 Updating\)\./,
    );
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
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      wrap: racedBy(emu, 1),
    });
    expect(record.result).toBe("succeeded");
    // Someone else's PATCH, ours refused on the stale etag, ours again on the etag read afresh.
    expect(writesOf(emu)).toEqual([PATCH_SET, `${PATCH_SET} → 412`, PATCH_SET, upgrade("0", "1")]);
    // (The lease, taken before, moved the etag from "1" to "2".)
    expect(
      modelWrites(emu)
        .slice(1, 3)
        .map((w) => w.headers["if-match"]),
    ).toEqual(['"2"', '"3"']);
    expect(log.text()).toContain(
      "The scale set changed since it was read (412 PreconditionFailed): reading it again (attempt 2).",
    );
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
    expect(
      modelWrites(emu)
        .filter((w) => w.headers["if-match"] !== undefined)
        .map((w) => w.status),
    ).toEqual([412, 412, 412]);
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
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", retryAfterSeconds: 600 });
    const { record } = await rollout(configFor(emu, { rollout: { timeoutMs: 10_000 } }));
    expect(record.result).toBe("failed");
    // Azure's correlation ID of the refused call (the emulator answers with the client's request ID) is in the reason.
    const throttled = emu.requests.find((r) => r.status === 429);
    const correlationId = throttled?.headers["x-ms-client-request-id"];
    expect(correlationId).toEqual(expect.any(String));
    expect(record.reason).toMatch(
      /^Failed while listing the instances to upgrade: TooManyRequests: Azure throttled the request \(HTTP 429\) and asked to wait 600s, more than the \d+s left before the timeout \(correlation ID [\w-]+\)\.$/,
    );
    expect(record.reason).toContain(`(correlation ID ${correlationId})`);
    expect(emu.counters()["Throttled"]).toBe(1);
  });

  it("a manualupgrade refused with 409 Conflict is tried again after a back-off, and the rollout finishes", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.conflict({ operation: "VirtualMachineScaleSets.UpdateInstances", times: 2 });
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([
      PATCH_SET,
      `${upgrade("0", "1")} → 409`,
      `${upgrade("0", "1")} → 409`,
      upgrade("0", "1"),
    ]);
    expect(log.text()).toMatch(
      /manualupgrade was refused \(Conflict: .*\): trying again in 5 ms \(attempt 2\)\.\nmanualupgrade 0, 1\n.*trying again in 10 ms \(attempt 3\)/,
    );
    expect(outcomes(record)).toEqual({ updated: ["0", "1"] });
  });

  it("a manualupgrade still refused with 409 after the retries stops the run; Azure touched no instance, so none failed", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.conflict({ operation: "VirtualMachineScaleSets.UpdateInstances", times: 100 });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET, ...Array(6).fill(`${upgrade("0", "1")} → 409`)]);
    expect(record.batches.map((b) => [b.result, b.error?.code])).toEqual([
      ["failed", "Conflict"],
      ["not-started", undefined],
    ]);
    expect(outcomes(record)).toEqual({ "not-started": ["0", "1", "2", "3"] });
    expect(record.reason).toMatch(
      /^Azure refused manualupgrade for batch 1 of 2 \(409 Conflict: The request failed due to conflict with a concurrent request.*\): another operation kept the scale set busy \(6 attempt\(s\)\)\. Azure touched none of its instances\. Not started: 0-3\.$/,
    );
  });

  it("an operation preempted by another one is sent again", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.preemptOperation({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("0", "1")]);
    // The operation's status body says why it ended: ARM's error code and message.
    expect(log.text()).toMatch(
      /manualupgrade was preempted \(OperationPreempted: .+\): trying again in 5 ms \(attempt 2\)\./,
    );
  });

  it("a manualupgrade refused with 401 stops the run at once, the batch's instances not started", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    const events = (event: RolloutEvent): void => {
      if (event.type === "batch-started" && event.batch === 1) emu.faults.expireTokens();
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), { events });
    expect(record.result).toBe("failed");
    // Sent once, not tried again: the requests are the whole story.
    expect(writesOf(emu)).toEqual([PATCH_SET, `${upgrade("0", "1")} → 401`]);
    expect(outcomes(record)).toEqual({ "not-started": ["0", "1", "2", "3"] });
    expect(record.reason).toMatch(
      /^Azure refused manualupgrade for batch 1 of 2 \(401 ExpiredAuthenticationToken: .*\): Azure did not accept the sign-in for it: .*\. Azure touched none of its instances\. Not started: 0-3\.$/,
    );
  });

  it("a manualupgrade refused with 403 names the permission the identity lacks", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    // The identity may write the model but has no role granting manualUpgrade/action: ARM refuses every manualupgrade.
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("failed");
    // Refused once, not retried: a missing role does not come back by waiting.
    expect(writesOf(emu)).toEqual([PATCH_SET, `${upgrade("0", "1")} → 403`]);
    expect(outcomes(record)).toEqual({ "not-started": ["0", "1"] });
    expect(record.batches[0]).toMatchObject({ result: "failed", error: { code: "AuthorizationFailed" } });
    expect(record.batches[0]!.error?.message).toMatch(
      /^The client '[0-9a-f-]+' with object id '[0-9a-f-]+' does not have authorization to perform action 'Microsoft\.Compute\/virtualMachineScaleSets\/manualUpgrade\/action' over scope '\/subscriptions\/[^']+\/virtualMachineScaleSets\/vmss1' or the scope is invalid\./,
    );
    expect(record.reason).toMatch(
      /^Azure refused manualupgrade for batch 1 of 1 \(403 AuthorizationFailed: The client .*\): the signed-in identity may not run manualupgrade on the scale set: it needs the permission Microsoft\.Compute\/virtualMachineScaleSets\/manualUpgrade\/action/,
    );
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
    const { record } = await rollout({
      ...config,
      auth: { mode: "creds", clientId: emu.clientId, clientSecret: "not-the-secret-x9", tenantId: emu.tenantId },
    });
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Failed while reading the scale set: AuthenticationFailed: Sign-in failed: .*AADSTS7000215/,
    );
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
    const events = (event: RolloutEvent): void => {
      if (event.type === "upgrade-ended" && event.outcome?.status === "Succeeded")
        ["0", "1"].forEach((id) => emu.setInstance("vmss1", id, { health: "initializing" }));
      if (event.type === "wait" && event.paceMs > FAST.pollIntervalMs)
        ["0", "1"].forEach((id) => emu.setInstance("vmss1", id, { health: "healthy" }));
    };
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), { events });
    expect(record.result).toBe("succeeded");
    expect(log.text()).toMatch(
      /Azure's throttling headroom is low \((\d|10) requests left\): polling every (10|20) ms\./,
    );
    expect(emu.counters()["Throttled"] ?? 0).toBe(0);
  });

  it("waits for the instance list's throttling bucket to hold the rest of a list instead of running into 429s", async () => {
    // A list of 10 instances is 10 pages here, each a token of HighCostGetVMScaleSet (30 in the bucket, 10 a simulated
    // minute: at speed 0.02, one every 0.12 s; the adapter is told that rate). Upgrades and model updates take 1
    // simulated second, so the run is far quicker than the refill, whatever the machine's load: one list to plan and
    // one per batch drain the bucket.
    const speed = 0.02;
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 10, instanceUpgradeSeconds: 1 }],
      modelUpdateSeconds: 1,
      pageSize: 1,
      throttle: true,
      speed,
    });
    const config = configFor(emu, { rollout: { batchSize: count(2), pollIntervalMs: 20 } });
    const log = memoryLogger();
    const api = createScaleSetApi(config, {
      logger: log,
      getIDToken: () => Promise.reject(new Error("no GitHub OIDC in these tests")),
      mask: () => {},
      listRefillPerMinute: 10 / speed,
    });
    const record = await runRollout(config, api, { logger: log, signal: new AbortController().signal });
    expect(record.result).toBe("succeeded");
    // No 429 within a list. A list's first page is not held back (the engine paces its lists): when one starts on an
    // empty bucket, its first page may meet a 429, read again after Retry-After.
    const throttled = emu.requests.filter((r) => r.status === 429);
    expect(throttled.filter((r) => Object.keys(r.query).some((k) => /skiptoken/i.test(k)))).toEqual([]);
    // Every instance to plan (10 pages); after batch k < 5 the 2k instances on the latest model; after the last,
    // every instance in one list (10 pages).
    expect(emu.counters()["VirtualMachineScaleSetVMs.List"]).toBe(10 + (2 + 4 + 6 + 8) + 10 + throttled.length);
    expect(log.text()).toMatch(
      /Waiting \d+( ms|s) for Azure's throttling bucket for instance lists \(HighCostGetVMScaleSet\) to hold the rest of the list\./,
    );
  });

  it("the adapter reports the throttling headroom Azure sends", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const api = adapterFor(configFor(emu));
    expect(api.rateLimitRemaining?.()).toBeUndefined();
    await api.getScaleSet();
    expect(api.rateLimitRemaining?.()).toEqual(expect.any(Number));
  });
});

describe.each(ORCHESTRATIONS)("scale-in during the rollout ($mode)", ({ seed }) => {
  it("an instance gone before its batch is reported as removed, not failed; it is never upgraded", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, ...seed }] });
    const [i0 = "", i1 = "", i2 = "", i3 = "", i4 = ""] = instanceIds(emu);
    // Autoscale removes the last when the first batch starts: it is in the listing the batches are planned on, gone
    // from the next.
    emu.faults.scaleIn(i4, { scaleSet: "vmss1" });
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("succeeded");
    expect(record.batches.map((b) => b.instanceIds)).toEqual([[i0, i1], [i2, i3], [i4]]);
    // Uniform: between batches only the instances on the latest model are listed (issue #18), which says nothing of
    // the last: Azure refuses the manualupgrade naming it (400 InvalidParameter, nothing touched), a listing of every
    // instance shows it gone, and the batch, with nothing left in it, ends. A Flexible set is listed whole: the VM gone
    // is seen gone before its batch, and never sent.
    expect(writesOf(emu)).toEqual([
      PATCH_SET,
      upgrade(i0, i1),
      upgrade(i2, i3),
      ...(seed.orchestrationMode ? [] : [`${upgrade(i4)} → 400`]),
    ]);
    expect(outcomes(record)).toEqual({ updated: [i0, i1, i2, i3], removed: [i4] });
    // The last batch, every instance of it gone, upgraded nothing: skipped, not "not started" nor "succeeded".
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "succeeded", "skipped"]);
    expect(log.text()).toContain(
      `Instance(s) ${i4} left the scale set (scale-in): not upgraded, not counted as failures.`,
    );
    expect(instanceIds(emu)).toEqual([i0, i1, i2, i3]);
  });

  it("a batch refused with 400 InvalidParameter for an instance gone since the last listing is sent again without it", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, ...seed }] });
    const [i0 = "", i1 = "", i2 = "", i3 = "", i4 = ""] = instanceIds(emu);
    // The last is removed just before the second manualupgrade, which names it: Azure answers 400 InvalidParameter.
    emu.faults.scaleIn(i4, { scaleSet: "vmss1", after: 1 });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(3) } }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(i0, i1, i2), `${upgrade(i3, i4)} → 400`, upgrade(i3)]);
    expect(outcomes(record)).toEqual({ updated: [i0, i1, i2, i3], removed: [i4] });
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(NEW_VERSION));
  });
});

describe("a sign-in that fails before a manualupgrade leaves", () => {
  it("its instances are not started, not 'unknown': no copy of it reached Azure", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    let signedOut = false;
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      wrap: (api) => ({
        ...api,
        // The credential fails (no HTTP answer, so no status code) before the request is sent; so does every read after.
        startUpgradeInstances: () => {
          signedOut = true;
          return Promise.reject(new AzureApiError("CredentialUnavailableError", "the token could not be refreshed"));
        },
        listInstances: async (signal, filter) => {
          if (signedOut) throw new AzureApiError("CredentialUnavailableError", "the token could not be refreshed");
          return api.listInstances(signal, filter);
        },
      }),
    });
    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(outcomes(record)).toEqual({ "not-started": ["0", "1", "2", "3"] });
  });
});

describe("the end of the run", () => {
  it("leaves nothing running: no request reaches Azure after the record is returned", async () => {
    // Rolling mode: the model update's operation lasts the whole roll (seconds here); the run fails before that.
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 4, upgradeMode: "Rolling", instanceUpgradeSeconds: 1_000 }],
    });
    // Every HTTP request this process sends once the record is returned (Node reports each as it is created).
    let returned = false;
    const sentAfter: string[] = [];
    const onRequest = (message: unknown): void => {
      if (returned) sentAfter.push((message as { request: { path: string } }).request.path);
    };
    subscribe("http.client.request.start", onRequest);
    try {
      let lists = 0;
      const { record } = await rollout(configFor(emu), {
        wrap: (api) => ({
          ...api,
          listInstances: async (signal) => {
            if (++lists === 2) throw new AzureApiError("InternalServerError", "boom", 500);
            return api.listInstances(signal);
          },
        }),
      });
      returned = true;
      expect(record.result).toBe("failed");
      expect(record.reason).toMatch(/^Failed while waiting for Azure's rolling upgrade: InternalServerError: boom\./);
      // The in-process emulator may log a poll the client sent just before the record was returned; after a moment
      // nothing more arrives (a poller left running would poll every few milliseconds) …
      await new Promise((resolve) => setTimeout(resolve, 50));
      const seen = emu.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(emu.requests.slice(seen).map((r) => r.operation)).toEqual([]);
      // … and none was even sent after the record was returned.
      expect(sentAfter).toEqual([]);
    } finally {
      unsubscribe("http.client.request.start", onRequest);
    }
  });
});

/**
 * Resolves once the next manualupgrade the emulator handles has set its instances going (Updating): they start in
 * promise jobs just after the request is handled, before any timer of theirs can fire, so a setImmediate from the
 * request's "after" trigger comes after them whatever the machine's load.
 */
function upgradeStarted(emu: Emulator): Promise<void> {
  return new Promise((resolve) =>
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" }, () =>
      setImmediate(resolve),
    ),
  );
}
