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
 * Resource Manager's own routes (subscriptions, tenants, resource groups, providers): any well-formed version from
 * 2015-01-01 to the end of 2026. Microsoft.Resources and Microsoft.Subscription publish dozens (az 2.45 on the
 * 2020-09-01-hybrid profile sends 2016-06-01 for subscriptions and 2019-10-01 for groups, newer az 2022-12-01 and
 * 2024-*); which of them ARM still serves is unconfirmed, so the emulator does not pick (assumption, see README).
 */
export function resourcesVersionServed(apiVersion: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/i.exec(apiVersion);
  return match !== null && apiVersion.slice(0, 10) >= "2015-01-01" && apiVersion.slice(0, 10) <= "2026-12-31";
}
