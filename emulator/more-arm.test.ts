// More of ARM and Compute as clients other than the action meet them: ResourceGroups_CheckExistence (`az group
// exists`), ARM's error shape on paths it does not serve, Compute's Operations_List, provider metadata
// (Providers_Get/_List, what `az resource show --ids` reads), VirtualMachines_ListAll (`az vm list` without -g),
// VirtualMachines_InstanceView and the power actions of a Flexible set's VM, and `$expand=userData` on one VM's GET.
// The real SDK (@azure/arm-compute) where it makes the call; raw HTTPS for Resource Manager's own routes (no
// @azure/arm-resources here).
import type { ComputeManagementClient, VirtualMachine } from "@azure/arm-compute";
import { RestError } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { GALLERY_API_VERSIONS, SUPPORTED_API_VERSIONS } from "./arm/api-versions.ts";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import { computeClient, FAST_POLL, rawArm, TEST_API_VERSION } from "./sdk.ts";

const RG = "rg-demo";
const RESOURCES_API = "2022-12-01";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

const FLEX = [
  { name: "vmss-flex", orchestrationMode: "Flexible" as const, instances: 2 },
  { name: "vmss-flex2", resourceGroup: "rg-other", orchestrationMode: "Flexible" as const, instances: 3 },
  { name: "vmss-demo", instances: 2 },
];

async function setup(options: EmulatorOptions = {}): Promise<{ emu: Emulator; client: ComputeManagementClient }> {
  emu = await start({ speed: 0.001, ...options });
  return { emu, client: computeClient(emu) };
}

const vmPath = (emu: Emulator, name: string, rg = RG): string =>
  `/subscriptions/${emu.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

async function refusal(call: Promise<unknown>): Promise<{ status?: number; code?: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof RestError) return { status: err.statusCode, code: err.code };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("ResourceGroups_CheckExistence (HEAD, az group exists)", () => {
  it.each([
    { name: "a group the emulator has", group: RG, status: 204 },
    { name: "another spelling of it", group: "RG-Demo", status: 204 },
    { name: "a group it does not have", group: "rg-missing", status: 404 },
  ])("answers $status, no body, for $name", async ({ group, status }) => {
    const { emu } = await setup();
    const answer = await rawArm(emu, "HEAD", `/subscriptions/${emu.subscriptionId}/resourcegroups/${group}`, {
      query: `api-version=${RESOURCES_API}`,
    });
    expect(answer.status).toBe(status);
    expect(answer.text).toBe("");
    expect(emu.counters()["ResourceGroups.CheckExistence"]).toBe(1);
  });

  it("authenticates first, as every ARM request", async () => {
    const { emu } = await setup();
    const answer = await rawArm(emu, "HEAD", `/subscriptions/${emu.subscriptionId}/resourcegroups/${RG}`, {
      query: `api-version=${RESOURCES_API}`,
      token: null,
    });
    expect(answer.status).toBe(401);
  });
});

// Resources_CheckExistence(ById): the spec says 204 or 404, but Azure's Compute (and Network) answer 405 for a resource
// that exists; 404, as its GET, for one that does not (routes.ts make(): the evidence; README "Assumptions"). Never a body.
describe("Resources_CheckExistence (HEAD on a Compute resource)", () => {
  const setPath = (emu: Emulator, name = "vmss-demo", rg = RG): string =>
    `/subscriptions/${emu.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
  it.each([
    {
      name: "a scale set that exists",
      path: (e: Emulator) => setPath(e),
      status: 405,
      counted: "VirtualMachineScaleSets.Get",
    },
    {
      name: "a scale set that does not",
      path: (e: Emulator) => setPath(e, "vmss-none"),
      status: 404,
      counted: "VirtualMachineScaleSets.Get",
    },
    {
      name: "a set in a group that does not exist",
      path: (e: Emulator) => setPath(e, "vmss-demo", "rg-none"),
      status: 404,
      counted: "VirtualMachineScaleSets.Get",
    },
    {
      name: "an instance that exists",
      path: (e: Emulator) => `${setPath(e)}/virtualMachines/0`,
      status: 405,
      counted: "VirtualMachineScaleSetVMs.Get",
    },
    {
      name: "an instance that does not",
      path: (e: Emulator) => `${setPath(e)}/virtualMachines/9`,
      status: 404,
      counted: "VirtualMachineScaleSetVMs.Get",
    },
    {
      name: "an instance of a set that does not exist",
      path: (e: Emulator) => `${setPath(e, "vmss-none")}/virtualMachines/0`,
      status: 404,
      counted: "VirtualMachineScaleSetVMs.Get",
    },
    {
      name: "a Flexible VM that exists",
      path: (e: Emulator) => vmPath(e, e.state("vmss-flex").instances[0]?.name ?? ""),
      status: 405,
      counted: "VirtualMachines.Get",
    },
    {
      name: "a VM that does not",
      path: (e: Emulator) => vmPath(e, "nope"),
      status: 404,
      counted: "VirtualMachines.Get",
    },
  ])("answers $status, no body, for $name", async ({ path, status, counted }) => {
    const { emu } = await setup({ scaleSets: FLEX });
    const answer = await rawArm(emu, "HEAD", path(emu));
    expect(answer.status).toBe(status);
    expect(answer.text).toBe("");
    expect(answer.headers.get("content-length")).toBe("0");
    expect(answer.headers.get("content-type")).toBe(null);
    // Routed, counted (and so throttled and faulted) as the read it stands for.
    expect(emu.counters()[counted]).toBe(1);
  });

  it("is a read: a set marked for deletion is 405 (it exists), not refused as a write", async () => {
    // Every simulated wait held: the delete stays under way.
    const { emu } = await setup({ scaleSets: FLEX, sleep: () => new Promise<void>(() => undefined) });
    expect((await rawArm(emu, "DELETE", setPath(emu))).status).toBe(202);
    expect((await rawArm(emu, "HEAD", setPath(emu))).status).toBe(405);
  });

  it("leaves Resource Manager's own routes as they were: no HEAD but the group's", async () => {
    const { emu } = await setup();
    const answer = await rawArm(emu, "HEAD", `/subscriptions/${emu.subscriptionId}`, {
      query: `api-version=${RESOURCES_API}`,
    });
    expect([answer.status, answer.text]).toEqual([405, ""]);
  });
});

