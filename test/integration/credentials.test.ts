// Every sign-in way, with the real @azure/identity credential classes, against the emulator's Entra and GitHub OIDC
// endpoints; each reads the scale set with a real ComputeManagementClient. Inputs go through parseConfig, so the
// cloud (endpoint, token scope, authority) is the one the action would use.
import * as core from "@actions/core";
import { ComputeManagementClient } from "@azure/arm-compute";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { AggregateAuthenticationError, AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createCredential, describeAuthError } from "../../src/azure/credentials.ts";
import { parseConfig } from "../../src/config/inputs.ts";
import { AzureApiError } from "../../src/domain/scale-set.ts";
import type { Config } from "../../src/config/types.ts";
import type { Logger } from "../../src/engine/ports.ts";
import { start, type Emulator } from "../../emulator/index.ts";
import { fakeAz, type FakeAz } from "../support/fake-az/index.ts";
import { startFakeImds, type FakeImds } from "../support/fake-az/imds.ts";

const OTHER_GUID = "0badbeef-1111-4222-8333-444444444444";

/** What one sign-in left behind: log lines, the tokens issued (to scan for), the one-line failure if any. */
interface SignIn {
  readonly config: Config;
  readonly logLines: string[];
  readonly accessTokens: string[];
  readonly idTokens: string[];
  error?: unknown;
  failure?: string;
}

function recordingLogger(lines: string[]): Logger {
  const push = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return {
    debug: push("debug"),
    info: push("info"),
    warning: push("warning"),
    error: push("error"),
    notice: push("notice"),
    startGroup: push("group"),
    endGroup: () => {},
  };
}

/** The inputs that point the action at the emulator, plus `inputs`. */
function configFor(emu: Emulator, inputs: Record<string, string>, env: Record<string, string> = {}): Config {
  const all: Record<string, string> = {
    "arm-endpoint": emu.armEndpoint,
    "authority-host": emu.authorityHost,
    "subscription-id": emu.subscriptionId,
    "resource-group": "rg-demo",
    "scale-set": "vmss-demo",
    "image-version": "latest",
    ...inputs,
  };
  return parseConfig((name) => all[name] ?? "", env);
}

function oidcEnv(emu: Emulator): Record<string, string> {
  return { ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidc.requestToken };
}

/** A credential as main.ts builds it (core.getIDToken for OIDC), and a client reading the scale set `times` times. */
function signIn(emu: Emulator, config: Config): { run: SignIn; read: () => Promise<void> } {
  const run: SignIn = { config, logLines: [], accessTokens: [], idTokens: [] };
  const credential = createCredential(config.auth, config.cloud, {
    getIDToken: async (audience) => {
      const token = await core.getIDToken(audience);
      run.idTokens.push(token);
      return token;
    },
    logger: recordingLogger(run.logLines),
  });
  // Only records the tokens the real credential returns, so the test can scan every text for them.
  const recording: TokenCredential = {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const token = await credential.getToken(scopes, options);
      if (token) run.accessTokens.push(token.token);
      return token;
    },
  };
  const client = new ComputeManagementClient(recording, config.target.subscriptionId, {
    endpoint: config.cloud.armEndpoint,
    credentials: { scopes: [config.cloud.armScope] },
    retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 },
  });
  const read = async () => {
    try {
      const scaleSet = await client.virtualMachineScaleSets.get(config.target.resourceGroup, config.target.scaleSet);
      expect(scaleSet.name).toBe(config.target.scaleSet);
    } catch (err) {
      run.error = err;
      run.failure = describeAuthError(err);
      throw err;
    }
  };
  return { run, read };
}

async function failedSignIn(emu: Emulator, config: Config): Promise<SignIn> {
  const { run, read } = signIn(emu, config);
  await expect(read()).rejects.toThrow();
  return run;
}

