// The Azure adapter alone against the emulator (real SDK, real sign-in): reads retried through 429 storms, server
// errors and dropped connections, within the deadline; what the SDK does to writes; Azure's correlation ID of a failed
// call in the reason and the job summary. Backoff is made fast (1–5 ms) so that no test waits real seconds.

import { describe, expect, it } from "vitest";
import { createScaleSetApi } from "../../src/azure/index.ts";
import { runRollout } from "../../src/engine/rollout.ts";
import type { ScaleSetApi } from "../../src/engine/ports.ts";
import type { Config } from "../../src/config/types.ts";
import type { RetryTiming } from "../../src/azure/retry.ts";
import { sleep } from "../../src/shared/clock.ts";
import { AzureApiError } from "../../src/domain/scale-set.ts";
import { renderSummary } from "../../src/report/index.ts";
import type { Emulator, ScaleSetSeed } from "../../emulator/index.ts";
import { configFor, memoryLogger, NEW_VERSION, ORCHESTRATIONS, useEmulator, type MemoryLogger } from "./harness.ts";
import { isPreconditionFailed } from "../../src/domain/azure-errors.ts";

const emulator = useEmulator();

const FAST_RETRY: Partial<RetryTiming> = { baseMs: 1, maxMs: 5 };

/** A clock for the read retry that only its waits move on (each resolves at once), and the waits asked for. */
function virtualClock(start = 1_700_000_000_000): {
  now: () => number;
  waits: number[];
  timing: Pick<RetryTiming, "now" | "sleep">;
} {
  let now = start;
  const waits: number[] = [];
  return {
    now: () => now,
    waits,
    timing: {
      now: () => now,
      sleep: (ms) => {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

function adapter(
  config: Config,
  retry: Partial<RetryTiming> = FAST_RETRY,
  log: MemoryLogger = memoryLogger(),
): ScaleSetApi {
  return createScaleSetApi(config, {
    logger: log,
    getIDToken: () => Promise.reject(new Error("no GitHub OIDC in these tests")),
    mask: () => {},
    retry,
  });
}

/** Six of a fault on `operation`, after `after` such requests went through. */
type Fault = (emu: Emulator, operation: string, after?: number) => void;
const FAULTS: Record<string, Fault> = {
  "429 with Retry-After": (emu, operation, after = 0) =>
    emu.faults.throttle({ operation, after, times: 6, retryAfterSeconds: 0.01 }),
  "429 without Retry-After": (emu, operation, after = 0) =>
    emu.faults.throttle({ operation, after, times: 6, retryAfterSeconds: null }),
  "500": (emu, operation, after = 0) => emu.faults.serverError({ operation, after, times: 6 }),
  "dropped connection": (emu, operation, after = 0) => emu.faults.dropConnection({ operation, after, times: 6 }),
};

type Read = (api: ScaleSetApi) => Promise<unknown>;
const READS: Record<
  string,
  { operation: string; after?: number; call: Read; expected: unknown; seed?: Partial<ScaleSetSeed> }
> = {
  getScaleSet: {
    operation: "VirtualMachineScaleSets.Get",
    call: (api) => api.getScaleSet(),
    expected: expect.objectContaining({ name: "vmss1" }),
  },
  "listInstances (a middle page)": {
    operation: "VirtualMachineScaleSetVMs.List",
    after: 1, // the second page of three
    call: async (api) => (await api.listInstances()).map((i) => i.instanceId),
    expected: ["0", "1", "2"],
  },
  "listInstances of a Flexible set (a middle page of its standalone VM list)": {
    seed: { orchestrationMode: "Flexible", latestModelApplied: "absent" },
    operation: "VirtualMachines.List",
    after: 1,
    call: async (api) => {
      await api.getScaleSet(); // the adapter learns the orchestration mode from the set
      return (await api.listInstances()).map((i) => i.latestModelApplied);
    },
    expected: [true, true, true],
  },
  getLatestRollingUpgrade: {
    operation: "VirtualMachineScaleSetRollingUpgrades.GetLatest",
    call: (api) => api.getLatestRollingUpgrade(),
    expected: undefined, // no rolling upgrade ever ran: 404
  },
  "an operation's status (manualupgrade)": {
    operation: "Operations.Get",
    call: (api) => api.upgradeInstances(["0"]),
    expected: { status: "Succeeded" },
  },
};

const CASES = Object.entries(READS).flatMap(([read, r]) => Object.keys(FAULTS).map((fault) => ({ read, fault, ...r })));

describe("reads are retried with backoff", () => {
  it.each(CASES)("$read through six × $fault", async ({ fault, operation, after, call, expected, seed }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, ...seed }], pageSize: 1 });
    const api = adapter(configFor(emu));
    api.useDeadline?.(Date.now() + 60_000);
    FAULTS[fault]!(emu, operation, after);
    await expect(call(api)).resolves.toEqual(expected);
    const answered = emu.requests.filter((r) => r.operation === operation);
    expect(answered.filter((r) => r.status === 0 || r.status >= 429).length).toBe(6);
  });

  it("a page refused in the middle of a list is read again, not the list from the start", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }], pageSize: 1 });
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", after: 1, times: 3, retryAfterSeconds: null });
    const api = adapter(configFor(emu));
    expect((await api.listInstances()).map((i) => i.instanceId)).toEqual(["0", "1", "2"]);
    // 3 pages, the second one 4 times; the first page is not read again.
    expect(emu.counters()["VirtualMachineScaleSetVMs.List"]).toBe(6);
    const pages = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSetVMs.List");
    expect(pages.filter((r) => Object.keys(r.query).some((k) => /skiptoken/i.test(k))).length).toBe(5);
  });

  it("a read that keeps failing until the deadline throws an AzureApiError, never sleeping past the deadline", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", times: 100_000, retryAfterSeconds: null });
    // A virtual clock: each backoff wait moves it on at once, so the deadline is reached whatever the machine's load.
    const clock = virtualClock();
    const api = adapter(configFor(emu), { baseMs: 20, maxMs: 100, ...clock.timing });
    const deadline = clock.now() + 400;
    api.useDeadline?.(deadline);
    const error: unknown = await api.listInstances().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AzureApiError);
    expect(error).toMatchObject({ statusCode: 429, correlationId: expect.any(String) });
    // Never a sleep past the deadline (the last attempt's answer is what fails) …
    expect(clock.now()).toBeLessThanOrEqual(deadline);
    // … and it gave up only when the next wait (at most maxMs) could no longer fit.
    expect(deadline - clock.now()).toBeLessThan(100);
    const attempts = emu.counters()["VirtualMachineScaleSetVMs.List"];
    expect(attempts).toBeGreaterThan(3);
    expect(clock.waits).toHaveLength(attempts! - 1); // a wait between each two attempts, none after the last
  });

  it("a Retry-After past the deadline fails at once, saying so", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", retryAfterSeconds: 600 });
    const api = adapter(configFor(emu));
    api.useDeadline?.(Date.now() + 10_000);
    await expect(api.getScaleSet()).rejects.toMatchObject({
      name: "AzureApiError",
      code: "TooManyRequests",
      statusCode: 429,
      message: expect.stringMatching(/asked to wait 600s, more than the \d+s left before the timeout/),
    });
    expect(emu.counters()["VirtualMachineScaleSets.Get"]).toBe(1);
  });

  it("with no deadline set, a bounded number of attempts", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.serverError({ operation: "VirtualMachineScaleSets.Get", times: 100 });
    const api = adapter(configFor(emu), { ...FAST_RETRY, attemptsWithoutDeadline: 3 });
    await expect(api.getScaleSet()).rejects.toMatchObject({ name: "AzureApiError", statusCode: 500 });
    expect(emu.counters()["VirtualMachineScaleSets.Get"]).toBe(3);
  });

  it("an abort ends a backoff wait at once", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", times: 100, retryAfterSeconds: null });
    const abort = new AbortController();
    const waits: number[] = [];
    // The real (abortable) sleep, aborted as soon as the ten-minute backoff wait has begun: were the abort not to end
    // it, the test would time out.
    const api = adapter(configFor(emu), {
      baseMs: 600_000,
      maxMs: 600_000,
      sleep: (ms, signal) => {
        waits.push(ms);
        const waited = sleep(ms, signal);
        abort.abort();
        return waited;
      },
    });
    api.useDeadline?.(Date.now() + 3_600_000);
    await expect(api.getScaleSet(abort.signal)).rejects.toMatchObject({ name: "AbortError" });
    expect(waits).toEqual([expect.any(Number)]);
    expect(waits[0]).toBeGreaterThanOrEqual(300_000); // the backoff wait (600 s less up to half) was the one cut short
    expect(emu.counters()["VirtualMachineScaleSets.Get"]).toBe(1);
  });

  it("says in the log when it waits a second or more", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", retryAfterSeconds: 1 });
    const log = memoryLogger();
    const clock = virtualClock();
    const api = adapter(configFor(emu), { ...FAST_RETRY, ...clock.timing }, log);
    await api.getScaleSet();
    // x-ms-retry-after-ms (1000) is honoured as it is: a wait of one second, said in the log.
    expect(clock.waits).toEqual([1_000]);
    expect(
      log.lines.some((l) => /^Azure answered GET .* with HTTP 429: trying again in 1s \(attempt 2\)\.$/.test(l)),
    ).toBe(true);
    expect(emu.counters()["VirtualMachineScaleSets.Get"]).toBe(2);
  });
});

