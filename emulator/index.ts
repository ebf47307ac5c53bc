// The Azure Compute emulator: Azure Resource Manager + Microsoft.Compute scale sets + Microsoft Entra token endpoint
// + GitHub's OIDC token endpoint, over HTTPS on 127.0.0.1. Start it in-process with start(); see README.md.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Arm } from "./arm/routes.ts";
import { DEFAULT_SCALE_SET } from "./arm/seed.ts";
import { Upgrades } from "./arm/upgrades.ts";
import { Clock } from "./clock.ts";
import { Entra } from "./entra.ts";
import { Faults } from "./faults.ts";
import { GITHUB_API_PREFIX, GitHubApi } from "./github-api.ts";
import { GITHUB_TOKEN_PATH, GitHubOidc } from "./github-oidc.ts";
import { keyPair } from "./jwt.ts";
import { RequestLog } from "./log.ts";
import { createEmulatorServer } from "./server.ts";
import { Throttle } from "./throttle.ts";
import type { Incoming } from "./http.ts";
import type { Emulator, EmulatorOptions, InstancePatch, LatencyOption, ScaleSetSnapshot } from "./types.ts";

export type * from "./types.ts";

export const CA_PATH = join(import.meta.dirname, "tls", "cert.pem");
const KEY_PATH = join(import.meta.dirname, "tls", "key.pem");

