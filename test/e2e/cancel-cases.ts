// Where a cancel can find the action, as end-to-end cases shared by the tests that check what a cancelled run reports
// (cancel.test.ts, sign-in-cancel.test.ts) and the benchmark that measures how soon it ends (bench/cancel.ts; issue
// #18: within 5 s of the signal, whatever the action is waiting on). Each case starts an emulator through the context
// it is given (the tests': stopped after the test; the bench's: after each run), starts the action, and resolves once
// the action is in the wait the case is about. Free of vitest, so that the benchmark can load it.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Emulator, EmulatorOptions, ScaleSetSeed } from "../../emulator/types.ts";
import { fakeAz } from "../support/fake-az/index.ts";
import { instanceIds, ORCHESTRATIONS } from "../support/orchestrations.ts";
import { FAST, manualUpgrades, ROOT, startAction, until, type RunningAction } from "./harness.ts";

export const NEW_VERSION = "24.04.202502210";

export interface CaseContext {
  /** Starts an emulator (speed 0.001 unless given), stopped once the case's run is over. */
  readonly emulator: (options: EmulatorOptions) => Promise<Emulator>;
  /** Something to undo once the case's run is over (a server, a stub's files). */
  readonly cleanup: (undo: () => void) => void;
}

/** The action, running and held in the case's wait. */
export interface Held {
  readonly emu: Emulator;
  readonly running: RunningAction;
}

export interface CancelCase {
  readonly name: string;
  /** The signal sent: SIGINT, the runner's first, or SIGTERM (the runner's second; a container's stop). */
  readonly signal: "SIGINT" | "SIGTERM";
  readonly hold: (context: CaseContext) => Promise<Held>;
  /** The `result` output the run ends with: `cancelled`, unless it had failed before the cancel came. */
  readonly result?: "failed";
}

type Seed = Partial<ScaleSetSeed>;

export const UPGRADE_SET = "vmss-cancel";

/**
 * Six instances in batches of 2: batch 1 (i0, i1) finishes quickly; in batch 2 i3 finishes and i2 never does (its
 * upgrade hangs); i4 and i5 wait. Held once batch 2 is under way and i3 is on the new model.
 */
export function upgradeUnderWay(seed: Seed): CancelCase["hold"] {
  return async ({ emulator }) => {
    const emu = await emulator({
      scaleSets: [{ name: UPGRADE_SET, instances: 6, instanceUpgradeSeconds: 30, ...seed }],
    });
    const [, , i2 = "", i3 = ""] = instanceIds(emu, UPGRADE_SET);
    emu.faults.hangUpgrade(i2, { scaleSet: UPGRADE_SET });
    const running = startAction({
      emu,
      scaleSet: UPGRADE_SET,
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "max-unhealthy": "100%" },
      killAfterMs: 60_000,
    });
    const instance = (id: string) => emu.state(UPGRADE_SET).instances.find((i) => i.instanceId === id);
    await until(
      () => manualUpgrades(emu).length >= 2 && instance(i3)?.latestModelApplied === true,
      "batch 2 to be under way",
    );
    return { emu, running };
  };
}

/** One of the adapter's waits between requests, found from the emulator's side: what was answered, then quiet. */
export interface Wait {
  readonly name: string;
  readonly options: EmulatorOptions;
  readonly arrange: (emu: Emulator) => void;
  /** True once the action has reached the wait. */
  readonly waiting: (emu: Emulator) => boolean;
}

export const WAITS: readonly Wait[] = [
  {
    // 40 pages of one instance against a bucket of 30 (HighCostGetVMScaleSet, 10 a minute): once the bucket is empty
    // the adapter waits for each further page's token (list-budget.ts), 6 s at the published refill rate; the signal
    // lands about 1 s into the first of those waits.
    name: "the instance list's throttling bucket",
    options: { speed: 0.01, throttle: true, pageSize: 1 },
    arrange: () => {},
    waiting: (emu) => (emu.counters()["VirtualMachineScaleSetVMs.List"] ?? 0) >= 1,
  },
  {
    // Every list answered 429 with Retry-After 60 s: the read retry (retry.ts) waits that long before trying again.
    name: "a read retry's backoff (429, Retry-After 60 s)",
    options: { speed: 0.01 },
    arrange: (emu) =>
      emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", times: 1_000, retryAfterSeconds: 60 }),
    waiting: (emu) => (emu.counters()["Throttled"] ?? 0) >= 1,
  },
];

