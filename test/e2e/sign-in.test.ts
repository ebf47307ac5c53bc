// Issue 4 acceptance: the whole action signs in each way (creds, GitHub OIDC with a token refreshed mid-rollout, the
// Azure CLI session of an earlier azure/login step) and rolls out; each sign-in failure is one error line and exit 1;
// no secret ever shows in the job log, the summary or the outputs.
import { afterEach, describe, expect, it } from "vitest";
import { fakeAz, type FakeAz } from "../support/fake-az/index.ts";
import type { Emulator, EmulatorOptions } from "../../emulator/types.ts";
import {
  describeRun,
  errorLines,
  idList,
  leaks,
  runAction,
  type EnvVars,
  type Inputs,
  type RunResult,
} from "./harness.ts";
import { emulator, expectExit, expectNoSecrets, FAST, requestLog, sortedIds } from "./fixtures.ts";

const NEW_VERSION = "24.04.202502210";
const OTHER_TENANT = "3c1d5e7f-9a0b-4c2d-8e4f-6a8b0c2d4e6f";
const WRONG_SECRET = "Wr0ng~Secret.Value_0123456789abcdef";

const stubs: FakeAz[] = [];
afterEach(() => {
  for (const stub of stubs.splice(0)) stub.cleanup();
});

/** Inputs that sign in with OIDC: client and tenant, no creds, the subscription on its own. */
function oidcInputs(emu: Emulator): Inputs {
  return {
    auth: "oidc",
    creds: undefined,
    "client-id": emu.clientId,
    "tenant-id": emu.tenantId,
    "subscription-id": emu.subscriptionId,
  };
}

function oidcEnv(emu: Emulator): EnvVars {
  return { ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidc.requestToken };
}

/** Signs a stub `az` in with the emulator's service principal (what azure/login leaves) and puts it first on PATH. */
function azureCli(emu: Emulator, signedIn = true): { stub: FakeAz; env: EnvVars } {
  const stub = fakeAz(
    signedIn
      ? {
          authorityHost: emu.authorityHost,
          tenantId: emu.tenantId,
          clientId: emu.clientId,
          clientSecret: emu.clientSecret,
          subscriptionId: emu.subscriptionId,
        }
      : undefined,
  );
  stubs.push(stub);
  return { stub, env: { ...stub.env } };
}

function creds(emu: Emulator, override: Record<string, string>): string {
  return JSON.stringify({ ...JSON.parse(emu.creds), ...override });
}

/** The one `::error::` line of a run (exactly one, on one line). */
function theError(result: RunResult): string {
  const errors = errorLines(result.stdout);
  expect(errors, describeRun(result)).toHaveLength(1);
  const [message = ""] = errors;
  expect(message).not.toContain("\n");
  return message;
}

function armRequests(emu: Emulator): number {
  return emu.requests.filter((r) => r.path.toLowerCase().startsWith("/subscriptions/")).length;
}