/** Fixed identities, so printed values and docs stay stable between runs (the client secret is per run). */
export const TENANT_ID = "7d1a4c6e-0000-4000-8000-0000000e0a11";
export const SUBSCRIPTION_ID = "5c2f9b8a-0000-4000-8000-000000005ab5";
export const CLIENT_ID = "3e8d6f41-0000-4000-8000-0000000c11e7";

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = new Clock(options.speed ?? 1, options.sleep);
  const caPem = readFileSync(CA_PATH, "utf8");
  const clientSecret = `emu8Q~${randomBytes(24).toString("base64url")}`;
  const requestToken = randomBytes(32).toString("base64url");
  const githubKey = keyPair("emulator-github-oidc");
  const federatedSubject = options.federatedCredential?.subject ?? "repo:octo/app:ref:refs/tags/v1";
  const seeds = options.scaleSets ?? [DEFAULT_SCALE_SET];
  if (seeds.length === 0) throw new Error("start(): scaleSets must not be empty");

  const entra = new Entra({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    federatedSubject,
    federatedAudience: options.federatedCredential?.audience ?? "api://AzureADTokenExchange",
    githubKey,
  });
  const github = new GitHubOidc({
    requestToken,
    subject: options.githubSubject ?? federatedSubject,
    lifetimeSeconds: options.githubTokenLifetimeSeconds ?? 300,
    key: githubKey,
  });
  const githubApi = new GitHubApi({
    token: `ghs_${randomBytes(27).toString("base64url")}`,
    repository: options.githubRepository ?? "octo/app",
  });
  let arm: Arm | undefined;
  const faults = new Faults({
    deleteScaleSet: (name) => arm?.deleteScaleSet(name),
    expireTokens: () => entra.expireIssuedTokens(),
    preemptRunning: (operation, end) => arm?.preemptRunning(operation, end) ?? false,
    concurrentWrite: (scaleSet, write) => arm?.concurrentWrite(scaleSet, write),
    findInstance: (scaleSet, instanceId) => {
      const set = arm?.scaleSetNamed(scaleSet);
      return set && !set.deleted && set.vms.has(instanceId) ? set.name : undefined;
    },
    deleteInstance: (scaleSet, instanceId) => {
      const set = arm?.scaleSetNamed(scaleSet);
      if (set?.vms.has(instanceId)) set.deleteVm(instanceId);
    },
  });
  arm = new Arm(
    {
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      pageSize: options.pageSize ?? 50,
      pollRetryAfterSeconds: options.pollRetryAfterSeconds,
      platformImages: new Map(
        Object.entries(options.platformImages ?? {}).map(([image, versions]) => [image.toLowerCase(), [...versions]]),
      ),
      deprecatedImages: new Map(
        Object.entries(options.deprecatedImages ?? {}).map(([image, status]) => [image.toLowerCase(), { ...status }]),
      ),
      vmListExtensionsById: options.vmListExtensionsById ?? false,
      galleryImages: new Map(
        Object.entries(options.galleryImages ?? {}).map(([id, versions]) => [id.toLowerCase(), { ...versions }]),
      ),
      upgrades: new Upgrades(clock, faults, options.modelUpdateSeconds ?? 5),
      faults,
      clock,
    },
    seeds,
  );
  const log = new RequestLog();
  let endpoint = "";
  const server = createEmulatorServer({
    key: readFileSync(KEY_PATH, "utf8"),
    cert: caPem,
    entra,
    github,
    githubApi,
    arm,
    faults,
    throttle: new Throttle(options.throttle ?? false, clock.speed, options.throttleNow),
    log,
    audiences: () => options.armAudiences ?? [`${endpoint}/`, endpoint],
    latency: latencyOf(options.latencyMs ?? 0),
    delay: (ms) => clock.sleep(ms / 1000),
    region: [...arm.scaleSets.values()][0]?.location ?? "westeurope",
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const armState = arm;

  const findSet = (name?: string) => {
    const sets = [...armState.scaleSets.values()];
    const set = name === undefined ? sets[0] : sets.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!set) throw new Error(`emulator: no scale set named ${name ?? "(default)"}`);
    return set;
  };
  const creds = JSON.stringify({
    clientId: CLIENT_ID,
    clientSecret,
    tenantId: TENANT_ID,
    subscriptionId: SUBSCRIPTION_ID,
    resourceManagerEndpointUrl: endpoint,
  });
  const oidc = { requestUrl: `${endpoint}${GITHUB_TOKEN_PATH}?api-version=2.0`, requestToken };

  return {
    armEndpoint: endpoint,
    authorityHost: endpoint,
    caPath: CA_PATH,
    caPem,
    tenantId: TENANT_ID,
    subscriptionId: SUBSCRIPTION_ID,
    clientId: CLIENT_ID,
    clientSecret,
    creds,
    oidc,
    env(scaleSet, envOptions = {}) {
      const set = findSet(scaleSet);
      const common = {
        NODE_EXTRA_CA_CERTS: CA_PATH,
        "INPUT_ARM-ENDPOINT": endpoint,
        "INPUT_AUTHORITY-HOST": endpoint,
        "INPUT_SUBSCRIPTION-ID": SUBSCRIPTION_ID,
        "INPUT_RESOURCE-GROUP": set.resourceGroup,
        "INPUT_SCALE-SET": set.name,
        GITHUB_API_URL: `${endpoint}${GITHUB_API_PREFIX}`,
        "INPUT_GITHUB-TOKEN": githubApi.token,
      };
      if (envOptions.auth === "oidc") {
        return {
          ...common,
          "INPUT_CLIENT-ID": CLIENT_ID,
          "INPUT_TENANT-ID": TENANT_ID,
          ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
        };
      }
      return { ...common, INPUT_CREDS: creds };
    },
    get requests() {
      return log.entries;
    },
    writes() {
      return log.entries.filter(
        (e) => ["PUT", "PATCH", "POST", "DELETE"].includes(e.method) && !/^(Entra|GitHub)\./.test(e.operation),
      );
    },
    counters: () => log.counters(),
    scaleSets() {
      return [...armState.scaleSets.values()]
        .filter((s) => !s.deleted)
        .map((s) => ({
          name: s.name,
          resourceGroup: s.resourceGroup,
          upgradeMode: s.upgradeMode,
          instances: s.vms.size,
        }));
    },
    state(scaleSet): ScaleSetSnapshot {
      const set = findSet(scaleSet);
      return structuredClone({
        name: set.name,
        resourceGroup: set.resourceGroup,
        deleted: set.deleted,
        model: set.render(),
        instances: set.sortedVms().map((vm) => {
          const view = set.flexible
            ? set.renderStandaloneVm(vm, { instanceView: false })
            : set.renderVm(vm, { instanceView: false });
          const extensions: Record<string, { settings?: unknown; forceUpdateTag?: string }> = {};
          for (const ext of vm.profile["extensionProfile"]?.["extensions"] ?? []) {
            extensions[String(ext["name"])] = {
              settings: ext["properties"]?.["settings"],
              forceUpdateTag: ext["properties"]?.["forceUpdateTag"],
            };
          }
          return {
            instanceId: vm.instanceId,
            name: vm.name,
            latestModelApplied: set.isLatest(vm),
            imageReference: view["properties"]["storageProfile"]["imageReference"],
            extensions,
            provisioningState: vm.provisioningState,
            powerState: vm.powerState,
            ...(set.reportsHealth(vm) ? { health: vm.health } : {}),
            extensionStates: Object.fromEntries(
              Object.keys(extensions).map((name) => [name, set.extensionState(vm, name)]),
            ),
            protected: vm.protectFromScaleSetActions,
            ...(vm.error ? { error: { code: vm.error.code, message: vm.error.message } } : {}),
          };
        }),
        operations: [...armState.operations.values()]
          .filter((op) => op.scaleSetKey === set.key)
          .map((op) => op.snapshot()),
        ...(set.rolling ? { rollingUpgrade: set.rolling.snapshot() } : {}),
      });
    },
    setInstance(scaleSet: string, instanceId: string, patch: InstancePatch) {
      const set = findSet(scaleSet);
      const vm = set.vms.get(instanceId);
      if (!vm) throw new Error(`emulator: no instance ${instanceId} in ${scaleSet}`);
      if (patch.extensions !== undefined) set.setExtensionStatuses(vm, patch.extensions);
      if (patch.health !== undefined) vm.health = patch.health;
      if (patch.protected !== undefined) {
        vm.protectFromScaleSetActions = patch.protected;
        vm.protectFromScaleIn = patch.protected;
      }
      if (patch.powerState !== undefined) vm.powerState = patch.powerState as typeof vm.powerState;
      if (patch.provisioningState !== undefined)
        vm.provisioningState = patch.provisioningState as typeof vm.provisioningState;
    },
    deleteInstance(scaleSet: string, instanceId: string) {
      findSet(scaleSet).deleteVm(instanceId);
    },
    instanceHistory(scaleSet: string, instanceId: string) {
      const vm = findSet(scaleSet).vms.get(instanceId);
      if (!vm) throw new Error(`emulator: no instance ${instanceId} in ${scaleSet}`);
      return vm.history.map((change) => ({ ...change }));
    },
    faults,
    github: {
      get apiUrl() {
        return `${endpoint}${GITHUB_API_PREFIX}`;
      },
      token: githubApi.token,
      repository: options.githubRepository ?? "octo/app",
      deployments: () => githubApi.deployments(),
      setPermission: (permission) => void (githubApi.permission = permission),
      failStatusChecks: (contexts) => void (githubApi.failedContexts = [...contexts]),
      setRefs: (refs) => void (githubApi.refs = refs),
      holdRequests: (seconds) => void (githubApi.holdSeconds = seconds),
    },
    resetLog: () => log.reset(),
    async stop() {
      clock.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Simulated milliseconds of latency for an ARM request, per the `latencyMs` option. */
function latencyOf(option: LatencyOption): (operation: string, req: Incoming) => number {
  if (typeof option === "number") return () => option;
  const base = option.default ?? 0;
  const list = option.list ?? base;
  const page = option.page ?? list;
  return (operation, req) => {
    if (
      operation !== "VirtualMachineScaleSetVMs.List" &&
      operation !== "VirtualMachineScaleSetExtensions.List" &&
      operation !== "VirtualMachines.List" &&
      operation !== "VirtualMachines.ListAll"
    )
      return base;
    return req.query.has("$skiptoken") ? page : list;
  };
}