describe("a rollout through read faults", () => {
  it.each([
    {
      fault: "six 429s with Retry-After",
      inject: (emu: Emulator) => FAULTS["429 with Retry-After"]!(emu, "VirtualMachineScaleSetVMs.List"),
    },
    {
      fault: "six 429s without Retry-After",
      inject: (emu: Emulator) => FAULTS["429 without Retry-After"]!(emu, "VirtualMachineScaleSetVMs.List"),
    },
  ])("a storm of $fault on the instance list does not end the run", async ({ inject }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    inject(emu);
    const config = configFor(emu);
    const log = memoryLogger();
    const record = await runRollout(config, adapter(config, FAST_RETRY, log), {
      logger: log,
      signal: new AbortController().signal,
    });
    expect(record.result).toBe("succeeded");
    expect(emu.counters()["Throttled"]).toBe(6);
  });
});

describe("the correlation ID of a failed call", () => {
  it("is in the reason of the run and in the job summary", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.Get" });
    const config = configFor(emu);
    const log = memoryLogger();
    const record = await runRollout(config, adapter(config, FAST_RETRY, log), {
      logger: log,
      signal: new AbortController().signal,
    });
    expect(record.result).toBe("failed");
    const refused = emu.requests.find((r) => r.status === 403);
    const correlationId = refused?.headers["x-ms-client-request-id"];
    expect(correlationId).toEqual(expect.any(String));
    expect(record.reason).toContain(`AuthorizationFailed: `);
    expect(record.reason).toContain(`(correlation ID ${correlationId})`);
    expect(renderSummary(record)).toContain(correlationId);
  });
});

