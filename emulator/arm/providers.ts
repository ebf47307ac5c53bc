// Resource provider metadata: what `GET /subscriptions/{sub}/providers[/{namespace}]` (Providers_List, Providers_Get)
// and Compute's `GET /providers/Microsoft.Compute/operations` (Operations_List) answer. Clients read it before they
// use a type: azure-cli's `az resource show --ids …` picks the api-version of the id's (top-level) resource type from
// `resourceTypes[].apiVersions` (azure-cli `_resolve_api_version`: the first version without "preview"; "Resource type
// X not found." when the provider does not list the type), Terraform and the SDKs check `registrationState`.
import { GALLERY_API_VERSIONS, SUPPORTED_API_VERSIONS } from "./api-versions.ts";
import type { Wire } from "./wire.ts";

/**
 * Microsoft.Network and Resource Manager's own routes accept any well-formed api-version (api-versions.ts
 * `resourcesVersionServed`), so the lists below name published stable versions only (folders `stable/<version>` of
 * Microsoft.Network and Microsoft.Resources in azure-rest-api-specs), newest first, as Azure lists them: a client that
 * picks the first one (az) sends one the emulator serves. Assumed complete enough; Azure lists more (and previews).
 */
const NETWORK_API_VERSIONS = [
  "2024-07-01",
  "2024-05-01",
  "2024-03-01",
  "2024-01-01",
  "2023-11-01",
  "2023-09-01",
  "2023-06-01",
  "2023-05-01",
  "2023-04-01",
  "2023-02-01",
  "2022-11-01",
  "2022-09-01",
  "2022-07-01",
  "2022-05-01",
  "2022-01-01",
  "2021-08-01",
  "2021-05-01",
  "2021-03-01",
  "2021-02-01",
  "2020-11-01",
];
const RESOURCES_API_VERSIONS = [
  "2024-11-01",
  "2024-07-01",
  "2024-03-01",
  "2023-07-01",
  "2022-12-01",
  "2022-09-01",
  "2021-04-01",
  "2021-01-01",
  "2020-10-01",
  "2020-06-01",
  "2019-10-01",
  "2019-08-01",
  "2019-07-01",
  "2019-05-10",
  "2019-05-01",
  "2019-03-01",
  "2018-05-01",
  "2018-02-01",
  "2017-05-10",
  "2016-09-01",
  "2016-06-01",
  "2016-02-01",
  "2015-11-01",
  "2015-01-01",
];

interface TypeEntry {
  readonly resourceType: string;
  readonly apiVersions: readonly string[];
  /** Bound to regions (listed with the emulator's regions) or global (`locations: []`, as Azure lists `operations`). */
  readonly regional: boolean;
}

/**
 * The resource types the emulator serves, per namespace (README "The API it serves"). Compute's gallery types take the
 * gallery api-versions (GALLERY_API_VERSIONS), its other types Compute's (SUPPORTED_API_VERSIONS). Types Azure lists
 * and the emulator does not serve (disks, availabilitySets, …) are left out: a client asking for them meets the 404 it
 * would meet on their paths anyway.
 */
const SERVED: Readonly<Record<string, readonly TypeEntry[]>> = {
  "Microsoft.Compute": [
    ...[
      "virtualMachineScaleSets",
      "virtualMachineScaleSets/extensions",
      "virtualMachineScaleSets/virtualMachines",
      "virtualMachines",
      "virtualMachines/extensions",
      "locations/operations",
      "locations/publishers",
    ].map((resourceType) => ({ resourceType, apiVersions: SUPPORTED_API_VERSIONS, regional: true })),
    ...["locations", "operations"].map((resourceType) => ({
      resourceType,
      apiVersions: SUPPORTED_API_VERSIONS,
      regional: false,
    })),
    ...["galleries", "galleries/images", "galleries/images/versions"].map((resourceType) => ({
      resourceType,
      apiVersions: GALLERY_API_VERSIONS,
      regional: true,
    })),
  ],
  "Microsoft.Network": [{ resourceType: "networkInterfaces", apiVersions: NETWORK_API_VERSIONS, regional: true }],
  "Microsoft.Resources": [
    ...["tenants", "subscriptions", "resourceGroups", "subscriptions/resourceGroups", "providers", "tags"].map(
      (resourceType) => ({ resourceType, apiVersions: RESOURCES_API_VERSIONS, regional: false }),
    ),
  ],
};

