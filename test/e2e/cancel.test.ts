// Issue 5 acceptance: cancelling the job (the runner sends SIGINT) mid-rollout ends the action within 5 s, and the job
// summary and outputs still tell the true state: result cancelled, which instances are on which model.
import { describe, expect, it } from "vitest";
import { describeRun, idList, readable, startAction } from "./harness.ts";
import {
  emulator,
  expectNoSecrets,
  FAST,
  instanceIds,
  manualUpgrades,
  ORCHESTRATIONS,
  record,
  requestLog,
  sortedIds,
  upgradeIds,
} from "./fixtures.ts";

const NEW_VERSION = "24.04.202502210";
/** The runner gives a cancelled step 7.5 s after SIGINT before SIGTERM; the action must be done well before. */
const EXIT_WITHIN_MS = 5_000;

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Sends `signal` as the runner does and waits for the action to exit; one still alive EXIT_WITHIN_MS later is killed
 * (SIGKILL, as the runner would) and `killedLate` says so: the kill-timer is the assertion.
 */
async function cancelAndWait(running: ReturnType<typeof startAction>, signal: "SIGINT" | "SIGTERM") {
  let killedLate = false;
  const guard = setTimeout(() => {
    killedLate = true;
    running.child.kill("SIGKILL");
  }, EXIT_WITHIN_MS);
  running.child.kill(signal);
  const result = await running.done;
  clearTimeout(guard);
  return { result, killedLate };
}

describe.each(ORCHESTRATIONS)("SIGINT mid-rollout ($mode)", ({ seed }) => {
  it("exits within 5 s and leaves a summary and outputs that tell the true state", async () => {
    // Batch 1 (i0, i1) finishes quickly; in batch 2 i3 finishes and i2 never does; i4 and i5 wait.
    const emu = await emulator({
      scaleSets: [{ name: "vmss-cancel", instances: 6, instanceUpgradeSeconds: 30, ...seed }],
    });
    const ids = instanceIds(emu, "vmss-cancel");
    const [i0 = "", i1 = "", i2 = "", i3 = "", i4 = "", i5 = ""] = ids;
    emu.faults.hangUpgrade(i2, { scaleSet: "vmss-cancel" });
    const running = startAction({
      emu,
      scaleSet: "vmss-cancel",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "max-unhealthy": "100%" },
      killAfterMs: 60_000,
    });
    const instance = (id: string) => emu.state("vmss-cancel").instances.find((i) => i.instanceId === id);
    await until(
      () => manualUpgrades(emu).length >= 2 && instance(i3)?.latestModelApplied === true,
      "batch 2 to be under way",
    );
    expect(manualUpgrades(emu).map(upgradeIds), requestLog(emu)).toEqual([
      [i0, i1],
      [i2, i3],
    ]);

    const { result, killedLate } = await cancelAndWait(running, "SIGINT");

    expect(killedLate, `still running ${EXIT_WITHIN_MS} ms after SIGINT\n${describeRun(result)}`).toBe(false);
    expect(result.signal, describeRun(result)).toBeNull(); // it handled SIGINT and exited by itself
    expect(result.exitCode).not.toBe(0);
    expect(manualUpgrades(emu)).toHaveLength(2); // no batch started after the cancel

    // Outputs are written and say what happened.
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    // i0, i1 (batch 1) and i3 (batch 2) made it; i2 was still upgrading; i4 and i5 never started.
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual([i0, i1, i3]);
    expect(idList(result.outputs, "failed-instances")).toEqual([i2]);

    // The record and the summary say which instance is on which model, as the emulator has it.
    const rec = record(result);
    expect(rec.result).toBe("cancelled");
    const actual = new Map(emu.state("vmss-cancel").instances.map((i) => [i.instanceId, i.latestModelApplied]));
    for (const id of [i0, i1, i3]) expect(actual.get(id), `instance ${id} in the emulator`).toBe(true);
    for (const id of [i2, i4, i5]) expect(actual.get(id), `instance ${id} in the emulator`).toBe(false);
    for (const inst of rec.instances) {
      expect(inst.latestModelAfter, `instance ${inst.instanceId}: record vs emulator`).toBe(
        actual.get(inst.instanceId),
      );
    }
    expect(Object.fromEntries(rec.instances.map((i) => [i.instanceId, i.outcome]))).toEqual({
      [i0]: "updated",
      [i1]: "updated",
      [i2]: "straggler",
      [i3]: "updated",
      [i4]: "not-started",
      [i5]: "not-started",
    });

    // The summary's list of all instances (its last table) shows the image each one runs now.
    expect(result.summaryExists, describeRun(result)).toBe(true);
    const summary = readable(result.summary);
    expect(summary).toMatch(/cancelled/i);
    for (const inst of emu.state("vmss-cancel").instances) {
      const row = summary.split("\n").findLast((line) => line.startsWith("|") && line.includes(inst.name));
      expect(row, `no row for ${inst.name} in the summary`).toBeDefined();
      expect(row).toContain(inst.imageReference["exactVersion"] ?? inst.imageReference["version"] ?? "?");
    }
    expectNoSecrets(result, emu);
  });
});

