// What an independent client (Microsoft's Azure CLI) needs from the emulator, checked without `az` (npm run fidelity
// runs the real CLI): cloud metadata, AD FS sign-in, the subscription list, resource groups and scale-set lists, PUT
// semantics as az uses them, the extension-image catalog, per-instance reimage, scaling, ARM's rate-limit headers,
// api-version ranges, Retry-After and scenario files. Raw HTTPS, as az's requests look on the wire.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import { loadScenario, scenarioFrom } from "./scenario.ts";
import { armToken } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";
const AZ_245 = "2020-06-01";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await start({ speed: 0.001, ...options });
  return emu;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

async function raw(
  emu: Emulator,
  method: string,
  path: string,
  options: { apiVersion?: string | null; body?: unknown; token?: string | null; form?: Record<string, string> } = {},
): Promise<RawResponse> {
  const token = options.token === undefined ? await armToken(emu) : options.token;
  const apiVersion = options.apiVersion === undefined ? AZ_245 : options.apiVersion;
  const url = `${emu.armEndpoint}${path}${apiVersion ? `${path.includes("?") ? "&" : "?"}api-version=${apiVersion}` : ""}`;
  const response = await fetch(url, {
    method,
    headers: {
      ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(options.form !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.form !== undefined ? { body: new URLSearchParams(options.form).toString() } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const setPath = (emu: Emulator, name = VMSS, group = RG) =>
  `/subscriptions/${emu.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

/** Polls an operation until it has ended (Azure-AsyncOperation document). */
async function settle(emu: Emulator, response: RawResponse): Promise<string> {
  const url = response.headers.get("azure-asyncoperation");
  if (!url) throw new Error(`no Azure-AsyncOperation (status ${response.status})`);
  const token = await armToken(emu);
  for (;;) {
    const poll = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const status = ((await poll.json()) as { status: string }).status;
    if (status !== "InProgress") return status;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("cloud metadata and AD FS sign-in (az cloud register, az login)", () => {
  it("serves /metadata/endpoints without a token, naming its AD FS authority and its own audience", async () => {
    const emu = await setup();
    const response = await raw(emu, "GET", "/metadata/endpoints", { apiVersion: "2015-01-01", token: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      authentication: { loginEndpoint: `${emu.armEndpoint}/adfs`, audiences: [`${emu.armEndpoint}/`, emu.armEndpoint] },
    });
    // Newer az asks 2022-09-01: one cloud object with name, resourceManager, authentication and suffixes.
    const newer = await raw(emu, "GET", "/metadata/endpoints", { apiVersion: "2022-09-01", token: null });
    expect(newer.body).toMatchObject({
      name: "Emulator",
      resourceManager: `${emu.armEndpoint}/`,
      authentication: { loginEndpoint: `${emu.armEndpoint}/adfs`, audiences: [`${emu.armEndpoint}/`, emu.armEndpoint] },
      suffixes: {},
    });
    // A client joining `<endpoint>/` and `/metadata/…` sends `//metadata/…`: still the metadata, not a host named metadata.
    expect((await fetch(`${emu.armEndpoint}//metadata/endpoints?api-version=2015-01-01`)).status).toBe(200);
  });

  it("signs in through the AD FS form: OpenID configuration, then a client-credentials token ARM accepts", async () => {
    const emu = await setup();
    const config = await raw(emu, "GET", "/adfs/.well-known/openid-configuration", { apiVersion: null, token: null });
    expect(config.body).toMatchObject({
      issuer: `${emu.armEndpoint}/adfs`,
      token_endpoint: `${emu.armEndpoint}/adfs/oauth2/token/`,
    });
    const token = await fetch(config.body.token_endpoint as string, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: emu.clientId,
        client_secret: emu.clientSecret,
        grant_type: "client_credentials",
        scope: `${emu.armEndpoint}//.default`,
      }).toString(),
    });
    const accessToken = ((await token.json()) as { access_token: string }).access_token;
    expect(token.status).toBe(200);
    expect((await raw(emu, "GET", "/subscriptions", { apiVersion: "2016-06-01", token: accessToken })).status).toBe(
      200,
    );
    const wrong = await fetch(config.body.token_endpoint as string, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: emu.clientId,
        client_secret: "nope",
        grant_type: "client_credentials",
        scope: `${emu.armEndpoint}//.default`,
      }).toString(),
    });
    expect(wrong.status).toBe(401);
  });

  it("puts the tenant of authorization_endpoint into the instance-discovery answer, as Entra does", async () => {
    const emu = await setup();
    const authorize = encodeURIComponent(`${emu.armEndpoint}/${emu.tenantId}/oauth2/v2.0/authorize`);
    const response = await fetch(
      `${emu.armEndpoint}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`,
    );
    const body = (await response.json()) as { tenant_discovery_endpoint: string };
    expect(body.tenant_discovery_endpoint).toBe(
      `${emu.armEndpoint}/${emu.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    const bare = (await (await fetch(`${emu.armEndpoint}/common/discovery/instance?api-version=1.1`)).json()) as {
      tenant_discovery_endpoint: string;
    };
    expect(bare.tenant_discovery_endpoint).toBe(`${emu.armEndpoint}/common/v2.0/.well-known/openid-configuration`);
  });
});

describe("Resource Manager's own lists", () => {
  it("lists the subscription (GET /subscriptions, what a client reads after sign-in) and gets it", async () => {
    const emu = await setup();
    const list = await raw(emu, "GET", "/subscriptions", { apiVersion: "2016-06-01" });
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([
      expect.objectContaining({
        id: `/subscriptions/${emu.subscriptionId}`,
        subscriptionId: emu.subscriptionId,
        tenantId: emu.tenantId,
        state: "Enabled",
        displayName: "Emulator subscription",
      }),
    ]);
    expect(
      (await raw(emu, "GET", `/subscriptions/${emu.subscriptionId}`, { apiVersion: "2022-12-01" })).body.subscriptionId,
    ).toBe(emu.subscriptionId);
    // Resource Manager's own routes take any well-formed version up to 2026 (which ones ARM serves is unconfirmed).
    expect((await raw(emu, "GET", "/subscriptions", { apiVersion: "2024-11-01" })).status).toBe(200);
    expect((await raw(emu, "GET", "/subscriptions", { apiVersion: "2030-01-01" })).body.error.code).toBe(
      "InvalidApiVersionParameter",
    );
    expect((await raw(emu, "GET", "/subscriptions", { apiVersion: "latest" })).body.error.code).toBe(
      "InvalidApiVersionParameter",
    );
    expect((await raw(emu, "GET", "/subscriptions", { token: null })).status).toBe(401);
  });

  it("lists the tenant and answers provider registration (Registered; Compute's scale sets with the served versions)", async () => {
    const emu = await setup();
    expect((await raw(emu, "GET", "/tenants", { apiVersion: "2022-12-01" })).body.value).toEqual([
      expect.objectContaining({ tenantId: emu.tenantId, displayName: "Emulator tenant" }),
    ]);
    const compute = await raw(emu, "GET", `/subscriptions/${emu.subscriptionId}/providers/microsoft.compute`, {
      apiVersion: "2021-04-01",
    });
    expect(compute.body).toMatchObject({ namespace: "Microsoft.Compute", registrationState: "Registered" });
    // Every type served is listed (more-arm.test.ts); regions by display name, as Providers_Get lists them.
    expect(compute.body.resourceTypes[0]).toMatchObject({
      resourceType: "virtualMachineScaleSets",
      locations: ["West Europe"],
    });
    expect(compute.body.resourceTypes[0].apiVersions).toContain("2020-06-01");
  });

  it("lists resource groups and scale sets, in a group and in the subscription", async () => {
    const emu = await setup({
      scaleSets: [
        { name: "web", resourceGroup: "rg-b" },
        { name: "api", resourceGroup: "rg-a", location: "northeurope" },
        { name: "jobs", resourceGroup: "rg-a" },
      ],
    });
    const groups = await raw(emu, "GET", `/subscriptions/${emu.subscriptionId}/resourcegroups`, {
      apiVersion: "2019-10-01",
    });
    expect(groups.body.value.map((g: { name: string; location: string }) => [g.name, g.location])).toEqual([
      ["rg-a", "northeurope"],
      ["rg-b", "westeurope"],
    ]);
    expect(
      (await raw(emu, "GET", `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-b`, { apiVersion: "2019-10-01" }))
        .body.properties,
    ).toEqual({ provisioningState: "Succeeded" });
    expect(
      (await raw(emu, "GET", `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-x`, { apiVersion: "2019-10-01" }))
        .body.error.code,
    ).toBe("ResourceGroupNotFound");
    const inGroup = await raw(
      emu,
      "GET",
      `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachineScaleSets`,
    );
    expect(inGroup.body.value.map((s: { name: string }) => s.name)).toEqual(["api", "jobs"]);
    const all = await raw(
      emu,
      "GET",
      `/subscriptions/${emu.subscriptionId}/providers/Microsoft.Compute/virtualMachineScaleSets`,
    );
    expect(all.body.value.map((s: { name: string }) => s.name)).toEqual(["web", "api", "jobs"]);
    expect(all.body.value[0]).toMatchObject({ properties: { provisioningState: "Succeeded" } });
    // az 2.45's api-version (2020-06-01) predates `etag` (ETAG_API_VERSION 2023-09-01).
    expect(all.body.value[0]).not.toHaveProperty("etag");
    emu.faults.deleteScaleSet("jobs");
    expect(
      (
        await raw(
          emu,
          "GET",
          `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachineScaleSets`,
        )
      ).body.value.map((s: { name: string }) => s.name),
    ).toEqual(["api"]);
  });
});

describe("api-versions", () => {
  // The newest shape on every version, but `etag` only from 2023-09-01 (ETAG_API_VERSION; see README "The API it
  // serves": azure-cli-2020_test_vmss_rolling_upgrade.yaml #28 has none at 2020-06-01).
  it.each([
    { apiVersion: "2015-06-15", etag: undefined },
    { apiVersion: "2020-06-01", etag: undefined },
    { apiVersion: "2022-08-01", etag: undefined },
    { apiVersion: "2023-09-01", etag: '"1"' },
    { apiVersion: "2025-04-01", etag: '"1"' },
    { apiVersion: "2026-03-01", etag: '"1"' },
    { apiVersion: "2026-04-01", etag: '"1"' },
  ])("serves Compute $apiVersion in the newest shape, etag $etag", async ({ apiVersion, etag }) => {
    const emu = await setup();
    const response = await raw(emu, "GET", setPath(emu), { apiVersion });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      properties: { orchestrationMode: "Uniform", upgradePolicy: { mode: "Manual" } },
    });
    expect((response.body as { etag?: string }).etag).toBe(etag);
  });

  it("refuses a version Compute never published, naming the ones it serves", async () => {
    const emu = await setup();
    const response = await raw(emu, "GET", setPath(emu), { apiVersion: "2020-06-02" });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("NoRegisteredProviderFound");
    expect(response.body.error.message).toContain("2020-06-01, ");
  });
});

describe("PUT keeps what the body omits (az vmss update / scale / extension set)", () => {
  it("az vmss scale: PUT {location, sku} keeps the model; instances stay current and the set grows and shrinks", async () => {
    const emu = await setup({ scaleSets: [{ name: VMSS, protectedInstances: ["3"] }] });
    const before = emu.state().model;
    const grow = await raw(emu, "PUT", setPath(emu), {
      body: { location: "westeurope", sku: { name: "Standard_D2s_v3", tier: "Standard", capacity: 6 } },
    });
    expect(grow.status).toBe(200);
    expect(await settle(emu, grow)).toBe("Succeeded");
    const after = emu.state();
    expect((after.model as any).properties.virtualMachineProfile).toEqual(
      (before as any).properties.virtualMachineProfile,
    );
    expect(after.instances.map((i) => [i.instanceId, i.latestModelApplied])).toEqual([
      ["0", true],
      ["1", true],
      ["2", true],
      ["3", true],
      ["4", true],
      ["5", true],
    ]);
    // Scale-in removes the highest IDs first, never one protected from scale-in.
    const shrink = await raw(emu, "PUT", setPath(emu), {
      body: { location: "westeurope", sku: { name: "Standard_D2s_v3", tier: "Standard", capacity: 2 } },
    });
    await settle(emu, shrink);
    expect(emu.state().instances.map((i) => i.instanceId)).toEqual(["0", "3"]);
  });

  it("az vmss update --set ...imageReference.version: a PUT whose imageReference has only `version` changes the version, keeps the image", async () => {
    const emu = await setup();
    const model = (await raw(emu, "GET", setPath(emu))).body;
    model.properties.virtualMachineProfile.storageProfile.imageReference = { version: "24.04.202410020" };
    const response = await raw(emu, "PUT", setPath(emu), { body: model });
    expect(response.status).toBe(200);
    expect(response.body.properties.virtualMachineProfile.storageProfile.imageReference).toEqual({
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
      version: "24.04.202410020",
    });
    await settle(emu, response);
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([false, false, false, false]);
  });

  it("a tags-only PUT from an older client (properties it does not know left out) leaves every instance current", async () => {
    const emu = await setup();
    const model = (await raw(emu, "GET", setPath(emu))).body;
    // What a 2020-06-01 model drops: properties newer than it, also inside named array elements.
    delete model.properties.virtualMachineProfile.osProfile.linuxConfiguration.enableVMAgentPlatformUpdates;
    delete model.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0].properties
      .disableTcpStateTracking;
    delete model.properties.virtualMachineProfile.storageProfile.imageReference;
    model.tags = { owner: "ops" };
    const response = await raw(emu, "PUT", setPath(emu), { body: model });
    await settle(emu, response);
    const profile = (emu.state().model as any).properties.virtualMachineProfile;
    expect(profile.osProfile.linuxConfiguration.enableVMAgentPlatformUpdates).toBe(false);
    expect(profile.networkProfile.networkInterfaceConfigurations[0].properties.disableTcpStateTracking).toBe(false);
    expect(emu.state().model["tags"]).toEqual({ owner: "ops" });
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([true, true, true, true]);
  });

  it("removes an extension the PUT's list leaves out, keeps protectedSettings of one it keeps, and stores the mode's own spelling", async () => {
    const emu = await setup({ scaleSets: [{ name: VMSS, healthExtension: true }] });
    const model = (await raw(emu, "GET", setPath(emu))).body;
    model.properties.upgradePolicy = { mode: "manual" };
    model.properties.virtualMachineProfile.extensionProfile.extensions =
      model.properties.virtualMachineProfile.extensionProfile.extensions.filter(
        (e: { name: string }) => e.name === "customScript",
      );
    const response = await raw(emu, "PUT", setPath(emu), { body: model });
    await settle(emu, response);
    const props = (emu.state().model as any).properties;
    expect(props.virtualMachineProfile.extensionProfile.extensions.map((e: { name: string }) => e.name)).toEqual([
      "customScript",
    ]);
    expect(props.upgradePolicy).toEqual({
      mode: "Manual",
      rollingUpgradePolicy: {
        maxBatchInstancePercent: 20,
        maxUnhealthyInstancePercent: 20,
        maxUnhealthyUpgradedInstancePercent: 20,
        pauseTimeBetweenBatches: "PT0S",
        maxSurge: false,
        rollbackFailedInstancesOnPolicyBreach: false,
      },
    });
  });

  it.each([
    {
      name: "an offer change (imageReference {offer} only)",
      ref: { offer: "0001-com-ubuntu-server-jammy" },
      status: 409,
      code: "PropertyChangeNotAllowed",
      message: "Changing property 'imageReference.offer' is not allowed.",
    },
    {
      name: "an image-type switch (imageReference {id} only)",
      ref: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/app" },
      status: 409,
      code: "OperationNotAllowed",
      message: "The Image type for a Virtual Machine Scale Set may not be changed.",
    },
  ])("refuses $name with $code", async ({ ref, status, code, message }) => {
    const emu = await setup();
    const model = (await raw(emu, "GET", setPath(emu))).body;
    model.properties.virtualMachineProfile.storageProfile.imageReference = ref;
    const response = await raw(emu, "PUT", setPath(emu), { body: model });
    expect([response.status, response.body.error.code, response.body.error.message]).toEqual([status, code, message]);
    expect(emu.state().model["etag"]).toBe('"1"');
  });
});

describe("shapes az reads", () => {
  it("shows a Manual-mode set with the default rolling policy, as recorded", async () => {
    const emu = await setup();
    expect((await raw(emu, "GET", setPath(emu))).body.properties.upgradePolicy).toEqual({
      mode: "Manual",
      rollingUpgradePolicy: {
        maxBatchInstancePercent: 20,
        maxUnhealthyInstancePercent: 20,
        maxUnhealthyUpgradedInstancePercent: 20,
        pauseTimeBetweenBatches: "PT0S",
        maxSurge: false,
        rollbackFailedInstancesOnPolicyBreach: false,
      },
    });
  });

  it("walks the extension-image catalog: publishers, types, versions (404 for an unknown type)", async () => {
    const emu = await setup();
    const base = `/subscriptions/${emu.subscriptionId}/providers/Microsoft.Compute/locations/westeurope/publishers`;
    expect((await raw(emu, "GET", base)).body.map((p: { name: string }) => p.name)).toContain(
      "Microsoft.Azure.Extensions",
    );
    expect(
      (await raw(emu, "GET", `${base}/microsoft.azure.extensions/artifacttypes/vmextension/types`)).body.map(
        (t: { name: string }) => t.name,
      ),
    ).toEqual(["CustomScript"]);
    const versions = await raw(
      emu,
      "GET",
      `${base}/Microsoft.Azure.Extensions/artifacttypes/vmextension/types/CustomScript/versions`,
    );
    expect(versions.body.at(-1)).toEqual({
      location: "westeurope",
      name: "2.1.10",
      id: `/Subscriptions/${emu.subscriptionId}/Providers/Microsoft.Compute/Locations/westeurope/Publishers/Microsoft.Azure.Extensions/ArtifactTypes/VMExtension/Types/CustomScript/Versions/2.1.10`,
    });
    const unknown = await raw(
      emu,
      "GET",
      `${base}/Microsoft.Azure.Extensions/artifacttypes/vmextension/types/Nope/versions`,
    );
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "ArtifactNotFound"]);
  });

  it("reimages one instance (POST …/virtualMachines/{id}/reimage): 202 LRO, the instance takes the current model", async () => {
    const emu = await setup();
    const patch = await raw(emu, "PATCH", setPath(emu), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    await settle(emu, patch);
    const response = await raw(emu, "POST", `${setPath(emu)}/virtualMachines/1/reimage`);
    expect([response.status, response.body, response.headers.has("location")]).toEqual([202, undefined, true]);
    expect(await settle(emu, response)).toBe("Succeeded");
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([false, true, false, false]);
    expect(emu.counters()["VirtualMachineScaleSetVMs.Reimage"]).toBe(1);
  });

  it("accepts a set reimage while an instance is being reimaged and reimages it after (az 2.45 sends both at once)", async () => {
    const emu = await setup();
    const one = await raw(emu, "POST", `${setPath(emu)}/virtualMachines/2/reimage`);
    const all = await raw(emu, "POST", `${setPath(emu)}/reimage`);
    expect([one.status, all.status]).toEqual([202, 202]);
    expect([await settle(emu, one), await settle(emu, all)]).toEqual(["Succeeded", "Succeeded"]);
    const ops = emu.state().operations;
    const setOp = ops.find((o) => o.operation === "VirtualMachineScaleSets.Reimage");
    const vmOp = ops.find((o) => o.operation === "VirtualMachineScaleSetVMs.Reimage");
    expect(Date.parse(setOp?.endTime ?? "")).toBeGreaterThanOrEqual(Date.parse(vmOp?.endTime ?? ""));
  });

  it("sends ARM's rate-limit headers as recorded: subscription bucket first, per-subscription reads/writes, routing id", async () => {
    const emu = await setup();
    const get = await raw(emu, "GET", setPath(emu));
    expect(get.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      /^Microsoft\.Compute\/GetVMScaleSetSubscriptionMaximum;\d+,Microsoft\.Compute\/GetVMScaleSetResource;\d+$/,
    );
    const reads = Number(get.headers.get("x-ms-ratelimit-remaining-subscription-reads"));
    expect(reads).toBeGreaterThan(11_000);
    expect(
      Number((await raw(emu, "GET", setPath(emu))).headers.get("x-ms-ratelimit-remaining-subscription-reads")),
    ).toBe(reads - 1);
    expect(get.headers.get("x-ms-routing-request-id")).toMatch(/^WESTEUROPE:\d{8}T\d{6}Z:[0-9a-f-]{36}$/);
    const patch = await raw(emu, "PATCH", setPath(emu), { body: { tags: { a: "b" } } });
    expect(patch.headers.get("x-ms-ratelimit-remaining-subscription-writes")).toBe("1199");
    expect(patch.headers.has("x-ms-ratelimit-remaining-subscription-reads")).toBe(false);
  });

  it("serves the NIC each Flexible VM references (az vm show -d / vm list -d), and 404s a NIC it does not have", async () => {
    const emu = await setup({ scaleSets: [{ name: "vmss-flex", orchestrationMode: "Flexible", instances: 2 }] });
    const group = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}`;
    const vms = (await raw(emu, "GET", `${group}/providers/Microsoft.Compute/virtualMachines`)).body.value;
    expect(vms).toHaveLength(2);
    const seen: unknown[] = [];
    for (const vm of vms) {
      const ref: string = vm.properties.networkProfile.networkInterfaces[0].id;
      // az 2.45 reads NICs at Microsoft.Network 2022-07-01 (its own api-version, not Compute's).
      const nic = await raw(emu, "GET", ref, { apiVersion: "2022-07-01" });
      expect(nic.status).toBe(200);
      expect(nic.body.id).toBe(ref);
      expect(nic.body.properties.virtualMachine.id).toBe(vm.id);
      const ip = nic.body.properties.ipConfigurations[0].properties;
      seen.push([ip.privateIPAddress, ip.subnet?.id.endsWith("/subnets/default"), "publicIPAddress" in ip]);
      expect(nic.body.properties.macAddress).toMatch(/^([0-9A-F]{2}-){5}[0-9A-F]{2}$/);
    }
    expect(seen).toEqual([
      ["10.0.0.4", true, false],
      ["10.0.0.5", true, false],
    ]);
    const missing = await raw(emu, "GET", `${group}/providers/Microsoft.Network/networkInterfaces/nope`, {
      apiVersion: "2022-07-01",
    });
    expect([missing.status, missing.body.error.code]).toEqual([404, "ResourceNotFound"]);
    expect(emu.counters()["NetworkInterfaces.Get"]).toBe(3);
  });
});

