// Answers a reviewer compared with the recordings and the REST spec: the set's size list and OS-upgrade history,
// write-only secrets, Flexible upgrade-policy defaults, sku tier, automaticRepairsPolicy's repairAction, ARM's
// gatekeeping of unrouted paths, DELETE of what is not there, request and correlation IDs, canonical locations, the
// profile's timeCreated, redeploy and performMaintenance, and power actions on a deallocated instance.
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import { armToken, computeClient, FAST_POLL, rawArm, TEST_API_VERSION } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";
const API = TEST_API_VERSION;

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await start({ speed: 0.001, ...options });
  return emu;
}

async function operationEnd(emu: Emulator, url: string | null): Promise<string> {
  const token = await armToken(emu);
  let status = "InProgress";
  for (let i = 0; i < 400 && status === "InProgress"; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const poll = await fetch(url ?? "", { headers: { Authorization: `Bearer ${token}` } });
    status = ((await poll.json()) as { status: string }).status;
  }
  return status;
}

const setPath = (emu: Emulator, name = VMSS, group = RG) =>
  `/subscriptions/${emu.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

const newSet = (location: string, sku: Record<string, unknown>) => ({
  location,
  sku,
  properties: {
    upgradePolicy: { mode: "Manual" },
    virtualMachineProfile: {
      osProfile: { computerNamePrefix: "web", adminUsername: "azureuser", adminPassword: "P@ssw0rd-created!" },
      storageProfile: {
        imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
        osDisk: { createOption: "FromImage" },
      },
      networkProfile: { networkInterfaceConfigurations: [] },
    },
  },
});

describe("the set's size list and OS-upgrade history (azure-cli_test_vmss_create_and_modify.yaml #19, #21)", () => {
  it.each([
    { path: "skus", operation: "VirtualMachineScaleSets.ListSkus" },
    { path: "osUpgradeHistory", operation: "VirtualMachineScaleSets.GetOSUpgradeHistory" },
  ])("serves GET …/$path in the GetVMScaleSet throttle group", async ({ path, operation }) => {
    const emu = await setup();
    const answer = await rawArm(emu, "GET", `${setPath(emu)}/${path}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      /^Microsoft\.Compute\/GetVMScaleSetSubscriptionMaximum;\d+,Microsoft\.Compute\/GetVMScaleSetResource;\d+$/,
    );
    expect(emu.counters()[operation]).toBe(1);
    expect((await rawArm(emu, "GET", `${setPath(emu, "vmss-missing")}/${path}`)).body.error.code).toBe(
      "ParentResourceNotFound",
    );
  });

  it("lists sizes with the recorded shape, the set's own among them; the history is empty; both through the SDK", async () => {
    const emu = await setup();
    const client = computeClient(emu);
    const skus = [];
    for await (const sku of client.virtualMachineScaleSets.listSkus(RG, VMSS)) skus.push(sku);
    expect(skus).toContainEqual({
      resourceType: "Microsoft.Compute/virtualMachineScaleSets",
      sku: { name: "Standard_D2s_v3", tier: "Standard" },
      capacity: { minimum: 0, maximum: 100, defaultCapacity: 1, scaleType: "Automatic" },
    });
    expect(skus.find((s) => s.sku?.name === "Basic_A1")?.sku?.tier).toBe("Basic");
    const history = [];
    for await (const entry of client.virtualMachineScaleSets.listOSUpgradeHistory(RG, VMSS)) history.push(entry);
    expect(history).toEqual([]);
    expect((await rawArm(emu, "GET", `${setPath(emu)}/osUpgradeHistory`)).body).toEqual({ value: [] });
  });
});