// Issue 18: cancellation ends within 5 s whatever the action is waiting on, not only between polls. Each case holds
// the action in one of the adapter's waits (found from the emulator's side: what was answered, then a quiet spell),
// sends SIGTERM there, and expects the same truthful ending: cancelled, nothing upgraded, every instance not started.
const WAITS: readonly {
  readonly name: string;
  readonly options: Parameters<typeof emulator>[0];
  readonly arrange: (emu: Awaited<ReturnType<typeof emulator>>) => void;
  /** True once the action has reached the wait. */
  readonly waiting: (emu: Awaited<ReturnType<typeof emulator>>) => boolean;
}[] = [
  {
    // 40 pages of one instance against a bucket of 30 (HighCostGetVMScaleSet, 10 a minute): once the bucket is empty
    // the adapter waits for each further page's token (list-budget.ts), 6 s at the published refill rate; SIGTERM
    // lands about 1 s into the first of those waits.
    name: "the instance list's throttling bucket",
    options: { speed: 0.01, throttle: true, pageSize: 1 },
    arrange: () => {},
    waiting: (emu) => (emu.counters()["VirtualMachineScaleSetVMs.List"] ?? 0) >= 1,
  },
  {
    // Every list answered 429 with Retry-After 60 s: the read retry (retry.ts) waits that long before trying again.
    name: "a read retry's backoff (429, Retry-After 60 s)",
    options: { speed: 0.01 },
    arrange: (emu) =>
      emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", times: 1_000, retryAfterSeconds: 60 }),
    waiting: (emu) => (emu.counters()["Throttled"] ?? 0) >= 1,
  },
];

// Uniform and Flexible: a Flexible set's listing starts with the same scale-set VM list (then the standalone VM list),
// so the waits are met there too. Whether latestModelApplied is reported matters only once both lists are read, after
// the wait: Flexible runs once, without it (the listing that also reads the model).
const WAIT_MODES = ORCHESTRATIONS.filter((o) => o.seed.latestModelApplied !== "reported");
const WAIT_CASES = WAIT_MODES.flatMap(({ mode, seed }) => WAITS.map((wait) => ({ mode, seed, wait })));

async function cancelInWait(wait: (typeof WAITS)[number], seed: (typeof ORCHESTRATIONS)[number]["seed"]) {
  const emu = await emulator({ ...wait.options, scaleSets: [{ name: "vmss-wait", instances: 40, ...seed }] });
  wait.arrange(emu);
  const running = startAction({
    emu,
    scaleSet: "vmss-wait",
    inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "50%", timeout: "10m" },
    killAfterMs: 120_000,
  });
  await until(() => wait.waiting(emu), "the action to reach the wait", 60_000);
  // A quiet spell with no request: the action is in the wait, not between requests.
  let seen = emu.requests.length;
  let quietSince = Date.now();
  await until(
    () => {
      if (emu.requests.length !== seen) [seen, quietSince] = [emu.requests.length, Date.now()];
      return Date.now() - quietSince >= 1_000;
    },
    "a quiet spell",
    60_000,
  );

  const { result, killedLate } = await cancelAndWait(running, "SIGTERM");
  return { emu, result, killedLate };
}

describe.each(WAIT_CASES)("SIGTERM while the action waits for $wait.name ($mode)", ({ seed, wait }) => {
  it("exits within 5 s, result cancelled, no batch started, a summary written", async () => {
    const { emu, result, killedLate } = await cancelInWait(wait, seed);
    expect(killedLate, `still running ${EXIT_WITHIN_MS} ms after SIGTERM\n${describeRun(result)}`).toBe(false);
    expect(result.signal, describeRun(result)).toBeNull(); // it handled SIGTERM and exited by itself
    expect(result.exitCode).not.toBe(0);
    expect(manualUpgrades(emu), requestLog(emu)).toEqual([]);
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(idList(result.outputs, "updated-instances")).toEqual([]);
    expect(record(result).result).toBe("cancelled");
    expect(emu.state("vmss-wait").instances.filter((i) => i.latestModelApplied)).toEqual([]);
    expect(result.summaryExists, describeRun(result)).toBe(true);
    expect(readable(result.summary)).toMatch(/cancelled/i);
    expectNoSecrets(result, emu);
  });

  // A run stopped before its batch plan has no targets yet: its instances must not count as "already current".
  it("claims no instance on the new model that Azure does not show on it", async () => {
    const { emu, result } = await cancelInWait(wait, seed);
    const actual = new Map(emu.state("vmss-wait").instances.map((i) => [i.instanceId, i.latestModelApplied]));
    const claimed = record(result).instances.filter(
      (i) => (i.outcome === "updated" || i.outcome === "already-current") && actual.get(i.instanceId) !== true,
    );
    expect(claimed.map((i) => `${i.instanceId} ${i.outcome}`)).toEqual([]);
    expect(readable(result.summary)).not.toMatch(/\b(\d+)\/\1 instances on the new model/);
  });
});

// A cancelled run still sends its deployment's final status, but a GitHub that does not answer must not hold the job
// summary and outputs past the runner's kill: GitHub calls end 2 s after the cancel (src/github/deployments.ts).
describe("SIGINT while GitHub's Deployments API does not answer", () => {
  it("exits within 5 s with its summary and outputs; the deployment is a warning", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-gh", instances: 4, instanceUpgradeSeconds: 30 }] });
    emu.github.holdRequests(60);
    const running = startAction({
      emu,
      scaleSet: "vmss-gh",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "deployment-environment": "production" },
      env: { GITHUB_REF: "refs/tags/v1.4.0" },
      killAfterMs: 60_000,
    });
    await until(() => manualUpgrades(emu).length >= 1, "batch 1 to start");
    const { result, killedLate } = await cancelAndWait(running, "SIGINT");

    expect(killedLate, `still running ${EXIT_WITHIN_MS} ms after SIGINT\n${describeRun(result)}`).toBe(false);
    expect(result.signal, describeRun(result)).toBeNull();
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(result.outputs["deployment-id"] ?? "").toBe("");
    expect(result.summaryExists, describeRun(result)).toBe(true);
    expect(readable(result.summary)).toMatch(/cancelled/i);
    expectNoSecrets(result, emu, { "GitHub token": emu.github.token });
  });
});