/**
 * Region display names, as Providers_Get lists `locations` ("West Europe", not `westeurope`: e.g. the spec's
 * Providers_Get example and `az provider show` output). A region not in this short table is shown as the emulator
 * stores it (assumption: the table covers the regions seeds use).
 */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  westeurope: "West Europe",
  northeurope: "North Europe",
  eastus: "East US",
  eastus2: "East US 2",
  westus: "West US",
  westus2: "West US 2",
  westus3: "West US 3",
  centralus: "Central US",
  southcentralus: "South Central US",
  northcentralus: "North Central US",
  uksouth: "UK South",
  ukwest: "UK West",
  francecentral: "France Central",
  germanywestcentral: "Germany West Central",
  swedencentral: "Sweden Central",
  switzerlandnorth: "Switzerland North",
  norwayeast: "Norway East",
  southeastasia: "Southeast Asia",
  eastasia: "East Asia",
  japaneast: "Japan East",
  australiaeast: "Australia East",
  canadacentral: "Canada Central",
  brazilsouth: "Brazil South",
  centralindia: "Central India",
};

/** The regions the emulator knows by name (canonical form), as a refusal lists Compute's supported locations. */
export function knownRegions(): string[] {
  return Object.keys(DISPLAY_NAMES);
}

/** A namespace as Azure spells it (for the namespaces the emulator knows), else as given. */
function spelled(namespace: string): string {
  return Object.keys(SERVED).find((n) => n.toLowerCase() === namespace.toLowerCase()) ?? namespace;
}

/**
 * One provider in the Providers_Get shape (resources.json `Provider`: `id`, `namespace`, `registrationState`,
 * `registrationPolicy`, `resourceTypes[]` of `{resourceType, locations, apiVersions}`). Every namespace is
 * `Registered` (clients check before using one); one the emulator does not serve lists no resource type.
 */
export function renderProvider(subscriptionId: string, namespace: string, regions: readonly string[]): Wire {
  const name = spelled(namespace);
  const locations = [...new Set(regions.map((r) => DISPLAY_NAMES[r.replace(/\s+/g, "").toLowerCase()] ?? r))];
  return {
    id: `/subscriptions/${subscriptionId}/providers/${name}`,
    namespace: name,
    registrationState: "Registered",
    // Microsoft.Resources needs no registration (az provider show -n Microsoft.Resources: "RegistrationFree").
    registrationPolicy: name === "Microsoft.Resources" ? "RegistrationFree" : "RegistrationRequired",
    resourceTypes: (SERVED[name] ?? []).map((t) => ({
      resourceType: t.resourceType,
      locations: t.regional ? locations : [],
      apiVersions: [...t.apiVersions],
    })),
  };
}

/** Providers_List: the namespaces the emulator serves (Azure lists every namespace, registered or not; assumed enough). */
export function renderProviders(subscriptionId: string, regions: readonly string[]): Wire[] {
  return Object.keys(SERVED).map((namespace) => renderProvider(subscriptionId, namespace, regions));
}

/**
 * Compute's Operations_List (`GET /providers/Microsoft.Compute/operations`): `{value: [{name, display: {provider,
 * resource, operation, description}, origin}]}` (ComputeRP `ComputeOperationListResult`, example
 * computeRPCommonExamples/Operations_List_MaximumSet_Gen.json; no nextLink). The emulator lists the RBAC actions of
 * the operations it serves (`actions`: authorization.ts OPERATION_ACTIONS' Microsoft.Compute values), each once;
 * `origin` "user,system" and the display texts are the emulator's (Azure's list has its own wording, ~300 entries).
 */
export function computeOperations(actions: readonly string[]): Wire[] {
  const unique = [...new Set(actions.filter((a) => a.toLowerCase().startsWith("microsoft.compute/")))].sort();
  return unique.map((name) => {
    const parts = name.split("/").slice(1);
    const verb = parts.at(-1) ?? "";
    const resource = parts.slice(0, -1).join("/");
    const what =
      verb === "read" ? "Get" : verb === "write" ? "Create or Update" : verb === "delete" ? "Delete" : "Perform";
    return {
      name,
      display: {
        provider: "Microsoft Compute",
        resource,
        operation: verb === "action" ? `${resource} action` : `${what} ${resource}`,
        description: verb === "action" ? `Performs ${resource}.` : `${what} ${resource}.`,
      },
      origin: "user,system",
    };
  });
}