export const WAIT_SET = "vmss-wait";

// Uniform and Flexible: a Flexible set's listing starts with the same scale-set VM list (then the standalone VM list),
// so the waits are met there too. Whether latestModelApplied is reported matters only once both lists are read, after
// the wait: Flexible runs once, without it (the listing that also reads the model).
export const WAIT_CASES = ORCHESTRATIONS.filter((o) => o.seed.latestModelApplied !== "reported").flatMap(
  ({ mode, seed }) => WAITS.map((wait) => ({ mode, seed, wait })),
);

/** Held in `wait`, with no request for 1 s: in the wait, not between requests. Nothing is upgraded yet. */
export function inWait(wait: Wait, seed: Seed): CancelCase["hold"] {
  return async ({ emulator }) => {
    const emu = await emulator({ ...wait.options, scaleSets: [{ name: WAIT_SET, instances: 40, ...seed }] });
    wait.arrange(emu);
    const running = startAction({
      emu,
      scaleSet: WAIT_SET,
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "50%", timeout: "10m" },
      killAfterMs: 120_000,
    });
    await until(() => wait.waiting(emu), "the action to reach the wait", 60_000);
    let seen = emu.requests.length;
    let quietSince = Date.now();
    await until(
      () => {
        if (emu.requests.length !== seen) [seen, quietSince] = [emu.requests.length, Date.now()];
        return Date.now() - quietSince >= 1_000;
      },
      "a quiet spell",
      60_000,
    );
    return { emu, running };
  };
}

export const GITHUB_SET = "vmss-gh";

/** The action as a release pipeline runs it: a tag pushed, a GitHub deployment asked for (GITHUB_SET). */
function launchRelease(emu: Emulator): RunningAction {
  return startAction({
    emu,
    scaleSet: GITHUB_SET,
    inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "deployment-environment": "production" },
    env: { GITHUB_REF: "refs/tags/v1.4.0" },
    killAfterMs: 60_000,
  });
}

/**
 * GitHub's Deployments API takes requests and answers none; held once batch 1 has started. The deployment's creation,
 * sent when the model write was accepted, is still waiting at the cancel and is cut off 4.5 s after it; with no
 * deployment, no status follows. With `finalStepsHeld`, the instance lists and tag writes are held from then on too
 * (60 s each): the run's final steps after the cancel (its last listing, the record's outcome and the lease's release)
 * are each cut off at their budget meanwhile.
 */
export function gitHubHeld(finalStepsHeld = false): CancelCase["hold"] {
  return async ({ emulator }) => {
    const emu = await emulator({ scaleSets: [{ name: GITHUB_SET, instances: 4, instanceUpgradeSeconds: 30 }] });
    emu.github.holdRequests(60);
    const running = launchRelease(emu);
    await until(() => manualUpgrades(emu).length >= 1, "batch 1 to start");
    if (finalStepsHeld) {
      let listed = false;
      emu.faults.onRequest({ operation: "VirtualMachineScaleSetVMs.List", when: "before" }, () => (listed = true));
      for (const operation of ["VirtualMachineScaleSetVMs.List", "VirtualMachineScaleSets.UpdateTags"])
        emu.faults.hangRequest({ operation, seconds: 60, times: 100 });
      await until(() => listed, "a listing to be held");
    }
    return { emu, running };
  };
}

/**
 * GitHub slow, not silent: every Deployments API call answered `callSeconds` after it is sent. The deployment's
 * creation goes out when the model write is accepted; the cancel comes so that it is answered `createdAfterCancelMs`
 * after the cancel: then the in_progress status and the final status follow it, one after the other, each a slow
 * call. Azure answers at once. (A review, 2026-12-07: each call after the cancel had its own second, and such a run
 * ended up to 5.8 s after the cancel.)
 */
export function gitHubSlow(createdAfterCancelMs: number, callSeconds = 6): CancelCase["hold"] {
  return async ({ emulator }) => {
    const emu = await emulator({ scaleSets: [{ name: GITHUB_SET, instances: 4, instanceUpgradeSeconds: 30 }] });
    const [i0 = ""] = instanceIds(emu, GITHUB_SET);
    emu.faults.hangUpgrade(i0, { scaleSet: GITHUB_SET });
    emu.github.holdRequests(callSeconds);
    let createSentAt = 0;
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Update", when: "after" }, () => {
      createSentAt ||= Date.now();
    });
    const running = launchRelease(emu);
    await until(() => createSentAt > 0, "the model write to be answered");
    const cancelAt = createSentAt + callSeconds * 1_000 - createdAfterCancelMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cancelAt - Date.now())));
    return { emu, running };
  };
}

