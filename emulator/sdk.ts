// Real SDK clients wired to a running emulator, for tests and the demo: the credential classes the action uses
// (client secret, or client assertion with a GitHub OIDC token) and a ComputeManagementClient with fast retries.
import { ComputeManagementClient } from "@azure/arm-compute";
import { ClientAssertionCredential, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import type { Emulator } from "./types.ts";

export type AuthKind = "secret" | "assertion";

/** A GitHub OIDC token from the emulator's runner endpoint, fetched the way @actions/core getIDToken() does it. */
export async function githubIdToken(emu: Emulator, audience = "api://AzureADTokenExchange"): Promise<string> {
  const response = await fetch(`${emu.oidc.requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { Authorization: `Bearer ${emu.oidc.requestToken}`, Accept: "application/json" },
  });
  const body = (await response.json()) as { value?: string };
  if (!response.ok || !body.value) throw new Error(`GitHub OIDC endpoint answered ${response.status}`);
  return body.value;
}

/** `disableInstanceDiscovery` is required with the emulator's authority (see README "Sign-in"). */
export function credentialFor(emu: Emulator, kind: AuthKind = "secret"): TokenCredential {
  const options = { authorityHost: emu.authorityHost, disableInstanceDiscovery: true };
  return kind === "secret"
    ? new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, options)
    : new ClientAssertionCredential(emu.tenantId, emu.clientId, () => githubIdToken(emu), options);
}

/** The token scope for the emulator's ARM: its own endpoint, as for any cloud but the public one (a token for
 *  https://management.azure.com is refused with 401 InvalidAuthenticationTokenAudience, as another cloud's ARM does). */
export const armScope = (emu: Emulator): string => `${emu.armEndpoint}/.default`;

/** An ARM access token from the emulator's Entra (client secret), for raw HTTPS requests. */
export async function armToken(emu: Emulator, scope = armScope(emu)): Promise<string> {
  const token = await credentialFor(emu).getToken(scope);
  if (!token) throw new Error("the emulator issued no token");
  return token.token;
}

/** `credentials.scopes` must follow the endpoint (the SDK defaults to the public cloud's scope whatever the endpoint).
 *  retryDelayInMs is shortened so retried 500s / dropped connections take milliseconds, not seconds. */
export function computeClient(emu: Emulator, kind: AuthKind = "secret"): ComputeManagementClient {
  return new ComputeManagementClient(credentialFor(emu, kind), emu.subscriptionId, {
    endpoint: emu.armEndpoint,
    credentials: { scopes: [armScope(emu)] },
    retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 },
  });
}

/** LRO options that poll every 5 ms instead of the SDK's 2 s. */
export const FAST_POLL = { updateIntervalInMs: 5 } as const;

/** The api-version the emulator's own contract tests send by default (arm-compute 25's). */
export const TEST_API_VERSION = "2026-04-01";

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

/**
 * One raw ARM request (HTTPS, as a client that is not the SDK sends it) with a token from the emulator unless `token`
 * says otherwise (null: none); `query` replaces the default `api-version`.
 */
export async function rawArm(
  emu: Emulator,
  method: string,
  path: string,
  options: { query?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const token = options.token === undefined ? await armToken(emu) : options.token;
  const query = options.query ?? `api-version=${TEST_API_VERSION}`;
  const response = await fetch(`${emu.armEndpoint}${path}${query ? `?${query}` : ""}`, {
    method,
    headers: {
      ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
}
