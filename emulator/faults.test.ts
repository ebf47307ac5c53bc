// Every fault of emu.faults, observed through the real SDK (see README "Faults").
import { ComputeManagementClient } from "@azure/arm-compute";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import { armScope, computeClient, credentialFor, FAST_POLL } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";
const NEW_VERSION = "24.04.202410020";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions = {}): Promise<{ emu: Emulator; client: ComputeManagementClient }> {
  emu = await start({ speed: 0.001, ...options });
  return { emu, client: computeClient(emu) };
}

const setVersion = (client: ComputeManagementClient, version = NEW_VERSION) =>
  client.virtualMachineScaleSets.update(
    RG,
    VMSS,
    { virtualMachineProfile: { storageProfile: { imageReference: { version } } } },
    FAST_POLL,
  );
const upgrade = (client: ComputeManagementClient, instanceIds: string[]) =>
  client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds }, FAST_POLL);

/**
 * Runs `action` once the next manualupgrade has set its instances going (Updating): the emulator starts them in promise
 * jobs just after the request is handled, before any timer of theirs can fire, so a setImmediate from the request's
 * "after" trigger comes after them, whatever the machine's load.
 */
function upgradeStarted(emu: Emulator, action: () => void): void {
  emu.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" }, () =>
    setImmediate(action),
  );
}

describe("instance faults", () => {
  it("failUpgrade: the operation fails with VMExtensionProvisioningError and the instance view shows it", async () => {
    const { client, emu } = await setup();
    emu.faults.failUpgrade("1");
    await setVersion(client);
    await expect(upgrade(client, ["0", "1"])).rejects.toThrow(/VMExtensionProvisioningError/);

    const vm = await client.virtualMachineScaleSetVMs.get(RG, VMSS, "1", { expand: "instanceView" });
    expect(vm.provisioningState).toBe("Failed");
    expect(vm.instanceView?.statuses?.[0]).toMatchObject({
      code: "ProvisioningState/failed/VMExtensionProvisioningError",
      level: "Error",
    });
    expect(vm.instanceView?.statuses?.[0]?.message).toMatch(/failure when processing extension 'customScript'/);
    expect(vm.instanceView?.extensions?.[0]?.statuses?.[0]).toMatchObject({
      code: "ProvisioningState/failed/1",
      level: "Error",
    });
    expect(emu.state().operations.at(-1)).toMatchObject({
      status: "Failed",
      error: { code: "VMExtensionProvisioningError" },
    });
    // Assumption (README): the failed instance runs the new model — latestModelApplied true — but is Failed.
    expect(
      emu
        .state()
        .instances.slice(0, 2)
        .map((i) => [i.latestModelApplied, i.provisioningState]),
    ).toEqual([
      [true, "Succeeded"],
      [true, "Failed"],
    ]);
    const vm0 = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0");
    expect(vm0.statuses?.[0]?.code).toBe("ProvisioningState/succeeded");

    // The fault was used up: a retry succeeds.
    await upgrade(client, ["1"]);
    expect((await client.virtualMachineScaleSetVMs.get(RG, VMSS, "1")).provisioningState).toBe("Succeeded");
  });

  it("unhealthyAfterUpgrade: instances on that image report HealthState/unhealthy", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, healthExtension: true }] });
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { instanceIds: ["2"] });
    await setVersion(client);
    await upgrade(client, ["1", "2"]);
    const health = await Promise.all(
      ["1", "2"].map(
        async (id) => (await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, id)).vmHealth?.status?.code,
      ),
    );
    expect(health).toEqual(["HealthState/healthy", "HealthState/unhealthy"]);
  });

  it("hangUpgrade: the instance stays Updating and the operation never finishes", async () => {
    const { client, emu } = await setup();
    emu.faults.hangUpgrade("3");
    await setVersion(client);
    const abort = new AbortController();
    const running = client.virtualMachineScaleSets.updateInstances(
      RG,
      VMSS,
      { instanceIds: ["2", "3"] },
      { ...FAST_POLL, abortSignal: abort.signal },
    );
    const outcome = running.then(
      () => "finished",
      () => "aborted",
    );
    // The caller gives up once the operation was polled 20 times (still InProgress then: it never finishes).
    emu.faults.onRequest({ operation: "Operations.Get", when: "after", after: 19 }, () => abort.abort());
    expect(await outcome).toBe("aborted");
    expect(emu.counters()["Operations.Get"]).toBeGreaterThanOrEqual(20);
    const vms = emu.state().instances;
    expect(vms[2]).toMatchObject({ provisioningState: "Succeeded", latestModelApplied: true });
    expect(vms[3]).toMatchObject({ provisioningState: "Updating", latestModelApplied: false });
    expect(emu.state().operations.at(-1)?.status).toBe("InProgress");
  });
});