/**
 * Cancelled while the lease's take (a tag write) is held, applied but unanswered, the instance lists held too: no
 * write started, so the deployment is created only at the end, after the run's final steps (cut off at their
 * budgets), then given its status: two GitHub calls after those steps, each answered in `callSeconds`.
 */
export function leaseTakeHeld(callSeconds: number): CancelCase["hold"] {
  return async ({ emulator }) => {
    const emu = await emulator({ scaleSets: [{ name: GITHUB_SET, instances: 4 }] });
    emu.github.holdRequests(callSeconds);
    let taking = false;
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateTags", when: "before" }, () => (taking = true));
    emu.faults.hangRequest({
      operation: "VirtualMachineScaleSets.UpdateTags",
      seconds: 60,
      times: 100,
      afterProcessing: true,
    });
    const running = launchRelease(emu);
    await until(() => taking, "the lease's take to be held");
    emu.faults.hangRequest({ operation: "VirtualMachineScaleSetVMs.List", seconds: 60, times: 100 });
    return { emu, running };
  };
}

export const ENGINE_SET = "vmss-final";

/**
 * The run already on its final steps when the cancel comes: batch 1's next listing is refused (403, a role removed),
 * which stops the run on an error, and its final listing is held (60 s). As test/integration/final-steps.test.ts's
 * first case, as a process.
 */
export const finalListingAfterError: CancelCase["hold"] = async ({ emulator }) => {
  const emu = await emulator({ scaleSets: [{ name: ENGINE_SET, instances: 4, instanceUpgradeSeconds: 300 }] });
  const running = startAction({
    emu,
    scaleSet: ENGINE_SET,
    inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", timeout: "10m", "health-timeout": "1m" },
    killAfterMs: 60_000,
  });
  await until(() => manualUpgrades(emu).length >= 1, "batch 1 to start");
  // The next listing is refused, the one after it (the final listing) held. A trigger and a fault are taken at the
  // same point of a request, so one already past it when they are armed counts for neither.
  let held = false;
  emu.faults.onRequest({ operation: "VirtualMachineScaleSetVMs.List", when: "before", after: 1 }, () => (held = true));
  emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSetVMs.List", times: 1 });
  emu.faults.hangRequest({ operation: "VirtualMachineScaleSetVMs.List", seconds: 60, times: 10 });
  await until(() => held, "the final listing to be held");
  return { emu, running };
};

/**
 * A rollback under way when the cancel comes: batch 2 turns unhealthy, the run rolls back (rollback-on-failure), and
 * once the rollback's manualupgrade is sent the instance lists and tag writes are held (60 s). As
 * test/integration/final-steps.test.ts's rollback case, as a process.
 */
export const duringRollback: CancelCase["hold"] = async ({ emulator }) => {
  const emu = await emulator({
    scaleSets: [{ name: ENGINE_SET, instances: 4, healthExtension: true, instanceUpgradeSeconds: 30 }],
  });
  const [, , i2 = "", i3 = ""] = instanceIds(emu, ENGINE_SET);
  emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: ENGINE_SET, instanceIds: [i2, i3] });
  const running = startAction({
    emu,
    scaleSet: ENGINE_SET,
    // health-timeout: batch 2's Unhealthy instances are waited for that long before the rollback starts (and it is the
    // rollback's own time, which outlasts the cancel that follows at once).
    inputs: {
      ...FAST,
      "image-version": NEW_VERSION,
      "batch-size": "2",
      "rollback-on-failure": "true",
      "health-timeout": "8s",
    },
    killAfterMs: 60_000,
  });
  await until(() => manualUpgrades(emu).length >= 3, "the rollback's manualupgrade");
  for (const operation of ["VirtualMachineScaleSetVMs.List", "VirtualMachineScaleSets.UpdateTags"])
    emu.faults.hangRequest({ operation, seconds: 60, times: 100 });
  return { emu, running };
};

