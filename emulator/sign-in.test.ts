// Sign-in through the real credential classes against the emulator's Entra and GitHub OIDC endpoints.
import { getIDToken } from "@actions/core";
import { ClientAssertionCredential, ClientSecretCredential } from "@azure/identity";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import { computeClient, credentialFor, githubIdToken } from "./sdk.ts";

const ARM_SCOPE = "https://management.azure.com/.default";
const OTHER_TENANT = "0b9f7c1e-0000-4000-8000-0000000bad01";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await start({ speed: 0.001, ...options });
  return emu;
}

const claims = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;

describe("client secret", () => {
  it("msal asks for the tenant's OpenID configuration, then the token endpoint, and gets an ARM token", async () => {
    const emu = await setup();
    const token = await credentialFor(emu, "secret").getToken(ARM_SCOPE);
    expect(claims(token?.token ?? "")).toMatchObject({
      aud: "https://management.azure.com",
      tid: emu.tenantId,
      appid: emu.clientId,
      appidacr: "1",
    });
    expect(emu.requests.map((r) => [r.method, r.operation, r.status])).toEqual([
      ["GET", "Entra.OpenIdConfiguration", 200],
      ["POST", "Entra.Token", 200],
    ]);
    expect(emu.requests[1]?.body).toMatchObject({
      client_id: emu.clientId,
      scope: ARM_SCOPE,
      grant_type: "client_credentials",
      client_secret: "***",
    });
  });

  const refusals: { name: string; tenant?: string; clientId?: string; secret?: string; code: string }[] = [
    { name: "a wrong secret", secret: "not-the-secret", code: "AADSTS7000215" },
    // msal reads the tenant's OpenID configuration first; Entra answers 400 AADSTS90002 there, msal reports this:
    { name: "an unknown tenant", tenant: OTHER_TENANT, code: "endpoints_resolution_error" },
    { name: "an unknown client", clientId: "0b9f7c1e-0000-4000-8000-00000000c1e0", code: "AADSTS700016" },
  ];
  it.each(refusals)("is refused for $name with $code", async ({ tenant, clientId, secret, code }) => {
    const emu = await setup();
    const credential = new ClientSecretCredential(
      tenant ?? emu.tenantId,
      clientId ?? emu.clientId,
      secret ?? emu.clientSecret,
      { authorityHost: emu.authorityHost, disableInstanceDiscovery: true },
    );
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(new RegExp(code));
  });

  it("answers 400 invalid_tenant AADSTS90002 for an unknown tenant's OpenID configuration", async () => {
    const emu = await setup();
    const response = await fetch(`${emu.authorityHost}/${OTHER_TENANT}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
  });

  it("answers Entra's error body for a wrong secret", async () => {
    const emu = await setup();
    const response = await fetch(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: emu.clientId,
        client_secret: "wrong",
        scope: ARM_SCOPE,
        grant_type: "client_credentials",
      }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: "invalid_client",
      error_codes: [7000215],
      error_uri: "https://login.microsoftonline.com/error?code=7000215",
    });
    expect(body["error_description"]).toMatch(
      /^AADSTS7000215: Invalid client secret provided\. .* Trace ID: .* Correlation ID: .* Timestamp: /,
    );
    expect(Object.keys(body)).toEqual([
      "error",
      "error_description",
      "error_codes",
      "timestamp",
      "trace_id",
      "correlation_id",
      "error_uri",
    ]);
  });

  it("refreshes short-lived tokens: every ARM call within msal's renewal margin gets a new one", async () => {
    const emu = await setup({ tokenLifetimeSeconds: 60 });
    const client = computeClient(emu);
    await client.virtualMachineScaleSets.get("rg-demo", "vmss-demo");
    await client.virtualMachineScaleSets.get("rg-demo", "vmss-demo");
    expect(emu.counters()["Entra.Token"]).toBe(2);
  });
});

describe("client assertion (GitHub OIDC → federated credential)", () => {
  it("signs in with a token from @actions/core getIDToken()", async () => {
    const emu = await setup();
    process.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = emu.oidc.requestUrl;
    process.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = emu.oidc.requestToken;
    try {
      const credential = new ClientAssertionCredential(
        emu.tenantId,
        emu.clientId,
        () => getIDToken("api://AzureADTokenExchange"),
        { authorityHost: emu.authorityHost, disableInstanceDiscovery: true },
      );
      const token = await credential.getToken(ARM_SCOPE);
      expect(claims(token?.token ?? "")).toMatchObject({ appid: emu.clientId, appidacr: "2" });
    } finally {
      delete process.env["ACTIONS_ID_TOKEN_REQUEST_URL"];
      delete process.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
    }
    const idTokenRequest = emu.requests.find((r) => r.operation === "GitHub.IdToken");
    expect(idTokenRequest).toMatchObject({
      status: 200,
      query: { "api-version": "2.0", audience: "api://AzureADTokenExchange" },
    });
    expect(emu.requests.find((r) => r.operation === "Entra.Token")?.body).toMatchObject({
      client_assertion: "***",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    });
  });

  it("issues GitHub-shaped tokens", async () => {
    const emu = await setup();
    expect(claims(await githubIdToken(emu, "api://AzureADTokenExchange"))).toMatchObject({
      iss: "https://token.actions.githubusercontent.com",
      sub: "repo:octo/app:ref:refs/tags/v1",
      aud: "api://AzureADTokenExchange",
      repository: "octo/app",
    });
  });

  it("refuses a wrong runner request token with 401", async () => {
    const emu = await setup();
    const response = await fetch(`${emu.oidc.requestUrl}&audience=api://AzureADTokenExchange`, {
      headers: { Authorization: "Bearer nope" },
    });
    expect(response.status).toBe(401);
  });

  const refusals: { name: string; options: EmulatorOptions; audience?: string; code: string }[] = [
    {
      name: "a subject without a federated credential",
      options: { githubSubject: "repo:octo/app:ref:refs/heads/main" },
      code: "AADSTS700213",
    },
    { name: "an expired assertion", options: { githubTokenLifetimeSeconds: -60 }, code: "AADSTS700024" },
    { name: "another audience", options: {}, audience: "api://SomethingElse", code: "AADSTS700212" },
  ];
  it.each(refusals)("is refused for $name with $code", async ({ options, audience, code }) => {
    const emu = await setup(options);
    const credential = new ClientAssertionCredential(emu.tenantId, emu.clientId, () => githubIdToken(emu, audience), {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(new RegExp(code));
  });
});