describe("write-only secrets are never answered (recording #17 of …create_and_modify.yaml: adminUsername, no adminPassword)", () => {
  const secrets = {
    properties: {
      virtualMachineProfile: {
        osProfile: { adminPassword: "P@ssw0rd-secret!", customData: "I2Nsb3VkLWNvbmZpZw==" },
        userData: "dXNlci1kYXRh",
      },
    },
  };
  const readers: { name: string; read: (emu: Emulator) => Promise<unknown> }[] = [
    { name: "the set's GET", read: async (emu) => (await rawArm(emu, "GET", setPath(emu))).body },
    {
      name: "the group's list",
      read: async (emu) =>
        (
          await rawArm(
            emu,
            "GET",
            `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets`,
          )
        ).body,
    },
    { name: "a VM's GET", read: async (emu) => (await rawArm(emu, "GET", `${setPath(emu)}/virtualMachines/0`)).body },
    { name: "the VM list", read: async (emu) => (await rawArm(emu, "GET", `${setPath(emu)}/virtualMachines`)).body },
    { name: "the emulator's state", read: (emu) => Promise.resolve(emu.state().model) },
  ];

  it.each(["PATCH", "PUT"])("a %s's answer leaves them out", async (method) => {
    const emu = await setup();
    const body = method === "PUT" ? { location: "westeurope", ...secrets } : secrets;
    const answer = await rawArm(emu, method, setPath(emu), { body });
    expect(answer.status).toBe(200);
    expect(answer.text).not.toMatch(/adminPassword|customData|userData|P@ssw0rd|dXNlci1kYXRh/);
    expect(answer.body.properties.virtualMachineProfile.osProfile.adminUsername).toBe("azureuser");
  });

  it.each(readers)("$name leaves them out (also after the instances took the model)", async ({ read }) => {
    const emu = await setup();
    await rawArm(emu, "PATCH", setPath(emu), { body: secrets });
    const client = computeClient(emu);
    await client.virtualMachineScaleSets.beginUpdateInstancesAndWait(RG, VMSS, { instanceIds: ["*"] }, FAST_POLL);
    expect(JSON.stringify(await read(emu))).not.toMatch(/adminPassword|customData|userData|P@ssw0rd|dXNlci1kYXRh/);
  });

  it("shows userData with $expand=userData only, and a created set's password is kept but never shown", async () => {
    const emu = await setup();
    await rawArm(emu, "PATCH", setPath(emu), { body: secrets });
    const expanded = await rawArm(emu, "GET", setPath(emu), { query: `api-version=${API}&$expand=userData` });
    expect(expanded.body.properties.virtualMachineProfile.userData).toBe("dXNlci1kYXRh");
    expect(expanded.text).not.toMatch(/adminPassword|customData/);
    const created = await rawArm(emu, "PUT", setPath(emu, "vmss-new"), {
      body: newSet("westeurope", { name: "Standard_D2s_v3", capacity: 1 }),
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toMatch(/adminPassword|P@ssw0rd/);
  });
});

describe("Flexible sets' upgrade policy after a write (azure-cli_test_vmss_add_application.yaml #12, #14)", () => {
  it.each([
    {
      name: "PATCH of the profile",
      method: "PATCH",
      body: { properties: { virtualMachineProfile: { userData: "eA==" } } },
    },
    { name: "tags-only PATCH", method: "PATCH", body: { tags: { a: "b" } } },
    { name: "PUT", method: "PUT", body: { location: "westeurope", tags: { a: "b" } } },
  ])("shows upgradePolicy {mode: Manual} alone after a $name", async ({ method, body }) => {
    const emu = await setup({ scaleSets: [{ name: VMSS, orchestrationMode: "Flexible", instances: 2 }] });
    const answer = await rawArm(emu, method, setPath(emu), { body });
    expect(answer.status).toBe(200);
    expect(answer.body.properties.upgradePolicy).toEqual({ mode: "Manual" });
    expect((await rawArm(emu, "GET", setPath(emu))).body.properties.upgradePolicy).toEqual({ mode: "Manual" });
  });

  it("a Uniform set keeps the recorded defaults (…create_and_modify.yaml #17)", async () => {
    const emu = await setup();
    const answer = await rawArm(emu, "PATCH", setPath(emu), { body: { tags: { a: "b" } } });
    expect(answer.body.properties.upgradePolicy.rollingUpgradePolicy).toMatchObject({
      maxBatchInstancePercent: 20,
      rollbackFailedInstancesOnPolicyBreach: false,
    });
  });
});

describe("sku.tier, as every recorded set and VM shows it", () => {
  it.each([
    { size: "Standard_D2s_v3", tier: "Standard" },
    { size: "Basic_A1", tier: "Basic" },
  ])("a set created as $size without a tier shows tier $tier, and so do its VMs", async ({ size, tier }) => {
    const emu = await setup();
    const created = await rawArm(emu, "PUT", setPath(emu, "vmss-new"), {
      body: newSet("westeurope", { name: size, capacity: 1 }),
    });
    expect(created.body.sku).toEqual({ name: size, tier, capacity: 1 });
    expect((await rawArm(emu, "GET", setPath(emu, "vmss-new"))).body.sku.tier).toBe(tier);
    const vms = (await rawArm(emu, "GET", `${setPath(emu, "vmss-new")}/virtualMachines`)).body.value;
    expect(vms.map((vm: { sku: unknown }) => vm.sku)).toEqual([{ name: size, tier }]);
  });
});

describe("automaticRepairsPolicy's repairAction (…health_extension.yaml #24 PUT, #26 GET; the spec: default Replace)", () => {
  it.each([
    {
      name: "a PUT of {enabled, gracePeriod} (the recorded one)",
      method: "PUT",
      policy: { enabled: true, gracePeriod: "PT30M" },
      shown: { enabled: true, gracePeriod: "PT30M", repairAction: "Replace" },
    },
    {
      name: "a PATCH of {enabled: false}",
      method: "PATCH",
      policy: { enabled: false },
      shown: { enabled: false, repairAction: "Replace" },
    },
    {
      name: "a PUT naming Restart (…health_probe.yaml #35, answered Restart)",
      method: "PUT",
      policy: { enabled: true, gracePeriod: "PT30M", repairAction: "Restart" },
      shown: { enabled: true, gracePeriod: "PT30M", repairAction: "Restart" },
    },
  ])("$name: the answer and a GET show $shown.repairAction", async ({ method, policy, shown }) => {
    const emu = await setup();
    const body = {
      ...(method === "PUT" ? { location: "westeurope" } : {}),
      properties: { automaticRepairsPolicy: policy },
    };
    const answer = await rawArm(emu, method, setPath(emu), { body });
    expect(answer.status).toBe(200);
    expect(answer.body.properties.automaticRepairsPolicy).toEqual(shown);
    expect((await rawArm(emu, "GET", setPath(emu))).body.properties.automaticRepairsPolicy).toEqual(shown);
  });

  it("a set created with a policy without repairAction shows Replace", async () => {
    const emu = await setup();
    const set = newSet("westeurope", { name: "Standard_D2s_v3", capacity: 1 });
    const created = await rawArm(emu, "PUT", setPath(emu, "vmss-new"), {
      body: { ...set, properties: { ...set.properties, automaticRepairsPolicy: { enabled: true } } },
    });
    expect(created.body.properties.automaticRepairsPolicy).toEqual({ enabled: true, repairAction: "Replace" });
  });
});

describe("ARM authenticates before it looks at the path", () => {
  const unrouted = (emu: Emulator) =>
    `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${VMSS}/noSuchThing`;
  it.each([
    { name: "no token", token: null, query: `api-version=${API}`, status: 401, code: "AuthenticationFailed" },
    {
      name: "a foreign token",
      token: "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln",
      query: `api-version=${API}`,
      status: 401,
      code: "InvalidAuthenticationToken",
    },
    { name: "no api-version", token: undefined, query: "", status: 400, code: "MissingApiVersionParameter" },
    {
      name: "a valid request",
      token: undefined,
      query: `api-version=${API}`,
      status: 404,
      code: "InvalidResourceType",
    },
  ])("an unrouted /subscriptions path with $name: $status $code", async ({ token, query, status, code }) => {
    const emu = await setup();
    const answer = await rawArm(emu, "GET", unrouted(emu), { token, query });
    expect([answer.status, answer.body.error.code]).toEqual([status, code]);
    if (status === 401) expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer authorization_uri="/);
  });
});

describe("DELETE of what is not there (spec: 200/202/204; ARM: 204 nothing to delete)", () => {
  it.each([
    { name: "a scale set that does not exist", path: (emu: Emulator) => setPath(emu, "vmss-missing"), status: 204 },
    {
      name: "an extension the set does not have",
      path: (emu: Emulator) => `${setPath(emu)}/extensions/nope`,
      status: 204,
    },
    {
      name: "a scale set in a group that does not exist",
      path: (emu: Emulator) => setPath(emu, VMSS, "rg-missing"),
      status: 404,
    },
  ])("answers $status for $name", async ({ path, status }) => {
    const emu = await setup();
    const answer = await rawArm(emu, "DELETE", path(emu));
    expect(answer.status).toBe(status);
    if (status === 204) {
      expect(answer.text).toBe("");
      expect(answer.headers.get("azure-asyncoperation")).toBeNull();
    } else expect(answer.body.error.code).toBe("ResourceGroupNotFound");
  });

  it("a set deleted once answers 204 to the next DELETE, and the SDK's delete of a missing set succeeds", async () => {
    const emu = await setup();
    const client = computeClient(emu);
    await client.virtualMachineScaleSets.beginDeleteAndWait(RG, VMSS, FAST_POLL);
    expect((await rawArm(emu, "DELETE", setPath(emu))).status).toBe(204);
    await client.virtualMachineScaleSets.beginDeleteAndWait(RG, "vmss-never", FAST_POLL);
  });
});

describe("request and correlation IDs", () => {
  it.each([
    { name: "manualupgrade", method: "POST", path: "/manualupgrade", body: { instanceIds: ["0"] } },
    {
      name: "a PATCH",
      method: "PATCH",
      path: "",
      body: { properties: { virtualMachineProfile: { userData: "eA==" } } },
    },
    { name: "a power action", method: "POST", path: "/restart", body: {} },
  ])(
    "x-ms-request-id of $name is its operation's ID (Java recording …CustomScriptExtension.json #28)",
    async ({ method, path, body }) => {
      const emu = await setup();
      const answer = await rawArm(emu, method, `${setPath(emu)}${path}`, { body });
      const id = /\/operations\/([0-9a-f-]+)\?/.exec(answer.headers.get("azure-asyncoperation") ?? "")?.[1];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers.get("x-ms-request-id")).toBe(id);
    },
  );

  it("echoes a caller's x-ms-correlation-request-id, also in x-ms-routing-request-id; a GET gets a fresh request ID", async () => {
    const emu = await setup();
    const correlation = "5f1e1c4a-1111-4222-8333-944455556666";
    const answer = await rawArm(emu, "GET", setPath(emu), {
      headers: { "x-ms-correlation-request-id": correlation, "x-ms-client-request-id": "client-1" },
    });
    expect(answer.headers.get("x-ms-correlation-request-id")).toBe(correlation);
    expect(answer.headers.get("x-ms-routing-request-id")).toMatch(new RegExp(`:${correlation}$`));
    expect(answer.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get("x-ms-request-id")).not.toBe(correlation);
  });
});

describe("a created set's location is ARM's canonical region name", () => {
  it.each(["West Europe", "westeurope", "WestEurope"])(
    "%s → westeurope, in the set and its operation URL",
    async (location) => {
      const emu = await setup();
      const created = await rawArm(emu, "PUT", setPath(emu, "vmss-new"), {
        body: newSet(location, { name: "Standard_D2s_v3", capacity: 1 }),
      });
      expect(created.body.location).toBe("westeurope");
      expect(created.headers.get("azure-asyncoperation")).toContain("/locations/westeurope/operations/");
      expect(await operationEnd(emu, created.headers.get("azure-asyncoperation"))).toBe("Succeeded");
      expect((await rawArm(emu, "GET", setPath(emu, "vmss-new"))).body.location).toBe("westeurope");
    },
  );
});

describe("virtualMachineProfile.timeCreated (…health_extension.yaml #13 → #14, #23 → #24)", () => {
  const stamp = async (emu: Emulator, name = VMSS): Promise<string> =>
    (await rawArm(emu, "GET", setPath(emu, name))).body.properties.virtualMachineProfile.timeCreated;
  const pause = () => new Promise((r) => setTimeout(r, 20));

  it.each([
    {
      name: "a PATCH of the profile",
      method: "PATCH",
      path: "",
      body: { properties: { virtualMachineProfile: { userData: "eA==" } } },
      moves: true,
    },
    {
      name: "a PUT of an extension",
      method: "PUT",
      path: "/extensions/extra",
      body: { properties: { publisher: "P", type: "T", typeHandlerVersion: "1.0" } },
      moves: true,
    },
    {
      name: "a DELETE of an extension",
      method: "DELETE",
      path: "/extensions/customScript",
      body: undefined,
      moves: true,
    },
    { name: "a tags-only PATCH", method: "PATCH", path: "", body: { tags: { a: "b" } }, moves: false },
    {
      name: "a PUT that changes no profile",
      method: "PUT",
      path: "",
      body: { location: "westeurope", properties: { automaticRepairsPolicy: { enabled: false } } },
      moves: false,
    },
  ])("$name: moves $moves", async ({ method, path, body, moves }) => {
    const emu = await setup();
    const before = await stamp(emu);
    await pause();
    const answer = await rawArm(emu, method, `${setPath(emu)}${path}`, body === undefined ? {} : { body });
    expect(answer.status).toBeLessThan(300);
    const after = await stamp(emu);
    if (moves) expect(after > before).toBe(true);
    else expect(after).toBe(before);
  });

  it("is set on create", async () => {
    const emu = await setup();
    const created = await rawArm(emu, "PUT", setPath(emu, "vmss-new"), {
      body: newSet("westeurope", { name: "Standard_D2s_v3", capacity: 1 }),
    });
    expect(created.body.properties.virtualMachineProfile.timeCreated).toMatch(/^\d{4}-\d\d-\d\dT.*\+00:00$/);
  });
});

describe("redeploy and performMaintenance (spec: VirtualMachineScaleSets_Redeploy, _PerformMaintenance and the VM forms)", () => {
  it.each([
    { name: "the set's redeploy", path: "/redeploy", operation: "VirtualMachineScaleSets.Redeploy" },
    {
      name: "the set's performMaintenance",
      path: "/performMaintenance",
      operation: "VirtualMachineScaleSets.PerformMaintenance",
    },
    { name: "one VM's redeploy", path: "/virtualMachines/1/redeploy", operation: "VirtualMachineScaleSetVMs.Redeploy" },
    {
      name: "one VM's performMaintenance",
      path: "/virtualMachines/1/performMaintenance",
      operation: "VirtualMachineScaleSetVMs.PerformMaintenance",
    },
  ])(
    "$name: 202 with both LRO headers, running instances back to running, a deallocated one left",
    async ({ path, operation }) => {
      const emu = await setup();
      emu.setInstance(VMSS, "2", { powerState: "deallocated" });
      const answer = await rawArm(emu, "POST", `${setPath(emu)}${path}`, {
        body: path.startsWith("/virtualMachines") ? undefined : { instanceIds: ["1", "2"] },
      });
      expect(answer.status).toBe(202);
      expect(answer.text).toBe("");
      expect(answer.headers.get("location")).toMatch(/monitor=true/);
      expect(emu.counters()[operation]).toBe(1);
      expect(emu.state().instances.find((i) => i.instanceId === "1")?.powerState).toBe("starting");
      expect(await operationEnd(emu, answer.headers.get("azure-asyncoperation"))).toBe("Succeeded");
      expect(emu.state().instances.map((i) => i.powerState)).toEqual(["running", "running", "deallocated", "running"]);
    },
  );

  it("through the SDK", async () => {
    const emu = await setup();
    const client = computeClient(emu);
    await client.virtualMachineScaleSets.beginRedeployAndWait(RG, VMSS, FAST_POLL);
    await client.virtualMachineScaleSets.beginPerformMaintenanceAndWait(RG, VMSS, FAST_POLL);
    await client.virtualMachineScaleSetVMs.beginRedeployAndWait(RG, VMSS, "0", FAST_POLL);
    await client.virtualMachineScaleSetVMs.beginPerformMaintenanceAndWait(RG, VMSS, "0", FAST_POLL);
    expect(emu.state().instances.every((i) => i.powerState === "running")).toBe(true);
  });
});

describe("one deallocated instance's restart and poweroff", () => {
  it.each([
    { action: "restart", status: 409 },
    { action: "poweroff", status: 409 },
    { action: "start", status: 202 },
    { action: "deallocate", status: 202 },
  ])("$action → $status", async ({ action, status }) => {
    const emu = await setup();
    emu.setInstance(VMSS, "1", { powerState: "deallocated" });
    const answer = await rawArm(emu, "POST", `${setPath(emu)}/virtualMachines/1/${action}`);
    expect(answer.status).toBe(status);
    if (status === 409)
      expect(answer.body.error).toEqual({
        code: "OperationNotAllowed",
        message: "The operation requires the VM to be running (or set to run).",
      });
  });
});
