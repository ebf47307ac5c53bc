// ARM's contract as the emulator answers it: gatekeeping, status codes, headers and bodies (raw HTTPS where the SDK
// hides them, the real SDK elsewhere).
import { ComputeManagementClient } from "@azure/arm-compute";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import {
  armToken,
  computeClient,
  credentialFor,
  FAST_POLL,
  rawArm,
  TEST_API_VERSION,
  type RawResponse,
} from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";
const API = TEST_API_VERSION;

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions = {}): Promise<{ emu: Emulator; client: ComputeManagementClient }> {
  emu = await start({ speed: 0.001, ...options });
  return { emu, client: computeClient(emu) };
}

/** An operation's status once it is no longer InProgress (read at its Azure-AsyncOperation URL every 5 ms, 2 s at most). */
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

const vmssPath = (emu: Emulator, name = VMSS) =>
  `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

describe("gatekeeping", () => {
  it.each([
    { name: "no api-version", query: "", status: 400, code: "MissingApiVersionParameter" },
    {
      name: "an unpublished api-version",
      query: "api-version=2019-03-02",
      status: 400,
      code: "NoRegisteredProviderFound",
    },
    {
      name: "api-version 2020-06-01 (az 2.45, hybrid profile)",
      query: "api-version=2020-06-01",
      status: 200,
      code: undefined,
    },
    { name: "api-version 2023-09-01 (recordings)", query: "api-version=2023-09-01", status: 200, code: undefined },
    { name: "api-version 2026-03-01 (arm-compute 24)", query: "api-version=2026-03-01", status: 200, code: undefined },
  ])("answers $status for $name", async ({ query, status, code }) => {
    const { emu } = await setup();
    const response = await rawArm(emu, "GET", vmssPath(emu), { query });
    expect(response.status).toBe(status);
    expect((response.body as { error?: { code: string } }).error?.code).toBe(code);
  });

  // ARM's own routes: InvalidApiVersionParameter (Azure/azure-rest-api-specs#11711, Azure/azure-sdk-for-python#975,
  // Azure/azure-powershell#6031); Compute: NoRegisteredProviderFound naming the region, the type, the versions oldest
  // first, then the locations (Azure/azure-sdk-for-python#32029, Azure/azure-cli#956, Azure/AzureRMR#2).
  it.each([
    [
      "a resource group",
      (e: Emulator) => `/subscriptions/${e.subscriptionId}/resourceGroups/${RG}`,
      "InvalidApiVersionParameter",
      /^The api-version '2099-01-01' is invalid\. The supported versions are '2023-07-01,[^' ]+,2014-04'\.$/,
    ],
    [
      "a scale set",
      (e: Emulator) => vmssPath(e),
      "NoRegisteredProviderFound",
      /^No registered resource provider found for location 'westeurope' and API version '2099-01-01' for type 'virtualMachineScaleSets'\. The supported api-versions are '2015-06-15, 2016-03-30, [^']*, 2026-04-01'\. The supported locations are '[^']*westeurope[^']*'\.$/,
    ],
    [
      "an instance's instance view",
      (e: Emulator) => `${vmssPath(e)}/virtualMachines/0/instanceView`,
      "NoRegisteredProviderFound",
      /^No registered resource provider found for location 'westeurope' and API version '2099-01-01' for type 'virtualMachineScaleSets\/virtualMachines'\./,
    ],
    [
      "a scale set's action",
      (e: Emulator) => `${vmssPath(e)}/manualupgrade`,
      "NoRegisteredProviderFound",
      /for type 'virtualMachineScaleSets'\./,
    ],
  ])("refuses an api-version %s's route does not serve as Azure words it", async (_label, path, code, message) => {
    const { emu } = await setup();
    const r = await rawArm(emu, "GET", path(emu), { query: "api-version=2099-01-01" });
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 400, code });
    expect(r.body.error.message).toMatch(message);
  });

  it("requires a token this emulator issued", async () => {
    const { emu } = await setup();
    const none = await rawArm(emu, "GET", vmssPath(emu), { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." },
    });
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer authorization_uri="/);
    const foreign = await rawArm(emu, "GET", vmssPath(emu), { token: "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln" });
    expect(foreign.status).toBe(401);
    expect((foreign.body as { error: { code: string } }).error.code).toBe("InvalidAuthenticationToken");
  });

  it("refuses a token for another audience", async () => {
    const { emu } = await setup();
    const token = await armToken(emu, "https://vault.azure.net/.default");
    const response = await rawArm(emu, "GET", vmssPath(emu), { token });
    expect(response.status).toBe(401);
    expect((response.body as { error: { code: string } }).error.code).toBe("InvalidAuthenticationTokenAudience");
  });

  it("accepts exactly its own endpoint as audience, with or without the trailing slash, as each cloud's ARM does", async () => {
    const { emu } = await setup();
    for (const scope of [`${emu.armEndpoint}/.default`, `${emu.armEndpoint}//.default`]) {
      expect((await rawArm(emu, "GET", vmssPath(emu), { token: await armToken(emu, scope) })).status).toBe(200);
    }
    // The public cloud's audience is another cloud's here: ARM's message names the allowed ones.
    const response = await rawArm(emu, "GET", vmssPath(emu), {
      token: await armToken(emu, "https://management.azure.com/.default"),
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: {
        code: "InvalidAuthenticationTokenAudience",
        message: `The access token has been obtained for wrong audience or resource 'https://management.azure.com'. It should exactly match with one of the allowed audiences '${emu.armEndpoint}/','${emu.armEndpoint}'.`,
      },
    });
    expect(response.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });

  it("through the real SDK: the default (public-cloud) scope is refused at the emulator's endpoint, the endpoint's own scope works", async () => {
    const { emu } = await setup();
    const clientWith = (scopes: string[]) =>
      new ComputeManagementClient(credentialFor(emu), emu.subscriptionId, {
        endpoint: emu.armEndpoint,
        credentials: { scopes },
        retryOptions: { maxRetries: 0 },
      });
    // The sovereign-cloud bug: the endpoint changed, the scope did not.
    await expect(
      clientWith(["https://management.azure.com/.default"]).virtualMachineScaleSets.get(RG, VMSS),
    ).rejects.toMatchObject({
      statusCode: 401,
      code: "InvalidAuthenticationTokenAudience",
      message: expect.stringMatching(
        /^The access token has been obtained for wrong audience or resource 'https:\/\/management\.azure\.com'\. It should exactly match with one of the allowed audiences /,
      ),
    });
    await expect(
      clientWith([`${emu.armEndpoint}/.default`]).virtualMachineScaleSets.get(RG, VMSS),
    ).resolves.toMatchObject({ name: VMSS });
  });

  it("accepts the audiences it is told to (armAudiences), e.g. an Azure Stack app ID URI", async () => {
    const audience = "https://management.contoso.onmicrosoft.com/3a33850c-0000-4000-8000-000000000001";
    const { emu } = await setup({ armAudiences: [audience] });
    expect(
      (await rawArm(emu, "GET", vmssPath(emu), { token: await armToken(emu, `${audience}/.default`) })).status,
    ).toBe(200);
    expect((await rawArm(emu, "GET", vmssPath(emu))).status).toBe(401);
  });

  it("treats paths case-insensitively", async () => {
    const { emu } = await setup();
    const response = await rawArm(
      emu,
      "GET",
      vmssPath(emu).toLowerCase().replace("virtualmachinescalesets", "VIRTUALMACHINESCALESETS"),
    );
    expect(response.status).toBe(200);
    expect((response.body as { name: string }).name).toBe(VMSS);
  });

  it.each([
    { name: "an unknown scale set", path: (e: Emulator) => vmssPath(e, "nope"), status: 404, code: "ResourceNotFound" },
    {
      name: "a VM of an unknown scale set",
      path: (e: Emulator) => `${vmssPath(e, "nope")}/virtualMachines/0`,
      status: 404,
      code: "ParentResourceNotFound",
    },
    {
      name: "an unknown VM",
      path: (e: Emulator) => `${vmssPath(e)}/virtualMachines/42`,
      status: 404,
      code: "NotFound",
    },
    {
      name: "an unknown resource group",
      path: (e: Emulator) => vmssPath(e).replace(RG, "rg-nope"),
      status: 404,
      code: "ResourceGroupNotFound",
    },
    {
      name: "an unknown subscription",
      path: (e: Emulator) => vmssPath(e).replace(e.subscriptionId, "0b9f7c1e-0000-4000-8000-00000000dead"),
      status: 404,
      code: "SubscriptionNotFound",
    },
  ])("answers $status $code for $name", async ({ path, status, code }) => {
    const { emu } = await setup();
    const response = await rawArm(emu, "GET", path(emu));
    expect(response.status).toBe(status);
    expect((response.body as { error: { code: string } }).error.code).toBe(code);
  });
});

