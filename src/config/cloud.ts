// The cloud table: which ARM endpoint, ARM token scope, Entra authority host and portal a run talks to.
//
// Why a table of our own: @azure/arm-compute's `cloudSetting` changes the endpoint but NOT the token scope (it stays
// https://management.azure.com/.default), so a sovereign cloud needs both set together, from one place.

import { uriWithoutUserinfo } from "../shared/redact.ts";
import { InputError, quoted } from "./types.ts";
import type { Cloud, CloudName } from "./types.ts";

type KnownCloudName = Exclude<CloudName, "Custom">;

/** The three clouds `environment` names. Values as in @azure/identity's AzureAuthorityHosts and arm-compute's AzureClouds. */
const CLOUDS: Readonly<Record<KnownCloudName, Cloud>> = Object.freeze({
  AzureCloud: Object.freeze({
    name: "AzureCloud",
    armEndpoint: "https://management.azure.com",
    armScope: "https://management.azure.com/.default",
    authorityHost: "https://login.microsoftonline.com",
    portalUrl: "https://portal.azure.com",
    customAuthority: false,
  }),
  AzureUSGovernment: Object.freeze({
    name: "AzureUSGovernment",
    armEndpoint: "https://management.usgovcloudapi.net",
    armScope: "https://management.usgovcloudapi.net/.default",
    authorityHost: "https://login.microsoftonline.us",
    portalUrl: "https://portal.azure.us",
    customAuthority: false,
  }),
  AzureChinaCloud: Object.freeze({
    name: "AzureChinaCloud",
    armEndpoint: "https://management.chinacloudapi.cn",
    armScope: "https://management.chinacloudapi.cn/.default",
    authorityHost: "https://login.chinacloudapi.cn",
    portalUrl: "https://portal.azure.cn",
    customAuthority: false,
  }),
});

/**
 * Microsoft's public Entra hosts and their aliases (MSAL's built-in instance-discovery metadata,
 * @azure/msal-common src/authority/AuthorityMetadata.ts). Any other host is a custom authority: instance discovery
 * would ask public Entra about it, so it is switched off for those.
 */
const MICROSOFT_AUTHORITY_HOSTS: ReadonlySet<string> = new Set([
  "login.microsoftonline.com",
  "login.windows.net",
  "login.microsoft.com",
  "sts.windows.net",
  "login.microsoftonline.us",
  "login.usgovcloudapi.net",
  "login-us.microsoftonline.com",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.sovcloud-identity.fr",
  "login.sovcloud-identity.de",
  "login.sovcloud-identity.sg",
]);

const ENVIRONMENT_CHOICES = "AzureCloud, AzureUSGovernment or AzureChinaCloud";

/**
 * Resolves `environment` (case-insensitive) and the optional `arm-endpoint` / `authority-host` overrides.
 * An override that differs from the environment's own value makes the cloud `Custom`; the ARM scope always follows
 * the ARM endpoint actually used (`<endpoint>/.default`).
 */
export function resolveCloud(environment: string, overrides: { armEndpoint?: string; authorityHost?: string }): Cloud {
  const base = findCloud(environment);
  if (!base) {
    throw new InputError(
      "environment",
      `unknown cloud ${quoted(environment)}: use ${ENVIRONMENT_CHOICES} (case-insensitive); for another cloud keep environment at one of these (the closest) and set arm-endpoint and authority-host`,
    );
  }

  const armEndpoint = overrides.armEndpoint
    ? normalizeEndpoint("arm-endpoint", overrides.armEndpoint)
    : base.armEndpoint;
  const authorityHost = overrides.authorityHost
    ? normalizeEndpoint("authority-host", overrides.authorityHost)
    : base.authorityHost;
  rejectOtherKnownCloud(base, armEndpoint, authorityHost);

  const custom = !sameUrl(armEndpoint, base.armEndpoint) || !sameUrl(authorityHost, base.authorityHost);
  if (!custom) return base;
  return Object.freeze({
    name: "Custom",
    armEndpoint,
    armScope: `${armEndpoint}/.default`,
    authorityHost,
    portalUrl: guessPortalUrl(armEndpoint) ?? base.portalUrl,
    customAuthority: !MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase()),
  });
}

function findCloud(environment: string): Cloud | undefined {
  const wanted = environment.trim().toLowerCase();
  return Object.values(CLOUDS).find((cloud) => cloud.name.toLowerCase() === wanted);
}

// What an endpoint may hold after the URL parser normalised it: a DNS name or IPv4 address, and a path of letters,
// digits and `- . _ /`. Strict on purpose: the ARM scope `<endpoint>/.default` reaches `az account get-access-token`
// in azure-cli mode, which @azure/identity runs through a shell; its own scope check (`^[0-9a-zA-Z-_.:/]+$`) is a
// dependency's detail this action does not rely on. No `%` either: an escaped character is still one of the others.
const ENDPOINT_HOST = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
const ENDPOINT_PATH = /^[A-Za-z0-9._/-]*$/;

/**
 * https only, no credentials, query or fragment, nothing outside ENDPOINT_HOST / ENDPOINT_PATH; trailing slashes
 * removed so `${endpoint}/…` joins cleanly.
 */
function normalizeEndpoint(input: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InputError(
      input,
      `${quoted(uriWithoutUserinfo(value))} is not a URL: give an https URL such as https://management.example.com`,
    );
  }
  if (url.protocol !== "https:") {
    throw new InputError(
      input,
      `must be an https URL (Azure SDKs send bearer tokens only over TLS), got '${url.protocol}'`,
    );
  }
  // `https://host/?` and `https://host/#` parse with an empty search and hash: the raw text is checked as well.
  if (url.search || url.hash || url.username || url.password || /[?#@]/.test(value.trim().slice("https://".length))) {
    throw new InputError(input, "must be a plain https URL without credentials, query string or fragment");
  }
  if (!ENDPOINT_HOST.test(url.hostname) || !ENDPOINT_PATH.test(url.pathname)) {
    throw new InputError(
      input,
      "must be an https URL whose host is a DNS name or IPv4 address and whose path holds only letters, digits and - . _ /",
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

function sameUrl(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * An override equal to ANOTHER known cloud's endpoint is almost always a forgotten `environment` (e.g. creds made in
 * US Government with environment left at AzureCloud): tokens from one cloud's Entra are useless at another's ARM.
 */
function rejectOtherKnownCloud(base: Cloud, armEndpoint: string, authorityHost: string): void {
  for (const other of Object.values(CLOUDS)) {
    if (other.name === base.name) continue;
    if (sameUrl(armEndpoint, other.armEndpoint)) {
      throw new InputError(
        "arm-endpoint",
        `${armEndpoint} is the ARM endpoint of ${other.name} but environment is ${base.name}: set environment: ${other.name}`,
      );
    }
    if (sameUrl(authorityHost, other.authorityHost)) {
      throw new InputError(
        "authority-host",
        `${authorityHost} is the authority host of ${other.name} but environment is ${base.name}: set environment: ${other.name}`,
      );
    }
  }
}

/**
 * Azure Stack Hub serves its portal next to ARM: https://management.<region>.<fqdn> → https://portal.<region>.<fqdn>
 * (adminmanagement → adminportal). Anything else keeps the environment's portal.
 */
function guessPortalUrl(armEndpoint: string): string | undefined {
  const url = new URL(armEndpoint);
  const match = /^(admin)?management\.(.+)$/i.exec(url.hostname);
  if (!match) return undefined;
  return `https://${match[1] ?? ""}portal.${match[2]}`;
}