/** A server that takes requests and never answers; `asked` resolves at the first. HTTPS with the emulator's cert. */
async function silentServer(tls: boolean, cleanup: CaseContext["cleanup"]) {
  let seen!: () => void;
  const asked = new Promise<void>((resolve) => (seen = resolve));
  const onRequest = (): void => seen(); // never answered
  const tlsDir = join(ROOT, "emulator", "tls");
  const server: Server = tls
    ? createHttpsServer(
        { key: readFileSync(join(tlsDir, "key.pem")), cert: readFileSync(join(tlsDir, "cert.pem")) },
        onRequest,
      )
    : createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `${tls ? "https" : "http"}://127.0.0.1:${port}`, asked };
}

export interface SignIn {
  readonly name: string;
  /** Inputs and environment whose sign-in waits on a request never answered; `asked` once it has gone out. */
  setup(
    emu: Emulator,
    cleanup: CaseContext["cleanup"],
  ): Promise<{ inputs: Record<string, string | undefined>; env: Record<string, string>; asked: Promise<void> }>;
}

export const SIGN_INS: readonly SignIn[] = [
  {
    name: "creds (a client secret), Entra not answering",
    setup: async (_emu, cleanup) => {
      const entra = await silentServer(true, cleanup);
      return { inputs: { "authority-host": entra.url }, env: {}, asked: entra.asked };
    },
  },
  {
    name: "oidc, GitHub's ID-token endpoint not answering",
    setup: async (emu, cleanup) => {
      const github = await silentServer(false, cleanup);
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
    setup: async (emu, cleanup) => {
      const entra = await silentServer(true, cleanup);
      const stub = fakeAz({
        authorityHost: entra.url,
        tenantId: emu.tenantId,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        subscriptionId: emu.subscriptionId,
      });
      cleanup(() => stub.cleanup());
      const inputs = { auth: "azure-cli", creds: undefined, "subscription-id": emu.subscriptionId };
      return { inputs, env: stub.env, asked: entra.asked };
    },
  },
];

export const SIGN_IN_SET = "vmss-signin";

/** Held once the sign-in's token request, never answered, has gone out (or the action ended first). */
export function signInHeld(signIn: SignIn, inputs: Record<string, string> = {}): CancelCase["hold"] {
  return async ({ emulator, cleanup }) => {
    const emu = await emulator({ scaleSets: [{ name: SIGN_IN_SET, instances: 2 }] });
    const setup = await signIn.setup(emu, cleanup);
    const running = startAction({
      emu,
      scaleSet: SIGN_IN_SET,
      inputs: { ...FAST, "image-version": NEW_VERSION, ...setup.inputs, ...inputs },
      env: setup.env,
      killAfterMs: 60_000,
    });
    await Promise.race([setup.asked, running.done]);
    return { emu, running };
  };
}

/** Every case above, for the benchmark. */
export const CANCEL_CASES: readonly CancelCase[] = [
  ...ORCHESTRATIONS.map(({ mode, seed }) => ({
    name: `an upgrade under way (${mode})`,
    signal: "SIGINT" as const,
    hold: upgradeUnderWay(seed),
  })),
  ...WAIT_CASES.map(({ mode, seed, wait }) => ({
    name: `${wait.name} (${mode})`,
    signal: "SIGTERM" as const,
    hold: inWait(wait, seed),
  })),
  { name: "GitHub's Deployments API not answering", signal: "SIGINT", hold: gitHubHeld() },
  {
    name: "GitHub not answering, and the final steps' listing and tag writes held",
    signal: "SIGINT",
    hold: gitHubHeld(true),
  },
  {
    name: "GitHub answering in 6 s, the creation 2 s after the cancel",
    signal: "SIGINT",
    hold: gitHubSlow(2_000),
  },
  {
    name: "GitHub answering in 6 s, the creation 4.2 s after the cancel",
    signal: "SIGINT",
    hold: gitHubSlow(4_200),
  },
  {
    name: "the lease's take and the lists held, GitHub answering in 0.6 s",
    signal: "SIGINT",
    hold: leaseTakeHeld(0.6),
  },
  { name: "the final listing after an error, held", signal: "SIGINT", hold: finalListingAfterError, result: "failed" },
  { name: "a rollback, its lists and tag writes held", signal: "SIGINT", hold: duringRollback, result: "failed" },
  ...SIGN_INS.map((signIn) => ({
    name: `sign-in: ${signIn.name}`,
    signal: "SIGTERM" as const,
    hold: signInHeld(signIn),
  })),
];