describe("scale-set model writes", () => {
  it("answers a PATCH with 200, the merged model in Updating, and an absolute Azure-AsyncOperation URL", async () => {
    const { emu } = await setup();
    const response = await rawArm(emu, "PATCH", vmssPath(emu), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    expect(response.status).toBe(200);
    const body = response.body as {
      etag: string;
      properties: { provisioningState: string; virtualMachineProfile: { storageProfile: { imageReference: unknown } } };
    };
    expect(body.etag).toBe('"2"');
    expect(body.properties.provisioningState).toBe("Updating");
    expect(body.properties.virtualMachineProfile.storageProfile.imageReference).toEqual({
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
      version: "24.04.202410020",
    });
    const asyncUrl = response.headers.get("azure-asyncoperation") ?? "";
    expect(asyncUrl).toMatch(
      new RegExp(
        `^${emu.armEndpoint}/subscriptions/${emu.subscriptionId}/providers/Microsoft.Compute/locations/westeurope/operations/[0-9a-f-]{36}\\?p=[0-9a-f-]{36}&api-version=${API}$`,
      ),
    );
    expect(response.headers.get("location")).toBeNull();
    const status = await rawArm(emu, "GET", new URL(asyncUrl).pathname, { query: new URL(asyncUrl).search.slice(1) });
    expect(status.body).toMatchObject({
      status: expect.stringMatching(/^(InProgress|Succeeded)$/),
      name: new URL(asyncUrl).pathname.split("/").at(-1),
    });
    expect((status.body as { startTime: string }).startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$/);
  });

  // `etag` on the set and its VMs from api-version 2023-09-01 (ETAG_API_VERSION: azure-rest-api-specs ComputeRP
  // stable/2023-09-01 adds it, 2023-07-01 has none); the recordings on older versions have none
  // (azure-cli-2020_test_vmss_rolling_upgrade.yaml #28, #29, #32 at 2020-06-01;
  // azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #18, the VM list at 2023-03-01).
  it.each([
    { apiVersion: "2020-06-01", etag: false },
    { apiVersion: "2022-08-01", etag: false },
    { apiVersion: "2023-03-01", etag: false },
    { apiVersion: "2023-07-01", etag: false },
    { apiVersion: "2023-09-01", etag: true },
    { apiVersion: "2024-03-01", etag: true },
    { apiVersion: API, etag: true },
  ])("renders etag on the set and its VMs on $apiVersion: $etag", async ({ apiVersion, etag }) => {
    const { emu } = await setup();
    const query = `api-version=${apiVersion}`;
    const set = vmssPath(emu);
    const group = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets`;
    const etagOf = (body: unknown): unknown => (body as { etag?: unknown }).etag;
    const first = (body: unknown): unknown => (body as { value: unknown[] }).value[0];
    const answers = {
      "GET set": etagOf((await rawArm(emu, "GET", set, { query })).body),
      "GET sets of the group": etagOf(first((await rawArm(emu, "GET", group, { query })).body)),
      "GET VM": etagOf((await rawArm(emu, "GET", `${set}/virtualMachines/0`, { query })).body),
      "GET VMs": etagOf(first((await rawArm(emu, "GET", `${set}/virtualMachines`, { query })).body)),
      "PUT VM": etagOf(
        (
          await rawArm(emu, "PUT", `${set}/virtualMachines/1`, {
            query,
            body: { properties: { protectionPolicy: { protectFromScaleIn: true } } },
          })
        ).body,
      ),
      "PATCH set": etagOf((await rawArm(emu, "PATCH", set, { query, body: { tags: { owner: "ci" } } })).body),
    };
    const expected = etag
      ? {
          "GET set": '"1"',
          "GET sets of the group": '"1"',
          "GET VM": '"1"',
          "GET VMs": '"1"',
          "PUT VM": '"2"',
          "PATCH set": '"2"',
        }
      : {
          "GET set": undefined,
          "GET sets of the group": undefined,
          "GET VM": undefined,
          "GET VMs": undefined,
          "PUT VM": undefined,
          "PATCH set": undefined,
        };
    expect(answers).toEqual(expected);
  });

  it.each(["2020-06-01", "2023-07-01", API])(
    "checks If-Match on %s whether or not the version shows the etag",
    async (apiVersion) => {
      const { emu } = await setup();
      const patch = (ifMatch: string) =>
        rawArm(emu, "PATCH", vmssPath(emu), {
          query: `api-version=${apiVersion}`,
          body: { tags: { owner: "ci" } },
          headers: { "If-Match": ifMatch },
        });
      expect((await patch('"1"')).status).toBe(200);
      const stale = await patch('"1"');
      expect(stale.status).toBe(412);
      expect(stale.body).toEqual({
        error: {
          code: "PreconditionFailed",
          message: 'Etag provided in if-match header "1" does not match etag "2" of resource.',
        },
      });
    },
  );

  it("refuses a stale etag with 412 PreconditionFailed", async () => {
    const { client } = await setup();
    const update = (ifMatch: string) =>
      client.virtualMachineScaleSets.update(RG, VMSS, { tags: { owner: "ci" } }, { ...FAST_POLL, ifMatch });
    await update('"1"');
    await expect(update('"1"')).rejects.toMatchObject({
      statusCode: 412,
      code: "PreconditionFailed",
      message: 'Etag provided in if-match header "1" does not match etag "2" of resource.',
    });
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).etag).toBe('"2"');
  });

  it("merges objects and replaces arrays on PATCH", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, healthExtension: true }] });
    const updated = await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      {
        virtualMachineProfile: {
          extensionProfile: {
            extensions: [
              {
                name: "customScript",
                publisher: "Microsoft.Azure.Extensions",
                typePropertiesType: "CustomScript",
                typeHandlerVersion: "2.1",
                settings: { commandToExecute: "true" },
              },
            ],
          },
        },
      },
      FAST_POLL,
    );
    expect(updated.virtualMachineProfile?.extensionProfile?.extensions?.map((e) => e.name)).toEqual(["customScript"]);
    expect(updated.virtualMachineProfile?.osProfile?.adminUsername).toBe("azureuser");
    expect(emu.state().model["properties"]).toMatchObject({ provisioningState: "Succeeded" });
  });

  it.each([
    {
      name: "image offer",
      patch: {
        virtualMachineProfile: { storageProfile: { imageReference: { offer: "0001-com-ubuntu-server-jammy" } } },
      },
      message: "Changing property 'imageReference.offer' is not allowed.",
    },
    {
      name: "image publisher",
      patch: { virtualMachineProfile: { storageProfile: { imageReference: { publisher: "RedHat" } } } },
      message: "Changing property 'imageReference.publisher' is not allowed.",
    },
    {
      name: "OS disk storage type",
      patch: {
        virtualMachineProfile: {
          storageProfile: {
            osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "Standard_LRS" } },
          },
        },
      },
      message: "Changing property 'osDisk.managedDisk.storageAccountType' is not allowed.",
    },
    { name: "zones", patch: { zones: ["1", "2"] }, message: "Changing property 'zones' is not allowed." },
  ])("refuses to change $name with 409 PropertyChangeNotAllowed", async ({ patch, message }) => {
    const { client, emu } = await setup();
    await expect(client.virtualMachineScaleSets.update(RG, VMSS, patch, FAST_POLL)).rejects.toMatchObject({
      statusCode: 409,
      code: "PropertyChangeNotAllowed",
      message,
    });
    expect(emu.state().model["etag"]).toBe('"1"');
  });

  it("refuses an image-type switch with 409 OperationNotAllowed, as the CLI output users quote shows", async () => {
    const { client, emu } = await setup();
    const patch = {
      virtualMachineProfile: {
        storageProfile: {
          imageReference: {
            id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0",
          },
        },
      },
    };
    await expect(client.virtualMachineScaleSets.update(RG, VMSS, patch, FAST_POLL)).rejects.toMatchObject({
      statusCode: 409,
      code: "OperationNotAllowed",
      message: "The Image type for a Virtual Machine Scale Set may not be changed.",
    });
    expect(emu.state().model["etag"]).toBe('"1"');
  });

  it.each([
    {
      name: "turning automatic OS upgrades on while the image names a version",
      patch: { upgradePolicy: { automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true } } },
    },
    {
      name: "naming a version while they are on",
      patch: {
        upgradePolicy: { automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true } },
        virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202501140" } } },
      },
    },
  ])("refuses $name with 400 BadRequest: automatic OS upgrades take only version 'latest'", async ({ patch }) => {
    const { client, emu } = await setup();
    await expect(client.virtualMachineScaleSets.update(RG, VMSS, patch, FAST_POLL)).rejects.toMatchObject({
      statusCode: 400,
      code: "BadRequest",
      message:
        "virtualMachineScaleSets with Automatic OS Upgrade enabled must use Platform or Gallery Image with version set to 'latest'.",
    });
    expect(emu.state().model["etag"]).toBe('"1"');
  });

  it("changes an image ID within the same image type", async () => {
    const gallery = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app/versions";
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, image: { id: `${gallery}/1.0.0` } }] });
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { id: `${gallery}/1.1.0` } } } },
      FAST_POLL,
    );
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    expect(emu.state().instances.map((i) => i.imageReference["id"]?.split("/").at(-1))).toEqual([
      "1.1.0",
      "1.0.0",
      "1.0.0",
      "1.0.0",
    ]);
  });

  it.each<{ name: string; tags: Record<string, string> | undefined; after: Record<string, string> }>([
    { name: "replace the set's tags (one left out is removed)", tags: { owner: "team-a" }, after: { owner: "team-a" } },
    { name: "replace the set's tags (empty: all removed)", tags: {}, after: {} },
    { name: "are kept when the PUT has none", tags: undefined, after: { owner: "team-a", env: "prod" } },
  ])("a PUT's tags $name, as a PATCH's do", async ({ tags, after }) => {
    const { client } = await setup();
    await client.virtualMachineScaleSets.update(RG, VMSS, { tags: { owner: "team-a", env: "prod" } });
    const { tags: _, ...current } = await client.virtualMachineScaleSets.get(RG, VMSS);
    await client.virtualMachineScaleSets.createOrUpdate(RG, VMSS, { ...current, ...(tags !== undefined && { tags }) });
    // Before, a PUT merged its tags into the set's: a tag it left out stayed.
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).tags ?? {}).toEqual(after);
  });

  it("takes a whole model on PUT (createOrUpdate), keeping protectedSettings the GET could not return", async () => {
    const { client, emu } = await setup({
      scaleSets: [
        {
          name: VMSS,
          extensions: [
            {
              name: "customScript",
              publisher: "Microsoft.Azure.Extensions",
              type: "CustomScript",
              typeHandlerVersion: "2.1",
              protectedSettings: { commandToExecute: "secret" },
            },
          ],
        },
      ],
    });
    const current = await client.virtualMachineScaleSets.get(RG, VMSS);
    const imageReference = {
      ...current.virtualMachineProfile?.storageProfile?.imageReference,
      version: "24.04.202410020",
    };
    const result = await client.virtualMachineScaleSets.createOrUpdate(
      RG,
      VMSS,
      {
        ...current,
        virtualMachineProfile: {
          ...current.virtualMachineProfile,
          storageProfile: { ...current.virtualMachineProfile?.storageProfile, imageReference },
        },
      },
      { ...FAST_POLL, ifMatch: current.etag },
    );
    expect(result).toMatchObject({ etag: '"2"', provisioningState: "Succeeded" });
    expect(result.virtualMachineProfile?.storageProfile?.imageReference?.version).toBe("24.04.202410020");
    expect(emu.writes().map((w) => [w.method, w.operation, w.status])).toEqual([
      ["PUT", "VirtualMachineScaleSets.CreateOrUpdate", 200],
    ]);
    // Same extension, same protectedSettings: instances are stale only because of the image.
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([true, false, false, false]);
  });

  it.each([
    {
      second: "a model write",
      body: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "2" } } } } },
    },
    { second: "a tags-only write", body: { tags: { a: "b" } } },
  ])("refuses $second while a model update runs (409 Conflict)", async ({ body }) => {
    const { emu } = await setup({ modelUpdateSeconds: 100_000 });
    const first = { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "1" } } } } };
    expect((await rawArm(emu, "PATCH", vmssPath(emu), { body: first })).status).toBe(200);
    const second = await rawArm(emu, "PATCH", vmssPath(emu), { body });
    expect(second.status).toBe(409);
    expect((second.body as { error: { code: string } }).error.code).toBe("Conflict");
  });
});

describe("a PUT of an existing set naming another region", () => {
  it("is refused as ARM refuses it (409 InvalidResourceLocation), nothing changed", async () => {
    const { emu } = await setup();
    const before = (await rawArm(emu, "GET", vmssPath(emu))).body;
    expect(before.location).toBe("westeurope");
    const put = await rawArm(emu, "PUT", vmssPath(emu), { body: { location: "East US", tags: { moved: "yes" } } });
    expect(put.status).toBe(409);
    expect(put.body).toEqual({
      error: {
        code: "InvalidResourceLocation",
        message:
          "The resource 'vmss-demo' already exists in location 'westeurope' in resource group 'rg-demo'. A resource with the same name cannot be created in location 'East US'. Please select a new resource name.",
      },
    });
    const after = (await rawArm(emu, "GET", vmssPath(emu))).body;
    expect([after.location, after.tags, after.etag]).toEqual([before.location, before.tags, before.etag]);
  });

  it.each(["westeurope", "West Europe", "WESTEUROPE"])("accepts the set's own region written %s", async (location) => {
    const { emu } = await setup();
    const put = await rawArm(emu, "PUT", vmssPath(emu), { body: { location, tags: { a: "b" } } });
    expect([put.status, put.body.location, put.body.tags]).toEqual([200, "westeurope", { a: "b" }]);
  });
});

describe("creating a scale set (PUT of one that does not exist)", () => {
  const model = {
    location: "westeurope",
    sku: { name: "Standard_D2s_v3", tier: "Standard", capacity: 2 },
    properties: {
      upgradePolicy: { mode: "Manual" },
      virtualMachineProfile: {
        osProfile: { computerNamePrefix: "web", adminUsername: "azureuser" },
        storageProfile: {
          imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
          osDisk: { createOption: "FromImage", diskSizeGB: 64 },
        },
        networkProfile: { networkInterfaceConfigurations: [] },
      },
    },
  };

  it("answers 201 Creating with Azure-AsyncOperation, then the set and its instances as the body made them", async () => {
    const { client, emu } = await setup();
    const created = await rawArm(emu, "PUT", vmssPath(emu, "vmss-new"), { body: model });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "vmss-new", properties: { provisioningState: "Creating" } });
    expect(created.headers.get("azure-asyncoperation")).toMatch(/\/operations\/[0-9a-f-]+\?/);
    expect(created.headers.get("location")).toBeNull();
    expect(await operationEnd(emu, created.headers.get("azure-asyncoperation"))).toBe("Succeeded");
    const done = await client.virtualMachineScaleSets.get(RG, "vmss-new");
    expect(done).toMatchObject({
      provisioningState: "Succeeded",
      orchestrationMode: "Uniform",
      upgradePolicy: { mode: "Manual" },
      sku: { capacity: 2 },
    });
    const vms = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, "vmss-new")) vms.push(vm);
    expect(vms.map((vm) => [vm.instanceId, vm.latestModelApplied, vm.storageProfile?.osDisk?.diskSizeGB])).toEqual([
      ["0", true, 64],
      ["1", true, 64],
    ]);
  });

  it("refuses a body without location (400 LocationRequired), and a new set in a group it does not know (404)", async () => {
    const { emu } = await setup();
    const { location: _, ...noLocation } = model;
    expect((await rawArm(emu, "PUT", vmssPath(emu, "vmss-new"), { body: noLocation })).body).toMatchObject({
      error: { code: "LocationRequired" },
    });
    const elsewhere = `/subscriptions/${emu.subscriptionId}/resourceGroups/rg-unknown/providers/Microsoft.Compute/virtualMachineScaleSets/x`;
    const refused = await rawArm(emu, "PUT", elsewhere, { body: model });
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ error: { code: "ResourceGroupNotFound" } });
  });

  it("does not bring back a set another writer deleted: a PUT with If-Match of a missing set is 412, nothing created", async () => {
    const { client, emu } = await setup();
    // A client reads the set and keeps its etag; another writer deletes the set.
    const read = await rawArm(emu, "GET", vmssPath(emu));
    const { id: _id, name: _name, type: _type, ...resource } = read.body as Record<string, unknown>;
    const etag = String(read.body.etag);
    expect(etag).toMatch(/^"\d+"$/);
    await client.virtualMachineScaleSets.beginDeleteAndWait(RG, VMSS, FAST_POLL);
    // RFC 7232 §3.1: no current representation, so neither an etag nor `*` matches.
    for (const ifMatch of [etag, "*"]) {
      const put = await rawArm(emu, "PUT", vmssPath(emu), { body: resource, headers: { "If-Match": ifMatch } });
      expect([put.status, put.body?.error?.code]).toEqual([412, "PreconditionFailed"]);
    }
    expect(emu.scaleSets().map((s) => s.name)).not.toContain(VMSS);
    expect(emu.writes().filter((w) => w.status === 201)).toEqual([]);
    // Never there at all: the same. If-None-Match: * (create only) and no condition still create.
    const fresh = await rawArm(emu, "PUT", vmssPath(emu, "vmss-new"), { body: model, headers: { "If-Match": "*" } });
    expect(fresh.status).toBe(412);
    const created = await rawArm(emu, "PUT", vmssPath(emu, "vmss-new"), {
      body: model,
      headers: { "If-None-Match": "*" },
    });
    expect(created.status).toBe(201);
    expect((await rawArm(emu, "PUT", vmssPath(emu), { body: resource })).status).toBe(201);
    // A PATCH of a missing set is 404 before any condition; Compute's DELETE takes no If-Match (its spec has none).
    const patch = await rawArm(emu, "PATCH", vmssPath(emu, "vmss-gone"), {
      body: { tags: {} },
      headers: { "If-Match": etag },
    });
    expect([patch.status, patch.body?.error?.code]).toEqual([404, "ResourceNotFound"]);
    expect((await rawArm(emu, "DELETE", vmssPath(emu, "vmss-gone"), { headers: { "If-Match": etag } })).status).toBe(
      204,
    );
  });
});

describe("extensions", () => {
  const seed = {
    scaleSets: [
      {
        name: VMSS,
        extensions: [
          {
            name: "customScript",
            publisher: "Microsoft.Azure.Extensions",
            type: "CustomScript",
            typeHandlerVersion: "2.1",
            settings: { fileUris: ["https://st.blob.core.windows.net/s/a.sh"], commandToExecute: "bash a.sh" },
            protectedSettings: { storageAccountKey: "c2VjcmV0" },
          },
        ],
      },
    ],
  };

  it("never returns protectedSettings, and replaces settings as a unit on PATCH", async () => {
    const { client, emu } = await setup(seed);
    const extension = await client.virtualMachineScaleSetExtensions.get(RG, VMSS, "customScript");
    expect(extension).toMatchObject({
      name: "customScript",
      typePropertiesType: "CustomScript",
      provisioningState: "Succeeded",
    });
    expect(extension.protectedSettings).toBeUndefined();
    await client.virtualMachineScaleSetExtensions.update(
      RG,
      VMSS,
      "customScript",
      { settings: { fileUris: ["https://st.blob.core.windows.net/s/b.sh"] } },
      FAST_POLL,
    );
    const after = await client.virtualMachineScaleSetExtensions.get(RG, VMSS, "customScript");
    expect(after.settings).toEqual({ fileUris: ["https://st.blob.core.windows.net/s/b.sh"] });
    expect(after.typeHandlerVersion).toBe("2.1");
    const all = JSON.stringify([emu.requests.map((r) => r.body), await client.virtualMachineScaleSets.get(RG, VMSS)]);
    expect(all).not.toContain("c2VjcmV0");
  });

  it("creates or replaces an extension with PUT (201 for a new one)", async () => {
    const { client, emu } = await setup(seed);
    await client.virtualMachineScaleSetExtensions.createOrUpdate(
      RG,
      VMSS,
      "healthExtension",
      {
        publisher: "Microsoft.ManagedServices",
        typePropertiesType: "ApplicationHealthLinux",
        typeHandlerVersion: "2.0",
        settings: { protocol: "tcp", port: 22 },
      },
      FAST_POLL,
    );
    await client.virtualMachineScaleSetExtensions.createOrUpdate(
      RG,
      VMSS,
      "customScript",
      {
        publisher: "Microsoft.Azure.Extensions",
        typePropertiesType: "CustomScript",
        typeHandlerVersion: "2.1",
        forceUpdateTag: "2",
      },
      FAST_POLL,
    );
    expect(emu.writes().map((w) => w.status)).toEqual([201, 200]);
    const vm = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0");
    expect(vm.vmHealth?.status?.code).toBe("HealthState/healthy");
    expect(emu.state().instances[0]?.latestModelApplied).toBe(false);
  });

  it("lists extensions and answers 404 for an unknown one", async () => {
    const { client } = await setup(seed);
    const names: string[] = [];
    for await (const e of client.virtualMachineScaleSetExtensions.list(RG, VMSS)) names.push(e.name ?? "");
    expect(names).toEqual(["customScript"]);
    await expect(client.virtualMachineScaleSetExtensions.get(RG, VMSS, "nope")).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});

describe("manualupgrade and operations", () => {
  it("answers 202 with an empty body, absolute Azure-AsyncOperation and Location URLs; the monitor URL is 202 then 200", async () => {
    const { emu } = await setup({ modelUpdateSeconds: 0 });
    await rawArm(emu, "PATCH", vmssPath(emu), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    const response = await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["0"] } });
    expect(response.status).toBe(202);
    expect(response.body).toBeUndefined();
    const asyncUrl = new URL(response.headers.get("azure-asyncoperation") ?? "");
    const monitorUrl = new URL(response.headers.get("location") ?? "");
    expect(monitorUrl.pathname).toBe(asyncUrl.pathname);
    expect(monitorUrl.searchParams.get("monitor")).toBe("true");
    expect(monitorUrl.origin).toBe(emu.armEndpoint);
    const monitor = () => rawArm(emu, "GET", monitorUrl.pathname, { query: monitorUrl.search.slice(1) });
    expect((await monitor()).status).toBe(202);
    while (
      (await rawArm(emu, "GET", asyncUrl.pathname, { query: asyncUrl.search.slice(1) })).body &&
      emu.state().operations.at(-1)?.status === "InProgress"
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const done = await monitor();
    expect([done.status, done.body]).toEqual([200, undefined]);
    const status = await rawArm(emu, "GET", asyncUrl.pathname, { query: asyncUrl.search.slice(1) });
    expect(Object.keys(status.body as object)).toEqual(["startTime", "endTime", "status", "name"]);
  });

  it("refuses unknown instance IDs with 400 InvalidParameter", async () => {
    const { client } = await setup();
    await expect(
      client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0", "7"] }, FAST_POLL),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: "InvalidParameter",
      message: "The provided instanceId 7 is not an active Virtual Machine Scale Set VM instanceId.",
    });
  });

  it("refuses to upgrade an instance another operation is upgrading (409 Conflict)", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instanceUpgradeSeconds: 100_000 }] });
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      FAST_POLL,
    );
    void client.virtualMachineScaleSets
      .updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL)
      .catch(() => undefined);
    while (emu.state().instances[0]?.provisioningState !== "Updating")
      await new Promise((resolve) => setTimeout(resolve, 2));
    await expect(
      client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0", "1"] }, FAST_POLL),
    ).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
  });

  it("a data disk added to the model shows on the instances upgraded to it, not on the others", async () => {
    const { client } = await setup();
    await client.virtualMachineScaleSets.beginUpdateAndWait(
      RG,
      VMSS,
      {
        virtualMachineProfile: { storageProfile: { dataDisks: [{ lun: 0, createOption: "Empty", diskSizeGB: 100 }] } },
      },
      FAST_POLL,
    );
    await client.virtualMachineScaleSets.beginUpdateInstancesAndWait(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    const upgraded = await client.virtualMachineScaleSetVMs.get(RG, VMSS, "0");
    expect(upgraded.storageProfile?.dataDisks).toEqual([
      expect.objectContaining({
        lun: 0,
        name: expect.stringMatching(new RegExp(`^${VMSS}_${VMSS}_0_disk2_[0-9a-f]{32}$`)),
        createOption: "Empty",
        diskSizeGB: 100,
        managedDisk: expect.objectContaining({ storageAccountType: "Standard_LRS" }),
      }),
    ]);
    expect((await client.virtualMachineScaleSetVMs.get(RG, VMSS, "1")).storageProfile?.dataDisks).toEqual([]);
  });

  it("reimage brings instances onto the current model", async () => {
    const { client, emu } = await setup();
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      FAST_POLL,
    );
    await client.virtualMachineScaleSets.reimage(RG, VMSS, {
      vmScaleSetReimageInput: { instanceIds: ["3"] },
      ...FAST_POLL,
    });
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([false, false, false, true]);
  });

  it("applies protectionPolicy from a VM PUT", async () => {
    const { client } = await setup();
    const vm = await client.virtualMachineScaleSetVMs.get(RG, VMSS, "1");
    await client.virtualMachineScaleSetVMs.update(
      RG,
      VMSS,
      "1",
      { ...vm, protectionPolicy: { protectFromScaleIn: true, protectFromScaleSetActions: true } },
      FAST_POLL,
    );
    expect((await client.virtualMachineScaleSetVMs.get(RG, VMSS, "1")).protectionPolicy).toEqual({
      protectFromScaleIn: true,
      protectFromScaleSetActions: true,
    });
  });
});

describe("managed identity on PATCH, as recorded (azure-cli_test_vmss_explicit_msi.yaml #22–#43)", () => {
  it("fills in the IDs Azure assigns after the write's answer, matches user-assigned IDs case-insensitively, and follows type", async () => {
    const { emu } = await setup();
    const uai = (name: string) =>
      `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
    const patch = (identity: unknown) => rawArm(emu, "PATCH", vmssPath(emu), { body: { identity } });
    const get = async () =>
      ((await rawArm(emu, "GET", vmssPath(emu))).body as { identity?: Record<string, unknown> }).identity;

    const first = await patch({ type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [uai("id1")]: {} } });
    // The write's own answer: the new user-assigned identity as sent (#22).
    expect(
      (first.body as { identity: { userAssignedIdentities: Record<string, unknown> } }).identity.userAssignedIdentities,
    ).toEqual({
      [uai("id1")]: {},
    });
    const shown = await get();
    expect(shown).toMatchObject({
      type: "SystemAssigned, UserAssigned",
      principalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: emu.tenantId,
      userAssignedIdentities: {
        [uai("id1")]: {
          principalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        },
      },
    });
    // Removed by its ID in lower case (#33); the system-assigned principal stays the same.
    await patch({
      type: "SystemAssigned, UserAssigned",
      userAssignedIdentities: { [uai("id1").toLowerCase()]: null, [uai("id2")]: {} },
    });
    const next = await get();
    expect(Object.keys((next?.["userAssignedIdentities"] as object) ?? {})).toEqual([uai("id2")]);
    expect(next?.["principalId"]).toBe(shown?.["principalId"]);
    // A PUT names the user-assigned identities the set has from then on (in any case): the others are removed.
    const current = (await rawArm(emu, "GET", vmssPath(emu))).body as Record<string, unknown>;
    await rawArm(emu, "PUT", vmssPath(emu), {
      body: {
        ...current,
        identity: {
          type: "SystemAssigned, UserAssigned",
          userAssignedIdentities: { [uai("id3")]: {}, [uai("id2").toUpperCase()]: {} },
        },
      },
    });
    expect(Object.keys(((await get())?.["userAssignedIdentities"] as object) ?? {}).sort()).toEqual(
      [uai("id2"), uai("id3")].sort(),
    );
    // SystemAssigned alone drops the user-assigned ones (#39).
    await patch({ type: "SystemAssigned" });
    expect(await get()).toEqual({
      type: "SystemAssigned",
      principalId: shown?.["principalId"],
      tenantId: emu.tenantId,
    });
  });
});