/** Nothing the action prints may contain a secret or a token. */
function expectNoSecrets(run: SignIn, secrets: readonly string[]): void {
  const printed = [...run.logLines, run.failure ?? ""].join("\n");
  for (const secret of [...secrets, ...run.accessTokens, ...run.idTokens]) {
    expect(secret.length).toBeGreaterThan(8);
    expect(printed).not.toContain(secret);
  }
}

function expectOneLine(failure: string | undefined, ...parts: (string | RegExp)[]): void {
  expect(failure).toBeDefined();
  expect(failure).toMatch(/^Sign-in failed: /);
  expect(failure).not.toContain("\n");
  for (const part of parts) expect(failure).toMatch(part);
}

// core.getIDToken writes `::add-mask::<token>` and `::debug::` to stdout; keep them, to check the masking.
let stdout: string[] = [];
let az: FakeAz | undefined;
const savedEnv = { ...process.env };

// One emulator for the sign-in ways and their failures, and one IMDS stand-in for the whole file: msal-node keeps the
// managed-identity endpoint it found first in a static for the life of the process.
let emu: Emulator;
let imds: FakeImds;

beforeAll(async () => {
  emu = await start({ speed: 0.001, scaleSets: [{ name: "vmss-demo", instances: 2 }] });
  imds = await startFakeImds(emu);
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  emu.resetLog();
  az?.cleanup();
  az = undefined;
  stdout = [];
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await imds.stop();
  await emu.stop();
});

describe("each sign-in way reads the scale set from the emulator", () => {
  it("creds: a client secret, at the endpoint and authority creds and the inputs name, never asking public Entra", async () => {
    const config = configFor(emu, { creds: emu.creds, "subscription-id": "" });
    expect(config.auth.mode).toBe("creds");
    expect(config.cloud).toMatchObject({
      armEndpoint: emu.armEndpoint,
      armScope: `${emu.armEndpoint}/.default`,
      customAuthority: true,
    });

    const { run, read } = signIn(emu, config);
    await read();

    const counters = emu.counters();
    expect(counters["Entra.Token"]).toBe(1);
    expect(counters["Entra.InstanceDiscovery"]).toBeUndefined();
    expect(emu.requests.find((r) => r.operation === "Entra.Token")?.body).toMatchObject({
      scope: `${emu.armEndpoint}/.default`,
      client_secret: "***",
    });
    expect(run.logLines).toContain(
      `info: Signing in as service principal ${emu.clientId} (client secret) in tenant ${emu.tenantId} at ${emu.authorityHost}`,
    );
    expectNoSecrets(run, [emu.clientSecret]);
  });

  it("oidc: a GitHub ID token from core.getIDToken (masked), exchanged through the federated credential", async () => {
    Object.assign(process.env, oidcEnv(emu));
    const config = configFor(emu, { "client-id": emu.clientId, "tenant-id": emu.tenantId }, oidcEnv(emu));
    expect(config.auth).toEqual({
      mode: "oidc",
      clientId: emu.clientId,
      tenantId: emu.tenantId,
      audience: "api://AzureADTokenExchange",
    });

    const { run, read } = signIn(emu, config);
    await read();

    expect(emu.counters()["GitHub.IdToken"]).toBe(run.idTokens.length);
    expect(run.idTokens.length).toBeGreaterThanOrEqual(1);
    expect(emu.requests.filter((r) => r.operation === "GitHub.IdToken").map((r) => r.query["audience"])).toEqual(
      run.idTokens.map(() => "api://AzureADTokenExchange"),
    );
    for (const token of run.idTokens) expect(stdout).toContain(`::add-mask::${token}\n`);
    expect(emu.counters()["Entra.InstanceDiscovery"]).toBeUndefined();
    expect(run.logLines).toContain(
      "info: GitHub OIDC token #1: subject repo:octo/app:ref:refs/tags/v1, issuer https://token.actions.githubusercontent.com",
    );
    expectNoSecrets(run, [emu.clientSecret, emu.oidc.requestToken]);
  });

  it("azure-cli: the session an earlier azure/login left, asked for a token for this cloud's ARM endpoint", async () => {
    az = fakeAz(
      {
        authorityHost: emu.authorityHost,
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        subscriptionId: emu.subscriptionId,
      },
      { caPath: emu.caPath },
    );
    Object.assign(process.env, az.env);
    const config = configFor(emu, {});
    expect(config.auth).toEqual({ mode: "azure-cli" });

    const { run, read } = signIn(emu, config);
    await read();

    expect(az.calls()).toEqual([["account", "get-access-token", "--output", "json", "--resource", emu.armEndpoint]]);
    expectNoSecrets(run, [emu.clientSecret]);
  });

  it("azure-cli with tenant-id asks the CLI for a token in that tenant", async () => {
    az = fakeAz(
      {
        authorityHost: emu.authorityHost,
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
      },
      { caPath: emu.caPath },
    );
    Object.assign(process.env, az.env);
    const { read } = signIn(emu, configFor(emu, { auth: "azure-cli", "tenant-id": emu.tenantId }));
    await read();
    expect(az.calls()).toEqual([
      ["account", "get-access-token", "--output", "json", "--resource", emu.armEndpoint, "--tenant", emu.tenantId],
    ]);
  });

  it.each([
    ["system-assigned", false],
    ["user-assigned", true],
  ])("managed-identity (%s): a token from the machine's identity endpoint", async (_, clientId) => {
    process.env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = imds.endpoint;
    const config = configFor(emu, { auth: "managed-identity", ...(clientId ? { "client-id": emu.clientId } : {}) });
    const { run, read } = signIn(emu, config);
    await read();
    expect(imds.requests.at(-1)).toEqual({
      "api-version": "2018-02-01",
      resource: emu.armEndpoint,
      ...(clientId ? { client_id: emu.clientId } : {}),
    });
    expectNoSecrets(run, [emu.clientSecret]);
  });
});

