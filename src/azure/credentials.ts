// Sign-in: the only file that imports @azure/identity.
//
// One explicit credential class per `auth` mode, never DefaultAzureCredential (its chain probes managed identity on
// hosted runners, and picks whatever it finds first). Messages logged here carry IDs (client, tenant, OIDC subject),
// never a secret or a token.

import { ClientAssertionCredential, ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { ID_TOKEN_PERMISSION, SIGN_IN_WAYS, type AuthConfig, type Cloud } from "../config/types.ts";
import type { Logger } from "../engine/ports.ts";
import { azureCliCredential } from "./cli-credential.ts";

export interface CredentialDeps {
  /** GitHub OIDC token for this audience (main passes core.getIDToken, which also masks it). */
  getIDToken(audience: string): Promise<string>;
  logger: Logger;
}

/** `az account get-access-token` normally answers in seconds; a hung CLI must not hold the job until `timeout`. */
const AZ_CLI_TIMEOUT_MS = 60_000;

export function createCredential(auth: AuthConfig, cloud: Cloud, deps: CredentialDeps): TokenCredential {
  // A custom authority (Azure Stack ADFS, a private cloud, the emulator) must never be looked up at public Entra.
  const entra = {
    authorityHost: cloud.authorityHost,
    ...(cloud.customAuthority ? { disableInstanceDiscovery: true } : {}),
  };
  const { logger } = deps;
  switch (auth.mode) {
    case "creds":
      logger.info(
        `Signing in as service principal ${auth.clientId} (client secret) in tenant ${auth.tenantId} at ${cloud.authorityHost}`,
      );
      return new ClientSecretCredential(auth.tenantId, auth.clientId, auth.clientSecret, entra);
    case "oidc":
      logger.info(
        `Signing in with OIDC as ${auth.clientId} in tenant ${auth.tenantId} at ${cloud.authorityHost} (audience ${auth.audience})`,
      );
      // MSAL calls this whenever it needs a new Entra token, so each exchange gets a fresh GitHub token: long rollouts
      // outlive the ~10-minute GitHub token (the failure `az login --federated-token` has, AADSTS700024).
      return new ClientAssertionCredential(auth.tenantId, auth.clientId, githubAssertion(auth.audience, deps), entra);
    case "azure-cli":
      logger.info(`Signing in with the Azure CLI session${auth.tenantId ? ` (tenant ${auth.tenantId})` : ""}`);
      // Never through a shell: see cli-credential.ts.
      return azureCliCredential({
        ...(auth.tenantId ? { tenantId: auth.tenantId } : {}),
        processTimeoutInMs: AZ_CLI_TIMEOUT_MS,
      });
    case "managed-identity":
      logger.info(
        `Signing in with the ${auth.clientId ? `user-assigned managed identity ${auth.clientId}` : "system-assigned managed identity"}`,
      );
      return new ManagedIdentityCredential(auth.clientId ? { clientId: auth.clientId } : {});
  }
}

function githubAssertion(audience: string, deps: CredentialDeps): () => Promise<string> {
  let requests = 0;
  return async () => {
    const token = await deps.getIDToken(audience);
    requests += 1;
    // As azure/login does: the subject is what a federated credential must match, so show it (it is not secret).
    const claims = jwtClaims(token);
    const subject = typeof claims?.["sub"] === "string" ? claims["sub"] : "unknown";
    const message = `GitHub OIDC token #${requests}: subject ${subject}, issuer ${typeof claims?.["iss"] === "string" ? claims["iss"] : "unknown"}`;
    if (requests === 1) deps.logger.info(message);
    else deps.logger.debug(message);
    return token;
  };
}

/** The payload of a JWT, without verifying it (for display only). */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    const payload = token.split(".")[1] ?? "";
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ───────────────────────────── sign-in failures → one line ─────────────────────────────

type Rule = { readonly test: RegExp; readonly describe: (match: RegExpExecArray, text: string) => string };

/** Checked in order; the first that matches the error's text describes it. AADSTS codes as Entra sends them. */
const RULES: readonly Rule[] = [
  {
    test: /AADSTS(90002|900023)\b/,
    describe: (match, text) => {
      const tenant = firstGroup(/Tenant '([^']*)'|identifier '([^']*)'/.exec(text));
      return `Sign-in failed: tenant ${tenant ? `'${tenant}'` : "(unknown)"} was not found (AADSTS${match[1]}): check tenant-id (or creds' tenantId) and that environment / authority-host name the cloud the tenant lives in.`;
    },
  },
  {
    // MSAL could not read the tenant's OpenID configuration. Against a custom authority an unknown tenant ends here
    // (Entra's AADSTS90002 answer is not passed on); so does an authority host the runner cannot reach.
    test: /endpoints_resolution_error|openid_config_error|Could not retrieve endpoints/,
    describe: () =>
      "Sign-in failed: Microsoft Entra returned no sign-in endpoints for the tenant (endpoints_resolution_error): check tenant-id (or creds' tenantId), and that environment / authority-host name a cloud the runner can reach.",
  },
  {
    test: /AADSTS7000215\b/,
    describe: (_, text) =>
      `Sign-in failed: the client secret${appOf(text)} is wrong (AADSTS7000215): put the secret's Value (not its Secret ID) in creds' clientSecret, or create a new secret.`,
  },
  {
    test: /AADSTS7000222\b/,
    describe: (_, text) =>
      `Sign-in failed: the client secret${appOf(text)} has expired (AADSTS7000222): create a new secret and update creds.`,
  },
  {
    test: /AADSTS700016\b/,
    describe: (_, text) => {
      const app = /identifier '([^']*)'/.exec(text)?.[1];
      const tenant = /directory '([^']*)'/.exec(text)?.[1];
      return `Sign-in failed: application ${app ?? "(unknown)"} was not found in tenant ${tenant ?? "(unknown)"} (AADSTS700016): check client-id (or creds' clientId) and tenant-id.`;
    },
  },
  {
    test: /AADSTS700212\b/,
    describe: (_, text) => {
      const audience = firstGroup(/audience '([^']*)'/.exec(text));
      return `Sign-in failed: no federated credential accepts the GitHub token's audience${audience ? ` '${audience}'` : ""} (AADSTS700212): set audience to the federated credential's audience (default api://AzureADTokenExchange).`;
    },
  },
  {
    test: /AADSTS(70021|700213|7002137|7002138)\b/,
    describe: (match, text) => {
      const subject = /subject:? '([^']*)'/i.exec(text)?.[1];
      const caseOnly =
        match[1] === "7002138" ? " (it matches except for upper/lower case: the comparison is case-sensitive)" : "";
      return `Sign-in failed: no federated credential of the app matches this workflow's GitHub token${subject ? ` with subject '${subject}'` : ""}${caseOnly} (AADSTS${match[1]}): add a federated credential for exactly that subject (repository plus branch, tag, environment or pull_request) to the app registration or managed identity.`;
    },
  },
  {
    test: /AADSTS700024\b/,
    describe: () =>
      "Sign-in failed: a GitHub OIDC token was used after it expired (AADSTS700024). An Azure CLI session from azure/login with OIDC cannot renew it after about 10 minutes: let this action sign in itself with client-id and tenant-id (auth: oidc).",
  },
  {
    test: /AADSTS500011\b/,
    describe: (_, text) => {
      const resource = firstGroup(/principal named (\S+)/.exec(text));
      return `Sign-in failed: the tenant does not know the resource${resource ? ` ${resource}` : ""} (AADSTS500011): environment / arm-endpoint do not match the cloud of the tenant.`;
    },
  },
  {
    test: /ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)/,
    describe: () => `Sign-in failed: ${ID_TOKEN_PERMISSION}.`,
  },
  {
    test: /Failed to get ID Token/,
    describe: (_, text) => {
      const status = firstGroup(/Error Code : (\d+)/.exec(text));
      return `Sign-in failed: GitHub refused the OIDC token request${status ? ` (HTTP ${status})` : ""}: check that the job has \`permissions: id-token: write\`.`;
    },
  },
  {
    test: /Azure CLI could not be found|az: (.*)not found|'az' is not recognized/,
    describe: () =>
      `Sign-in failed: the Azure CLI is not installed on this runner: sign in another way: ${SIGN_IN_WAYS}.`,
  },
  {
    test: /az login/,
    describe: () =>
      `Sign-in failed: the Azure CLI is not signed in: run azure/login before this step, or sign in another way: ${SIGN_IN_WAYS}.`,
  },
  {
    test: /Identity not found/,
    describe: () =>
      "Sign-in failed: the runner's machine has no managed identity with this client-id (Identity not found): assign the user-assigned identity to the VM or scale set the runner runs on, or fix client-id.",
  },
  {
    test: /ManagedIdentityCredential|IMDS endpoint/,
    describe: () =>
      "Sign-in failed: no managed identity is available on this runner: auth: managed-identity needs a self-hosted runner on an Azure VM or scale set with an identity assigned (and client-id for a user-assigned one).",
  },
  {
    // ARM refuses a token minted for another cloud or resource (a sovereign endpoint with the public scope, say).
    test: /InvalidAuthenticationTokenAudience/,
    describe: () =>
      "Sign-in failed: Azure Resource Manager rejected the token's audience (InvalidAuthenticationTokenAudience): environment / arm-endpoint do not match the cloud the token is for.",
  },
  {
    test: /InvalidAuthenticationTokenTenant/,
    describe: () =>
      "Sign-in failed: the subscription belongs to another tenant than the one signed in to (InvalidAuthenticationTokenTenant): check tenant-id and subscription-id.",
  },
];