describe("request faults", () => {
  it("throttle: a 429 with Retry-After, Azure's body and rate-limit header is retried after Retry-After", async () => {
    const { client, emu } = await setup();
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", retryAfterSeconds: 0 });
    const ids: string[] = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) ids.push(vm.instanceId ?? "");
    expect(ids).toEqual(["0", "1", "2", "3"]);
    expect(
      emu.requests.filter((r) => r.operation === "VirtualMachineScaleSetVMs.List").map((r) => [r.status, r.errorCode]),
    ).toEqual([
      [429, "OperationNotAllowed"],
      [200, undefined],
    ]);
    expect(emu.counters()["Throttled"]).toBe(1);
  });

  it("throttle: the 429 body and headers are Azure's", async () => {
    const { client, emu } = await setup();
    emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", times: 4, retryAfterSeconds: 0 });
    let headers: { get(name: string): string | undefined } | undefined;
    const error = await client.virtualMachineScaleSets
      .get(RG, VMSS, { onResponse: (r) => (headers = r.headers) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      statusCode: 429,
      code: "OperationNotAllowed",
      message: "The server rejected the request because too many requests have been received for this subscription.",
      details: { error: { details: [{ code: "TooManyRequests", target: "GetVMScaleSetResource" }] } },
    });
    expect(headers?.get("retry-after")).toBe("0");
    expect(headers?.get("x-ms-retry-after-ms")).toBe("0");
    expect(headers?.get("x-ms-ratelimit-remaining-resource")).toBe("Microsoft.Compute/GetVMScaleSetResource;0");
  });

  it("throttle: retryAfterSeconds is told in whole seconds (Retry-After, rounded up) and exactly (x-ms-retry-after-ms)", async () => {
    const { emu } = await setup();
    emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", retryAfterSeconds: 0.25 });
    const client = new ComputeManagementClient(credentialFor(emu), emu.subscriptionId, {
      endpoint: emu.armEndpoint,
      credentials: { scopes: [armScope(emu)] },
      retryOptions: { maxRetries: 0 },
    });
    let headers: { get(name: string): string | undefined } | undefined;
    await expect(
      client.virtualMachineScaleSets.get(RG, VMSS, { onResponse: (r) => (headers = r.headers) }),
    ).rejects.toMatchObject({ statusCode: 429 });
    expect([headers?.get("retry-after"), headers?.get("x-ms-retry-after-ms")]).toEqual(["1", "250"]);
  });

  it("serverError and dropConnection are retried by the SDK", async () => {
    const { client, emu } = await setup();
    emu.faults.serverError({ operation: "VirtualMachineScaleSets.Get" });
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Get" });
    const vmss = await client.virtualMachineScaleSets.get(RG, VMSS);
    expect(vmss.name).toBe(VMSS);
    expect(emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Get").map((r) => r.status)).toEqual([
      500, 0, 200,
    ]);
  });

  it("conflict: 409 Conflict reaches the caller", async () => {
    const { client, emu } = await setup();
    emu.faults.conflict({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    await expect(upgrade(client, ["0"])).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
  });

  it("a fault can let requests through first and hit several", async () => {
    const { client, emu } = await setup();
    emu.faults.serverError({ operation: "VirtualMachineScaleSets.Get", after: 1, times: 4 });
    await client.virtualMachineScaleSets.get(RG, VMSS);
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).rejects.toMatchObject({
      statusCode: 500,
      code: "InternalServerError",
    });
    expect(emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Get").map((r) => r.status)).toEqual([
      200, 500, 500, 500, 500,
    ]);
  });
});