describe("each sign-in failure is one line a person can act on, without secrets", () => {
  const credsWith = (fields: Record<string, string>) => JSON.stringify({ ...JSON.parse(emu.creds), ...fields });

  it("wrong client secret", async () => {
    const wrongSecret = "wrong~Secret.0123456789abcdef";
    const run = await failedSignIn(emu, configFor(emu, { creds: credsWith({ clientSecret: wrongSecret }) }));
    expectOneLine(run.failure, "client secret", emu.clientId, "(AADSTS7000215)", "Value (not its Secret ID)");
    expectNoSecrets(run, [emu.clientSecret, wrongSecret]);
  });

  it("wrong tenant, at a custom authority (its OpenID configuration is refused)", async () => {
    const run = await failedSignIn(emu, configFor(emu, { creds: credsWith({ tenantId: OTHER_GUID }) }));
    expectOneLine(run.failure, "no sign-in endpoints for the tenant", "check tenant-id");
    expect(emu.counters()["Entra.InstanceDiscovery"]).toBeUndefined();
    expectNoSecrets(run, [emu.clientSecret]);
  });

  it("wrong tenant, at the token endpoint (through the Azure CLI)", async () => {
    az = fakeAz(
      {
        authorityHost: emu.authorityHost,
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
      },
      { caPath: emu.caPath },
    );
    Object.assign(process.env, az.env);
    const run = await failedSignIn(emu, configFor(emu, { "tenant-id": OTHER_GUID }));
    expectOneLine(run.failure, `tenant '${OTHER_GUID}' was not found (AADSTS90002)`, "check tenant-id");
    expectNoSecrets(run, [emu.clientSecret]);
  });

  it("unknown client", async () => {
    const run = await failedSignIn(emu, configFor(emu, { creds: credsWith({ clientId: OTHER_GUID }) }));
    expectOneLine(
      run.failure,
      `application ${OTHER_GUID} was not found in tenant ${emu.tenantId} (AADSTS700016)`,
      "check client-id",
    );
    expectNoSecrets(run, [emu.clientSecret]);
  });

  it("GitHub token audience the federated credential does not accept", async () => {
    Object.assign(process.env, oidcEnv(emu));
    const run = await failedSignIn(
      emu,
      configFor(
        emu,
        { "client-id": emu.clientId, "tenant-id": emu.tenantId, audience: "api://SomethingElse" },
        oidcEnv(emu),
      ),
    );
    expectOneLine(run.failure, "audience 'api://SomethingElse' (AADSTS700212)", "set audience");
    expectNoSecrets(run, [emu.oidc.requestToken]);
  });

  it("no `id-token: write`: the job cannot request a GitHub token", async () => {
    // parseConfig already refuses OIDC without ACTIONS_ID_TOKEN_REQUEST_URL; this is the same failure at sign-in time.
    const config = configFor(emu, { auth: "oidc", "client-id": emu.clientId, "tenant-id": emu.tenantId }, oidcEnv(emu));
    delete process.env["ACTIONS_ID_TOKEN_REQUEST_URL"];
    const run = await failedSignIn(emu, config);
    expectOneLine(run.failure, "permissions: id-token: write");
    expect(emu.counters()["GitHub.IdToken"]).toBeUndefined();
  });

  it("the Azure CLI is not signed in", async () => {
    az = fakeAz(undefined, { caPath: emu.caPath });
    Object.assign(process.env, az.env);
    const run = await failedSignIn(emu, configFor(emu, {}));
    expectOneLine(run.failure, "the Azure CLI is not signed in", "azure/login", "`creds`", "OIDC", "managed-identity");
  });

  it("the Azure CLI is not installed", async () => {
    process.env["PATH"] = "/nonexistent";
    const run = await failedSignIn(emu, configFor(emu, { auth: "azure-cli" }));
    expectOneLine(run.failure, "the Azure CLI is not installed", "`creds`", "OIDC", "managed-identity");
  });

  it("no managed identity with this client-id on the machine", async () => {
    process.env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = imds.endpoint;
    const run = await failedSignIn(emu, configFor(emu, { auth: "managed-identity", "client-id": OTHER_GUID }));
    expectOneLine(run.failure, "no managed identity with this client-id", "client-id");
  });

  it("a token for another cloud's ARM (the classic sovereign-cloud scope bug) is named as such", async () => {
    const config = configFor(emu, { creds: emu.creds });
    const credential = createCredential(config.auth, config.cloud, {
      getIDToken: () => Promise.reject(new Error("unused")),
      logger: recordingLogger([]),
    });
    const client = new ComputeManagementClient(credential, emu.subscriptionId, {
      endpoint: config.cloud.armEndpoint,
      credentials: { scopes: ["https://management.usgovcloudapi.net/.default"] },
      retryOptions: { maxRetries: 0 },
    });
    const err = await client.virtualMachineScaleSets.get("rg-demo", "vmss-demo").then(
      () => undefined,
      (e: unknown) => e,
    );
    expectOneLine(describeAuthError(err), "(InvalidAuthenticationTokenAudience)", "environment / arm-endpoint");
  });

  it("errors that are not about sign-in are left to others", async () => {
    const config = configFor(emu, { creds: emu.creds, "scale-set": "no-such-set" });
    const run = await failedSignIn(emu, config);
    expect(run.failure).toBeUndefined();
    expect(describeAuthError(new Error("socket hang up"))).toBeUndefined();
    // Signed in but without a role: the report explains AuthorizationFailed by its ARM code, which must survive.
    expect(
      describeAuthError(
        new AzureApiError(
          "AuthorizationFailed",
          "The client '3e8d6f41-0000-4000-8000-0000000c11e7' does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/write' over scope '/subscriptions/x'.",
          403,
        ),
      ),
    ).toBeUndefined();
    expect(describeAuthError(undefined)).toBeUndefined();
  });
});