describe("a VM PUT, as recorded (azure-cli_test_vmss_update.yaml #26–#33)", () => {
  it("answers 200 Updating with Azure-AsyncOperation, checks If-Match, and keeps protectionPolicy once set", async () => {
    // Azure's clock: the PUT's operation lasts 2 s, long enough to see the instance while it runs.
    const { emu } = await setup({ speed: 1 });
    const path = `${vmssPath(emu)}/virtualMachines/1`;
    const before = await rawArm(emu, "GET", path);
    expect((before.body as { properties: Record<string, unknown> }).properties["protectionPolicy"]).toBeUndefined();
    const etag = (before.body as { etag: string }).etag;
    const put = (policy: Record<string, boolean>, ifMatch?: string) =>
      rawArm(emu, "PUT", path, {
        body: { location: "westeurope", properties: { protectionPolicy: policy } },
        ...(ifMatch !== undefined && { headers: { "If-Match": ifMatch } }),
      });
    const stale = await put({ protectFromScaleIn: true }, '"999"');
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ error: { code: "PreconditionFailed" } });

    const set = await put({ protectFromScaleIn: true, protectFromScaleSetActions: true }, etag);
    expect(set.status).toBe(200);
    expect(set.headers.get("azure-asyncoperation")).toMatch(/\/operations\/[0-9a-f-]+\?/);
    expect(set.headers.get("location")).toBeNull();
    expect(set.body).toMatchObject({ properties: { provisioningState: "Updating" } });

    // The instance is Updating while the PUT's operation runs (seconds, at this speed).
    expect(emu.state().instances.find((i) => i.instanceId === "1")?.provisioningState).toBe("Updating");
    const cleared = await put({ protectFromScaleIn: false, protectFromScaleSetActions: false });
    expect(cleared.status).toBe(200);
    const after = await rawArm(emu, "GET", path);
    expect((after.body as { properties: Record<string, unknown> }).properties["protectionPolicy"]).toEqual({
      protectFromScaleIn: false,
      protectFromScaleSetActions: false,
    });
  });

  // VirtualMachineScaleSetVMs_Update declares If-None-Match ("Set to '*' … to prevent updating an existing record set",
  // @azure/arm-compute VirtualMachineScaleSetVMsUpdateOptionalParams.ifNoneMatch), as the set's PUT/PATCH do.
  it("refuses a PUT with If-None-Match: * (the instance exists) 412, changing nothing", async () => {
    const { emu } = await setup();
    const path = `${vmssPath(emu)}/virtualMachines/0`;
    const r = await rawArm(emu, "PUT", path, {
      body: { properties: { protectionPolicy: { protectFromScaleIn: true } } },
      headers: { "If-None-Match": "*" },
    });
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 412, code: "PreconditionFailed" });
    await new Promise((done) => setTimeout(done, 100));
    const vm = await rawArm(emu, "GET", path);
    expect(vm.body.properties.protectionPolicy).toBeUndefined();
    expect(vm.body.etag).toBe('"1"');
  });
});