describe("authorization", () => {
  const OID = "5b0e5b5e-0000-4000-8000-00000000a11d";

  it("authorizationFailed: manualupgrade refused with ARM's 403 body, every time, other operations allowed", async () => {
    const { client, emu } = await setup();
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    await setVersion(client);
    const scope = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${VMSS}`;
    const refused = {
      statusCode: 403,
      code: "AuthorizationFailed",
      message: `The client '${OID}' with object id '${OID}' does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    };
    await expect(upgrade(client, ["0"])).rejects.toMatchObject(refused);
    // A missing role stays missing: no retry by the SDK, and the next request is refused too.
    await expect(upgrade(client, ["0", "1"])).rejects.toMatchObject(refused);
    expect(
      emu.requests
        .filter((r) => r.operation === "VirtualMachineScaleSets.UpdateInstances")
        .map((r) => [r.status, r.errorCode]),
    ).toEqual([
      [403, "AuthorizationFailed"],
      [403, "AuthorizationFailed"],
    ]);
    expect(emu.state().operations.map((o) => o.operation)).toEqual(["VirtualMachineScaleSets.Update"]);
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).resolves.toMatchObject({ name: VMSS });
  });

  it("authorizationFailed: a read, once, with the failure-cause header; the scope of a list is the scale set", async () => {
    const { client, emu } = await setup();
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List", times: 1 });
    let response: { headers: { get(name: string): string | undefined }; bodyAsText?: string | null } | undefined;
    const list = async (): Promise<string[]> => {
      const ids: string[] = [];
      for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { onResponse: (r) => (response = r) }))
        ids.push(vm.instanceId ?? "");
      return ids;
    };
    // The SDK's pager keeps the code but not the message ("Pagination failed with unexpected statusCode 403").
    await expect(list()).rejects.toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
    const body = JSON.parse(response?.bodyAsText ?? "{}") as { error?: { code: string; message: string } };
    expect(body.error?.message).toMatch(
      new RegExp(
        `perform action 'Microsoft\\.Compute/virtualMachineScaleSets/virtualMachines/read' over scope '/subscriptions/[^']*/virtualMachineScaleSets/${VMSS}' or the scope is invalid`,
      ),
    );
    expect(response?.headers.get("x-ms-failure-cause")).toBe("gateway");
    expect(await list()).toEqual(["0", "1", "2", "3"]);
  });

  it("authorizationFailed: `action` names another action", async () => {
    const { client, emu } = await setup();
    emu.faults.authorizationFailed({
      operation: "VirtualMachineScaleSets.Update",
      action: "Microsoft.Compute/galleries/images/versions/read",
    });
    await expect(setVersion(client)).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("action 'Microsoft.Compute/galleries/images/versions/read' over scope"),
    });
    expect(emu.state().model).toMatchObject({ etag: '"1"' });
  });
});

