// The api-versions the emulator's ARM answers (see README "The API it serves").

/**
 * Compute's published stable api-versions (folders `stable/<version>` of Microsoft.Compute in Azure/azure-rest-api-specs,
 * ComputeRP and the TypeSpec-generated Compute layout), newest first. Azure answers each in its own shape; the emulator
 * answers every one in the newest shape (older clients ignore what they do not know). arm-compute 25 sends 2026-04-01,
 * 24.x 2026-03-01, az 2.45 2020-06-01 (profile 2020-09-01-hybrid) or 2022-08-01 (latest profile).
 */
export const SUPPORTED_API_VERSIONS = [
  "2026-04-01",
  "2026-03-01",
  "2025-11-01",
  "2025-04-01",
  "2024-11-01",
  "2024-07-01",
  "2024-03-01",
  "2023-09-01",
  "2023-07-01",
  "2023-03-01",
  "2022-11-01",
  "2022-08-01",
  "2022-03-01",
  "2021-11-01",
  "2021-07-01",
  "2021-04-01",
  "2021-03-01",
  "2020-12-01",
  "2020-06-01",
  "2019-12-01",
  "2019-07-01",
  "2019-03-01",
  "2018-10-01",
  "2018-06-01",
  "2018-04-01",
  "2017-12-01",
  "2017-03-30",
  "2016-04-30-preview",
  "2016-03-30",
  "2015-06-15",
];

/**
 * The api-versions of Compute's gallery resources (Azure Compute Gallery: `galleries/…`), which have their own
 * (azure-rest-api-specs Microsoft.Compute GalleryRP `stable/<version>` folders), newest first. arm-compute 25 sends
 * 2025-12-03 for them (its galleryImageVersions operations); the rest as published (assumed complete enough: a
 * version missing here is answered 400 NoRegisteredProviderFound, as Azure answers one it does not serve).
 */
export const GALLERY_API_VERSIONS = [
  "2025-12-03",
  "2025-03-03",
  "2024-03-03",
  "2023-07-03",
  "2022-08-03",
  "2022-03-03",
  "2022-01-03",
  "2021-10-01",
  "2021-07-01",
  "2020-09-30",
  "2019-12-01",
  "2019-07-01",
  "2019-03-01",
  "2018-06-01",
];

/**
 * The first Compute api-version whose VirtualMachineScaleSet and VirtualMachineScaleSetVM carry `etag` (read-only,
 * "Etag is property returned in Create/Update/Get response of the VMSS"): azure-rest-api-specs ComputeRP
 * `stable/2023-09-01` (PR #26368 "Etag support in crp", with If-Match/If-None-Match on the set's PUT/PATCH and the
 * VM's PUT); `stable/2023-07-01` and every older version declare no `etag` on either. The recordings on older
 * versions have none: azure-cli-2020_test_vmss_rolling_upgrade.yaml #28, #29, #32 (set GET/PUT, 2020-06-01),
 * azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #18 (VM list, 2023-03-01). Not confirmed by
 * a recording on 2023-09-01 itself: the December 2023 ones there (…health_extension.yaml #13, #14, #17;
 * azure-cli_test_vmss_update.yaml #26, #27 for a VM) have no `etag` either, recorded weeks after the spec change
 * (Azure/azure-rest-api-specs#27527, January 2024, reports the same for VMs on 2023-09-01); whether Azure has sent it
 * there since is unrecorded, and the emulator follows the spec (README "The API it serves"). If-Match is checked on
 * every version alike: a client on an older one simply does not see the etag.
 */
export const ETAG_API_VERSION = "2023-09-01";

/** Whether a scale set or scale-set VM rendered for `apiVersion` carries `etag` (undefined: the newest shape). */
export function showsEtag(apiVersion: string | undefined): boolean {
  return apiVersion === undefined || apiVersion >= ETAG_API_VERSION;
}

/**
 * Resource Manager's own routes (subscriptions, tenants, resource groups, providers): any well-formed version from
 * 2015-01-01 to the end of 2026. Microsoft.Resources and Microsoft.Subscription publish dozens (az 2.45 on the
 * 2020-09-01-hybrid profile sends 2016-06-01 for subscriptions and 2019-10-01 for groups, newer az 2022-12-01 and
 * 2024-*); which of them ARM still serves is unconfirmed, so the emulator does not pick (assumption, see README).
 */
export function resourcesVersionServed(apiVersion: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/i.exec(apiVersion);
  return match !== null && apiVersion.slice(0, 10) >= "2015-01-01" && apiVersion.slice(0, 10) <= "2026-12-31";
}

/**
 * The versions ARM names when it refuses one on its own routes: "The api-version '<v>' is invalid. The supported
 * versions are '<list>'." (400 `InvalidApiVersionParameter`). The list is the newest one captured, newest first and
 * comma-separated as ARM writes it (Azure/azure-cli#28038, 2023, a resource group's route; the same ending
 * `…,2015-01-01,2014-04-01-preview,2014-04-01,2014-01-01,2013-03-01,2014-02-26,2014-04` in
 * Azure/azure-rest-api-specs#11711 and Azure/azure-powershell#6031). It is what ARM said then, not what the emulator
 * checks (resourcesVersionServed accepts any well-formed version in its range): assumed close enough for a message.
 */
export const RESOURCES_LISTED_VERSIONS = [
  "2023-07-01",
  "2023-07-01-preview",
  "2023-03-01-preview",
  "2022-12-01",
  "2022-11-01-preview",
  "2022-09-01",
  "2022-06-01",
  "2022-05-01",
  "2022-03-01-preview",
  "2022-01-01",
  "2021-04-01",
  "2021-01-01",
  "2020-10-01",
  "2020-09-01",
  "2020-08-01",
  "2020-07-01",
  "2020-06-01",
  "2020-05-01",
  "2020-01-01",
  "2019-11-01",
  "2019-10-01",
  "2019-09-01",
  "2019-08-01",
  "2019-07-01",
  "2019-06-01",
  "2019-05-10",
  "2019-05-01",
  "2019-03-01",
  "2018-11-01",
  "2018-09-01",
  "2018-08-01",
  "2018-07-01",
  "2018-06-01",
  "2018-05-01",
  "2018-02-01",
  "2018-01-01",
  "2017-12-01",
  "2017-08-01",
  "2017-06-01",
  "2017-05-10",
  "2017-05-01",
  "2017-03-01",
  "2016-09-01",
  "2016-07-01",
  "2016-06-01",
  "2016-02-01",
  "2015-11-01",
  "2015-01-01",
  "2014-04-01-preview",
  "2014-04-01",
  "2014-01-01",
  "2013-03-01",
  "2014-02-26",
  "2014-04",
];

/**
 * The resource type a Compute (or Microsoft.Network) path names, as ARM names it in NoRegisteredProviderFound: the
 * type segments after `/providers/<namespace>/`, without names and a trailing action
 * (`…/virtualMachineScaleSets/vmss/virtualMachines/0/extensions/x` → `virtualMachineScaleSets/virtualMachines/extensions`,
 * `…/virtualMachineScaleSets/vmss/manualupgrade` → `virtualMachineScaleSets`).
 */
export function resourceTypeOf(path: string): string {
  const match = /\/providers\/Microsoft\.(?:Compute|Network)\/(.+)$/i.exec(path);
  if (!match?.[1]) return "";
  const segments = match[1].split("/").filter((s) => s !== "");
  const types = segments.filter((_, i) => i % 2 === 0);
  // An odd count past one ends with an action (…/vmss/manualupgrade), not a type.
  if (segments.length > 1 && segments.length % 2 === 1) types.pop();
  return types.join("/");
}