describe("reading instances", () => {
  it("pages the VM list with absolute nextLinks", async () => {
    const { client, emu } = await setup({ pageSize: 2, scaleSets: [{ name: VMSS, instances: 5 }] });
    const ids: string[] = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { expand: "instanceView" })) {
      ids.push(vm.instanceId ?? "");
      expect(vm.instanceView?.statuses).toHaveLength(2);
    }
    expect(ids).toEqual(["0", "1", "2", "3", "4"]);
    const lists = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSetVMs.List");
    expect(lists.map((r) => [r.query["$skiptoken"], r.query["$expand"]])).toEqual([
      [undefined, "instanceView"],
      ["2", "instanceView"],
      ["4", "instanceView"],
    ]);
  });

  it.each([
    { name: "one already shown is scaled in", filter: undefined },
    { name: "one already shown takes the model (an eq false list)", filter: "properties/latestModelApplied eq false" },
  ])("loses no instance when the list changes between its pages: $name", async ({ filter }) => {
    const { emu } = await setup({ pageSize: 2, scaleSets: [{ name: VMSS, instances: 5 }] });
    if (filter)
      emu.faults.concurrentWrite({
        patch: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202502010" } } } },
        },
      });
    if (filter) await rawArm(emu, "GET", vmssPath(emu)); // another model lands here: every instance is stale
    const query = `api-version=${API}${filter ? `&$filter=${encodeURIComponent(filter)}` : ""}`;
    const first = (await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines`, { query })).body as {
      value: { instanceId: string }[];
      nextLink: string;
    };
    expect(first.value.map((vm) => vm.instanceId)).toEqual(["0", "1"]);
    // Between the pages: instance 1 takes the model (it leaves the eq false list), or is scaled in.
    if (filter) {
      const upgrade = await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["1"] } });
      expect(await operationEnd(emu, upgrade.headers.get("azure-asyncoperation"))).toBe("Succeeded");
    } else emu.deleteInstance(VMSS, "1");
    const ids = [...first.value.map((vm) => vm.instanceId)];
    let next: string | undefined = first.nextLink;
    while (next) {
      const url = new URL(next);
      const page = (await rawArm(emu, "GET", url.pathname, { query: url.search.slice(1) })).body as {
        value: { instanceId: string }[];
        nextLink?: string;
      };
      ids.push(...page.value.map((vm) => vm.instanceId));
      next = page.nextLink;
    }
    // Before, the token was an offset: the page after the change started one instance late, and "2" was never listed.
    expect(ids).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("takes the configured latency per list page (latencyMs, simulated ms scaled by speed)", async () => {
    // speed 0.01: the first page 10 s simulated → 100 ms, each nextLink page 5 s → 50 ms, everything else 0.
    const { client, emu } = await setup({
      speed: 0.01,
      pageSize: 2,
      scaleSets: [{ name: VMSS, instances: 5 }],
      latencyMs: { list: 10_000, page: 5_000 },
    });
    const started = Date.now();
    let count = 0;
    for await (const _vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) count++;
    expect(count).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    const lists = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSetVMs.List").map((r) => r.durationMs);
    expect(lists).toHaveLength(3);
    expect(lists[0]).toBeGreaterThanOrEqual(99);
    expect(lists.slice(1).every((ms) => ms >= 49)).toBe(true);
    await client.virtualMachineScaleSets.get(RG, VMSS);
    expect(emu.requests.at(-1)?.durationMs).toBeLessThan(49);
  });

  it("takes a single latencyMs number on every ARM request, not on sign-in", async () => {
    const { client, emu } = await setup({ speed: 0.01, latencyMs: 5_000 });
    await client.virtualMachineScaleSets.get(RG, VMSS);
    const byOperation = Object.fromEntries(emu.requests.map((r) => [r.operation, r.durationMs]));
    expect(byOperation["VirtualMachineScaleSets.Get"]).toBeGreaterThanOrEqual(49);
    expect(byOperation["Entra.Token"]).toBeLessThan(49);
  });

  it("has the recorded VM list shape", async () => {
    const { emu } = await setup({ scaleSets: [{ name: VMSS, healthExtension: true }] });
    const response = await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines`, {
      query: `api-version=${API}&%24expand=instanceView`,
    });
    const vm = (response.body as { value: Record<string, unknown>[] }).value[0] ?? {};
    expect(vm).toMatchObject({
      name: `${VMSS}_0`,
      id: `${vmssPath(emu)}/virtualMachines/0`,
      type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
      instanceId: "0",
      properties: {
        latestModelApplied: true,
        modelDefinitionApplied: "VirtualMachineScaleSet",
        provisioningState: "Succeeded",
        storageProfile: {
          imageReference: { publisher: "Canonical", version: "24.04.202409120", exactVersion: "24.04.202409120" },
        },
        instanceView: {
          statuses: [
            { code: "ProvisioningState/succeeded", level: "Info" },
            { code: "PowerState/running", displayStatus: "VM running" },
          ],
          vmHealth: { status: { code: "HealthState/healthy", level: "Info" } },
        },
      },
    });
    // The instance's extensions carry IDs under the VM's own resource ID, as recorded (azure-libraries-for-java
    // _canCreateVirtualMachineScaleSetWithCustomScriptExtension.json #27).
    const group = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute`;
    expect((vm["resources"] as { id: string }[]).map((r) => r.id)).toEqual([
      `${group}/virtualMachines/${VMSS}_0/extensions/customScript`,
      `${group}/virtualMachines/${VMSS}_0/extensions/healthExtension`,
    ]);
    // As recorded (2023): the subscription's bucket, then the resource's, then the VM views counter
    // (azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #18 GET …/virtualMachines).
    expect(response.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      /^Microsoft\.Compute\/HighCostGetVMScaleSetSubscriptionMaximum;\d+,Microsoft\.Compute\/HighCostGetVMScaleSetResource;\d+,Microsoft\.Compute\/VMScaleSetVMViewsSubscriptionMaximum;\d+$/,
    );
  });

  it("summarises instance states in the scale set's instance view", async () => {
    const { client, emu } = await setup();
    emu.faults.failUpgrade("2");
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      FAST_POLL,
    );
    await client.virtualMachineScaleSets
      .updateInstances(RG, VMSS, { instanceIds: ["2"] }, FAST_POLL)
      .catch(() => undefined);
    const view = await client.virtualMachineScaleSets.getInstanceView(RG, VMSS);
    expect(view.virtualMachine?.statusesSummary).toEqual([
      { code: "ProvisioningState/succeeded", count: 3 },
      { code: "ProvisioningState/failed/VMExtensionProvisioningError", count: 1 },
    ]);
    expect(view.extensions?.[0]).toEqual({
      name: "customScript",
      statusesSummary: [
        { code: "ProvisioningState/succeeded", count: 3 },
        { code: "ProvisioningState/failed/1", count: 1 },
      ],
    });
  });
});

describe("x-ms-ratelimit-remaining-resource entries per operation, as the 2023-09-01 azure-cli recordings show them", () => {
  const policies = (r: RawResponse) =>
    (r.headers.get("x-ms-ratelimit-remaining-resource") ?? "").split(",").map((e) => e.replace(/;\d+$/, ""));

  const SET_ACTIONS_BATCHED = [
    "Microsoft.Compute/VMScaleSetActionsSubscriptionMaximum",
    "Microsoft.Compute/VMScaleSetBatchedVMRequestsSubscriptionMaximum",
    "Microsoft.Compute/VmssQueuedVMOperations",
  ];
  it.each([
    // azure-cli_test_vmss_reimage.yaml #13 POST …/reimageall and #25 POST …/reimage
    ["reimageall", "POST", "/reimageall", { instanceIds: ["2"] }, SET_ACTIONS_BATCHED, undefined],
    ["reimage", "POST", "/reimage", undefined, SET_ACTIONS_BATCHED, undefined],
    // azure-cli_test_vmss_update.yaml #27 PUT …/virtualMachines/0: the subscription's bucket holds 2000
    [
      "an instance's PUT",
      "PUT",
      "/virtualMachines/0",
      { properties: { protectionPolicy: { protectFromScaleIn: true } } },
      [
        "Microsoft.Compute/VMScaleSetVMActionsSubscriptionMaximum",
        "Microsoft.Compute/VMScaleSetVMActionsResource",
        "Microsoft.Compute/VMScaleSetBatchedVMRequestsSubscriptionMaximum",
        "Microsoft.Compute/VmssQueuedVMOperations",
      ],
      /^Microsoft\.Compute\/VMScaleSetVMActionsSubscriptionMaximum;1999,Microsoft\.Compute\/VMScaleSetVMActionsResource;11,/,
    ],
    // azure-cli_test_vmss_extension.yaml #37 POST …/extensionRollingUpgrade
    [
      "extensionRollingUpgrade",
      "POST",
      "/extensionRollingUpgrade",
      undefined,
      [
        "Microsoft.Compute/VMScaleSetActionsSubscriptionMaximum",
        "Microsoft.Compute/VMScaleSetActionsResource",
        "Microsoft.Compute/VmssQueuedVMOperations",
      ],
      undefined,
    ],
  ] as const)("%s names the recorded buckets", async (_label, method, sub, body, expected, values) => {
    const { emu } = await setup();
    const r = await rawArm(emu, method, `${vmssPath(emu)}${sub}`, body ? { body } : {});
    expect(r.status).toBeLessThan(300);
    expect(policies(r)).toEqual(expected);
    if (values) expect(r.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(values);
  });

  it("PATCH, PUT and manualupgrade of the set; VM list, GET and instanceView", async () => {
    const { emu } = await setup();
    const patch = await rawArm(emu, "PATCH", vmssPath(emu), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    expect(patch.status).toBe(200);
    // azure-cli_test_vmss_explicit_msi.yaml #22 PATCH …/virtualMachineScaleSets/vmss1
    expect(policies(patch)).toEqual([
      "Microsoft.Compute/VMScaleSetActionsSubscriptionMaximum",
      "Microsoft.Compute/VMScaleSetActionsResource",
      "Microsoft.Compute/VMScaleSetBatchedVMRequestsSubscriptionMaximum",
      "Microsoft.Compute/VmssQueuedVMOperations",
    ]);
    expect(patch.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(/VmssQueuedVMOperations;0$/);
    const current = (await rawArm(emu, "GET", vmssPath(emu))).body as Record<string, unknown>;
    const put = await rawArm(emu, "PUT", vmssPath(emu), { body: current });
    // azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #14 PUT …/virtualMachineScaleSets/vmss1
    expect(policies(put)).toEqual([
      "Microsoft.Compute/CreateVMScaleSetSubscriptionMaximum",
      "Microsoft.Compute/CreateVMScaleSetResource",
      "Microsoft.Compute/VmssQueuedVMOperations",
    ]);
    const upgrade = await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["0", "1"] } });
    expect(upgrade.status).toBe(202);
    // …health_extension.yaml #19 POST …/manualupgrade: no VMScaleSetActionsResource entry.
    expect(policies(upgrade)).toEqual([
      "Microsoft.Compute/VMScaleSetActionsSubscriptionMaximum",
      "Microsoft.Compute/VMScaleSetBatchedVMRequestsSubscriptionMaximum",
      "Microsoft.Compute/VmssQueuedVMOperations",
    ]);
    // azure-cli_test_vmss_vms.yaml #14 GET …/virtualMachines/1 and #22 GET …/virtualMachines/1/instanceView
    for (const path of [`${vmssPath(emu)}/virtualMachines/0`, `${vmssPath(emu)}/virtualMachines/0/instanceView`]) {
      expect(policies(await rawArm(emu, "GET", path))).toEqual([
        "Microsoft.Compute/GetVMScaleSetVMSubscriptionMaximum",
        "Microsoft.Compute/GetVMScaleSetVMResource",
        "Microsoft.Compute/VMScaleSetVMViewsSubscriptionMaximum",
      ]);
    }
    // The scale set's own GET keeps its two entries (…health_extension.yaml #13).
    expect(policies(await rawArm(emu, "GET", vmssPath(emu)))).toEqual([
      "Microsoft.Compute/GetVMScaleSetSubscriptionMaximum",
      "Microsoft.Compute/GetVMScaleSetResource",
    ]);
    // An operation poll names the resource's bucket first (every recorded 2023 poll); the monitor URL the same way.
    for (const url of [upgrade.headers.get("azure-asyncoperation"), upgrade.headers.get("location")]) {
      const poll = await fetch(url ?? "", { headers: { Authorization: `Bearer ${await armToken(emu)}` } });
      expect(
        poll.headers
          .get("x-ms-ratelimit-remaining-resource")
          ?.split(",")
          .map((e) => e.split(";")[0]),
      ).toEqual(["Microsoft.Compute/GetOperationResource", "Microsoft.Compute/GetOperationSubscriptionMaximum"]);
    }
    // The sets of a group: the subscription's bucket alone (azure-cli_test_vmss_create_and_modify.yaml #17).
    const inGroup = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets`;
    expect(policies(await rawArm(emu, "GET", inGroup))).toEqual([
      "Microsoft.Compute/HighCostGetVMScaleSetSubscriptionMaximum",
    ]);
  });
});

