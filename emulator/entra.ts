// Enough of Microsoft Entra ID for msal-node (as used by @azure/identity) pointed at a custom authority host:
// tenant OpenID configuration, instance discovery, JWKS, and the v2.0 token endpoint for the client-credentials grant
// with a client secret or a client assertion (a GitHub OIDC token through a federated credential).
// Also validates the access tokens it issued, for the ARM routes.
import { randomUUID } from "node:crypto";
import { json, type Incoming, type Reply } from "./http.ts";
import { keyPair, peekClaims, signJwt, verifyJwt, type KeyPair } from "./jwt.ts";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface EntraConfig {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenLifetimeSeconds: number;
  /** Federated credential of the app: issuer GitHub, this subject and audience. */
  readonly federatedSubject: string;
  readonly federatedAudience: string;
  /** Signs the GitHub OIDC tokens the emulator issues; the federated credential trusts it. */
  readonly githubKey: KeyPair;
}

/** What ARM learns from a bearer token. */
export type TokenCheck =
  | { readonly ok: true; readonly audience: string; readonly appId: string; readonly objectId: string }
  | { readonly ok: false; readonly reason: "invalid" | "expired"; readonly expiredAt?: Date };

export class Entra {
  readonly config: EntraConfig;
  private readonly key = keyPair("emulator-entra");
  /** `uti` of tokens that faults.expireTokens() declared expired. */
  private readonly revoked = new Set<string>();
  private readonly issued = new Set<string>();

  constructor(config: EntraConfig) {
    this.config = config;
  }

  /** Routes under the authority host. Returns undefined for paths that are not Entra's. */
  handle(req: Incoming): Reply | undefined {
    const segments = req.path.split("/").filter(Boolean);
    const [tenant, ...rest] = segments;
    const tail = rest.join("/").toLowerCase();
    if (tenant?.toLowerCase() === "common" && tail === "discovery/instance" && req.method === "GET") {
      return { ...this.instanceDiscovery(req), operation: "Entra.InstanceDiscovery" };
    }
    if (!tenant) return undefined;
    // The AD FS form of the authority (`<host>/adfs`), which Azure Stack Hub uses and the Azure CLI (MSAL Python)
    // signs in through without asking Microsoft's public host for instance discovery (msal `Authority`: an `adfs`
    // tenant is "known to the developer"). The emulator's `/metadata/endpoints` names it as the login endpoint.
    if (tenant.toLowerCase() === "adfs") {
      if (tail === ".well-known/openid-configuration" && req.method === "GET") {
        return { ...this.adfsConfiguration(req), operation: "Entra.OpenIdConfiguration" };
      }
      if (tail === "discovery/keys" && req.method === "GET") return { ...this.keys(), operation: "Entra.Keys" };
      if (tail === "oauth2/token" && req.method === "POST")
        return { ...this.token(req, this.config.tenantId), operation: "Entra.Token" };
      return undefined;
    }
    if (tail === "v2.0/.well-known/openid-configuration" && req.method === "GET") {
      return { ...this.openIdConfiguration(req, tenant), operation: "Entra.OpenIdConfiguration" };
    }
    if (tail === "discovery/v2.0/keys" && req.method === "GET") {
      return { ...this.keys(), operation: "Entra.Keys" };
    }
    if (tail === "oauth2/v2.0/token" && req.method === "POST") {
      return { ...this.token(req, tenant), operation: "Entra.Token" };
    }
    return undefined;
  }

