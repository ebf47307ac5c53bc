// A cancel, or the run's timeout, while the action is still signing in (an audit, 2026-12-06): MSAL, GitHub's ID-token
// request and `az` take no signal, and a sign-in that never answered kept a cancelled job running until the runner
// killed it, with no summary and no outputs; the `timeout` input did not reach it either. Each way of signing in, its
// token request held unanswered: the action ends within 5 s of SIGTERM (or at its timeout) and says what happened.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeAz } from "../support/fake-az/index.ts";
import { describeRun, startAction, type RunResult } from "./harness.ts";
import { emulator, FAST, record } from "./fixtures.ts";

type Emulator = Awaited<ReturnType<typeof emulator>>;
const NEW_VERSION = "24.04.202502210";
const EXIT_WITHIN_MS = 5_000;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A server that takes requests and never answers; `asked` resolves at the first. HTTPS with the emulator's cert. */
async function silentServer(tls: boolean): Promise<{ url: string; asked: Promise<void> }> {
  let seen!: () => void;
  const asked = new Promise<void>((resolve) => (seen = resolve));
  const onRequest = (): void => seen(); // never answered
  const server: Server = tls
    ? createHttpsServer(
        { key: readFileSync("emulator/tls/key.pem"), cert: readFileSync("emulator/tls/cert.pem") },
        onRequest,
      )
    : createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `${tls ? "https" : "http"}://127.0.0.1:${port}`, asked };
}

interface SignIn {
  readonly name: string;
  /** Inputs and environment whose sign-in waits on a request never answered; `asked` once it has gone out. */
  setup(
    emu: Emulator,
  ): Promise<{ inputs: Record<string, string | undefined>; env: Record<string, string>; asked: Promise<void> }>;
}

const SIGN_INS: readonly SignIn[] = [
  {
    name: "creds (a client secret), Entra not answering",
    setup: async () => {
      const entra = await silentServer(true);
      return { inputs: { "authority-host": entra.url }, env: {}, asked: entra.asked };
    },
  },
  {
    name: "oidc, GitHub's ID-token endpoint not answering",
    setup: async (emu) => {
      const github = await silentServer(false);
      return {
        inputs: {
          auth: "oidc",
          creds: undefined,
          "client-id": emu.clientId,
          "tenant-id": emu.tenantId,
          "subscription-id": emu.subscriptionId,
        },
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: `${github.url}/token`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token-0123",
        },
        asked: github.asked,
      };
    },
  },
  {
    name: "azure-cli, `az account get-access-token` waiting on an Entra not answering",
    setup: async (emu) => {
      const entra = await silentServer(true);
      const stub = fakeAz({
        authorityHost: entra.url,
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        subscriptionId: emu.subscriptionId,
      });
      cleanups.push(() => stub.cleanup());
      const inputs = { auth: "azure-cli", creds: undefined, "subscription-id": emu.subscriptionId };
      return { inputs, env: stub.env, asked: entra.asked };
    },
  },
];

/** Starts the action; resolves once its sign-in waits on the request never answered. */
async function startHeld(signIn: SignIn, inputs: Record<string, string> = {}) {
  const emu = await emulator({ scaleSets: [{ name: "vmss-signin", instances: 2 }] });
  const setup = await signIn.setup(emu);
  const running = startAction({
    emu,
    scaleSet: "vmss-signin",
    inputs: { ...FAST, "image-version": NEW_VERSION, ...setup.inputs, ...inputs },
    env: setup.env,
    killAfterMs: 60_000,
  });
  await Promise.race([setup.asked, running.done]);
  return { emu, running };
}

function expectNothingWritten(emu: Emulator, result: RunResult): void {
  expect(
    emu.requests.filter((r) => r.method !== "GET"),
    describeRun(result),
  ).toEqual([]);
  expect(record(result).modelUpdated).toBe(false);
}

describe.each(SIGN_INS)("sign-in held unanswered: $name", (signIn) => {
  it("SIGTERM: exits within 5 s, result cancelled, with a summary", async () => {
    const { emu, running } = await startHeld(signIn);
    let killedLate = false;
    const guard = setTimeout(() => {
      killedLate = true;
      running.child.kill("SIGKILL");
    }, EXIT_WITHIN_MS);
    running.child.kill("SIGTERM");
    const result = await running.done;
    clearTimeout(guard);

    expect(killedLate, describeRun(result)).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.outputs["result"], describeRun(result)).toBe("cancelled");
    expect(result.summary).not.toBe("");
    expectNothingWritten(emu, result);
  });
});

describe("sign-in held unanswered past the run's timeout", () => {
  it("the timeout ends it: the job fails on the timeout, having written nothing", async () => {
    const { emu, running } = await startHeld(SIGN_INS[0]!, { timeout: "3s" });
    const result = await running.done;

    expect(result.killedByHarness, describeRun(result)).toBe(false);
    expect(result.durationMs).toBeLessThan(3_000 + EXIT_WITHIN_MS + 2_000);
    expect(result.exitCode).toBe(1);
    expect(record(result).reason ?? "", describeRun(result)).toMatch(/time/i);
    expectNothingWritten(emu, result);
  });
});