describe("x-ms-request-charge, as the 2023-09-01 azure-cli recordings show it", () => {
  it("counts the VMs a VM read answers, and is 0 on the set's PUT and PATCH", async () => {
    const { emu } = await setup();
    const charge = (r: RawResponse) => r.headers.get("x-ms-request-charge");
    // …health_extension.yaml #18 GET …/virtualMachines (2 VMs → "2"); the emulator's set has 4.
    expect(charge(await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines`))).toBe("4");
    // azure-cli_test_vmss_vms.yaml #14 GET …/virtualMachines/1 and #22 …/virtualMachines/1/instanceView
    expect(charge(await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines/0`))).toBe("1");
    expect(charge(await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines/0/instanceView`))).toBe("1");
    // azure-cli_test_vmss_explicit_msi.yaml #22 PATCH; …health_extension.yaml #14 PUT
    const patch = await rawArm(emu, "PATCH", vmssPath(emu), {
      body: {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      },
    });
    expect(charge(patch)).toBe("0");
    const current = (await rawArm(emu, "GET", vmssPath(emu))).body;
    expect(charge(await rawArm(emu, "PUT", vmssPath(emu), { body: current }))).toBe("0");
    // The scale set's own GET carries none (…health_extension.yaml #13).
    expect(charge(await rawArm(emu, "GET", vmssPath(emu)))).toBeNull();
  });
});

describe("the scale set's power actions (restart, poweroff, start, deallocate)", () => {
  // azure-cli_test_vmss_vms.yaml #18 POST …/restart, #24 …/poweroff, #30 …/start ({"instanceIds": ["*"]}) and
  // azure-cli_test_vmss_create_and_modify.yaml #51 …/deallocate ({}): 202, empty body, both LRO headers; the VM instance
  // views after them (…vms.yaml #28, #34, #40): PowerState/stopped, running, deallocated.
  it.each([
    { action: "poweroff", body: { instanceIds: ["*"] }, after: "PowerState/stopped", group: "DeleteVMScaleSet" },
    { action: "deallocate", body: {}, after: "PowerState/deallocated", group: "DeleteVMScaleSet" },
    { action: "restart", body: { instanceIds: ["*"] }, after: "PowerState/running", group: "VMScaleSetActions" },
    { action: "start", body: { instanceIds: ["1"] }, after: "PowerState/running", group: "VMScaleSetActions" },
  ])("$action: 202 with Azure-AsyncOperation and Location, then the instances' power state", async (c) => {
    const { emu } = await setup();
    const timeOf = async (): Promise<string | undefined> =>
      (
        (await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines/1/instanceView`)).body as {
          statuses: { code: string; time?: string }[];
        }
      ).statuses.find((s) => s.code.startsWith("ProvisioningState/"))?.time;
    const before = await timeOf();
    await new Promise((r) => setTimeout(r, 5)); // a later time than the instance's creation, to the millisecond
    const started = await rawArm(emu, "POST", `${vmssPath(emu)}/${c.action}`, { body: c.body });
    expect(started.status).toBe(202);
    expect(started.body).toBeUndefined();
    expect(started.headers.get("content-length")).toBe("0");
    const asyncUrl = started.headers.get("azure-asyncoperation");
    expect(asyncUrl).toMatch(/\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/[0-9a-f-]+\?/);
    expect(started.headers.get("location")).toMatch(/monitor=true/);
    expect(started.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      new RegExp(
        `^Microsoft\\.Compute/${c.group}SubscriptionMaximum;\\d+,Microsoft\\.Compute/VMScaleSetBatchedVMRequestsSubscriptionMaximum;\\d+,Microsoft\\.Compute/VmssQueuedVMOperations;0$`,
      ),
    );
    expect(await operationEnd(emu, asyncUrl)).toBe("Succeeded");
    const view = await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines/1/instanceView`);
    const codes = (view.body as { statuses: { code: string }[] }).statuses.map((s) => s.code);
    expect(codes).toContain(c.after);
    // The ProvisioningState status takes the action's time (…vms.yaml: 01:36:50 at #22, 01:37:59 at #28).
    expect(await timeOf()).not.toBe(before);
  });

  it("refuses an unknown instance ID as manualupgrade does", async () => {
    const { emu } = await setup();
    const refused = await rawArm(emu, "POST", `${vmssPath(emu)}/restart`, { body: { instanceIds: ["99"] } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "InvalidParameter", target: "instanceIds" } });
  });
});

describe("one instance's power actions, and deletes (through the real SDK)", () => {
  // POST …/virtualMachines/{id}/restart | poweroff | start | deallocate (azure-cli_test_vmss_vms.yaml #36: 202 with both
  // LRO headers, also for `*`), POST …/delete and DELETE of the set (azure-cli_test_vmss_create_and_modify.yaml #46, #55).
  it.each([
    { action: "beginPowerOffAndWait", after: "PowerState/stopped" },
    { action: "beginDeallocateAndWait", after: "PowerState/deallocated" },
    { action: "beginRestartAndWait", after: "PowerState/running" },
    { action: "beginStartAndWait", after: "PowerState/running" },
  ] as const)("virtualMachineScaleSetVMs.$action: that instance only", async ({ action, after }) => {
    const { client } = await setup();
    await client.virtualMachineScaleSetVMs[action](RG, VMSS, "1", FAST_POLL);
    const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "1");
    expect(view.statuses?.map((s) => s.code)).toContain(after);
    const other = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "2");
    expect(other.statuses?.map((s) => s.code)).toContain("PowerState/running");
  });

  it("a deallocated instance's view has no guest's report (azure-cli_test_vmss_vms.yaml #40); no extensions, no key (create_and_modify.yaml #26)", async () => {
    const { client } = await setup({ scaleSets: [{ name: VMSS, extensions: [] }] });
    const running = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "1");
    expect(running.computerName).toBeDefined();
    expect(running.extensions).toBeUndefined();
    expect((await client.virtualMachineScaleSets.getInstanceView(RG, VMSS)).extensions).toBeUndefined();
    await client.virtualMachineScaleSetVMs.beginDeallocateAndWait(RG, VMSS, "1", FAST_POLL);
    const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "1");
    const shown = Object.entries(view).filter(([, value]) => value !== undefined);
    expect(shown.map(([key]) => key).sort()).toEqual(
      [
        "disks",
        "hyperVGeneration",
        "placementGroupId",
        "platformFaultDomain",
        "platformUpdateDomain",
        "statuses",
      ].sort(),
    );
  });

  it("`*` as the instance of a VM action names every instance (az vmss deallocate --instance-ids '*')", async () => {
    const { emu } = await setup();
    const started = await rawArm(emu, "POST", `${vmssPath(emu)}/virtualMachines/%2A/deallocate`);
    expect(started.status).toBe(202);
    expect(started.headers.get("azure-asyncoperation")).toMatch(/\/operations\/[0-9a-f-]+\?/);
    expect(started.headers.get("location")).toMatch(/monitor=true/);
    expect(started.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      /^Microsoft\.Compute\/DeleteVMScaleSetVMSubscriptionMaximum;\d+,Microsoft\.Compute\/DeleteVMScaleSetVMResource;\d+,/,
    );
  });

  it("deletes instances (POST …/delete), one instance (DELETE), an extension, then the scale set", async () => {
    const { client, emu } = await setup();
    const ids = async (): Promise<string[]> => {
      const found: string[] = [];
      for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) found.push(vm.instanceId ?? "");
      return found;
    };
    const before = await ids();
    const [a = "", b = "", c = "", ...rest] = before;
    await client.virtualMachineScaleSets.beginDeleteInstancesAndWait(RG, VMSS, { instanceIds: [a, b] }, FAST_POLL);
    await client.virtualMachineScaleSetVMs.beginDeleteAndWait(RG, VMSS, c, FAST_POLL);
    expect(await ids()).toEqual(rest);
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).sku?.capacity).toBe(rest.length);
    await expect(client.virtualMachineScaleSetVMs.get(RG, VMSS, a)).rejects.toMatchObject({ statusCode: 404 });

    await client.virtualMachineScaleSetExtensions.beginDeleteAndWait(RG, VMSS, "customScript", FAST_POLL);
    const left: string[] = [];
    for await (const ext of client.virtualMachineScaleSetExtensions.list(RG, VMSS)) left.push(ext.name ?? "");
    expect(left).not.toContain("customScript");
    // A model change: the instances are stale until upgraded (Manual mode).
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual(rest.map(() => false));

    const deleting = await rawArm(emu, "DELETE", vmssPath(emu));
    expect(deleting.status).toBe(202);
    expect(deleting.headers.get("azure-asyncoperation")).toMatch(/\/operations\/[0-9a-f-]+\?/);
    expect(deleting.headers.get("location")).toMatch(/monitor=true/);
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).provisioningState).toBe("Deleting");
    expect(await operationEnd(emu, deleting.headers.get("azure-asyncoperation"))).toBe("Succeeded");
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
    });
  });

  it("while the set is being deleted: a write meets 409, a repeated DELETE joins the first, and both end Succeeded", async () => {
    // The delete's wait is held until the test lets it go (before: 100 ms of real time, which a loaded machine could
    // spend before the PATCH, which then met 404).
    let letGo = (): void => undefined;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const { emu } = await setup({ speed: 0.01, sleep: (_seconds, timer) => held.then(timer) });
    const first = await rawArm(emu, "DELETE", vmssPath(emu));
    const again = await rawArm(emu, "DELETE", vmssPath(emu));
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.headers.get("azure-asyncoperation")).toBe(first.headers.get("azure-asyncoperation"));
    const write = await rawArm(emu, "PATCH", vmssPath(emu), { body: { tags: { a: "b" } } });
    expect([write.status, (write.body as { error: { code: string } }).error.code]).toEqual([
      409,
      "OperationNotAllowed",
    ]);
    expect(
      ((await rawArm(emu, "GET", vmssPath(emu))).body as { properties: Record<string, unknown> }).properties,
    ).toMatchObject({
      provisioningState: "Deleting",
    });
    letGo();
    expect(await operationEnd(emu, first.headers.get("azure-asyncoperation"))).toBe("Succeeded");
  });

  it("one instance's action: an unknown instance is 404, a protected one is acted on (the action names it), a busy one's delete 409", async () => {
    const { emu } = await setup({
      scaleSets: [{ name: VMSS, protectedInstances: ["2"], instanceUpgradeSeconds: 300 }],
    });
    expect((await rawArm(emu, "POST", `${vmssPath(emu)}/virtualMachines/99/restart`)).status).toBe(404);
    expect((await rawArm(emu, "DELETE", `${vmssPath(emu)}/virtualMachines/99`)).status).toBe(404);
    expect((await rawArm(emu, "POST", `${vmssPath(emu)}/virtualMachines/2/poweroff`)).status).toBe(202);
    expect(emu.state().instances.find((i) => i.instanceId === "2")?.powerState).toMatch(/^stopp/);
    // Instance 1 busy: a new image, then its upgrade, which never ends.
    const image = {
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
    };
    await rawArm(emu, "PATCH", vmssPath(emu), { body: image });
    const settled = () => (emu.state().model["properties"] as { provisioningState?: string }).provisioningState;
    while (settled() !== "Succeeded") await new Promise((r) => setTimeout(r, 5));
    emu.faults.hangUpgrade("1");
    expect((await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["1"] } })).status).toBe(
      202,
    );
    const busy = await rawArm(emu, "POST", `${vmssPath(emu)}/delete`, { body: { instanceIds: ["0", "1"] } });
    expect([busy.status, (busy.body as { error: { code: string } }).error.code]).toEqual([409, "Conflict"]);
  });

  it.each([
    { name: "the instance's deallocate", path: "virtualMachines/1/deallocate", body: undefined },
    { name: "the instance's restart", path: "virtualMachines/1/restart", body: undefined },
    { name: "every instance's poweroff (`*`)", path: "virtualMachines/%2A/poweroff", body: undefined },
    { name: "the set's deallocate naming it", path: "deallocate", body: { instanceIds: ["0", "1"] } },
    { name: "the set's restart of all", path: "restart", body: {} },
    { name: "the set's redeploy of all", path: "redeploy", body: {} },
    { name: "the set's start naming it", path: "start", body: { instanceIds: ["1"] } },
  ])(
    "refuses $name while another operation upgrades the instance (409 Conflict, as manualupgrade and delete)",
    async ({ path, body }) => {
      const { emu } = await setup({ scaleSets: [{ name: VMSS, instanceUpgradeSeconds: 300 }] });
      const image = {
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      };
      await rawArm(emu, "PATCH", vmssPath(emu), { body: image });
      const settled = () => (emu.state().model["properties"] as { provisioningState?: string }).provisioningState;
      while (settled() !== "Succeeded") await new Promise((r) => setTimeout(r, 5));
      emu.faults.hangUpgrade("1");
      const upgrade = await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["1"] } });
      expect(upgrade.status).toBe(202);
      // The others' power states: instance 1's moves on with its own upgrade (stopping, stopped …) meanwhile.
      const powerStates = () => emu.state().instances.map((i) => (i.instanceId === "1" ? "upgrading" : i.powerState));
      const before = powerStates();
      const refused = await rawArm(emu, "POST", `${vmssPath(emu)}/${path}`, { ...(body && { body }) });
      expect([refused.status, refused.body?.error?.code]).toEqual([409, "Conflict"]);
      expect(powerStates()).toEqual(before);
      expect(emu.state().instances.find((i) => i.instanceId === "1")?.provisioningState).toBe("Updating");
      // Instance 0 alone is not busy: its own action is taken.
      expect((await rawArm(emu, "POST", `${vmssPath(emu)}/virtualMachines/0/restart`)).status).toBe(202);
    },
  );

  // A power action running on instance 1 (every simulated wait held, so it never ends) × a second operation naming
  // it: 409 Conflict, as a manualupgrade or delete of an instance being upgraded or deleted is answered (assumed, README
  // "Assumptions"); a reimage waits for it (upgradeInstances).
  const POWER_RUNNING = [
    { running: "the set's deallocate naming it", first: "deallocate", firstBody: { instanceIds: ["1"] } },
    { running: "its own poweroff", first: "virtualMachines/1/poweroff", firstBody: undefined },
    { running: "the set's restart of all", first: "restart", firstBody: {} },
  ];
  const THEN = [
    {
      second: "a manualupgrade naming it",
      method: "POST",
      path: "manualupgrade",
      body: { instanceIds: ["0", "1"] },
      status: 409,
    },
    { second: "a delete naming it", method: "POST", path: "delete", body: { instanceIds: ["1"] }, status: 409 },
    { second: "its DELETE", method: "DELETE", path: "virtualMachines/1", body: undefined, status: 409 },
    { second: "the set's start naming it", method: "POST", path: "start", body: { instanceIds: ["1"] }, status: 409 },
    {
      second: "its own deallocate",
      method: "POST",
      path: "virtualMachines/1/deallocate",
      body: undefined,
      status: 409,
    },
    { second: "a reimage naming it", method: "POST", path: "reimageall", body: { instanceIds: ["1"] }, status: 202 },
  ];
  it.each(POWER_RUNNING.flatMap((first) => THEN.map((then) => ({ ...first, ...then }))))(
    "while $running runs, $second: $status",
    async ({ first, firstBody, method, path, body, status }) => {
      const { emu } = await setup({ sleep: () => new Promise<void>(() => undefined) });
      const running = await rawArm(emu, "POST", `${vmssPath(emu)}/${first}`, { ...(firstBody && { body: firstBody }) });
      expect(running.status).toBe(202);
      const states = () => emu.state().instances.map((i) => [i.instanceId, i.powerState, i.provisioningState]);
      const before = states();
      const second = await rawArm(emu, method, `${vmssPath(emu)}/${path}`, { ...(body && { body }) });
      expect([second.status, second.body?.error?.code]).toEqual([status, status === 409 ? "Conflict" : undefined]);
      // A refusal changes nothing; the reimage has not started on the instance (it waits for the power action's end).
      expect(states()).toEqual(before);
    },
  );

  // A protected instance (2) that its own deallocate moves: the set's operations that leave it alone (manualupgrade,
  // power actions) are no conflict with it and are accepted; a delete, which removes protected instances too, meets
  // 409. Busy is checked on the instances the request reaches (upgradeInstances, powerAction; README "Assumptions").
  it.each([
    { name: "a manualupgrade naming it", path: "manualupgrade", body: { instanceIds: ["1", "2"] }, status: 202 },
    { name: "a manualupgrade of all", path: "manualupgrade", body: { instanceIds: ["*"] }, status: 202 },
    { name: "the set's restart naming it", path: "restart", body: { instanceIds: ["1", "2"] }, status: 202 },
    { name: "the set's deallocate of all", path: "deallocate", body: {}, status: 202 },
    { name: "a delete naming it", path: "delete", body: { instanceIds: ["2"] }, status: 409 },
  ])("while a protected instance's own deallocate runs, $name: $status", async ({ path, body, status }) => {
    const { emu } = await setup({
      scaleSets: [{ name: VMSS, protectedInstances: ["2"] }],
      sleep: () => new Promise<void>(() => undefined),
    });
    expect((await rawArm(emu, "POST", `${vmssPath(emu)}/virtualMachines/2/deallocate`)).status).toBe(202);
    const second = await rawArm(emu, "POST", `${vmssPath(emu)}/${path}`, { body });
    expect([second.status, second.body?.error?.code]).toEqual([status, status === 409 ? "Conflict" : undefined]);
    // Instance 2 is left to its own deallocate.
    expect(emu.state().instances.find((i) => i.instanceId === "2")?.powerState).toBe("deallocating");
  });

  it("a power action's instances are free again when it ends: a manualupgrade naming them is accepted", async () => {
    const { emu } = await setup();
    const deallocating = await rawArm(emu, "POST", `${vmssPath(emu)}/deallocate`, { body: { instanceIds: ["1"] } });
    expect(await operationEnd(emu, deallocating.headers.get("azure-asyncoperation"))).toBe("Succeeded");
    const upgrade = await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["1"] } });
    expect(upgrade.status).toBe(202);
  });

  it("never gives a deleted instance's ID to a new one (scale-out after the highest was deleted)", async () => {
    const { client } = await setup();
    await client.virtualMachineScaleSetVMs.beginDeleteAndWait(RG, VMSS, "3", FAST_POLL);
    await client.virtualMachineScaleSets.beginUpdateAndWait(RG, VMSS, { sku: { capacity: 4 } }, FAST_POLL);
    const ids: string[] = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) ids.push(vm.instanceId ?? "");
    expect(ids).toEqual(["0", "1", "2", "4"]);
  });

  it("deleting a Flexible set's attached VM leaves the capacity (it never counted it), and a later write removes no VM", async () => {
    const { client, emu } = await setup({
      scaleSets: [{ name: VMSS, orchestrationMode: "Flexible", instances: 2, attachedVms: 1 }],
    });
    const attached = emu.state().instances.find((i) => i.instanceId.includes("attached"))?.instanceId ?? "";
    await client.virtualMachineScaleSets.beginDeleteInstancesAndWait(RG, VMSS, { instanceIds: [attached] }, FAST_POLL);
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).sku?.capacity).toBe(2);
    await client.virtualMachineScaleSets.beginUpdateAndWait(RG, VMSS, { tags: { team: "web" } }, FAST_POLL);
    expect(emu.state().instances).toHaveLength(2);
  });

  it("refuses to delete the Application Health extension of a Flexible set in Rolling mode, as its PATCH would", async () => {
    const { emu } = await setup({
      scaleSets: [{ name: VMSS, orchestrationMode: "Flexible", upgradeMode: "Rolling", healthExtension: true }],
    });
    const refused = await rawArm(emu, "DELETE", `${vmssPath(emu)}/extensions/healthExtension`);
    expect([refused.status, (refused.body as { error: { code: string } }).error.code]).toEqual([
      400,
      "OperationNotAllowed",
    ]);
  });

  it("refuses POST …/delete without instanceIds (400, as Azure's required instanceIds)", async () => {
    const { emu } = await setup();
    const refused = await rawArm(emu, "POST", `${vmssPath(emu)}/delete`, { body: {} });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "InvalidParameter", target: "instanceIds" } });
  });
});

describe("counters on the resource provider's own errors", () => {
  it("carries x-ms-ratelimit-remaining-resource and -subscription-writes on a 409 and a 400, not on the gateway's 404", async () => {
    const { emu } = await setup();
    // azure-cli-2020_test_vmss_rolling_upgrade.yaml #54 POST …/rollingUpgrades/cancel → 409 with both headers.
    const cancel = await rawArm(emu, "POST", `${vmssPath(emu)}/rollingUpgrades/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body).toEqual({
      error: { code: "OperationNotAllowed", message: "There is no ongoing Rolling Upgrade to cancel." },
    });
    expect(cancel.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      /^Microsoft\.Compute\/VMScaleSetActionsSubscriptionMaximum;\d+,Microsoft\.Compute\/VMScaleSetActionsResource;\d+$/,
    );
    expect(cancel.headers.get("x-ms-ratelimit-remaining-subscription-writes")).toMatch(/^\d+$/);
    // azure-cli_test_vmss_update_image.yaml #50 PUT …/virtualMachineScaleSets/vmss1 → 400 with both headers.
    const refused = await rawArm(emu, "POST", `${vmssPath(emu)}/manualupgrade`, { body: { instanceIds: ["99"] } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("x-ms-ratelimit-remaining-resource")).toMatch(
      /VMScaleSetActionsSubscriptionMaximum;\d+/,
    );
    expect(refused.headers.get("x-ms-ratelimit-remaining-subscription-writes")).toMatch(/^\d+$/);
    // azure-cli_test_vmss_extension.yaml #9 GET of a missing set: ARM's gateway answers, without the counters.
    const missing = await rawArm(emu, "GET", vmssPath(emu, "nope"));
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-ms-failure-cause")).toBe("gateway");
    expect(missing.headers.get("x-ms-ratelimit-remaining-resource")).toBeNull();
    expect(missing.headers.get("x-ms-ratelimit-remaining-subscription-reads")).toBeNull();
  });
});