describe("the Tags API at a scale set's scope (az tag list|create|update|delete --resource-id)", () => {
  // az 2.45 sends Microsoft.Resources 2019-10-01 here.
  const TAGS_API = "2019-10-01";
  const tagsPath = (emu: Emulator) => `${setPath(emu)}/providers/Microsoft.Resources/tags/default`;

  it.each([
    {
      name: "PATCH Merge adds and updates",
      method: "PATCH",
      body: { operation: "Merge", properties: { tags: { team: "web", owner: "dev" } } },
      tags: { owner: "dev", env: "prod", team: "web" },
    },
    {
      name: "PATCH Replace replaces all",
      method: "PATCH",
      body: { operation: "Replace", properties: { tags: { team: "web" } } },
      tags: { team: "web" },
    },
    {
      name: "PATCH Delete removes a name (any value) and a matching pair, not a pair that differs",
      method: "PATCH",
      body: { operation: "Delete", properties: { tags: { owner: "", env: "test" } } },
      tags: { env: "prod" },
    },
    { name: "PUT replaces all", method: "PUT", body: { properties: { tags: { a: "1" } } }, tags: { a: "1" } },
    { name: "DELETE removes all", method: "DELETE", body: undefined, tags: {} },
  ])("$name: the scale set's tags and etag change, its model and instances do not", async ({ method, body, tags }) => {
    const emu = await setup();
    await raw(emu, "PATCH", setPath(emu), { body: { tags: { owner: "ops", env: "prod" } } });
    const before = emu.state();
    const reply = await raw(emu, method, tagsPath(emu), { apiVersion: TAGS_API, ...(body ? { body } : {}) });
    expect(reply.status).toBe(200);
    if (method !== "DELETE")
      expect(reply.body).toEqual({
        id: tagsPath(emu),
        name: "default",
        type: "Microsoft.Resources/tags",
        properties: { tags },
      });
    const after = emu.state();
    expect(after.model["tags"]).toEqual(tags);
    expect(Number(JSON.parse(String(after.model["etag"])))).toBe(Number(JSON.parse(String(before.model["etag"]))) + 1);
    expect((after.model as any).properties.virtualMachineProfile).toEqual(
      (before.model as any).properties.virtualMachineProfile,
    );
    expect(after.instances.map((i) => i.latestModelApplied)).toEqual(before.instances.map((i) => i.latestModelApplied));
    expect(after.operations).toEqual(before.operations);
    const read = await raw(emu, "GET", tagsPath(emu), { apiVersion: TAGS_API });
    expect(read.body.properties.tags).toEqual(tags);
    expect((await raw(emu, "GET", setPath(emu))).body.tags).toEqual(tags);
  });

  it("refuses an unknown PATCH operation, more than 50 tags, a missing scale set, and a write while the model updates", async () => {
    const emu = await setup({ modelUpdateSeconds: 1000 });
    const bad = await raw(emu, "PATCH", tagsPath(emu), {
      apiVersion: TAGS_API,
      body: { operation: "Upsert", properties: { tags: { a: "b" } } },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, "InvalidRequestContent"]);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"]));
    const tooMany = await raw(emu, "PATCH", tagsPath(emu), {
      apiVersion: TAGS_API,
      body: { operation: "Merge", properties: { tags: many } },
    });
    expect([tooMany.status, tooMany.body.error.code]).toEqual([400, "InvalidTags"]);
    const missing = await raw(emu, "GET", tagsPath(emu).replace(VMSS, "nope"), { apiVersion: TAGS_API });
    expect([missing.status, missing.body.error.code]).toEqual([404, "ResourceNotFound"]);
    await raw(emu, "PATCH", setPath(emu), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    const busy = await raw(emu, "PATCH", tagsPath(emu), {
      apiVersion: TAGS_API,
      body: { operation: "Merge", properties: { tags: { a: "b" } } },
    });
    expect([busy.status, busy.body.error.code]).toEqual([409, "Conflict"]);
    expect(emu.state().model["tags"]).toEqual({});
  });
});

describe("protected instances named explicitly (az vmss update-instances --instance-ids 4)", () => {
  it("accepts a manualupgrade naming only a protected instance: the operation succeeds, the instance stays on its model", async () => {
    const emu = await setup({ scaleSets: [{ name: VMSS, protectedInstances: ["3"] }] });
    await settle(
      emu,
      await raw(emu, "PATCH", setPath(emu), {
        body: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
        },
      }),
    );
    const response = await raw(emu, "POST", `${setPath(emu)}/manualupgrade`, { body: { instanceIds: ["3"] } });
    expect(response.status).toBe(202);
    expect(await settle(emu, response)).toBe("Succeeded");
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([false, false, false, false]);
  });

  it("reimages a protected instance named on its own path (the request is about the instance, not a scale-set action)", async () => {
    const emu = await setup({ scaleSets: [{ name: VMSS, protectedInstances: ["3"] }] });
    await settle(
      emu,
      await raw(emu, "PATCH", setPath(emu), {
        body: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
        },
      }),
    );
    expect(await settle(emu, await raw(emu, "POST", `${setPath(emu)}/reimage`))).toBe("Succeeded");
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([true, true, true, false]);
    expect(await settle(emu, await raw(emu, "POST", `${setPath(emu)}/virtualMachines/3/reimage`))).toBe("Succeeded");
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([true, true, true, true]);
  });
});