describe("describeAuthError on failures the emulator does not produce (real error classes, texts as Azure sends them)", () => {
  const entra = (code: number, error: string, description: string) =>
    new AuthenticationError(400, {
      error,
      error_description: `${description} Trace ID: 1 Correlation ID: 2 Timestamp: 2026-01-01 00:00:00Z`,
      error_codes: [code],
    });
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

  it.each([
    [
      "expired client secret",
      entra(
        7000222,
        "invalid_client",
        "AADSTS7000222: The provided client secret keys for app '3e8d6f41-0000-4000-8000-0000000c11e7' are expired.",
      ),
      ["Sign-in failed: the client secret of app 3e8d6f41-0000-4000-8000-0000000c11e7 has expired (AADSTS7000222)"],
    ],
    [
      "subject differing only in case",
      entra(
        7002138,
        "invalid_request",
        "AADSTS7002138: No matching federated identity record found for presented assertion subject 'repo:Octo/App:environment:Production'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison.",
      ),
      ["subject 'repo:Octo/App:environment:Production'", "case-sensitive", "(AADSTS7002138)"],
    ],
    [
      "assertion from another issuer",
      entra(
        70021,
        "invalid_request",
        "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://example.com'. Assertion Subject: 'repo:octo/app:pull_request'. Assertion Audience: 'api://AzureADTokenExchange'.",
      ),
      ["subject 'repo:octo/app:pull_request'", "(AADSTS70021)"],
    ],
    [
      "tenant not found at public Entra's token endpoint",
      entra(
        90002,
        "invalid_request",
        "AADSTS90002: Tenant 'contoso-typo' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
      ),
      ["tenant 'contoso-typo' was not found (AADSTS90002)"],
    ],
    [
      "resource unknown to the tenant's cloud",
      entra(
        500011,
        "invalid_resource",
        "AADSTS500011: The resource principal named https://management.usgovcloudapi.net was not found in the tenant named Contoso.",
      ),
      ["resource https://management.usgovcloudapi.net", "(AADSTS500011)"],
    ],
    [
      "hosted runner without a managed identity",
      new CredentialUnavailableError(
        "ManagedIdentityCredential: Network unreachable. Message: connect EHOSTUNREACH 169.254.169.254:80",
      ),
      ["no managed identity is available on this runner"],
    ],
    [
      "GitHub refusing the ID token request",
      new Error(
        "Error message: Failed to get ID Token. \n \n        Error Code : 403\n \n        Error Message: Forbidden",
      ),
      ["GitHub refused the OIDC token request (HTTP 403)", "id-token: write"],
    ],
    [
      "a failure inside a chained credential",
      new AggregateAuthenticationError(
        [new CredentialUnavailableError("Please run 'az login' to setup account.")],
        "ChainedTokenCredential authentication failed.",
      ),
      ["the Azure CLI is not signed in"],
    ],
    [
      "a failure as the cause of another",
      new Error("request failed", {
        cause: entra(
          7000215,
          "invalid_client",
          `AADSTS7000215: Invalid client secret provided. Token ${jwt} was not used.`,
        ),
      }),
      ["client secret is wrong (AADSTS7000215)"],
    ],
  ])("%s", (_, err, parts) => {
    const line = describeAuthError(err);
    expect(line).toBeDefined();
    expect(line).not.toContain("\n");
    expect(line).not.toContain(jwt);
    for (const part of parts) expect(line).toContain(part);
  });
});