describe("platform image versions (VirtualMachineImages)", () => {
  const IMAGE = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server" };
  const catalog = { "canonical:ubuntu-24_04-lts:server": ["24.04.202409120", "24.04.202410100", "24.04.202501140"] };

  it("lists an image's versions, newest first with $orderby=name desc, as many as $top says", async () => {
    const { client } = await setup({ platformImages: catalog });
    const top = await client.virtualMachineImages.list("westeurope", IMAGE.publisher, IMAGE.offer, IMAGE.sku, {
      top: 2,
      orderby: "name desc",
    });
    expect(top.map((v) => v.name)).toEqual(["24.04.202501140", "24.04.202410100"]);
    expect(top[0]).toMatchObject({
      location: "westeurope",
      id: expect.stringMatching(
        /^\/Subscriptions\/[^/]+\/Providers\/Microsoft\.Compute\/Locations\/westeurope\/Publishers\/Canonical\/ArtifactTypes\/VMImage\/Offers\/ubuntu-24_04-lts\/Skus\/server\/Versions\/24\.04\.202501140$/,
      ),
    });
  });

  it("reads a version it offers, and answers one it does not 404 NotFound 'Artifact: VMImage was not found.'", async () => {
    const { client } = await setup({ platformImages: catalog });
    const found = await client.virtualMachineImages.get(
      "westeurope",
      IMAGE.publisher,
      IMAGE.offer,
      IMAGE.sku,
      "24.04.202410100",
    );
    expect(found).toMatchObject({ name: "24.04.202410100", imageDeprecationStatus: { imageState: "Active" } });
    await expect(
      client.virtualMachineImages.get("westeurope", IMAGE.publisher, IMAGE.offer, IMAGE.sku, "24.04.209901010"),
    ).rejects.toMatchObject({ statusCode: 404, code: "NotFound", message: "Artifact: VMImage was not found." });
  });

  it("refuses a model write naming a version it does not offer: 404 PlatformImageNotFound, the model unchanged", async () => {
    const { client, emu } = await setup({ platformImages: catalog, scaleSets: [{ name: VMSS, instances: 1 }] });
    const before = emu.state(VMSS).model;
    await expect(
      client.virtualMachineScaleSets.update(RG, VMSS, {
        virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.209901010" } } },
      }),
    ).rejects.toMatchObject({
      statusCode: 404,
      code: "PlatformImageNotFound",
      message: expect.stringMatching(
        /^The platform image 'Canonical:ubuntu-24_04-lts:server:24\.04\.209901010' is not available\. Verify that all fields in the storage profile are correct\./,
      ),
    });
    expect(emu.state(VMSS).model).toEqual(before);
  });

  it("shows a deprecation, and refuses a model write naming a deprecated version: 404 ImageVersionDeprecated", async () => {
    const deprecatedImages = {
      "canonical:ubuntu-24_04-lts:server:24.04.202409120": { imageState: "Deprecated" as const },
      "canonical:ubuntu-24_04-lts:server:24.04.202410100": {
        imageState: "ScheduledForDeprecation" as const,
        scheduledDeprecationTime: "2027-01-31T00:00:00+00:00",
      },
    };
    const { client, emu } = await setup({
      platformImages: catalog,
      deprecatedImages,
      scaleSets: [{ name: VMSS, instances: 1 }],
    });
    const get = (version: string) =>
      client.virtualMachineImages.get("westeurope", IMAGE.publisher, IMAGE.offer, IMAGE.sku, version);
    expect((await get("24.04.202409120")).imageDeprecationStatus).toEqual({ imageState: "Deprecated" });
    expect((await get("24.04.202410100")).imageDeprecationStatus).toEqual({
      imageState: "ScheduledForDeprecation",
      scheduledDeprecationTime: new Date("2027-01-31T00:00:00Z"),
    });
    await client.virtualMachineScaleSets.update(RG, VMSS, {
      virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202501140" } } },
    });
    const before = emu.state(VMSS).model;
    await expect(
      client.virtualMachineScaleSets.update(RG, VMSS, {
        virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202409120" } } },
      }),
    ).rejects.toMatchObject({
      statusCode: 404,
      code: "ImageVersionDeprecated",
      message: "The platform image 'Canonical:ubuntu-24_04-lts:server:24.04.202409120' is deprecated.",
    });
    expect(emu.state(VMSS).model).toEqual(before);
  });
});