describe("Retry-After and scenario files (npm run emulator)", () => {
  it("sends Retry-After on the answer that starts an operation and on its polls when asked to, none by default", async () => {
    for (const [pollRetryAfterSeconds, expected] of [
      [1, "1"],
      [undefined, null],
    ] as const) {
      const emu = await setup(pollRetryAfterSeconds === undefined ? {} : { pollRetryAfterSeconds });
      const started = await raw(emu, "POST", `${setPath(emu)}/manualupgrade`, { body: { instanceIds: ["0"] } });
      expect(started.headers.get("retry-after")).toBe(expected);
      const poll = await fetch(started.headers.get("azure-asyncoperation") ?? "", {
        headers: { Authorization: `Bearer ${await armToken(emu)}` },
      });
      expect(poll.headers.get("retry-after")).toBe(expected);
      await emu.stop();
    }
  });

  it("loads the example scenario: scale sets, instance health, faults and timing", async () => {
    const scenario = loadScenario(join(import.meta.dirname, "scenarios", "example.json"), {
      speed: 0.02,
      pollRetryAfterSeconds: 1,
    });
    expect(scenario.options).toMatchObject({
      speed: 0.02,
      pageSize: 3,
      pollRetryAfterSeconds: 1,
      modelUpdateSeconds: 5,
    });
    const emu = await setup({ ...scenario.options, speed: 0.001 });
    scenario.apply(emu);
    expect(emu.scaleSets()).toEqual([
      { name: "vmss-web", resourceGroup: "rg-web", upgradeMode: "Manual", instances: 6 },
      { name: "vmss-api", resourceGroup: "rg-api", upgradeMode: "Rolling", instances: 4 },
    ]);
    expect(emu.state("vmss-web").instances.map((i) => i.health)).toEqual([
      "healthy",
      "healthy",
      "healthy",
      "healthy",
      "unhealthy",
      "healthy",
    ]);
    expect(emu.state("vmss-web").instances[5]?.protected).toBe(true);
    // The failUpgrade fault on vmss-web/3 is armed: its next upgrade fails.
    const patch = await raw(emu, "PATCH", setPath(emu, "vmss-web", "rg-web"), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    await settle(emu, patch);
    const upgrade = await raw(emu, "POST", `${setPath(emu, "vmss-web", "rg-web")}/manualupgrade`, {
      body: { instanceIds: ["2", "3"] },
    });
    expect(await settle(emu, upgrade)).toBe("Failed");
    expect(
      emu
        .state("vmss-web")
        .instances.slice(2, 4)
        .map((i) => i.provisioningState),
    ).toEqual(["Succeeded", "Failed"]);
  });

  it("refuses a scenario it cannot honour, saying why", () => {
    const defaults = { speed: 0.02, pollRetryAfterSeconds: 1 };
    expect(() => scenarioFrom({ scaleSet: [] }, defaults)).toThrow("unknown field 'scaleSet'");
    expect(() => scenarioFrom({ scaleSets: [{ name: "a", upgradeMode: "Sometimes" }] }, defaults)).toThrow(
      "'upgradeMode' must be Manual, Automatic or Rolling",
    );
    expect(() => scenarioFrom({ faults: [{ kind: "explode" }] }, defaults)).toThrow("faults[0]: 'kind' must be one of");
    expect(() => scenarioFrom({ instances: { other: { "0": { health: "healthy" } } } }, defaults)).toThrow(
      "names scale set other",
    );
    expect(scenarioFrom({ pollRetryAfterSeconds: null }, defaults).options.pollRetryAfterSeconds).toBeUndefined();
  });
});

describe("restart and stop of the set reaching a deallocated instance (az vmss restart/stop --instance-ids)", () => {
  // az 2.45 sends `az vmss restart|stop --instance-ids …` as the set's action with {"instanceIds": […]}. Azure refuses
  // a deallocated VM's restart ("The operation requires the VM to be running (or set to run)."): a restart never
  // starts it, a poweroff never allocates it. Until 2026-12-06 the set's actions did (an audit with az 2.45).
  const powerOf = (emu: Emulator, id: string): string | undefined =>
    emu.state().instances.find((i) => i.instanceId === id)?.powerState;

  it.each([["restart"], ["poweroff"]])("%s naming one: 409 OperationNotAllowed, nothing done", async (action) => {
    const emu = await setup();
    expect(
      await settle(emu, await raw(emu, "POST", `${setPath(emu)}/deallocate`, { body: { instanceIds: ["1"] } })),
    ).toBe("Succeeded");
    const response = await raw(emu, "POST", `${setPath(emu)}/${action}`, { body: { instanceIds: ["0", "1"] } });
    expect([response.status, response.body?.error?.code]).toEqual([409, "OperationNotAllowed"]);
    expect([powerOf(emu, "0"), powerOf(emu, "1")]).toEqual(["running", "deallocated"]);
  });

  it.each([
    ["restart", "running"],
    ["poweroff", "stopped"],
  ])("%s of the whole set: the deallocated instance is left as it is, the others act", async (action, after) => {
    const emu = await setup();
    await settle(emu, await raw(emu, "POST", `${setPath(emu)}/deallocate`, { body: { instanceIds: ["1"] } }));
    // No instanceIds, or an empty list: the whole set (a review: [] was refused as if it named the instance).
    const whole = action === "poweroff" ? { body: { instanceIds: [] } } : {};
    const response = await raw(emu, "POST", `${setPath(emu)}/${action}`, whole);
    expect(response.status).toBe(202);
    expect(await settle(emu, response)).toBe("Succeeded");
    expect(emu.state().instances.map((i) => i.powerState)).toEqual([after, "deallocated", after, after]);
  });
});