describe("scale-in", () => {
  const list = async (client: ComputeManagementClient): Promise<string[]> => {
    const ids: string[] = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) ids.push(vm.instanceId ?? "");
    return ids;
  };

  it("scaleIn: the instance is deleted just before the manualupgrade naming it, which gets 400 InvalidParameter", async () => {
    const { client, emu } = await setup();
    emu.faults.scaleIn("3");
    await setVersion(client);
    expect(await list(client)).toEqual(["0", "1", "2", "3"]);
    await expect(upgrade(client, ["2", "3"])).rejects.toMatchObject({
      statusCode: 400,
      code: "InvalidParameter",
      message: "The provided instanceId 3 is not an active Virtual Machine Scale Set VM instanceId.",
    });
    expect(await list(client)).toEqual(["0", "1", "2"]);
    await expect(client.virtualMachineScaleSetVMs.get(RG, VMSS, "3")).rejects.toMatchObject({
      statusCode: 404,
      code: "NotFound",
    });
    const vmss = await client.virtualMachineScaleSets.get(RG, VMSS);
    expect([vmss.sku?.capacity, vmss.etag]).toEqual([3, '"3"']);
    const view = await client.virtualMachineScaleSets.getInstanceView(RG, VMSS);
    expect(view.virtualMachine?.statusesSummary).toEqual([{ code: "ProvisioningState/succeeded", count: 3 }]);
    // Sent again without it, the batch goes through.
    await upgrade(client, ["2"]);
    expect(emu.state().instances.map((i) => [i.instanceId, i.latestModelApplied])).toEqual([
      ["0", false],
      ["1", false],
      ["2", true],
    ]);
  });

  it("scaleIn after other manualupgrades, of an instance the request does not name: the request goes on", async () => {
    const { client, emu } = await setup();
    emu.faults.scaleIn("3", { scaleSet: VMSS, after: 1 });
    await setVersion(client);
    await upgrade(client, ["0"]);
    expect(await list(client)).toEqual(["0", "1", "2", "3"]);
    await upgrade(client, ["1", "2"]);
    expect(emu.state().instances.map((i) => [i.instanceId, i.latestModelApplied])).toEqual([
      ["0", true],
      ["1", true],
      ["2", true],
    ]);
    expect(() => emu.faults.scaleIn("3")).toThrow(/no instance 3/);
  });

  it("deleteInstance while an upgrade runs on it: the operation carries on with the others and succeeds", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instanceUpgradeSeconds: 200 }] });
    await setVersion(client);
    let deletedWhile: string | undefined;
    upgradeStarted(emu, () => {
      deletedWhile = emu.state().instances[1]?.provisioningState;
      emu.deleteInstance(VMSS, "1");
    });
    await upgrade(client, ["0", "1"]);
    expect(deletedWhile).toBe("Updating");
    expect(emu.state().operations.at(-1)).toMatchObject({
      operation: "VirtualMachineScaleSets.UpdateInstances",
      status: "Succeeded",
    });
    expect(emu.state().instances.map((i) => [i.instanceId, i.latestModelApplied])).toEqual([
      ["0", true],
      ["2", false],
      ["3", false],
    ]);
    expect(() => emu.deleteInstance(VMSS, "1")).toThrow(/no instance 1/);
  });
});

