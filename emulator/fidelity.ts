// `npm run fidelity`: checks the emulator against an independent client, Microsoft's Azure CLI. Starts the emulator
// in-process, points an installed `az` at it with nothing but `az cloud register` (which reads the emulator's
// /metadata/endpoints) and a CA bundle (REQUESTS_CA_BUNDLE) in a throw-away AZURE_CONFIG_DIR, then runs what a user
// would and checks the state each command reached in the emulator, not only its exit code. Skips (exit 0) with one
// line when `az` is not installed. Everything talks to 127.0.0.1 only.
//
// Options: FIDELITY_AZ=<path to az> (default: az on PATH); FIDELITY_AZ_PROFILE=<profile> (default: 2020-09-01-hybrid
// for az < 2.50, whose `latest` profile predates the emulator's wire shapes, else latest); FIDELITY_VERBOSE=1 prints
// each az command line and its output.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { start, SUBSCRIPTION_ID } from "./index.ts";
import type { Emulator, RequestLogEntry } from "./types.ts";

const RG = "rg-fidelity";
const VMSS = "vmss-fidelity";
/** A Flexible scale set in a group of its own (its VMs are the group's standalone VMs: `az vm list -g`). */
const RG_FLEX = "rg-fidelity-flex";
const FLEX = "vmss-flex";
const IMAGE = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "24.04.202409120" };
const NEW_VERSION = "24.04.202410020";
const FIXED_VERSION = "24.04.202411030";
const SCRIPT_V2 = "https://stvmssdemo.blob.core.windows.net/scripts/install-v2.sh";
const SCRIPT_V3 = "https://stvmssdemo.blob.core.windows.net/scripts/install-v3.sh";
const verbose = process.env["FIDELITY_VERBOSE"] === "1";

function findAz(): string | undefined {
  const explicit = process.env["FIDELITY_AZ"];
  if (explicit) return explicit;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "az");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface AzResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

class Fidelity {
  private readonly checks: { name: string; ok: boolean; detail: string }[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly azPath: string;

  constructor(azPath: string, emu: Emulator, configDir: string) {
    this.azPath = azPath;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) {
      // No proxy of our own, and none inherited: az must reach 127.0.0.1 directly.
      if (/^(https?_proxy|all_proxy)$/i.test(name) || /^AZURE_/.test(name)) delete env[name];
    }
    this.env = {
      ...env,
      AZURE_CONFIG_DIR: configDir,
      REQUESTS_CA_BUNDLE: emu.caPath,
      AZURE_CORE_COLLECT_TELEMETRY: "no",
      AZURE_CORE_SURVEY_MESSAGE: "no",
      AZURE_CORE_NO_COLOR: "true",
      AZURE_CORE_OUTPUT: "json",
      NO_PROXY: "127.0.0.1,localhost",
    };
  }