describe("paths the emulator does not serve", () => {
  it.each([
    {
      name: "a tenant-level provider path",
      path: "/providers/Microsoft.Compute/noSuchType",
      message: "The resource type 'noSuchType' could not be found in the namespace 'Microsoft.Compute'",
    },
    {
      name: "a child type under /subscriptions",
      path: "/subscriptions/{sub}/resourceGroups/rg-demo/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-demo/noSuchThing",
      message: "The resource type 'virtualMachineScaleSets/noSuchThing' could not be found",
    },
    { name: "a root path", path: "/noSuchPath", message: "The resource type could not be found" },
  ])("answer ARM's error shape: $name", async ({ path, message }) => {
    const { emu } = await setup();
    const answer = await rawArm(emu, "GET", path.replace("{sub}", emu.subscriptionId));
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("InvalidResourceType");
    expect(answer.body.error.message).toContain(message);
    const anonymous = await rawArm(emu, "GET", path.replace("{sub}", emu.subscriptionId), { token: null });
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, "AuthenticationFailed"]);
  });

  // A malformed percent-escape: a 400 ARM error (code assumed, server.ts malformedPath), not a 500 with the
  // emulator's stack trace, which SDK retry policies would retry.
  it.each([
    ["a truncated UTF-8 escape", "/virtualMachineScaleSets/%E0%A4%A"],
    ["a non-hex escape", "/virtualMachineScaleSets/vmss%zz"],
  ])("answer a path with %s 400 with an ARM error body", async (_label, tail) => {
    const { emu } = await setup();
    const path = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute${tail}`;
    const answer = await rawArm(emu, "GET", path, { query: `api-version=${TEST_API_VERSION}` });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({ code: "InvalidRequestUri", message: expect.stringContaining(tail) });
    expect(answer.text).not.toContain("emulator error");
  });

  it("keep the OAuth shape on the sign-in's and GitHub's paths", async () => {
    const { emu } = await setup();
    const signIn = await fetch(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/nothing`);
    expect(signIn.status).toBe(404);
    expect(((await signIn.json()) as { error: unknown }).error).toBe("not_found");
  });
});