describe("gallery image versions (GalleryImageVersions)", () => {
  const definition = `/subscriptions/5c2f9b8a-0000-4000-8000-000000005ab5/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal/images/web`;
  const galleryImages = {
    [definition]: {
      "1.0.0": { regions: ["West Europe"] },
      "1.1.0": { regions: ["West Europe", "North Europe"], replicating: ["North Europe"] },
    },
  };

  it("answers Get (with the replication status when expanded) and the list; a version it does not have is 404", async () => {
    const { client } = await setup({ galleryImages });
    const found = await client.galleryImageVersions.get("rg-images", "gal", "web", "1.1.0", {
      expand: "ReplicationStatus",
    });
    expect(found.id).toBe(`${definition}/versions/1.1.0`);
    expect(found.provisioningState).toBe("Succeeded");
    expect(found.publishingProfile?.targetRegions?.map((r) => r.name)).toEqual(["West Europe", "North Europe"]);
    expect(found.replicationStatus?.summary?.map((r) => [r.region, r.state])).toEqual([
      ["West Europe", "Completed"],
      ["North Europe", "Replicating"],
    ]);
    const plain = await client.galleryImageVersions.get("rg-images", "gal", "web", "1.0.0");
    expect(plain.replicationStatus).toBeUndefined();
    const names: string[] = [];
    for await (const v of client.galleryImageVersions.listByGalleryImage("rg-images", "gal", "web"))
      names.push(v.name ?? "");
    expect(names).toEqual(["1.0.0", "1.1.0"]);
    await expect(client.galleryImageVersions.get("rg-images", "gal", "web", "2.0.0")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
    });
  });

  it.each([
    { name: "a version it does not have", version: "2.0.0" },
    {
      name: "a version still replicating to the set's region",
      version: "1.1.0",
      regions: { replicating: ["West Europe"] },
    },
  ])(
    "refuses a model write naming $name: 404 GalleryImageNotFound, the model unchanged",
    async ({ version, regions }) => {
      const images = regions
        ? { [definition]: { ...galleryImages[definition], "1.1.0": { regions: ["West Europe"], ...regions } } }
        : galleryImages;
      const { client, emu } = await setup({
        galleryImages: images,
        scaleSets: [{ name: VMSS, instances: 1, image: { id: `${definition}/versions/1.0.0` } }],
      });
      const before = emu.state(VMSS).model;
      await expect(
        client.virtualMachineScaleSets.update(RG, VMSS, {
          virtualMachineProfile: { storageProfile: { imageReference: { id: `${definition}/versions/${version}` } } },
        }),
      ).rejects.toMatchObject({
        statusCode: 404,
        code: "GalleryImageNotFound",
        message: `The gallery image ${definition}/versions/${version} is not available in westeurope region. Please contact image owner to replicate to this region, or change your requested region.`,
      });
      expect(emu.state(VMSS).model).toEqual(before);
    },
  );
});