  private knownTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.config.tenantId.toLowerCase();
  }

  private keys(): Reply {
    return json(200, {
      keys: [{ kty: "RSA", use: "sig", kid: this.key.kid, ...this.key.publicKey.export({ format: "jwk" }) }],
    });
  }

  /** AD FS's OpenID configuration (the fields MSAL reads: token and authorization endpoints; AD FS 2019's shape). */
  private adfsConfiguration(req: Incoming): Reply {
    const base = `${req.origin}/adfs`;
    return json(200, {
      issuer: base,
      authorization_endpoint: `${base}/oauth2/authorize/`,
      token_endpoint: `${base}/oauth2/token/`,
      jwks_uri: `${base}/discovery/keys`,
      token_endpoint_auth_methods_supported: [
        "client_secret_post",
        "client_secret_basic",
        "private_key_jwt",
        "windows_client_authentication",
      ],
      response_types_supported: [
        "code",
        "id_token",
        "code id_token",
        "id_token token",
        "code token",
        "code id_token token",
      ],
      response_modes_supported: ["query", "fragment", "form_post"],
      grant_types_supported: [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "implicit",
        "password",
        "srv_challenge",
        "urn:ietf:params:oauth:grant-type:device_code",
        "device_code",
      ],
      subject_types_supported: ["pairwise"],
      scopes_supported: [
        "openid",
        "profile",
        "email",
        "allatclaims",
        "user_impersonation",
        "logon_cert",
        "aza",
        "vpn_cert",
        "winhello_cert",
      ],
      id_token_signing_alg_values_supported: ["RS256"],
      access_token_issuer: base,
      device_authorization_endpoint: `${base}/oauth2/devicecode`,
      end_session_endpoint: `${base}/oauth2/logout`,
    });
  }

  private openIdConfiguration(req: Incoming, tenant: string): Reply {
    if (!this.knownTenant(tenant)) return entraError(400, "invalid_tenant", 90002, tenantNotFound(tenant));
    const base = `${req.origin}/${this.config.tenantId}`;
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${req.origin}/${this.config.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "cloud_instance_name",
        "cloud_instance_host_name",
        "cloud_graph_host_name",
        "msgraph_host",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "acr",
        "nonce",
        "preferred_username",
        "name",
        "tid",
        "ver",
        "at_hash",
        "c_hash",
        "email",
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    });
  }

  /** Entra puts the tenant of the `authorization_endpoint` query parameter into `tenant_discovery_endpoint` (recorded
   *  answers show `https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration`, never a
   *  placeholder); without one, `common`. */
  private instanceDiscovery(req: Incoming): Reply {
    const host = new URL(req.origin).host;
    let tenant = "common";
    try {
      tenant =
        new URL(req.query.get("authorization_endpoint") ?? "").pathname.split("/").filter(Boolean)[0] ?? "common";
    } catch {
      // not a URL: common
    }
    return json(200, {
      tenant_discovery_endpoint: `${req.origin}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private token(req: Incoming, tenant: string): Reply {
    const form = (typeof req.body === "object" && req.body !== null ? req.body : {}) as Record<
      string,
      string | undefined
    >;
    if (!this.knownTenant(tenant)) return entraError(400, "invalid_request", 90002, tenantNotFound(tenant));
    const clientId = form["client_id"] ?? "";
    if (form["grant_type"] !== "client_credentials") {
      return entraError(
        400,
        "unsupported_grant_type",
        70003,
        "AADSTS70003: The app requested an unsupported grant type.",
      );
    }
    if (clientId.toLowerCase() !== this.config.clientId.toLowerCase()) {
      return entraError(
        400,
        "unauthorized_client",
        700016,
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${this.config.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const scope = form["scope"] ?? "";
    const resource = scope.split(" ").find((s) => s.endsWith("/.default"));
    if (!resource) {
      return entraError(
        400,
        "invalid_scope",
        1002012,
        `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    let appidacr: "1" | "2";
    if (form["client_secret"] !== undefined) {
      if (form["client_secret"] !== this.config.clientSecret) {
        return entraError(
          401,
          "invalid_client",
          7000215,
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.config.clientId}'.`,
        );
      }
      appidacr = "1";
    } else if (form["client_assertion"] !== undefined && form["client_assertion_type"] === JWT_BEARER) {
      const refused = this.checkAssertion(form["client_assertion"]);
      if (refused) return refused;
      appidacr = "2";
    } else {
      return entraError(
        401,
        "invalid_client",
        7000218,
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const lifetime = this.config.tokenLifetimeSeconds;
    return json(200, {
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: this.issueAccessToken(resource.slice(0, -"/.default".length), appidacr),
    });
  }

  /** A refusal for a client assertion that is not a valid GitHub OIDC token for the app's federated credential. */
  private checkAssertion(assertion: string): Reply | undefined {
    const checked = verifyJwt(assertion, this.config.githubKey);
    if (!checked.ok) {
      const claims = peekClaims(assertion);
      if (claims && claims["iss"] !== GITHUB_ISSUER) return noFederatedRecord(claims);
      return entraError(401, "invalid_client", 700027, "AADSTS700027: Client assertion failed signature validation.");
    }
    const { claims } = checked;
    const now = Math.floor(Date.now() / 1000);
    const exp = Number(claims["exp"]);
    if (!(exp > now)) {
      return entraError(
        400,
        "invalid_client",
        700024,
        `AADSTS700024: Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${new Date(Number(claims["nbf"] ?? claims["iat"]) * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
      );
    }
    if (claims["iss"] !== GITHUB_ISSUER) return noFederatedRecord(claims);
    const audiences = Array.isArray(claims["aud"]) ? claims["aud"] : [claims["aud"]];
    if (!audiences.includes(this.config.federatedAudience)) {
      return entraError(
        400,
        "invalid_request",
        700212,
        `AADSTS700212: No matching federated identity record found for presented assertion audience '${audiences.join(",")}'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      );
    }
    if (claims["sub"] !== this.config.federatedSubject) {
      return entraError(
        400,
        "invalid_request",
        700213,
        `AADSTS700213: No matching federated identity record found for presented assertion subject '${String(claims["sub"])}'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      );
    }
    return undefined;
  }

  private issueAccessToken(resource: string, appidacr: "1" | "2"): string {
    const now = Math.floor(Date.now() / 1000);
    const uti = randomUUID().replaceAll("-", "").slice(0, 22);
    this.issued.add(uti);
    return signJwt(
      {
        aud: resource,
        iss: `https://sts.windows.net/${this.config.tenantId}/`,
        iat: now,
        nbf: now,
        exp: now + this.config.tokenLifetimeSeconds,
        aio: randomUUID(),
        appid: this.config.clientId,
        appidacr,
        idp: `https://sts.windows.net/${this.config.tenantId}/`,
        idtyp: "app",
        oid: "5b0e5b5e-0000-4000-8000-00000000a11d",
        sub: "5b0e5b5e-0000-4000-8000-00000000a11d",
        tid: this.config.tenantId,
        uti,
        ver: "1.0",
      },
      this.key,
    );
  }

  /** Checks a bearer token presented to ARM: issued by this emulator, not expired (nor declared expired). */
  checkAccessToken(token: string): TokenCheck {
    const checked = verifyJwt(token, this.key);
    if (!checked.ok || !this.issued.has(String(checked.claims["uti"]))) return { ok: false, reason: "invalid" };
    const { claims } = checked;
    const exp = new Date(Number(claims["exp"]) * 1000);
    if (exp.getTime() <= Date.now() || this.revoked.has(String(claims["uti"]))) {
      return { ok: false, reason: "expired", expiredAt: exp };
    }
    return {
      ok: true,
      audience: String(claims["aud"]),
      appId: String(claims["appid"]),
      objectId: String(claims["oid"]),
    };
  }

  /** Fault: every access token issued so far counts as expired from now on (new ones are fine). */
  expireIssuedTokens(): void {
    for (const uti of this.issued) this.revoked.add(uti);
  }
}

function tenantNotFound(tenant: string): string {
  return `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
}

function noFederatedRecord(claims: Record<string, unknown>): Reply {
  return entraError(
    400,
    "invalid_request",
    70021,
    `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${String(claims["iss"])}'. Assertion Subject: '${String(claims["sub"])}'. Assertion Audience: '${String(claims["aud"])}'.`,
  );
}

/** Entra's OAuth error body: the message gets a trace/correlation suffix as the real service adds one. */
export function entraError(status: number, error: string, code: number, description: string): Reply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return json(status, {
    error,
    error_description: `${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}