describe("Compute's Operations_List (GET /providers/Microsoft.Compute/operations)", () => {
  it("lists the operations the emulator serves, through the SDK", async () => {
    const { client } = await setup();
    const operations = await all(client.operations.list());
    const names = operations.map((o) => o.name);
    expect(names).toContain("Microsoft.Compute/virtualMachineScaleSets/read");
    expect(names).toContain("Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action");
    expect(names).toContain("Microsoft.Compute/virtualMachines/read");
    expect(names.every((n) => n?.startsWith("Microsoft.Compute/"))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(operations[0]?.display?.provider).toBe("Microsoft Compute");
  });
});

describe("provider metadata (Providers_Get, Providers_List)", () => {
  it("Providers_Get lists every Compute type served, with the api-versions it accepts and the regions", async () => {
    const { emu } = await setup({ scaleSets: FLEX });
    const answer = await rawArm(emu, "GET", `/subscriptions/${emu.subscriptionId}/providers/microsoft.compute`, {
      query: `api-version=${RESOURCES_API}`,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.namespace).toBe("Microsoft.Compute");
    expect(answer.body.registrationState).toBe("Registered");
    const types = new Map(
      (answer.body.resourceTypes as { resourceType: string; apiVersions: string[]; locations: string[] }[]).map((t) => [
        t.resourceType,
        t,
      ]),
    );
    for (const type of [
      "virtualMachineScaleSets",
      "virtualMachineScaleSets/virtualMachines",
      "virtualMachineScaleSets/extensions",
      "virtualMachines",
      "virtualMachines/extensions",
      "locations/publishers",
      "locations/operations",
      "operations",
    ])
      expect(types.get(type)?.apiVersions).toEqual(SUPPORTED_API_VERSIONS);
    for (const type of ["galleries", "galleries/images", "galleries/images/versions"])
      expect(types.get(type)?.apiVersions).toEqual(GALLERY_API_VERSIONS);
    expect(types.get("virtualMachines")?.locations).toEqual(["West Europe"]);
    expect(types.get("operations")?.locations).toEqual([]);
  });

  it("Providers_List lists Compute, Network and Resources in the Providers_Get shape", async () => {
    const { emu } = await setup();
    const answer = await rawArm(emu, "GET", `/subscriptions/${emu.subscriptionId}/providers`, {
      query: `api-version=${RESOURCES_API}`,
    });
    expect(answer.status).toBe(200);
    const namespaces = (answer.body.value as { namespace: string }[]).map((p) => p.namespace);
    expect(namespaces).toEqual(["Microsoft.Compute", "Microsoft.Network", "Microsoft.Resources"]);
    const compute = await rawArm(emu, "GET", `/subscriptions/${emu.subscriptionId}/providers/Microsoft.Compute`, {
      query: `api-version=${RESOURCES_API}`,
    });
    expect(answer.body.value[0]).toEqual(compute.body);
    expect(emu.counters()).toMatchObject({ "Providers.List": 1, "Providers.Get": 1 });
  });

  it("a Flexible VM's type resolves as az resource show --ids resolves it, and its GET answers on that version", async () => {
    const { emu } = await setup({ scaleSets: FLEX });
    const provider = await rawArm(emu, "GET", `/subscriptions/${emu.subscriptionId}/providers/Microsoft.Compute`, {
      query: `api-version=${RESOURCES_API}`,
    });
    // azure-cli `_resolve_api_version`: the type matched case-insensitively, its first non-preview version.
    const type = (provider.body.resourceTypes as { resourceType: string; apiVersions: string[] }[]).find(
      (t) => t.resourceType.toLowerCase() === "virtualmachines",
    );
    const version = type?.apiVersions.find((v) => !v.includes("preview"));
    const name = emu.state("vmss-flex").instances[0]?.name ?? "";
    const vm = await rawArm(emu, "GET", vmPath(emu, name), { query: `api-version=${version}` });
    expect(vm.status).toBe(200);
    expect(vm.body.type).toBe("Microsoft.Compute/virtualMachines");
  });
});

describe("VirtualMachines_ListAll (the subscription's VMs, az vm list without -g)", () => {
  it("lists the Flexible VMs of every resource group, in pages", async () => {
    const { emu, client } = await setup({ scaleSets: FLEX, pageSize: 2 });
    const vms = await all(client.virtualMachines.listAll());
    expect(vms.map((vm) => vm.name).sort()).toEqual(
      [...emu.state("vmss-flex").instances, ...emu.state("vmss-flex2").instances].map((i) => i.name).sort(),
    );
    expect(new Set(vms.map((vm) => vm.id?.split("/")[4]))).toEqual(new Set([RG, "rg-other"]));
    expect(vms.every((vm) => vm.instanceView === undefined)).toBe(true);
    expect(emu.counters()["VirtualMachines.ListAll"]).toBe(3);
  });

  it("takes $filter by scale set with $expand=instanceView, and statusOnly=true gives each VM's status", async () => {
    const { emu, client } = await setup({ scaleSets: FLEX });
    const setId = (await client.virtualMachineScaleSets.get("rg-other", "vmss-flex2")).id ?? "";
    const filtered: VirtualMachine[] = await all(
      client.virtualMachines.listAll({ filter: `'virtualMachineScaleSet/id' eq '${setId}'`, expand: "instanceView" }),
    );
    expect(filtered).toHaveLength(3);
    expect(filtered.every((vm) => vm.virtualMachineScaleSet?.id === setId)).toBe(true);
    expect(filtered[0]?.instanceView?.statuses?.map((s) => s.code)).toContain("PowerState/running");
    const status = await all(client.virtualMachines.listAll({ statusOnly: "true" }));
    expect(status).toHaveLength(5);
    expect(status.every((vm) => vm.instanceView?.statuses?.some((s) => s.code === "PowerState/running"))).toBe(true);
    expect(emu.counters()["VirtualMachines.ListAll"]).toBe(2);
  });

  it("refuses $expand without $filter and an unknown $filter, as the group's list does", async () => {
    const { client } = await setup({ scaleSets: FLEX });
    expect(await refusal(all(client.virtualMachines.listAll({ expand: "instanceView" })))).toMatchObject({
      status: 400,
      code: "InvalidParameter",
    });
    expect(await refusal(all(client.virtualMachines.listAll({ filter: "name eq 'x'" })))).toMatchObject({
      status: 400,
      code: "InvalidParameter",
    });
  });
});

describe("a Flexible set's VM on the standalone VM API", () => {
  it("VirtualMachines_InstanceView answers the instance view its GET with $expand=instanceView shows", async () => {
    const { emu, client } = await setup({ scaleSets: [{ ...FLEX[0]!, healthExtension: true }] });
    const name = emu.state("vmss-flex").instances[0]?.name ?? "";
    const view = await client.virtualMachines.instanceView(RG, name);
    const expanded = await client.virtualMachines.get(RG, name, { expand: "instanceView" });
    expect(view.statuses?.map((s) => s.code)).toEqual(["ProvisioningState/succeeded", "PowerState/running"]);
    expect(view.vmHealth?.status?.code).toBe("HealthState/healthy");
    const strip = (v: object): string => JSON.stringify(v).replace(/"time":"[^"]*"/g, "");
    expect(strip(view)).toBe(strip(expanded.instanceView ?? {}));
    expect(await refusal(client.virtualMachines.instanceView(RG, "vmss-flex_nothere"))).toEqual({
      status: 404,
      code: "ResourceNotFound",
    });
  });

  it("powerOff, start, deallocate and restart are long-running operations on that VM alone", async () => {
    const { emu, client } = await setup({ scaleSets: FLEX });
    const [one, other] = emu.state("vmss-flex").instances.map((i) => i.name);
    const power = (): string | undefined => emu.state("vmss-flex").instances.find((i) => i.name === one)?.powerState;
    await client.virtualMachines.powerOff(RG, one ?? "", FAST_POLL);
    expect(power()).toBe("stopped");
    expect(emu.state("vmss-flex").instances.find((i) => i.name === other)?.powerState).toBe("running");
    await client.virtualMachines.start(RG, one ?? "", FAST_POLL);
    expect(power()).toBe("running");
    await client.virtualMachines.deallocate(RG, one ?? "", FAST_POLL);
    expect(power()).toBe("deallocated");
    expect(await refusal(client.virtualMachines.restart(RG, one ?? "", FAST_POLL))).toEqual({
      status: 409,
      code: "OperationNotAllowed",
    });
    await client.virtualMachines.start(RG, one ?? "", FAST_POLL);
    await client.virtualMachines.restart(RG, one ?? "", FAST_POLL);
    expect(power()).toBe("running");
    expect(emu.counters()).toMatchObject({
      "VirtualMachines.PowerOff": 1,
      "VirtualMachines.Start": 2,
      "VirtualMachines.Deallocate": 1,
      "VirtualMachines.Restart": 2,
    });
  });

  it("refuses a power action on a VM another operation upgrades (409 Conflict), as the scale set's own", async () => {
    const { emu, client } = await setup({ scaleSets: FLEX });
    const name = emu.state("vmss-flex").instances[0]?.name ?? "";
    await client.virtualMachineScaleSets.beginUpdateAndWait(
      RG,
      "vmss-flex",
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      FAST_POLL,
    );
    emu.faults.hangUpgrade(name, { scaleSet: "vmss-flex" });
    await client.virtualMachineScaleSets.beginUpdateInstances(RG, "vmss-flex", { instanceIds: [name] }, FAST_POLL);
    expect(emu.state("vmss-flex").instances[0]?.provisioningState).toBe("Updating");
    expect(await refusal(client.virtualMachines.deallocate(RG, name, FAST_POLL))).toEqual({
      status: 409,
      code: "Conflict",
    });
    expect(emu.counters()["VirtualMachines.Deallocate"]).toBe(1);
  });

  it("answers a power action as the scale set's own: 202, empty, Azure-AsyncOperation and Location", async () => {
    const { emu } = await setup({ scaleSets: FLEX });
    const name = emu.state("vmss-flex").instances[0]?.name ?? "";
    const answer = await rawArm(emu, "POST", `${vmPath(emu, name)}/powerOff`, {
      query: `api-version=${TEST_API_VERSION}&skipShutdown=false`,
    });
    expect(answer.status).toBe(202);
    expect(answer.text).toBe("");
    expect(answer.headers.get("azure-asyncoperation")).toMatch(/\/providers\/Microsoft\.Compute\/locations\//i);
    expect(answer.headers.get("location")).toMatch(/monitor=true/);
    const missing = await rawArm(emu, "POST", `${vmPath(emu, "nope")}/restart`);
    expect([missing.status, missing.body.error.code]).toEqual([404, "ResourceNotFound"]);
  });
});

describe("$expand=userData on one VM's GET", () => {
  const userData = "dXNlci1kYXRh";
  const setPath = (emu: Emulator): string =>
    `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-demo`;

  it("shows the userData the VM runs, only when asked for", async () => {
    const { emu, client } = await setup();
    expect((await client.virtualMachineScaleSetVMs.get(RG, "vmss-demo", "0", { expand: "userData" })).userData).toBe(
      undefined,
    );
    await rawArm(emu, "PATCH", setPath(emu), { body: { properties: { virtualMachineProfile: { userData } } } });
    await client.virtualMachineScaleSets.updateInstances(RG, "vmss-demo", { instanceIds: ["0"] }, FAST_POLL);
    expect((await client.virtualMachineScaleSetVMs.get(RG, "vmss-demo", "0", { expand: "userData" })).userData).toBe(
      userData,
    );
    expect((await client.virtualMachineScaleSetVMs.get(RG, "vmss-demo", "0")).userData).toBe(undefined);
    // Instance 1 has not taken the model: it runs no userData yet.
    expect((await client.virtualMachineScaleSetVMs.get(RG, "vmss-demo", "1", { expand: "userData" })).userData).toBe(
      undefined,
    );
  });
});