describe("operation faults", () => {
  it("preemptOperation: the running manualupgrade ends Canceled with OperationPreempted", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instanceUpgradeSeconds: 100_000 }] });
    await setVersion(client);
    // Preempted once its instances are Updating (see upgradeStarted).
    let updatingWhenPreempted: string[] = [];
    upgradeStarted(emu, () => {
      updatingWhenPreempted = emu.state().instances.map((i) => i.provisioningState);
      emu.faults.preemptOperation({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    });
    const running = upgrade(client, ["0", "1"]).then(
      () => "succeeded",
      (e: Error) => e.message,
    );
    expect(await running).toMatch(/cancel/i);
    expect(updatingWhenPreempted).toEqual(["Updating", "Updating", "Succeeded", "Succeeded"]);
    expect(emu.state().operations.at(-1)).toMatchObject({ status: "Canceled", error: { code: "OperationPreempted" } });
    expect(emu.state().instances.map((i) => [i.provisioningState, i.latestModelApplied])).toEqual(
      Array(4).fill(["Succeeded", false]),
    );
  });

  it("preemptOperation with status Failed: the next operation fails with OperationPreempted in its message", async () => {
    const { client, emu } = await setup();
    emu.faults.preemptOperation({ operation: "VirtualMachineScaleSets.Update", status: "Failed" });
    await expect(setVersion(client)).rejects.toThrow(/OperationPreempted/);
  });

  it("deleteScaleSet mid-rollout: the upgrade ends and the set is gone (404)", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instanceUpgradeSeconds: 100_000 }] });
    await setVersion(client);
    let updatingWhenDeleted: string | undefined;
    upgradeStarted(emu, () => {
      updatingWhenDeleted = emu.state().instances[0]?.provisioningState;
      emu.faults.deleteScaleSet(VMSS);
    });
    const running = upgrade(client, ["0"]).then(
      () => "succeeded",
      (e: Error) => e.message,
    );
    expect(await running).toMatch(/cancel/i);
    expect(updatingWhenDeleted).toBe("Updating");
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
    });
    const list = async () => {
      for await (const _vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) break;
    };
    await expect(list()).rejects.toMatchObject({ statusCode: 404, code: "ParentResourceNotFound" });
  });

  it("expireTokens: the cached token is refused with 401 ExpiredAuthenticationToken", async () => {
    const { client, emu } = await setup();
    await client.virtualMachineScaleSets.get(RG, VMSS);
    emu.faults.expireTokens();
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).rejects.toMatchObject({
      statusCode: 401,
      code: "ExpiredAuthenticationToken",
    });
    // A new client (no cached token) signs in again and works.
    await expect(computeClient(emu).virtualMachineScaleSets.get(RG, VMSS)).resolves.toMatchObject({ name: VMSS });
  });

  it("expireTokens mid-rollout: the next operation poll is refused and the waiting caller gets the 401", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instanceUpgradeSeconds: 100_000 }] });
    await setVersion(client);
    const running = upgrade(client, ["0", "1"]);
    const outcome = running.then(
      () => undefined,
      (e: unknown) => e,
    );
    // Once the third poll is answered, every token issued so far is expired.
    emu.faults.onRequest({ operation: "Operations.Get", when: "after", after: 2 }, () => emu.faults.expireTokens());
    expect(await outcome).toMatchObject({ statusCode: 401, code: "ExpiredAuthenticationToken" });
    expect(emu.state().instances[0]?.provisioningState).toBe("Updating");
  });
});