describe("a refused list page", () => {
  // The SDK's pager throws "Pagination failed with unexpected statusCode 409" and drops the body it parsed, so the
  // reason said that instead of Azure's own message (fuzz runs, 2026-12-07). Azure's words, as for any other call.
  it.each([
    {
      what: "409 Conflict",
      fault: (emu: Emulator) => emu.faults.conflict({ operation: "VirtualMachineScaleSetVMs.List", times: 100 }),
      code: "Conflict",
      message: "The request failed due to conflict with a concurrent request",
    },
    {
      what: "403 AuthorizationFailed",
      fault: (emu: Emulator) => emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List" }),
      code: "AuthorizationFailed",
      message: "does not have authorization to perform action",
    },
  ])("$what: Azure's code and message, not the pager's", async ({ fault, code, message }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    fault(emu);
    const api = adapter(configFor(emu), FAST_RETRY);
    const error: unknown = await api.listInstances().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AzureApiError);
    expect(error).toMatchObject({ code, correlationId: expect.any(String) });
    expect((error as AzureApiError).message).toContain(message);
    expect((error as AzureApiError).message).not.toContain("Pagination failed");
  });
});

describe("writes keep the SDK's retry policy", () => {
  it("the SDK sends a write again after a connection reset: a PATCH, and a manualupgrade POST", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const api = adapter(configFor(emu));
    const model = await api.getScaleSet();
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update" });
    await api.patchScaleSet({ imageReference: { version: NEW_VERSION } }, model.etag);
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    await expect(api.upgradeInstances(["0"])).resolves.toEqual({ status: "Succeeded" });
    // Each write reached the emulator twice: the first connection dropped (here before Azure acted on it; had Azure
    // acted first, the PATCH's copy would meet the bumped etag — 412 — and the POST would start a second upgrade).
    expect(emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Update").map((r) => r.status)).toEqual([
      0, 200,
    ]);
    expect(
      emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.UpdateInstances").map((r) => r.status),
    ).toEqual([0, 202]);
  });
});