describe("each way of signing in rolls out", () => {
  const ways: ReadonlyArray<{
    name: string;
    emulator?: EmulatorOptions;
    setup: (emu: Emulator) => { inputs: Inputs; env: EnvVars; stub?: FakeAz };
    check?: (emu: Emulator, result: RunResult, stub?: FakeAz) => void;
  }> = [
    {
      name: "creds (azure/login's service principal JSON)",
      setup: (emu) => ({ inputs: { auth: "creds", creds: emu.creds, "subscription-id": undefined }, env: {} }),
      check: (emu) => {
        const tokenRequests = emu.requests.filter((r) => r.operation === "Entra.Token");
        expect(tokenRequests.length).toBeGreaterThanOrEqual(1);
        expect((tokenRequests[0]?.body as Record<string, string>)["client_secret"]).toBe("***");
      },
    },
    {
      name: "auth auto picks creds",
      setup: (emu) => ({ inputs: { auth: "auto", creds: emu.creds }, env: {} }),
    },
    {
      name: "OIDC, the access token refreshed mid-rollout with a new GitHub ID token",
      // Tokens live 2 s; the rollout (3 batches of ~1 s) outlives several of them.
      emulator: {
        tokenLifetimeSeconds: 2,
        githubTokenLifetimeSeconds: 2,
        scaleSets: [{ name: "vmss-demo", instances: 6, instanceUpgradeSeconds: 900 }],
      },
      setup: (emu) => ({ inputs: { ...oidcInputs(emu), "batch-size": "2" }, env: oidcEnv(emu) }),
      check: (emu, result) => {
        const idTokenRequests = emu.requests.filter((r) => r.operation === "GitHub.IdToken");
        expect(idTokenRequests.length, requestLog(emu)).toBeGreaterThanOrEqual(2);
        expect(idTokenRequests.every((r) => r.status === 200)).toBe(true);
        expect(idTokenRequests[0]?.query["audience"]).toBe("api://AzureADTokenExchange");
        const assertions = emu.requests.filter((r) => r.operation === "Entra.Token" && r.status === 200);
        expect(assertions.length).toBeGreaterThanOrEqual(2);
        // A token was fetched after the first manualupgrade, i.e. during the rollout.
        const firstUpgrade = emu.requests.find((r) => /\/manualupgrade$/i.test(r.path))?.seq ?? Infinity;
        expect(
          idTokenRequests.some((r) => r.seq > firstUpgrade),
          requestLog(emu),
        ).toBe(true);
        // No ARM call was refused for an expired token.
        expect(
          emu.requests.filter((r) => r.status === 401),
          requestLog(emu),
        ).toEqual([]);
        expect(leaks(result, { "ID token request token": emu.oidc.requestToken })).toEqual([]);
      },
    },
    {
      name: "auth auto picks OIDC from client-id and tenant-id",
      setup: (emu) => ({ inputs: { ...oidcInputs(emu), auth: "auto" }, env: oidcEnv(emu) }),
      check: (emu) => expect(emu.counters()["GitHub.IdToken"] ?? 0).toBeGreaterThanOrEqual(1),
    },
    {
      name: "azure-cli (the stub az, signed in by an earlier azure/login, first on PATH)",
      setup: (emu) => {
        const { stub, env } = azureCli(emu);
        return { inputs: { auth: "azure-cli", creds: undefined, "subscription-id": emu.subscriptionId }, env, stub };
      },
      check: (_emu, _result, stub) => {
        expect(stub?.calls().some((args) => args.slice(0, 2).join(" ") === "account get-access-token")).toBe(true);
      },
    },
  ];

  it.each(ways)("$name", async ({ emulator: options, setup, check }) => {
    const emu = await emulator(options);
    const { inputs, env, stub } = setup(emu);
    const result = await runAction({
      emu,
      inputs: { ...FAST, "image-version": NEW_VERSION, ...inputs },
      env: { ...env, ACTIONS_STEP_DEBUG: "true", RUNNER_DEBUG: "1" },
    });

    expectExit(result, 0);
    expect(result.outputs["result"]).toBe("succeeded");
    const instances = sortedIds(emu.state().instances.map((i) => i.instanceId));
    expect(sortedIds(idList(result.outputs, "updated-instances"))).toEqual(instances);
    expect(emu.state().instances.every((i) => i.latestModelApplied)).toBe(true);
    expectNoSecrets(result, emu);
    check?.(emu, result, stub);
  });
});

describe("each sign-in failure is one error line and exit 1", () => {
  const failures: ReadonlyArray<{
    name: string;
    emulator?: EmulatorOptions;
    setup: (emu: Emulator) => { inputs: Inputs; env: EnvVars };
    says: RegExp;
    /** The input parser refuses it: not even a token request is made. */
    noRequest?: boolean;
  }> = [
    {
      name: "wrong client secret",
      setup: (emu) => ({ inputs: { creds: creds(emu, { clientSecret: WRONG_SECRET }) }, env: {} }),
      says: /secret/i,
    },
    {
      name: "wrong tenant",
      setup: (emu) => ({ inputs: { creds: creds(emu, { tenantId: OTHER_TENANT }) }, env: {} }),
      says: /tenant/i,
    },
    {
      name: "GitHub token's subject has no federated credential",
      emulator: { githubSubject: "repo:octo/app:ref:refs/heads/feature" },
      setup: (emu) => ({ inputs: oidcInputs(emu), env: oidcEnv(emu) }),
      says: /federated|subject/i,
    },
    {
      name: "OIDC without ACTIONS_ID_TOKEN_REQUEST_URL (no id-token: write)",
      setup: (emu) => ({
        inputs: oidcInputs(emu),
        env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined },
      }),
      says: /id-token: write/,
      noRequest: true,
    },
    {
      name: "azure-cli without an earlier az login",
      setup: (emu) => ({
        inputs: { auth: "azure-cli", creds: undefined, "subscription-id": emu.subscriptionId },
        env: azureCli(emu, false).env,
      }),
      says: /az login|azure\/login/i,
    },
  ];

  it.each(failures)("$name", async ({ emulator: options, setup, says, noRequest }) => {
    const emu = await emulator(options);
    const { inputs, env } = setup(emu);
    const result = await runAction({
      emu,
      inputs: { ...FAST, "image-version": NEW_VERSION, ...inputs },
      env: { ...env, ACTIONS_STEP_DEBUG: "true", RUNNER_DEBUG: "1" },
    });

    expectExit(result, 1);
    expect(theError(result)).toMatch(says);
    expect(armRequests(emu), requestLog(emu)).toBe(0);
    expect(emu.writes()).toEqual([]);
    if (noRequest) expect(emu.requests, requestLog(emu)).toEqual([]);
    expectNoSecrets(result, emu, { "wrong secret": WRONG_SECRET });
  });
});