describe("token-bucket throttle (opt-in)", () => {
  it("empties HighCostGetVMScaleSetResource (30 tokens) and answers 429 with the seconds until the next token", async () => {
    // speed 1: Azure's refill rate (10 per minute), so the bucket really runs dry within the test.
    const emu = await start({ speed: 1, throttle: true });
    try {
      const client = new ComputeManagementClient(credentialFor(emu), emu.subscriptionId, {
        endpoint: emu.armEndpoint,
        credentials: { scopes: [armScope(emu)] },
        retryOptions: { maxRetries: 0 },
      });
      const remaining: string[] = [];
      const waits: number[] = [];
      const view = () =>
        client.virtualMachineScaleSets.getInstanceView(RG, VMSS, {
          onResponse: (r) => {
            remaining.push(
              `${r.status} ${r.headers.get("retry-after") ?? "-"} ${r.headers.get("x-ms-ratelimit-remaining-resource")}`,
            );
            waits.push(Number(r.headers.get("x-ms-retry-after-ms") ?? NaN));
          },
        });
      for (let i = 0; i < 30; i++) await view();
      await expect(view()).rejects.toMatchObject({ statusCode: 429, code: "OperationNotAllowed" });
      // Subscription bucket first, as recorded.
      expect(remaining[0]).toBe(
        "200 - Microsoft.Compute/HighCostGetVMScaleSetSubscriptionMaximum;1079,Microsoft.Compute/HighCostGetVMScaleSetResource;29",
      );
      expect(remaining[29]).toMatch(
        /^200 - Microsoft\.Compute\/HighCostGetVMScaleSetSubscriptionMaximum;\d+,Microsoft\.Compute\/HighCostGetVMScaleSetResource;0$/,
      );
      expect(remaining[30]).toMatch(
        /^429 [1-6] Microsoft\.Compute\/HighCostGetVMScaleSetSubscriptionMaximum;\d+,Microsoft\.Compute\/HighCostGetVMScaleSetResource;0$/,
      );
      // The exact wait next to the rounded one: a token every 6 s (10 per minute).
      const retryAfter = Number(remaining[30]?.split(" ")[1]);
      expect(waits[30]).toBeGreaterThan((retryAfter - 1) * 1000);
      expect(waits[30]).toBeLessThanOrEqual(retryAfter * 1000);
      expect(emu.counters()["Throttled"]).toBe(1);
      // Other operation groups have their own buckets.
      await expect(client.virtualMachineScaleSets.get(RG, VMSS)).resolves.toMatchObject({ name: VMSS });
    } finally {
      await emu.stop();
    }
  });

  it("scales the wait by speed: x-ms-retry-after-ms is the simulated refill time × speed, which the SDK honours before Retry-After", async () => {
    // The buckets' clock stands still (nothing refills behind the test's back) until the test moves it on.
    // Speed 0.001: a HighCostGetVMScaleSet token (6 simulated seconds) refills in 6 ms; Retry-After still says 1 s.
    let now = Date.now();
    const emu = await start({ speed: 0.001, throttle: true, throttleNow: () => now });
    try {
      const credential = credentialFor(emu);
      const options = { endpoint: emu.armEndpoint, credentials: { scopes: [armScope(emu)] } };
      const noRetry = new ComputeManagementClient(credential, emu.subscriptionId, {
        ...options,
        retryOptions: { maxRetries: 0 },
      });
      let throttled: { get(name: string): string | undefined } | undefined;
      let sent = 0;
      for (; sent < 100 && !throttled; sent++) {
        await noRetry.virtualMachineScaleSets
          .getInstanceView(RG, VMSS, { onResponse: (r) => (throttled = r.status === 429 ? r.headers : undefined) })
          .catch(() => undefined);
      }
      expect(sent).toBe(31); // the bucket's 30 tokens, then a 429
      expect(throttled?.get("retry-after")).toBe("1");
      expect(throttled?.get("x-ms-retry-after-ms")).toBe("6"); // 6 simulated seconds × 0.001

      // The SDK's default retry policy (real delays, same signed-in credential) waits the exact time, not a whole
      // second: its first try is refused; the token comes back (the clock moved on by the wait) just before the retry.
      const retrying = new ComputeManagementClient(credential, emu.subscriptionId, options);
      const before = emu.requests.length;
      emu.faults.onRequest({ operation: "VirtualMachineScaleSets.GetInstanceView", when: "before", after: 1 }, () => {
        now += 6;
      });
      await expect(retrying.virtualMachineScaleSets.getInstanceView(RG, VMSS)).resolves.toBeDefined();
      const tries = emu.requests.slice(before).filter((r) => r.operation === "VirtualMachineScaleSets.GetInstanceView");
      expect(tries.map((r) => r.status)).toEqual([429, 200]);
      // The gap between the 429's answer and the retry: the SDK's ~6 ms wait, far from Retry-After's 1000 ms.
      const [refused, retried] = tries;
      const answered = Date.parse(refused!.startedAt) + refused!.durationMs;
      expect(Date.parse(retried!.startedAt) - answered).toBeLessThan(1_000);
    } finally {
      await emu.stop();
    }
  });
});

describe("hostile messages", () => {
  it("every ARM error answer's message ends with the text, until clear()", async () => {
    const { client, emu } = await setup();
    const text = "##[stop-commands]x\n::add-mask::y";
    emu.faults.hostileMessages(text);
    emu.faults.conflict({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    await expect(upgrade(client, ["0"])).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    await expect(client.virtualMachineScaleSets.get(RG, "nope")).rejects.toMatchObject({
      statusCode: 404,
      message: expect.stringMatching(/ ##\[stop-commands\]x\n::add-mask::y$/),
    });
    emu.faults.clear();
    await expect(client.virtualMachineScaleSets.get(RG, "nope")).rejects.toMatchObject({
      message: expect.not.stringContaining("stop-commands"),
    });
  });
});