describe("a manualupgrade is followed on its status URL alone", () => {
  // Its result is void: once its status says it ended, the Location core-lro would read next holds nothing (#18).
  // A model PATCH still gets its final read (the scale set it returns).
  it.each([
    { how: "upgradeInstances", fails: false, expected: { status: "Succeeded" } },
    { how: "upgradeInstances", fails: true, expected: { status: "Failed", error: { code: "OSProvisioningTimedOut" } } },
    { how: "startUpgradeInstances", fails: false, expected: { status: "Succeeded" } },
    {
      how: "startUpgradeInstances",
      fails: true,
      expected: { status: "Failed", error: { code: "OSProvisioningTimedOut" } },
    },
  ])("$how, the operation failing: $fails", async ({ how, fails, expected }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const api = adapter(configFor(emu));
    const model = await api.getScaleSet();
    await api.patchScaleSet({ imageReference: { version: NEW_VERSION } }, model.etag);
    // The PATCH's final read: the scale set it wrote (core-lro's final GET of a PATCH).
    const setReads = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Get").length;
    expect(setReads).toBe(2);
    if (fails) emu.faults.failOperation({ code: "OSProvisioningTimedOut", message: "timed out" });
    const outcome =
      how === "upgradeInstances"
        ? await api.upgradeInstances(["0", "1"])
        : await (
            await api.startUpgradeInstances(["0", "1"])
          ).done;
    expect(outcome).toMatchObject(expected);
    const after = emu.requests.slice(
      emu.requests.findIndex((r) => r.operation === "VirtualMachineScaleSets.UpdateInstances"),
    );
    expect(after.filter((r) => r.operation === "Operations.Get").length).toBeGreaterThan(0);
    expect(after.filter((r) => r.operation === "Operations.Monitor")).toEqual([]);
  });
});

describe("a tag write's answer is its result when it is the run's last write", () => {
  // The run's last tag write (the lease's release): Azure's 200 to a tags-only PATCH with If-Match is the scale set as
  // written, and neither its operation's status nor the scale set is read after it (#18: two round trips before the
  // run's end). Any other is followed to its end: the run's next write may come at once (ScaleSetApi.writeTags).
  it.each(
    ORCHESTRATIONS.flatMap(({ mode, seed }) => [
      { mode, seed, last: true, requests: ["PATCH VirtualMachineScaleSets.UpdateTags 200"] },
      {
        mode,
        seed,
        last: false,
        requests: [
          "PATCH VirtualMachineScaleSets.UpdateTags 200",
          "GET Operations.Get 200",
          "GET VirtualMachineScaleSets.Get 200",
        ],
      },
    ]),
  )("$mode, last: $last: the requests, and the model it resolves to", async ({ seed, last, requests }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    const api = adapter(configFor(emu));
    const model = await api.getScaleSet();
    const before = emu.requests.length;
    const written = await api.writeTags({ lease: "run 1" }, model.etag, undefined, { last });
    expect(written).toMatchObject({ tags: { lease: "run 1" }, etag: '"2"', name: "vmss1" });
    expect(emu.requests.slice(before).map((r) => `${r.method} ${r.operation} ${r.status}`)).toEqual(requests);
  });

  it("the last one meeting 412 rejects as PreconditionFailed, and nothing is read after it", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1 }] });
    const api = adapter(configFor(emu));
    await api.getScaleSet();
    const before = emu.requests.length;
    await expect(
      api
        .writeTags({ lease: "run 1" }, '"7"', undefined, { last: true })
        .catch((err: unknown) => isPreconditionFailed(err)),
    ).resolves.toBe(true);
    expect(emu.requests.slice(before).map((r) => `${r.operation} ${r.status}`)).toEqual([
      "VirtualMachineScaleSets.UpdateTags 412",
    ]);
    expect(emu.state("vmss1").model["tags"]).toEqual({});
  });
});

describe("a Flexible listing whose two lists disagree", () => {
  it("a VM deleted between the scale set's VM list and the VM list is read again, and reported gone, not judged on no state", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 3, orchestrationMode: "Flexible", latestModelApplied: "absent" }],
    });
    const names = emu.state("vmss1").instances.map((i) => i.instanceId);
    const gone = names[1] ?? "";
    // Scaled in just before the standalone VM list is answered: the member list read before it still names the VM.
    emu.faults.onRequest({ operation: "VirtualMachines.List", when: "before" }, () =>
      emu.deleteInstance("vmss1", gone),
    );
    const api = adapter(configFor(emu));
    await api.getScaleSet(undefined);
    const listed = await api.listInstances(undefined);
    expect(listed.map((i) => i.instanceId).sort()).toEqual(names.filter((n) => n !== gone).sort());
    expect(listed.every((i) => i.powerState !== undefined)).toBe(true);
  });
});