/**
 * One line a person can act on for a sign-in failure, or undefined when `err` is not one (missing roles included:
 * those keep their ARM code for the report). Only IDs (tenant, app, OIDC subject, resource) are quoted from the
 * error, never its full text: that is where a token could hide.
 */
export function describeAuthError(err: unknown): string | undefined {
  const text = errorTexts(err).join("\n");
  for (const rule of RULES) {
    const match = rule.test.exec(text);
    if (match) return withoutTokens(rule.describe(match, text));
  }
  return undefined;
}

/** Messages of the error, its `cause` chain, an AggregateAuthenticationError's `errors`, and identity's errorResponse. */
function errorTexts(err: unknown, depth = 0): string[] {
  if (depth > 5 || typeof err !== "object" || err === null) return typeof err === "string" ? [err] : [];
  const e = err as {
    message?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
    errorResponse?: { errorDescription?: unknown };
  };
  const texts = [e.message, e.code, e.errorResponse?.errorDescription].filter(
    (t): t is string => typeof t === "string",
  );
  const nested: unknown[] = [e.cause, ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : [])];
  return [...texts, ...nested.flatMap((child) => errorTexts(child, depth + 1))];
}

function appOf(text: string): string {
  const app = /app '([^']*)'/.exec(text)?.[1];
  return app ? ` of app ${app}` : "";
}

/** The first capture group that took part in the match. */
function firstGroup(match: RegExpExecArray | null): string | undefined {
  return match?.slice(1).find((group) => group !== undefined);
}

/** Belt and braces: anything shaped like a JWT is cut, whatever a rule quoted. */
function withoutTokens(line: string): string {
  return line.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "***");
}