// The recorded Uniform GET has no platformFaultDomainCount (azure-cli_test_vmss_update_automatic_repairs_with_health_
// extension.yaml #13); the Flexible ones have 1 (azure-cli_test_vmss_vms.yaml). Before, every set showed 1.
describe("platformFaultDomainCount", () => {
  it.each([
    { mode: "Uniform" as const, count: undefined },
    { mode: "Flexible" as const, count: 1 },
  ])("$mode: $count", async ({ mode, count }) => {
    const { emu } = await setup({ scaleSets: [{ name: VMSS, instances: 1, orchestrationMode: mode }] });
    const body = (await rawArm(emu, "GET", vmssPath(emu))).body as { properties: Record<string, unknown> };
    expect(body.properties["platformFaultDomainCount"]).toBe(count);
  });
});

describe("a write naming a member Compute's types do not have (emulator/arm/members.ts)", () => {
  // Compute: 400 InvalidRequestFormat "Cannot parse the request." with an InvalidJson detail "Could not find member
  // '<name>' on object of type '<Type>'. Path '…', line 1, position N." (hashicorp/terraform-provider-azurerm#14437, a
  // VMSS PUT; MicrosoftLearning/AZ-700…#153, a VM PUT; Azure/azure-cli#18855). Nothing is stored, nothing starts.
  const image = { properties: { virtualMachineProfile: { storageProfile: { imageReference: { versoin: "1" } } } } };
  it.each([
    [
      "the set's PATCH",
      "PATCH",
      "",
      image,
      "versoin",
      "properties.virtualMachineProfile.storageProfile.imageReference.versoin",
    ],
    [
      "the set's PUT",
      "PUT",
      "",
      { location: "westeurope", ...image },
      "versoin",
      "properties.virtualMachineProfile.storageProfile.imageReference.versoin",
    ],
    ["a new set's PUT", "PUT", "-new", { location: "westeurope", skuName: "Standard_B1s" }, "skuName", "skuName"],
    [
      "an extension's PUT",
      "PUT",
      "/extensions/customScript",
      { properties: { setings: {} } },
      "setings",
      "properties.setings",
    ],
    [
      "an extension's PATCH",
      "PATCH",
      "/extensions/customScript",
      { properties: { fileUris: ["https://x/a.sh"] } },
      "fileUris",
      "properties.fileUris",
    ],
    [
      "an instance's PUT",
      "PUT",
      "/virtualMachines/0",
      { properties: { protectionPolicy: { protectFromScaleInn: true } } },
      "protectFromScaleInn",
      "properties.protectionPolicy.protectFromScaleInn",
    ],
  ] as const)(
    "%s is refused 400 InvalidRequestFormat, nothing changed",
    async (_label, method, sub, body, member, path) => {
      const { emu } = await setup();
      const before = await rawArm(emu, "GET", vmssPath(emu));
      const r = await rawArm(emu, method, `${vmssPath(emu)}${sub}`, { body });
      expect({ status: r.status, code: r.body?.error?.code, message: r.body?.error?.message }).toEqual({
        status: 400,
        code: "InvalidRequestFormat",
        message: "Cannot parse the request.",
      });
      expect(r.body.error.details).toEqual([
        {
          code: "InvalidJson",
          message: expect.stringMatching(
            new RegExp(
              `^Could not find member '${member}' on object of type '\\w+'\\. Path '${path.replace(/[.[\]]/g, "\\$&")}', line 1, position \\d+\\.$`,
            ),
          ),
        },
      ]);
      const after = await rawArm(emu, "GET", vmssPath(emu));
      expect(after.body).toEqual(before.body);
      expect((await rawArm(emu, "GET", vmssPath(emu, `${VMSS}-new`))).status).toBe(404);
    },
  );

  it("names members in any case, as Json.NET matches them, and leaves free-form ones (settings, tags) alone", async () => {
    const { emu } = await setup();
    const r = await rawArm(emu, "PATCH", vmssPath(emu), {
      body: {
        Tags: { anyName: "x" },
        properties: { VirtualMachineProfile: { storageProfile: { imageReference: { Version: "24.04.202410020" } } } },
      },
    });
    expect(r.status).toBe(200);
    const ext = await rawArm(emu, "PATCH", `${vmssPath(emu)}/extensions/customScript`, {
      body: { properties: { settings: { anything: { at: ["all"] } }, protectedSettings: { whatever: 1 } } },
    });
    expect(ext.status).not.toBe(400);
  });

  // az vmss update GETs the set and PUTs it back whole (and `az vmss update --instance-id` a VM): whatever the
  // emulator answers must pass its own check, on every seed shape and api-version.
  it.each([
    ["a Uniform set", { name: VMSS }],
    ["a Flexible set", { name: VMSS, orchestrationMode: "Flexible" as const }],
    [
      "a Rolling set with zones, tags, protection, health extension",
      {
        name: VMSS,
        upgradeMode: "Rolling" as const,
        zones: ["1", "2"],
        tags: { a: "b" },
        protectedInstances: ["1"],
        healthExtension: true,
      },
    ],
  ])("everything a GET answers for %s is accepted when sent back", async (_label, seed) => {
    const { emu } = await setup({ scaleSets: [seed] });
    const refused: string[] = [];
    const sendBack = async (method: string, path: string, body: unknown, query: string) => {
      const r = await rawArm(emu, method, path, { query, body });
      if (r.body?.error?.code === "InvalidRequestFormat")
        refused.push(`${method} ${path}: ${r.body.error.details[0].message}`);
    };
    // Identity too (az vmss identity assign), before reading.
    await rawArm(emu, "PATCH", vmssPath(emu), { body: { identity: { type: "SystemAssigned" } } });
    for (const query of [`api-version=${API}`, "api-version=2023-09-01", "api-version=2020-06-01"]) {
      const set = await rawArm(emu, "GET", vmssPath(emu), { query: `${query}&$expand=userData` });
      await sendBack("PUT", vmssPath(emu), set.body, query);
      await sendBack("PATCH", vmssPath(emu), set.body, query);
      const vms = await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines`, {
        query: `${query}&$expand=instanceView`,
      });
      for (const vm of vms.body?.value ?? []) {
        const one = await rawArm(emu, "GET", `${vmssPath(emu)}/virtualMachines/${vm.instanceId ?? vm.name}`, {
          query: `${query}&$expand=instanceView`,
        });
        // (a Flexible set's VMs are not its scale-set VMs one by one: that GET is an error, not sent back)
        for (const body of one.status === 200 ? [vm, one.body] : [vm])
          await sendBack("PUT", `${vmssPath(emu)}/virtualMachines/${vm.instanceId ?? vm.name}`, body, query);
      }
      const exts = await rawArm(emu, "GET", `${vmssPath(emu)}/extensions`, { query });
      for (const ext of exts.body?.value ?? []) {
        await sendBack("PUT", `${vmssPath(emu)}/extensions/${ext.name}`, ext, query);
        await sendBack("PATCH", `${vmssPath(emu)}/extensions/${ext.name}`, ext, query);
      }
    }
    expect(refused).toEqual([]);
  });
});