describe("a federated credential for another subject", () => {
  let emu: Emulator; // its own: GitHub tokens with a subject the federated credential does not name
  beforeAll(async () => {
    emu = await start({
      speed: 0.001,
      scaleSets: [{ name: "vmss-demo", instances: 1 }],
      githubSubject: "repo:octo/app:ref:refs/heads/feature/x",
    });
  });
  afterAll(() => emu.stop());

  it("names the subject the token had (AADSTS700213)", async () => {
    Object.assign(process.env, oidcEnv(emu));
    const run = await failedSignIn(
      emu,
      configFor(emu, { "client-id": emu.clientId, "tenant-id": emu.tenantId }, oidcEnv(emu)),
    );
    expectOneLine(
      run.failure,
      "no federated credential",
      "subject 'repo:octo/app:ref:refs/heads/feature/x'",
      "(AADSTS700213)",
    );
    expect(run.logLines).toContain(
      "info: GitHub OIDC token #1: subject repo:octo/app:ref:refs/heads/feature/x, issuer https://token.actions.githubusercontent.com",
    );
    expectNoSecrets(run, [emu.oidc.requestToken]);
  });
});

describe("long rollouts: access and GitHub tokens that expire mid-run", () => {
  let emu: Emulator; // its own: short-lived tokens
  // Both token kinds live two seconds. The emulator counts whole seconds, so on the wall clock a token is good for as
  // little as one second after it is issued (a slow first read could outlast it) and has expired at most two seconds
  // later. So these tests stop Date (the emulator, the SDK and the credentials read it in this process; the fake az, a
  // process of its own, only dates the token it prints) and move it on 3 s where the tokens are to expire: no pause,
  // no race with a loaded machine.
  const expireTheTokens = (): void => void vi.setSystemTime(Date.now() + 3_000);
  afterEach(() => void vi.useRealTimers());
  beforeAll(async () => {
    emu = await start({
      speed: 0.001,
      scaleSets: [{ name: "vmss-demo", instances: 1 }],
      tokenLifetimeSeconds: 2,
      githubTokenLifetimeSeconds: 2,
    });
  });
  afterAll(() => emu.stop());

  it("oidc asks GitHub for a new ID token whenever it needs a new access token, so later calls still work", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    Object.assign(process.env, oidcEnv(emu));
    emu.resetLog();
    const { run, read } = signIn(
      emu,
      configFor(emu, { "client-id": emu.clientId, "tenant-id": emu.tenantId }, oidcEnv(emu)),
    );
    await read();
    const idTokensAtFirstRead = run.idTokens.length;
    expireTheTokens(); // the first access token and the GitHub token it came from have both expired
    await read();

    expect(run.idTokens.length).toBeGreaterThan(idTokensAtFirstRead);
    expect(new Set(run.idTokens).size).toBe(run.idTokens.length);
    expect(emu.counters()["GitHub.IdToken"]).toBe(run.idTokens.length);
    const tokenRequests = emu.requests.filter((r) => r.operation === "Entra.Token");
    expect(tokenRequests.length).toBeGreaterThanOrEqual(2);
    expect(tokenRequests.every((r) => r.status === 200)).toBe(true);
    expect(emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Get").map((r) => r.status)).toEqual([
      200, 200,
    ]);
    expectNoSecrets(run, [emu.oidc.requestToken]);
  });

  it("an Azure CLI session signed in with one GitHub token fails once it expired (AADSTS700024), and says what to do", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    Object.assign(process.env, oidcEnv(emu));
    const federatedToken = await core.getIDToken("api://AzureADTokenExchange");
    az = fakeAz(
      { authorityHost: emu.authorityHost, tenantId: emu.tenantId, clientId: emu.clientId, federatedToken },
      { caPath: emu.caPath },
    );
    Object.assign(process.env, az.env);
    const { run, read } = signIn(emu, configFor(emu, { auth: "azure-cli" }));
    await read();
    expireTheTokens(); // the GitHub token the session signed in with has expired
    await expect(read()).rejects.toThrow();

    expectOneLine(run.failure, "(AADSTS700024)", "client-id and tenant-id");
    expectNoSecrets(run, [federatedToken]);
  });
});