  async az(...args: string[]): Promise<AzResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(this.azPath, args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        const result = { code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 };
        if (verbose)
          console.log(`$ az ${args.join(" ")}  → ${result.code} in ${result.seconds.toFixed(1)} s\n${stdout}${stderr}`);
        resolve(result);
      });
    });
  }

  /** Runs az, expects exit 0 and JSON (or nothing) on stdout. */
  async azJson<T = any>(...args: string[]): Promise<T> {
    const result = await this.az(...args);
    if (result.code !== 0)
      throw new Error(`az ${args.join(" ")} exited ${result.code}: ${result.stderr.trim().slice(-800)}`);
    return (result.stdout.trim() ? JSON.parse(result.stdout) : undefined) as T;
  }

  async check(name: string, body: () => Promise<string | void>): Promise<void> {
    const started = Date.now();
    try {
      const detail = (await body()) ?? "";
      this.checks.push({ name, ok: true, detail });
      console.log(`ok   ${name}${detail ? ` — ${detail}` : ""} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.checks.push({ name, ok: false, detail });
      console.log(`FAIL ${name} — ${detail}`);
    }
  }

  get failed(): number {
    return this.checks.filter((c) => !c.ok).length;
  }

  get total(): number {
    return this.checks.length;
  }
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

/** Requests logged since `from` (an index into emu.requests). */
function since(emu: Emulator, from: number): readonly RequestLogEntry[] {
  return emu.requests.slice(from);
}

function azVersion(raw: string): string {
  try {
    const version = (JSON.parse(raw) as Record<string, unknown>)["azure-cli"];
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}

let known = false;

/** Checks a request shape for the az version whose requests are known; reports it for others. */
function expectRequest(actual: unknown, expected: unknown, what: string): string {
  if (known) expectEqual(actual, expected, what);
  return `${what}: ${JSON.stringify(actual)}`;
}

/** `az vmss update --set …imageReference.version=<version>` on the scale set `target` names; what az printed. */
function setImageVersion(f: Fidelity, target: readonly string[], version: string) {
  return f.azJson(
    "vmss",
    "update",
    ...target,
    "--set",
    `virtualMachineProfile.storageProfile.imageReference.version=${version}`,
  );
}

/**
 * `az vmss update --set tags.owner=ops`: the tags are set, and the VM profile and every instance's latestModelApplied
 * stay as they were (a tags-only write is no model change). Returns the scale set after it.
 */
async function tagsOnlyUpdate(
  f: Fidelity,
  state: () => ReturnType<Emulator["state"]>,
  target: readonly string[],
): Promise<ReturnType<Emulator["state"]>> {
  const before = state();
  await f.azJson("vmss", "update", ...target, "--set", "tags.owner=ops");
  const after = state();
  expectEqual(after.model["tags"], { owner: "ops" }, "tags");
  expectEqual(
    (after.model as any).properties.virtualMachineProfile,
    (before.model as any).properties.virtualMachineProfile,
    "virtualMachineProfile",
  );
  expectEqual(
    after.instances.map((i) => i.latestModelApplied),
    before.instances.map((i) => i.latestModelApplied),
    "latestModelApplied",
  );
  return after;
}

async function main(): Promise<number> {
  const azPath = findAz();
  if (!azPath) {
    console.log(
      "fidelity: SKIPPED — the Azure CLI (az) is not installed (Debian: apt-get install azure-cli; or set FIDELITY_AZ). Nothing was checked.",
    );
    return 0;
  }
  const emu = await start({
    speed: 0.01,
    pageSize: 2,
    pollRetryAfterSeconds: 1,
    scaleSets: [
      {
        name: VMSS,
        resourceGroup: RG,
        instances: 5,
        upgradeMode: "Manual",
        image: IMAGE,
        protectedInstances: ["4"],
        instanceUpgradeSeconds: 30,
      },
      {
        name: FLEX,
        resourceGroup: RG_FLEX,
        instances: 3,
        upgradeMode: "Manual",
        orchestrationMode: "Flexible",
        image: IMAGE,
        instanceUpgradeSeconds: 30,
      },
    ],
    galleryImages: {
      [`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal/images/web`]:
        {
          "1.0.0": { regions: ["West Europe"] },
          "1.1.0": { regions: ["West Europe", "North Europe"], replicating: ["North Europe"] },
        },
    },
  });
  const configDir = mkdtempSync(join(tmpdir(), "vmss-rollout-fidelity-"));
  const f = new Fidelity(azPath, emu, configDir);
  const state = () => emu.state(VMSS);
  const latest = () => state().instances.map((i) => i.latestModelApplied);
  const g = ["-g", RG];
  const n = ["-n", VMSS];
  /** `az vmss extension set` of the scale set's Custom Script extension; each check adds its own flags. */
  const extensionSet = [
    "vmss",
    "extension",
    "set",
    ...g,
    "--vmss-name",
    VMSS,
    "--name",
    "CustomScript",
    "--publisher",
    "Microsoft.Azure.Extensions",
    "--extension-instance-name",
    "customScript",
  ];
  try {
    const version = azVersion((await f.az("version", "-o", "json")).stdout);
    const [major = 0, minor = 0] = version.split(".").map(Number);
    // What az 2.45 sends is known from its source (custom.py get_vmss_modified, scale_vmss, reimage_vmss); newer
    // versions may send other bodies, so for them the request shapes are reported, the state reached is checked.
    known = major === 2 && minor < 50;
    const profile = process.env["FIDELITY_AZ_PROFILE"] ?? (major === 2 && minor < 50 ? "2020-09-01-hybrid" : "latest");
    console.log(`fidelity: Azure CLI ${version} at ${azPath}, profile ${profile}, emulator ${emu.armEndpoint}`);

    await f.check("cloud register reads /metadata/endpoints (login endpoint in the AD FS form)", async () => {
      await f.azJson(
        "cloud",
        "register",
        "-n",
        "EmulatorFidelity",
        "--endpoint-resource-manager",
        emu.armEndpoint,
        "--profile",
        profile,
      );
      await f.azJson("cloud", "set", "-n", "EmulatorFidelity");
      const cloud = await f.azJson("cloud", "show", "-n", "EmulatorFidelity");
      expectEqual(cloud.endpoints.activeDirectory, `${emu.armEndpoint}/adfs`, "activeDirectory endpoint");
      expectEqual(cloud.endpoints.activeDirectoryResourceId, `${emu.armEndpoint}/`, "activeDirectoryResourceId");
      expectTrue((emu.counters()["Metadata.Endpoints"] ?? 0) >= 1, "az did not read /metadata/endpoints");
    });

    await f.check("login --service-principal (AD FS authority, token, GET /subscriptions)", async () => {
      const from = emu.requests.length;
      const accounts = await f.azJson<any[]>(
        "login",
        "--service-principal",
        "-u",
        emu.clientId,
        "-p",
        emu.clientSecret,
        "--tenant",
        emu.tenantId,
      );
      expectEqual(
        accounts.map((a) => a.id),
        [emu.subscriptionId],
        "subscriptions found",
      );
      const ops = since(emu, from).map((r) => `${r.operation} ${r.status}`);
      expectTrue(
        ops.includes("Entra.OpenIdConfiguration 200") &&
          ops.includes("Entra.Token 200") &&
          ops.includes("Subscriptions.List 200"),
        `requests were ${ops.join(", ")}`,
      );
      return `${ops.length} requests: ${[...new Set(ops)].join(", ")}`;
    });

    await f.check("account show", async () => {
      const account = await f.azJson("account", "show");
      expectEqual(
        [account.id, account.name, account.state, account.user.type, account.user.name, account.environmentName],
        [emu.subscriptionId, "Emulator subscription", "Enabled", "servicePrincipal", emu.clientId, "EmulatorFidelity"],
        "account",
      );
    });

    await f.check("group list, vmss list (group and subscription)", async () => {
      const groups = await f.azJson<any[]>("group", "list");
      expectEqual(
        groups.map((x) => x.name),
        [RG, RG_FLEX],
        "groups",
      );
      expectEqual(
        (await f.azJson<any[]>("vmss", "list", ...g)).map((x) => x.name),
        [VMSS],
        "scale sets in the group",
      );
      expectEqual(
        (await f.azJson<any[]>("vmss", "list")).map((x) => x.name),
        [VMSS, FLEX],
        "scale sets in the subscription",
      );
    });

    await f.check("group exists (HEAD on the group: 204, or 404 for one that is not there)", async () => {
      expectEqual(
        [
          await f.azJson<boolean>("group", "exists", "-n", RG),
          await f.azJson<boolean>("group", "exists", "-n", "rg-none"),
        ],
        [true, false],
        "group exists",
      );
    });

    await f.check("vmss show", async () => {
      const vmss = await f.azJson("vmss", "show", ...g, ...n);
      expectEqual(vmss.upgradePolicy.mode, "Manual", "upgrade mode");
      expectEqual(vmss.sku.capacity, 5, "capacity");
      const ref = vmss.virtualMachineProfile.storageProfile.imageReference;
      expectEqual(
        [ref.publisher, ref.offer, ref.sku, ref.version],
        [IMAGE.publisher, IMAGE.offer, IMAGE.sku, IMAGE.version],
        "image",
      );
      expectEqual(
        vmss.upgradePolicy.rollingUpgradePolicy?.maxBatchInstancePercent,
        20,
        "default rolling policy of a Manual set",
      );
    });

    await f.check("vmss list-instances (paged by nextLink)", async () => {
      const from = emu.requests.length;
      const instances = await f.azJson<any[]>("vmss", "list-instances", ...g, ...n);
      expectEqual(
        instances.map((i) => i.instanceId),
        ["0", "1", "2", "3", "4"],
        "instance IDs",
      );
      expectTrue(
        instances.every((i) => i.latestModelApplied === true),
        "all instances current",
      );
      const pages = since(emu, from).filter((r) => r.operation === "VirtualMachineScaleSetVMs.List");
      expectEqual(pages.length, 3, "list pages (page size 2)");
      expectTrue(
        pages.slice(1).every((p) => "$skiptoken" in p.query),
        "later pages follow nextLink",
      );
      return `${pages.length} pages`;
    });

    await f.check("vmss get-instance-view (the set, all instances, one instance)", async () => {
      const view = await f.azJson("vmss", "get-instance-view", ...g, ...n);
      expectEqual(
        view.virtualMachine.statusesSummary,
        [{ code: "ProvisioningState/succeeded", count: 5 }],
        "statusesSummary",
      );
      const all = await f.azJson<any[]>("vmss", "get-instance-view", ...g, ...n, "--instance-id", "*");
      expectEqual(all.length, 5, "instance views");
      expectTrue(
        all.every((v) => v.statuses.some((s: { code: string }) => s.code === "PowerState/running")),
        "every instance running",
      );
      const one = await f.azJson("vmss", "get-instance-view", ...g, ...n, "--instance-id", "1");
      expectEqual(
        one.statuses.map((s: { code: string }) => s.code),
        ["ProvisioningState/succeeded", "PowerState/running"],
        "instance 1 statuses",
      );
    });

    await f.check("vmss update --set ...imageReference.version (PUT with imageReference {version} only)", async () => {
      const from = emu.requests.length;
      const vmss = await setImageVersion(f, [...g, ...n], NEW_VERSION);
      const put = since(emu, from).find((r) => r.method === "PUT");
      const sent = expectRequest(
        (put?.body as any)?.properties?.virtualMachineProfile?.storageProfile?.imageReference,
        { version: NEW_VERSION },
        "imageReference az sent",
      );
      const ref = vmss.virtualMachineProfile.storageProfile.imageReference;
      expectEqual(
        [ref.publisher, ref.offer, ref.sku, ref.version],
        [IMAGE.publisher, IMAGE.offer, IMAGE.sku, NEW_VERSION],
        "image after the update",
      );
      expectEqual(
        state().model["properties"] &&
          (state().model as any).properties.virtualMachineProfile.storageProfile.imageReference,
        { ...IMAGE, version: NEW_VERSION },
        "emulator model",
      );
      expectEqual(latest(), [false, false, false, false, false], "latestModelApplied");
      return `${put?.method ?? "no PUT"} at ${put?.query["api-version"]}, ${sent}, ${since(emu, from).filter((r) => r.operation === "Operations.Get").length} polls`;
    });

    await f.check("vmss update-instances, some (0 1)", async () => {
      await f.azJson("vmss", "update-instances", ...g, ...n, "--instance-ids", "0", "1");
      expectEqual(latest(), [true, true, false, false, false], "latestModelApplied");
      expectEqual(
        state()
          .instances.slice(0, 2)
          .map((i) => i.imageReference["exactVersion"]),
        [NEW_VERSION, NEW_VERSION],
        "exactVersion",
      );
    });

    await f.check("vmss update-instances, a protected one (4): accepted, instance left on its model", async () => {
      await f.azJson("vmss", "update-instances", ...g, ...n, "--instance-ids", "4");
      expectEqual(latest(), [true, true, false, false, false], "latestModelApplied");
      const op = state().operations.at(-1);
      expectEqual(
        [op?.operation, op?.status, op?.instanceIds],
        ["VirtualMachineScaleSets.UpdateInstances", "Succeeded", ["4"]],
        "operation",
      );
    });

    await f.check("vmss update-instances, all (*)", async () => {
      await f.azJson("vmss", "update-instances", ...g, ...n, "--instance-ids", "*");
      expectEqual(latest(), [true, true, true, true, false], "latestModelApplied (4 is protected)");
    });

    await f.check("vmss update --set tags.owner=ops: a tags-only PUT leaves every instance as it was", async () => {
      const from = emu.requests.length;
      await tagsOnlyUpdate(f, state, [...g, ...n]);
      const put = since(emu, from).find((r) => r.method === "PUT");
      const sentProfile = JSON.stringify((put?.body as any)?.properties?.virtualMachineProfile ?? {});
      return `the ${put?.method ?? "write"} carried ${sentProfile.length} characters of profile; ${sentProfile.includes("enableVMAgentPlatformUpdates") ? "with" : "without"} properties newer than its api-version`;
    });

    await f.check(
      "vmss extension set without --version (reads the extension-image catalog), new fileUris",
      async () => {
        const from = emu.requests.length;
        await f.azJson(
          ...extensionSet,
          "--settings",
          JSON.stringify({ fileUris: [SCRIPT_V2], commandToExecute: "bash install.sh" }),
        );
        const catalog = since(emu, from).filter((r) => r.operation === "VirtualMachineExtensionImages.ListVersions");
        expectEqual(
          catalog.map((r) => r.status),
          [200],
          "catalog reads",
        );
        const ext = (state().model as any).properties.virtualMachineProfile.extensionProfile.extensions;
        expectEqual(
          ext.map((e: any) => [e.name, e.properties.typeHandlerVersion, e.properties.settings.fileUris]),
          [["customScript", "2.1", [SCRIPT_V2]]],
          "extensions",
        );
        expectEqual(latest(), [false, false, false, false, false], "latestModelApplied");
      },
    );

    await f.check("vmss extension set --force-update --version 2.1 (no catalog read)", async () => {
      const from = emu.requests.length;
      const before = (state().model as any).properties.virtualMachineProfile.extensionProfile.extensions[0].properties
        .forceUpdateTag;
      await f.azJson("vmss", "update-instances", ...g, ...n, "--instance-ids", "*");
      expectEqual(latest(), [true, true, true, true, false], "current before the forced update");
      await f.azJson(
        ...extensionSet,
        "--version",
        "2.1",
        "--force-update",
        "--settings",
        JSON.stringify({ fileUris: [SCRIPT_V2], commandToExecute: "bash install.sh" }),
      );
      expectEqual(
        since(emu, from).filter((r) => r.operation === "VirtualMachineExtensionImages.ListVersions").length,
        0,
        "catalog reads",
      );
      const after = (state().model as any).properties.virtualMachineProfile.extensionProfile.extensions[0].properties
        .forceUpdateTag;
      expectTrue(typeof after === "string" && after !== before, `forceUpdateTag ${String(before)} → ${String(after)}`);
      expectEqual(
        latest(),
        [false, false, false, false, false],
        "latestModelApplied (same settings, new forceUpdateTag)",
      );
      await f.azJson("vmss", "update-instances", ...g, ...n, "--instance-ids", "*");
      expectEqual(
        state().instances.map((i) => i.extensions["customScript"]?.forceUpdateTag === after),
        [true, true, true, true, false],
        "instances run the new tag",
      );
    });

    await f.check("vmss scale (PUT {location, sku}): model kept, instances keep latestModelApplied", async () => {
      const from = emu.requests.length;
      await f.azJson("vmss", "scale", ...g, ...n, "--new-capacity", "6");
      const put = since(emu, from).find((r) => r.method === "PUT" || r.method === "PATCH");
      const sent = expectRequest(
        Object.keys(put?.body ?? {}).sort(),
        ["location", "sku"],
        `fields of the ${put?.method}`,
      );
      expectEqual(latest(), [true, true, true, true, false, true], "latestModelApplied (new instance 5 on the model)");
      expectEqual(
        (state().model as any).properties.virtualMachineProfile.storageProfile.imageReference,
        { ...IMAGE, version: NEW_VERSION },
        "image kept",
      );
      await f.azJson("vmss", "scale", ...g, ...n, "--new-capacity", "5");
      expectEqual(
        state().instances.map((i) => i.instanceId),
        ["0", "1", "2", "3", "4"],
        "scale-in removed the highest ID",
      );
      return sent;
    });

    await f.check("vmss reimage of instance 2", async () => {
      const from = emu.requests.length;
      await setImageVersion(f, [...g, ...n], FIXED_VERSION);
      // az 2.46 replaced --instance-id (one POST per instance, then the whole set's reimage: azure-cli#25477) by
      // --instance-ids (one reimageall naming them).
      await f.azJson("vmss", "reimage", ...g, ...n, known ? "--instance-id" : "--instance-ids", "2");
      const posts = since(emu, from)
        .filter((r) => r.method === "POST")
        .map((r) => `${r.operation} ${r.status}`);
      const two = state().instances.find((i) => i.instanceId === "2");
      expectEqual(
        [two?.latestModelApplied, two?.imageReference["exactVersion"], two?.provisioningState],
        [true, FIXED_VERSION, "Succeeded"],
        "instance 2",
      );
      expectEqual(
        state().instances.find((i) => i.instanceId === "4")?.latestModelApplied,
        false,
        "protected instance 4",
      );
      return posts.join(", ");
    });

    await f.check(
      "a restricted property: offer change → 409 PropertyChangeNotAllowed, image-type switch → OperationNotAllowed",
      async () => {
        const etag = state().model["etag"];
        const offer = await f.az(
          "vmss",
          "update",
          ...g,
          ...n,
          "--set",
          "virtualMachineProfile.storageProfile.imageReference.offer=0001-com-ubuntu-server-jammy",
        );
        expectTrue(
          offer.code !== 0 &&
            offer.stderr.includes(
              "(PropertyChangeNotAllowed) Changing property 'imageReference.offer' is not allowed.",
            ),
          `offer change: exit ${offer.code}, ${offer.stderr.trim().slice(0, 300)}`,
        );
        const type = await f.az(
          "vmss",
          "update",
          ...g,
          ...n,
          "--set",
          `virtualMachineProfile.storageProfile.imageReference.id=/subscriptions/${emu.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/images/app`,
        );
        expectTrue(
          type.code !== 0 &&
            type.stderr.includes(
              "(OperationNotAllowed) The Image type for a Virtual Machine Scale Set may not be changed.",
            ),
          `type switch: exit ${type.code}, ${type.stderr.trim().slice(0, 300)}`,
        );
        expectEqual(state().model["etag"], etag, "etag (model untouched)");
      },
    );

    await f.check("a throttled call: 429 with Retry-After, az retries", async () => {
      const from = emu.requests.length;
      emu.faults.throttle({ operation: "VirtualMachineScaleSets.Get", retryAfterSeconds: 1 });
      const vmss = await f.azJson("vmss", "show", ...g, ...n);
      expectEqual(vmss.name, VMSS, "name");
      expectEqual(
        since(emu, from)
          .filter((r) => r.operation === "VirtualMachineScaleSets.Get")
          .map((r) => r.status),
        [429, 200],
        "GETs",
      );
    });

    await f.check("a failing instance: update-instances fails with the instance's error", async () => {
      await f.azJson(
        ...extensionSet,
        "--version",
        "2.1",
        "--settings",
        JSON.stringify({ fileUris: [SCRIPT_V3], commandToExecute: "bash install.sh" }),
      );
      emu.faults.failUpgrade("3");
      const result = await f.az("vmss", "update-instances", ...g, ...n, "--instance-ids", "1", "3");
      expectTrue(
        result.code !== 0 && result.stderr.includes("VMExtensionProvisioningError"),
        `exit ${result.code}: ${result.stderr.trim().slice(0, 300)}`,
      );
      const [one, three] = [state().instances[1], state().instances[3]];
      expectEqual([one?.provisioningState, one?.latestModelApplied], ["Succeeded", true], "instance 1");
      expectEqual(
        [three?.provisioningState, three?.error?.code],
        ["Failed", "VMExtensionProvisioningError"],
        "instance 3",
      );
      const view = await f.azJson("vmss", "get-instance-view", ...g, ...n, "--instance-id", "3");
      expectTrue(
        view.statuses.some((s: { code: string }) => s.code === "ProvisioningState/failed/VMExtensionProvisioningError"),
        "instance view of 3 shows the failure",
      );
    });

    await f.check(
      "vmss deallocate / start of one instance, restart of all (the instance's and the set's power actions)",
      async () => {
        const from = emu.requests.length;
        await f.azJson("vmss", "deallocate", ...g, ...n, "--instance-ids", "1");
        const power = () => state().instances.map((i) => `${i.instanceId}:${i.powerState}`);
        expectTrue(power().includes("1:deallocated"), `after deallocate: ${power().join(" ")}`);
        await f.azJson("vmss", "start", ...g, ...n, "--instance-ids", "1");
        await f.azJson("vmss", "restart", ...g, ...n);
        expectTrue(
          state().instances.every((i) => i.powerState === "running"),
          `after start and restart: ${power().join(" ")}`,
        );
        return since(emu, from)
          .filter((r) => r.method === "POST")
          .map((r) => `${r.operation} ${r.status}`)
          .join(", ");
      },
    );

    await f.check("vmss list-skus and get-os-upgrade-history (the shapes recorded from Azure)", async () => {
      const skus = await f.azJson("vmss", "list-skus", ...g, ...n);
      expectTrue(
        Array.isArray(skus) &&
          skus.length > 0 &&
          skus.every(
            (s: { resourceType?: string; sku?: { name?: string }; capacity?: { scaleType?: string } }) =>
              s.resourceType === "Microsoft.Compute/virtualMachineScaleSets" &&
              typeof s.sku?.name === "string" &&
              typeof s.capacity?.scaleType === "string",
          ),
        `list-skus: ${JSON.stringify(skus).slice(0, 300)}`,
      );
      const history = await f.azJson("vmss", "get-os-upgrade-history", ...g, ...n);
      expectEqual(history, [], "OS upgrade history of a set that had none");
      return `${skus.length} sizes listed`;
    });

    await f.check(
      "vmss delete-instances, then vmss delete (the set is gone: show fails with ResourceNotFound)",
      async () => {
        const from = emu.requests.length;
        await f.azJson("vmss", "delete-instances", ...g, ...n, "--instance-ids", "0");
        expectEqual(
          state().instances.map((i) => i.instanceId),
          ["1", "2", "3", "4"],
          "instances after delete-instances",
        );
        const deleted = await f.az("vmss", "delete", ...g, ...n);
        expectEqual(deleted.code, 0, `vmss delete: ${deleted.stderr.trim().slice(0, 300)}`);
        const shown = await f.az("vmss", "show", ...g, ...n);
        expectTrue(
          shown.code !== 0 && shown.stderr.includes("ResourceNotFound"),
          `vmss show after delete: exit ${shown.code}: ${shown.stderr.trim().slice(0, 300)}`,
        );
        // Deleting it again: ARM answers 204, nothing to delete, and az succeeds.
        const again = await f.az("vmss", "delete", ...g, ...n);
        expectEqual(again.code, 0, `vmss delete of a deleted set: ${again.stderr.trim().slice(0, 300)}`);
        return since(emu, from)
          .filter((r) => r.method !== "GET")
          .map((r) => `${r.method} ${r.operation} ${r.status}`)
          .join(", ");
      },
    );

    await f.check(
      "sig image-version show --expand ReplicationStatus, list, and show of a version that does not exist",
      async () => {
        const sig = ["sig", "image-version"];
        const at = ["-g", "rg-images", "-r", "gal", "-i", "web"];
        const shown = await f.azJson(...sig, "show", ...at, "-e", "1.1.0", "--expand", "ReplicationStatus");
        expectEqual(
          [
            shown.name,
            shown.provisioningState,
            shown.publishingProfile?.targetRegions?.map((r: { name: string }) => r.name),
            shown.replicationStatus?.summary?.map((r: { region: string; state: string }) => `${r.region} ${r.state}`),
          ],
          [
            "1.1.0",
            "Succeeded",
            ["West Europe", "North Europe"],
            ["West Europe Completed", "North Europe Replicating"],
          ],
          "image version as az shows it",
        );
        const listed = await f.azJson(...sig, "list", ...at);
        expectEqual(
          listed.map((v: { name: string }) => v.name),
          ["1.0.0", "1.1.0"],
          "versions listed",
        );
        const missing = await f.az(...sig, "show", ...at, "-e", "9.9.9");
        expectTrue(
          missing.code !== 0 && missing.stderr.includes("ResourceNotFound"),
          `show of a missing version: exit ${missing.code}: ${missing.stderr.trim().slice(0, 300)}`,
        );
        return emu.requests
          .filter((r) => r.operation.startsWith("GalleryImageVersions."))
          .map((r) => `${r.operation} ${r.status} (${r.query["api-version"]})`)
          .join(", ");
      },
    );

    await flexibleChecks(f, emu);
  } finally {
    await emu.stop();
    rmSync(configDir, { recursive: true, force: true });
  }
  console.log(`fidelity: ${f.total - f.failed}/${f.total} checks passed${f.failed ? `, ${f.failed} FAILED` : ""}`);
  return f.failed === 0 ? 0 : 1;
}

/**
 * A Flexible scale set as az 2.45 meets it: the set, its two VM lists (the scale set's, limited detail; the group's
 * standalone VMs), one VM and its instance view, `-d` (the VM's NIC), a new image rolled to one VM by name, and the
 * refusals of Uniform-only calls (a numeric instance ID, the set's instance view, the per-instance scale-set VM API
 * by name). az's 2020-06-01 models predate `orchestrationMode` (the wire carries it; az drops it), so the mode is
 * checked in the emulator's model, and what az sees is checked as az shows it.
 */
async function flexibleChecks(f: Fidelity, emu: Emulator): Promise<void> {
  const g = ["-g", RG_FLEX];
  const n = ["-n", FLEX];
  const state = () => emu.state(FLEX);
  const names = () => state().instances.map((i) => i.name);
  const setId = `/subscriptions/${emu.subscriptionId}/resourceGroups/${RG_FLEX}/providers/Microsoft.Compute/virtualMachineScaleSets/${FLEX}`;

  await f.check("Flexible: vmss show", async () => {
    const vmss = await f.azJson("vmss", "show", ...g, ...n);
    expectEqual((state().model as any).properties.orchestrationMode, "Flexible", "orchestrationMode (wire)");
    expectEqual(
      [vmss.singlePlacementGroup, vmss.upgradePolicy.mode, vmss.upgradePolicy.rollingUpgradePolicy, vmss.sku.capacity],
      [false, "Manual", null, 3],
      "singlePlacementGroup, upgrade mode, no rolling policy of its own, capacity",
    );
    expectEqual(vmss.virtualMachineProfile.storageProfile.imageReference.version, IMAGE.version, "image version");
  });

  await f.check("Flexible: vmss list-instances (VM names as instance IDs, limited detail, paged)", async () => {
    const from = emu.requests.length;
    const vms = await f.azJson<any[]>("vmss", "list-instances", ...g, ...n);
    expectEqual(
      vms.map((v) => v.instanceId),
      names(),
      "instance IDs are the VM names",
    );
    expectTrue(
      vms.every((v) => v.name === v.instanceId && /^vmss-flex_[0-9a-f]{8}$/.test(v.name)),
      "names <set>_<8 hex>",
    );
    expectEqual(
      vms.map((v) => [v.modelDefinitionApplied, v.latestModelApplied, v.instanceView, v.storageProfile]),
      vms.map(() => ["VirtualMachineScaleSet", null, null, null]),
      "modelDefinitionApplied; no latestModelApplied, instance view or storage profile",
    );
    const pages = since(emu, from).filter((r) => r.operation === "VirtualMachineScaleSetVMs.List").length;
    expectEqual(pages, 2, "list pages (page size 2)");
    return `${vms.length} VMs in ${pages} pages`;
  });

  await f.check("Flexible: vm list -g, vm show, vm get-instance-view (the standalone VM API)", async () => {
    const from = emu.requests.length;
    const vms = await f.azJson<any[]>("vm", "list", ...g);
    expectEqual(
      vms.map((v) => v.name),
      names(),
      "standalone VMs of the group",
    );
    expectTrue(
      vms.every((v) => v.virtualMachineScaleSet?.id?.toLowerCase() === setId.toLowerCase()),
      "each names its scale set",
    );
    expectTrue(
      vms.every((v) => v.storageProfile.imageReference.exactVersion === IMAGE.version),
      "exactVersion of each VM",
    );
    const pages = since(emu, from).filter((r) => r.operation === "VirtualMachines.List").length;
    const first = names()[0] ?? "";
    const vm = await f.azJson("vm", "show", ...g, "-n", first);
    expectEqual([vm.name, vm.instanceView], [first, null], "vm show (no instance view)");
    const view = await f.azJson("vm", "get-instance-view", ...g, "-n", first);
    expectEqual(
      view.instanceView.statuses.map((x: { code: string }) => x.code),
      ["ProvisioningState/succeeded", "PowerState/running"],
      "statuses",
    );
    expectEqual(
      view.instanceView.extensions.map((x: { name: string }) => x.name),
      ["customScript"],
      "extensions in the instance view",
    );
    return `vm list in ${pages} pages`;
  });

  await f.check(
    "Flexible: vm list (the subscription), resource show --ids of a VM (the provider's resource types)",
    async () => {
      const all = await f.azJson<any[]>("vm", "list");
      expectEqual(
        all.map((v) => v.name),
        names(),
        "standalone VMs of the subscription",
      );
      const first = all[0];
      const shown = await f.azJson("resource", "show", "--ids", first.id);
      expectEqual([shown.name, shown.type], [first.name, "Microsoft.Compute/virtualMachines"], "resource show");
    },
  );

  await f.check(
    "Flexible: vm list -d and vm show -d (power state; private IP and MAC from each VM's NIC)",
    async () => {
      const from = emu.requests.length;
      const vms = await f.azJson<any[]>("vm", "list", ...g, "-d");
      expectEqual(
        vms.map((v) => [v.name, v.powerState, v.publicIps]),
        names().map((name) => [name, "VM running", ""]),
        "power state, no public IP",
      );
      expectTrue(
        vms.every(
          (v) => /^10\.0\.\d+\.\d+$/.test(v.privateIps) && /^([0-9A-F]{2}-){5}[0-9A-F]{2}$/.test(v.macAddresses),
        ),
        `private IPs and MACs: ${JSON.stringify(vms.map((v) => [v.privateIps, v.macAddresses]))}`,
      );
      const one = await f.azJson("vm", "show", ...g, "-n", names()[1] ?? "", "-d");
      expectEqual([one.powerState, one.privateIps], ["VM running", vms[1]?.privateIps], "vm show -d");
      const nics = since(emu, from).filter((r) => r.operation === "NetworkInterfaces.Get");
      expectEqual(nics.length, 4, "NIC reads (one per VM, then one)");
      return `NICs read at Microsoft.Network ${nics[0]?.query["api-version"]}`;
    },
  );

  await f.check(
    "Flexible: vmss update --set ...imageReference.version, then update-instances --instance-ids <VM name>",
    async () => {
      await setImageVersion(f, [...g, ...n], NEW_VERSION);
      expectEqual(
        state().instances.map((i) => i.latestModelApplied),
        [false, false, false],
        "latestModelApplied after the model update",
      );
      const first = names()[0] ?? "";
      const from = emu.requests.length;
      await f.azJson("vmss", "update-instances", ...g, ...n, "--instance-ids", first);
      const post = since(emu, from).find((r) => r.operation === "VirtualMachineScaleSets.UpdateInstances");
      expectEqual((post?.body as any)?.instanceIds, [first], "manualupgrade body");
      expectEqual(
        state().instances.map((i) => i.latestModelApplied),
        [true, false, false],
        "latestModelApplied",
      );
      const vm = await f.azJson("vm", "show", ...g, "-n", first);
      expectEqual(vm.storageProfile.imageReference.exactVersion, NEW_VERSION, "the VM's exactVersion (vm show)");
    },
  );

  await f.check(
    "Flexible: what Uniform-only calls get (numeric instance ID, set instance view, VM API by name)",
    async () => {
      const numeric = await f.az("vmss", "update-instances", ...g, ...n, "--instance-ids", "0");
      expectTrue(
        numeric.code !== 0 &&
          numeric.stderr.includes(
            "(InvalidParameter) The provided instanceId 0 is not an active Virtual Machine Scale Set VM instanceId.",
          ),
        `update-instances 0: exit ${numeric.code}, ${numeric.stderr.trim().slice(0, 300)}`,
      );
      const view = await f.az("vmss", "get-instance-view", ...g, ...n);
      expectTrue(
        view.code !== 0 &&
          view.stderr.includes(
            `(BadRequest) Operation 'VirtualMachineScaleSets.instanceView.GET' is not allowed on Virtual Machine Scale Set '${FLEX}'.`,
          ),
        `get-instance-view: exit ${view.code}, ${view.stderr.trim().slice(0, 300)}`,
      );
      const one = await f.az("vmss", "get-instance-view", ...g, ...n, "--instance-id", names()[0] ?? "");
      expectTrue(
        one.code !== 0 &&
          one.stderr.includes("(InvalidParameter) Virtual Machine Scale Set VM instanceId must be a number."),
        `get-instance-view --instance-id <name>: exit ${one.code}, ${one.stderr.trim().slice(0, 300)}`,
      );
      expectEqual(
        state().instances.map((i) => i.latestModelApplied),
        [true, false, false],
        "nothing changed",
      );
    },
  );

  await f.check("Flexible: vmss update --set tags.owner=ops leaves every VM as it was", async () => {
    const after = await tagsOnlyUpdate(f, state, [...g, ...n]);
    expectEqual((after.model as any).properties.orchestrationMode, "Flexible", "orchestrationMode kept");
  });

  await f.check("Flexible: tag update --resource-id --operation merge / delete, tag list (the Tags API)", async () => {
    const from = emu.requests.length;
    const before = state();
    const merged = await f.azJson(
      "tag",
      "update",
      "--resource-id",
      setId,
      "--operation",
      "merge",
      "--tags",
      "team=web",
    );
    expectEqual(merged.properties.tags, { owner: "ops", team: "web" }, "tags az got back");
    expectEqual(state().model["tags"], { owner: "ops", team: "web" }, "the scale set's tags");
    expectEqual(
      Number(JSON.parse(String(state().model["etag"]))),
      Number(JSON.parse(String(before.model["etag"]))) + 1,
      "etag (a write)",
    );
    await f.azJson("tag", "update", "--resource-id", setId, "--operation", "delete", "--tags", "owner=ops");
    const listed = await f.azJson("tag", "list", "--resource-id", setId);
    expectEqual(listed.properties.tags, { team: "web" }, "tag list after delete");
    expectEqual(
      (state().model as any).properties.virtualMachineProfile,
      (before.model as any).properties.virtualMachineProfile,
      "virtualMachineProfile",
    );
    expectEqual(
      state().instances.map((i) => i.latestModelApplied),
      before.instances.map((i) => i.latestModelApplied),
      "latestModelApplied",
    );
    return since(emu, from)
      .map((r) => `${r.method} ${r.operation} ${r.status} (${r.query["api-version"]})`)
      .join(", ");
  });
}

process.exitCode = await main();
