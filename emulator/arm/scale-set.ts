// One scale set (Uniform or Flexible): its model (wire JSON as ARM stores it), its instances, and how both render on the wire.
// Instance shapes follow the recorded list/instance-view bodies (azure-cli_test_vmss_update_automatic_repairs_with_
// health_extension.yaml #18, azure-libraries-for-java_canCreateVirtualMachineScaleSetWithCustomScriptExtension.json #34).
import { createHash, randomUUID } from "node:crypto";
import { azureTime } from "../clock.ts";
import type { ExtensionState, ExtensionStatus, HealthState, InstanceStatusChange, ScaleSetSeed } from "../types.ts";
import type { Operation } from "./operations.ts";
import { showsEtag } from "./api-versions.ts";
import type { RollingUpgrade } from "./rolling.ts";
import { scaleSetWire } from "./seed.ts";
import { canonical, copyJson, isObject, type Wire } from "./wire.ts";

/** What `version: "latest"` resolves to for platform images. */
export const LATEST_PLATFORM_VERSION = "24.04.202501140";

export interface InstanceError {
  readonly code: string;
  readonly message: string;
  /** The extension that failed, for its instance-view status. */
  readonly extension?: string;
}

export interface Vm {
  /** Uniform: "0", "1", …; Flexible: the VM name (what manualupgrade takes). */
  readonly instanceId: string;
  /** Creation order: Uniform's numeric ID; orders Flexible VMs, whose names are random. */
  readonly ordinal: number;
  /** Flexible: attached with a profile of its own (modelDefinitionApplied VirtualMachine), never on the set's model. */
  readonly attached: boolean;
  readonly name: string;
  readonly vmId: string;
  readonly computerName: string;
  readonly zone: string | undefined;
  readonly timeCreated: string;
  /** The virtualMachineProfile this instance runs (incl. protectedSettings); compared with the set's model. */
  profile: Wire;
  /**
   * The VM size it runs (`sku.name` when it was created or last upgraded): part of the model it is compared with, as
   * Azure counts a size change as a model change (learn.microsoft.com "Modify a Virtual Machine Scale Set": in Manual
   * mode existing instances keep their size until they are upgraded).
   */
  vmSize: string;
  provisioningState: "Succeeded" | "Updating" | "Failed";
  /** Time of the last provisioning state change, shown in the instance view. */
  provisioningTime: string;
  powerState: "running" | "stopping" | "stopped" | "starting" | "deallocating" | "deallocated";
  /** Reported only while the set has a health signal (see ScaleSet.hasHealthSignal). */
  health: HealthState;
  protectFromScaleIn: boolean;
  protectFromScaleSetActions: boolean;
  /**
   * A VM PUT has set protectionPolicy once: Azure shows the object from then on, also with both flags false
   * (azure-cli_test_vmss_update.yaml #31, #33 after clearing; #26, before any, has none).
   */
  protectionPolicySet: boolean;
  error: InstanceError | undefined;
  /** Statuses set for extensions (lower-case name → status), reported whatever the instance's provisioning state;
   *  extensions not in it report as the instance's provisioning goes. */
  extensionStatuses: Map<string, { readonly state: ExtensionState; readonly message?: string }>;
  /** Id of the long-running operation working on this instance. */
  busyWith: string | undefined;
  etag: number;
  /** Every value provisioningState, powerState and health took, in order, the first ones included (see recordStatus). */
  readonly history: InstanceStatusChange[];
}

const RECORDED_STATUS = ["provisioningState", "powerState", "health"] as const;
/** The order of every recorded change (InstanceStatusChange.seq). */
let statusChanges = 0;

/** Makes `vm` record each change of its provisioning state, power state and health in `vm.history`, whoever sets them. */
function recordStatus(vm: Vm): void {
  for (const field of RECORDED_STATUS) {
    let value: string = vm[field];
    vm.history.push({ field, value, seq: ++statusChanges });
    Object.defineProperty(vm, field, {
      enumerable: true,
      get: () => value,
      set: (next: string) => {
        if (next !== value) vm.history.push({ field, value: next, seq: ++statusChanges });
        value = next;
      },
    });
  }
}

/** The model as ScaleSet.isLatest compares it (comparableModel). */
export interface ComparableModel {
  readonly profile: string;
  readonly vmSize: string;
}

export class ScaleSet {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly instanceUpgradeSeconds: number;
  /** ScaleSetSeed.healthStates: whether a starting VM reports `initializing` (rich) or `unhealthy` (binary). */
  readonly binaryHealth: boolean;
  /** ScaleSetSeed.appStartSeconds: how long after an upgrade the application answers its health probe. */
  readonly appStartSeconds: number;
  readonly flexible: boolean;
  /** Flexible: whether the scale-set VM list carries latestModelApplied (ScaleSetSeed.latestModelApplied). */
  readonly reportsLatestModelApplied: boolean;
  /** The scale set as ARM stores it, without `etag` and `properties.provisioningState` (kept below). */
  resource: Wire;
  etag = 1;
  provisioningState: "Succeeded" | "Updating" | "Failed" | "Deleting" | "Creating" = "Succeeded";
  readonly vms = new Map<string, Vm>();
  deleted = false;
  /** The DELETE of the set under way: every other write meets 409 until it ends (then the set is gone). */
  deleting: Operation | undefined;
  /** The next instance ordinal (only grows: Azure never gives a deleted instance's ID to a new one). */
  #nextOrdinal = 0;
  /** The running model update (PUT/PATCH of the set or an extension), which blocks another one (409). */
  modelOperation: Operation | undefined;
  /** The latest rolling upgrade, if one ever ran. */
  rolling: RollingUpgrade | undefined;

  constructor(seed: ScaleSetSeed, subscriptionId: string) {
    const created = azureTime(new Date());
    this.subscriptionId = subscriptionId;
    this.resource = scaleSetWire(seed, subscriptionId, created);
    this.resourceGroup = seed.resourceGroup ?? "rg-demo";
    this.name = seed.name;
    this.location = String(this.resource["location"]);
    this.instanceUpgradeSeconds = seed.instanceUpgradeSeconds ?? 30;
    this.binaryHealth = seed.healthStates === "binary";
    this.appStartSeconds = seed.appStartSeconds ?? 0;
    this.flexible = seed.orchestrationMode === "Flexible";
    this.reportsLatestModelApplied = this.flexible && seed.latestModelApplied === "reported";
    if (!this.flexible && (seed.latestModelApplied !== undefined || seed.attachedVms !== undefined))
      throw new Error(`start(): latestModelApplied and attachedVms apply to Flexible scale sets only (${seed.name})`);
    if (this.flexible && this.upgradeMode === "Rolling" && !this.hasHealthSignal())
      throw new Error(`start(): ${FLEXIBLE_ROLLING_NEEDS_HEALTH} (${seed.name}: set healthExtension)`);
    const count = seed.instances ?? 4;
    const protectedIds = new Set(seed.protectedInstances ?? []);
    this.zones = seed.zones;
    for (let i = 0; i < count; i++) {
      const vm = this.addVm(i, false, created);
      // Flexible seeds may name protected instances by ordinal ("0") or by VM name.
      if (protectedIds.has(String(i)) || protectedIds.has(vm.instanceId)) {
        vm.protectFromScaleIn = true;
        vm.protectFromScaleSetActions = true;
      }
    }
    for (let k = 0; k < (seed.attachedVms ?? 0); k++) this.addVm(ATTACHED_ORDINAL + k, false, created, true);
    for (const [instanceId, statuses] of Object.entries(seed.extensionStatuses ?? {})) {
      const vm = this.vms.get(instanceId);
      if (!vm)
        throw new Error(`start(): extensionStatuses names instance ${instanceId}, which ${this.name} does not have`);
      this.setExtensionStatuses(vm, statuses);
    }
  }

  private readonly zones: readonly string[] | undefined;

  /** A new instance running the current model (seeding, scale-out); `attached`: a Flexible VM with its own profile. */
  addVm(i: number, protect = false, time = azureTime(new Date()), attached = false): Vm {
    if (!attached) this.#nextOrdinal = Math.max(this.#nextOrdinal, i + 1);
    const name = !this.flexible
      ? `${this.name}_${i}`
      : attached
        ? `${this.name}_attached${i - ATTACHED_ORDINAL}`
        : flexibleVmName(this.name, i);
    const instanceId = this.flexible ? name : String(i);
    const vm: Vm = {
      instanceId,
      ordinal: i,
      attached,
      name,
      vmId: randomUUID(),
      computerName: `${this.profile["osProfile"]["computerNamePrefix"]}${i.toString(36).padStart(6, "0")}`,
      zone: this.zones?.length ? this.zones[i % this.zones.length] : undefined,
      timeCreated: time,
      profile: copyJson(this.profile),
      vmSize: this.skuName(),
      provisioningState: "Succeeded",
      provisioningTime: time,
      powerState: "running",
      health: "healthy",
      protectFromScaleIn: protect,
      protectFromScaleSetActions: protect,
      protectionPolicySet: protect,
      error: undefined,
      extensionStatuses: new Map(),
      busyWith: undefined,
      etag: 1,
      history: [],
    };
    recordStatus(vm);
    this.vms.set(instanceId, vm);
    return vm;
  }

  /**
   * `sku.capacity` changed by a PUT/PATCH (`az vmss scale`): scale-out adds instances on the current model with the
   * next instance IDs; scale-in removes the highest instance IDs first, never one protected from scale-in (the
   * Default scale-in policy, learn.microsoft.com "Use custom scale-in policies with Azure Virtual Machine Scale Sets",
   * without zone balancing). Instances appear and go at once (no Creating/Deleting phase; assumption).
   */
  reconcileCapacity(): void {
    const sku = this.resource["sku"];
    // Attached Flexible VMs are not the set's to create or remove: the capacity counts the VMs made from the model.
    const members = (): number => [...this.vms.values()].filter((vm) => !vm.attached).length;
    const capacity = isObject(sku) && typeof sku["capacity"] === "number" ? sku["capacity"] : members();
    while (members() < capacity) this.addVm(this.#nextOrdinal);
    const removable = this.sortedVms()
      .filter((vm) => !vm.protectFromScaleIn && !vm.attached)
      .reverse();
    while (members() > capacity && removable.length > 0) this.vms.delete(removable.shift()!.instanceId);
  }

  /** Sets (or, with null, clears) the statuses extensions of `vm` report; unknown extension names are a test bug. */
  setExtensionStatuses(vm: Vm, statuses: Readonly<Record<string, ExtensionStatus | null>>): void {
    const names = new Set(vmExtensions(vm).map((ext) => String(ext["name"]).toLowerCase()));
    const unknown = Object.keys(statuses).find((name) => !names.has(name.toLowerCase()));
    if (unknown !== undefined)
      throw new Error(`emulator: instance ${vm.instanceId} of ${this.name} runs no extension named ${unknown}`);
    for (const [name, status] of Object.entries(statuses)) {
      if (status === null) vm.extensionStatuses.delete(name.toLowerCase());
      else vm.extensionStatuses.set(name.toLowerCase(), typeof status === "string" ? { state: status } : { ...status });
    }
  }

  /** Scale-in: the instance leaves the set (lists, instance view, manualupgrade) and the capacity drops by one. */
  deleteVm(instanceId: string): void {
    const vm = this.vms.get(instanceId);
    if (!vm || !this.vms.delete(instanceId)) throw new Error(`emulator: no instance ${instanceId} in ${this.name}`);
    const sku = this.resource["sku"];
    // Attached Flexible VMs are not counted in the capacity (reconcileCapacity).
    if (!vm.attached && isObject(sku) && typeof sku["capacity"] === "number")
      sku["capacity"] = Math.max(0, sku["capacity"] - 1);
    this.etag++;
  }

  /** vmHealth comes from inside the VM (Application Health extension): none while the VM is stopped or deallocated. */
  reportsHealth(vm: Vm): boolean {
    return this.hasHealthSignal() && !SILENT_POWER_STATES.has(vm.powerState);
  }

  /** The state an extension's status reports now (see extensionStatus). */
  extensionState(vm: Vm, extension: string): ExtensionState {
    const code = String(extensionStatus(vm, extension)["code"]);
    return code.startsWith("ProvisioningState/failed")
      ? "failed"
      : code === "ProvisioningState/transitioning"
        ? "transitioning"
        : "succeeded";
  }

  /** Lower-case `sub/rg/name`: ARM paths are case-insensitive. */
  static key(subscriptionId: string, resourceGroup: string, name: string): string {
    return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
  }

  get key(): string {
    return ScaleSet.key(this.subscriptionId, this.resourceGroup, this.name);
  }

  get id(): string {
    return String(this.resource["id"]);
  }

  get profile(): Wire {
    return this.resource["properties"]["virtualMachineProfile"];
  }

  get upgradeMode(): "Manual" | "Automatic" | "Rolling" {
    return this.resource["properties"]["upgradePolicy"]?.["mode"] ?? "Manual";
  }

  get rollingPolicy(): Wire {
    return this.resource["properties"]["upgradePolicy"]?.["rollingUpgradePolicy"] ?? {};
  }

  get extensions(): Wire[] {
    return this.profile["extensionProfile"]?.["extensions"] ?? [];
  }

  /** An Application Health extension or a load-balancer health probe: instances then report vmHealth. */
  hasHealthSignal(): boolean {
    return (
      this.extensions.some((e) => /^ApplicationHealth(Linux|Windows)$/i.test(String(e["properties"]?.["type"]))) ||
      isObject(this.profile["networkProfile"]?.["healthProbe"])
    );
  }

  /** latestModelApplied: the profile the instance runs equals the set's current one (so reverting the model makes
   *  untouched instances current again). `model`: comparableModel(), when the caller compares many instances at once
   *  (a list page). */
  isLatest(vm: Vm, model: ComparableModel = this.comparableModel()): boolean {
    return !vm.attached && vm.vmSize === model.vmSize && comparableVm(vm) === model.profile;
  }

  /** The model as isLatest compares it: the profile, and the VM size (`sku.name`). */
  comparableModel(): ComparableModel {
    return { profile: comparable(this.profile), vmSize: this.skuName() };
  }

  /** The set's VM size (`sku.name`). */
  skuName(): string {
    return String(this.resource["sku"]?.["name"] ?? "");
  }

  /** Creation order (Uniform: by instance ID); Flexible VMs attached with their own profile last. */
  sortedVms(): Vm[] {
    return [...this.vms.values()].sort((a, b) => a.ordinal - b.ordinal);
  }

  /** The standalone VM resource ID of a Flexible VM; a Uniform instance's extensions are named under it too. */
  standaloneId(vm: Vm): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
  }

  // ───────────── rendering ─────────────

  /** The set as GET/PUT/PATCH answer it for `apiVersion` (undefined: the newest shape); `etag` from 2023-09-01;
   *  `userData` only when asked for (`$expand=userData` on a GET). */
  render(apiVersion?: string, options: { userData?: boolean } = {}): Wire {
    const { properties, ...top } = this.resource;
    return {
      ...top,
      ...(showsEtag(apiVersion) ? { etag: `"${this.etag}"` } : {}),
      properties: {
        ...properties,
        virtualMachineProfile: renderProfile(properties["virtualMachineProfile"], options.userData === true),
        provisioningState: this.provisioningState,
      },
    };
  }

  renderExtension(ext: Wire): Wire {
    return {
      name: ext["name"],
      id: `${this.id}/extensions/${ext["name"]}`,
      type: "Microsoft.Compute/virtualMachineScaleSets/extensions",
      properties: renderExtensionProperties(ext["properties"] ?? {}),
    };
  }

  /**
   * A VM's storage and OS profiles, as a scale-set VM and a Flexible set's standalone VM show them alike: one managed OS
   * disk named after the VM, the data disks of the profile the VM runs, the model's OS profile with the VM's computer
   * name. `osDisk`: what the standalone VM adds to its disk (`deleteOption`).
   */
  private vmProfiles(vm: Vm, osDisk: Wire = {}): Wire {
    const diskName = `${vm.name}_OsDisk_1_${vm.vmId.replaceAll("-", "")}`;
    const storage: Wire = vm.profile["storageProfile"] ?? {};
    const disksId = `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/disks`;
    const modelDataDisks: Wire[] = Array.isArray(storage["dataDisks"]) ? storage["dataDisks"].filter(isObject) : [];
    return {
      storageProfile: {
        imageReference: renderVmImage(vm.profile),
        osDisk: {
          osType: storage["osDisk"]?.["osType"] ?? "Linux",
          name: diskName,
          createOption: "FromImage",
          caching: storage["osDisk"]?.["caching"] ?? "ReadWrite",
          managedDisk: {
            storageAccountType:
              vm.profile["storageProfile"]?.["osDisk"]?.["managedDisk"]?.["storageAccountType"] ?? "Premium_LRS",
            id: `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/disks/${diskName}`,
          },
          ...osDisk,
          diskSizeGB: storage["osDisk"]?.["diskSizeGB"] ?? 30,
        },
        // Each data disk of the model as the instance has it, named `<set>_<VM>_disk<lun + 2>_<32 hex>`, with its size,
        // caching and storage type (azure-libraries-for-java_canCreateUpdateVirtualMachineScaleSetFromPIRWithManagedDisk
        // .json #14; the hex is Azure's random, here derived from the VM and the LUN).
        dataDisks: modelDataDisks.map((disk) => {
          const lun = Number(disk["lun"] ?? 0);
          const hex = createHash("sha256").update(`${vm.vmId}/${lun}`).digest("hex").slice(0, 32);
          const name = `${this.name}_${vm.name}_disk${lun + 2}_${hex}`;
          return {
            lun,
            name,
            createOption: disk["createOption"] ?? "Empty",
            caching: disk["caching"] ?? "None",
            managedDisk: {
              storageAccountType: disk["managedDisk"]?.["storageAccountType"] ?? "Standard_LRS",
              id: `${disksId}/${name}`,
            },
            ...(disk["diskSizeGB"] !== undefined ? { diskSizeGB: disk["diskSizeGB"] } : {}),
            toBeDetached: false,
          };
        }),
      },
      osProfile: {
        ...withoutKeys(copyJson(vm.profile["osProfile"] ?? {}), ["computerNamePrefix", ...WRITE_ONLY_OS_PROFILE]),
        computerName: vm.computerName,
      },
    };
  }

  /** `model`: comparableModel(), when the caller renders many instances at once (a list page); `apiVersion`: the
   *  request's (undefined: the newest shape; `etag` from 2023-09-01, see showsEtag). */
  renderVm(vm: Vm, options: { instanceView: boolean; apiVersion?: string; model?: ComparableModel }): Wire {
    if (this.flexible) return this.renderFlexibleScaleSetVm(vm, options.apiVersion, options.model);
    const sku = this.resource["sku"] ?? {};
    const nic = this.profile["networkProfile"]?.["networkInterfaceConfigurations"]?.[0]?.["name"] ?? "nic";
    return {
      name: vm.name,
      id: `${this.id}/virtualMachines/${vm.instanceId}`,
      type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
      location: this.location,
      tags: {},
      instanceId: vm.instanceId,
      sku: { name: vm.vmSize, tier: sku["tier"] },
      ...(vm.zone ? { zones: [vm.zone] } : {}),
      ...(showsEtag(options.apiVersion) ? { etag: `"${vm.etag}"` } : {}),
      properties: {
        latestModelApplied: this.isLatest(vm, options.model),
        modelDefinitionApplied: "VirtualMachineScaleSet",
        networkProfileConfiguration: copyJson(vm.profile["networkProfile"] ?? {}),
        ...(options.instanceView ? { instanceView: this.renderVmInstanceView(vm) } : {}),
        provisioningState: vm.provisioningState,
        hardwareProfile: { vmSize: vm.vmSize },
        vmId: vm.vmId,
        ...this.vmProfiles(vm),
        networkProfile: {
          networkInterfaces: [{ id: `${this.id}/virtualMachines/${vm.instanceId}/networkInterfaces/${nic}` }],
        },
        ...(vm.protectionPolicySet || vm.protectFromScaleIn || vm.protectFromScaleSetActions
          ? {
              protectionPolicy: {
                protectFromScaleIn: vm.protectFromScaleIn,
                protectFromScaleSetActions: vm.protectFromScaleSetActions,
              },
            }
          : {}),
        timeCreated: vm.timeCreated,
      },
      ...(vmExtensions(vm).length > 0
        ? {
            resources: vmExtensions(vm).map((ext) => ({
              name: ext["name"],
              // Under the VM's own resource ID, not the scale set's (azure-libraries-for-java
              // _canCreateVirtualMachineScaleSetWithCustomScriptExtension.json #27, a Uniform set's VM list:
              // …/providers/Microsoft.Compute/virtualMachines/vmss50893_2/extensions/CustomScriptForLinux).
              id: `${this.standaloneId(vm)}/extensions/${ext["name"]}`,
              type: "Microsoft.Compute/virtualMachines/extensions",
              location: this.location,
              properties: renderExtensionProperties(ext["properties"] ?? {}),
            })),
          }
        : {}),
    };
  }

  /**
   * A Flexible VM as the scale-set VM list shows it: limited detail (no instance view, storage or OS profile; the
   * standalone VM API has those). `latestModelApplied` only when the seed says Azure reports it; the standalone VM's
   * resource ID from api-version 2025-11-01 (VirtualMachineScaleSetVMProperties.virtualMachineResourceId, "only
   * applicable to … Flexible orchestration mode. Minimum api-version: 2025-11-01").
   */
  private renderFlexibleScaleSetVm(vm: Vm, apiVersion = "", model?: ComparableModel): Wire {
    return {
      name: vm.name,
      id: `${this.id}/virtualMachines/${vm.name}`,
      type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
      location: this.location,
      instanceId: vm.instanceId,
      ...(vm.zone ? { zones: [vm.zone] } : {}),
      properties: {
        ...(this.reportsLatestModelApplied ? { latestModelApplied: this.isLatest(vm, model) } : {}),
        modelDefinitionApplied: vm.attached ? "VirtualMachine" : "VirtualMachineScaleSet",
        vmId: vm.vmId,
        provisioningState: vm.provisioningState,
        ...(vm.protectionPolicySet || vm.protectFromScaleIn || vm.protectFromScaleSetActions
          ? {
              protectionPolicy: {
                protectFromScaleIn: vm.protectFromScaleIn,
                protectFromScaleSetActions: vm.protectFromScaleSetActions,
              },
            }
          : {}),
        ...(apiVersion >= "2025-11-01" ? { virtualMachineResourceId: this.standaloneId(vm) } : {}),
        timeCreated: vm.timeCreated,
      },
    };
  }

  /**
   * A Flexible VM as the standalone VM API shows it (`GET …/providers/Microsoft.Compute/virtualMachines`): a VM
   * resource with `properties.virtualMachineScaleSet.id`, its image (with exactVersion), its extensions as child
   * `resources` (settings and forceUpdateTag; protectedSettings never; by ID only with `extensionsById`, see
   * EmulatorOptions.vmListExtensionsById), and with `$expand=instanceView` its instance view (statuses, extensions,
   * vmHealth). `listed`: as the VM list shows it, whose extensions leave `enableAutomaticUpgrade` out (azure-cli#26019:
   * `az vm list` shows it null where `az vm extension list` shows it true; the VM's own GET is assumed to show it).
   */
  renderStandaloneVm(vm: Vm, options: { instanceView: boolean; extensionsById?: boolean; listed?: boolean }): Wire {
    const id = this.standaloneId(vm);
    const nic = this.profile["networkProfile"]?.["networkInterfaceConfigurations"]?.[0]?.["name"] ?? "nic";
    const view = options.instanceView ? this.renderVmInstanceView(vm) : undefined;
    if (view) {
      delete view["placementGroupId"];
      view["platformFaultDomain"] = 0;
    }
    return {
      name: vm.name,
      id,
      type: "Microsoft.Compute/virtualMachines",
      location: this.location,
      ...(vm.zone ? { zones: [vm.zone] } : {}),
      properties: {
        hardwareProfile: { vmSize: vm.vmSize },
        provisioningState: vm.provisioningState,
        vmId: vm.vmId,
        virtualMachineScaleSet: { id: this.id },
        ...this.vmProfiles(vm, { deleteOption: "Delete" }),
        networkProfile: {
          networkInterfaces: [
            {
              id: `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Network/networkInterfaces/${vm.name}-${nic}`,
              properties: { primary: true, deleteOption: "Delete" },
            },
          ],
        },
        ...(view ? { instanceView: view } : {}),
        timeCreated: vm.timeCreated,
      },
      ...(vmExtensions(vm).length > 0
        ? {
            resources: options.extensionsById
              ? this.renderVmExtensions(vm).map((ext) => ({ id: ext["id"] }))
              : this.renderVmExtensions(vm).map((ext) =>
                  options.listed === true
                    ? { ...ext, properties: withoutKeys(ext["properties"] ?? {}, ["enableAutomaticUpgrade"]) }
                    : ext,
                ),
          }
        : {}),
    };
  }

  /** A Flexible VM's extension child resources (its `resources`; VirtualMachineExtensions_List's `value`). */
  renderVmExtensions(vm: Vm): Wire[] {
    const id = this.standaloneId(vm);
    return vmExtensions(vm).map((ext) => ({
      name: ext["name"],
      id: `${id}/extensions/${ext["name"]}`,
      type: "Microsoft.Compute/virtualMachines/extensions",
      location: this.location,
      properties: renderExtensionProperties(ext["properties"] ?? {}),
    }));
  }

  /** The NIC's name of a Flexible VM: `<vm>-<the profile's NIC configuration name>` (renderStandaloneVm's reference). */
  nicName(vm: Vm): string {
    return `${vm.name}-${this.profile["networkProfile"]?.["networkInterfaceConfigurations"]?.[0]?.["name"] ?? "nic"}`;
  }

  /**
   * `GET …/providers/Microsoft.Network/networkInterfaces/{vm}-{nic}`: the NIC a Flexible VM references, a resource of
   * its own (Flexible sets create NICs through `networkProfile.networkApiVersion`). Read by `az vm show -d` / `az vm
   * list -d` (private IPs, MAC address). Shape as recorded (azure-cli_test_vmss_update_image.yaml, NIC GET at
   * 2022-01-01), reduced to what the seed's profile says: one IP configuration, no public IP (the profile has no
   * publicIPAddressConfiguration), a private IP 10.0.0.<4 + ordinal> and a MAC address derived from the VM's ID
   * (Azure allocates both; assumed).
   */
  renderNic(vm: Vm): Wire {
    const config = this.profile["networkProfile"]?.["networkInterfaceConfigurations"]?.[0] ?? {};
    const ipConfig = config["properties"]?.["ipConfigurations"]?.[0] ?? {};
    const id = `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Network/networkInterfaces/${this.nicName(vm)}`;
    const etag = `W/"${vm.vmId}"`;
    const hex = vm.vmId.replace(/-/g, "").toUpperCase();
    return {
      name: this.nicName(vm),
      id,
      etag,
      tags: {},
      type: "Microsoft.Network/networkInterfaces",
      location: this.location,
      kind: "Regular",
      properties: {
        provisioningState: "Succeeded",
        resourceGuid: vm.vmId,
        ipConfigurations: [
          {
            name: ipConfig["name"] ?? "ipconfig1",
            id: `${id}/ipConfigurations/${ipConfig["name"] ?? "ipconfig1"}`,
            etag,
            type: "Microsoft.Network/networkInterfaces/ipConfigurations",
            properties: {
              provisioningState: "Succeeded",
              privateIPAddress: `10.0.${Math.floor((4 + vm.ordinal) / 256) % 256}.${(4 + vm.ordinal) % 256}`,
              privateIPAllocationMethod: "Dynamic",
              ...(ipConfig["properties"]?.["subnet"] ? { subnet: copyJson(ipConfig["properties"]["subnet"]) } : {}),
              primary: true,
              privateIPAddressVersion: "IPv4",
            },
          },
        ],
        dnsSettings: { dnsServers: [], appliedDnsServers: [] },
        macAddress: [0, 2, 4, 6, 8, 10].map((i) => hex.slice(i, i + 2)).join("-"),
        enableAcceleratedNetworking: config["properties"]?.["enableAcceleratedNetworking"] ?? false,
        enableIPForwarding: config["properties"]?.["enableIPForwarding"] ?? false,
        primary: true,
        virtualMachine: {
          id: `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}`,
        },
        hostedWorkloads: [],
        tapConfigurations: [],
        nicType: "Standard",
      },
    };
  }

  /**
   * One instance's view. A deallocated instance runs no guest: Azure leaves out what the guest agent reports (its
   * computer name, OS, agent and extensions), as recorded (azure-cli_test_vmss_vms.yaml #40: placementGroupId,
   * platformUpdateDomain, platformFaultDomain, disks, hyperVGeneration, statuses). An instance with no extension has no
   * `extensions` key (azure-cli_test_vmss_create_and_modify.yaml #26).
   */
  renderVmInstanceView(vm: Vm): Wire {
    const now = azureTime(new Date());
    const extensions = vmExtensions(vm);
    const guest = vm.powerState !== "deallocated";
    const view: Wire = {
      placementGroupId: this.resource["properties"]["uniqueId"],
      platformUpdateDomain: vm.ordinal % 5,
      platformFaultDomain: 0,
      ...(guest ? this.guestView(vm, extensions, now) : {}),
      disks: [
        {
          name: `${vm.name}_OsDisk_1_${vm.vmId.replaceAll("-", "")}`,
          statuses: [
            {
              code: "ProvisioningState/succeeded",
              level: "Info",
              displayStatus: "Provisioning succeeded",
              time: vm.timeCreated,
            },
          ],
        },
      ],
      ...(guest && extensions.length > 0
        ? {
            extensions: extensions.map((ext) => ({
              name: ext["name"],
              type: extensionFullType(ext),
              typeHandlerVersion: handlerVersion(ext),
              statuses: [extensionStatus(vm, String(ext["name"]))],
            })),
          }
        : {}),
      ...(this.reportsHealth(vm) ? { vmHealth: { status: healthStatus(vm.health, now) } } : {}),
      hyperVGeneration: "V2",
      statuses: [provisioningStatus(vm), powerStatus(vm.powerState)],
    };
    return view;
  }

  /** What the guest agent reports in an instance's view (none while deallocated). */
  private guestView(vm: Vm, extensions: readonly Wire[], now: string): Wire {
    return {
      computerName: vm.computerName,
      osName: "ubuntu",
      osVersion: "24.04",
      vmAgent: {
        vmAgentVersion: "2.12.0.2",
        statuses: [
          {
            code: "ProvisioningState/succeeded",
            level: "Info",
            displayStatus: "Ready",
            message: "Guest Agent is running",
            time: now,
          },
        ],
        extensionHandlers: extensions.map((ext) => ({
          type: extensionFullType(ext),
          typeHandlerVersion: handlerVersion(ext),
          status: { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Ready" },
        })),
      },
    };
  }

  renderInstanceView(): Wire {
    const vms = [...this.vms.values()];
    const count = (codes: string[]): Wire[] => {
      const counts = new Map<string, number>();
      for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
      return [...counts].map(([code, n]) => ({ code, count: n }));
    };
    return {
      virtualMachine: { statusesSummary: count(vms.map((vm) => provisioningStatus(vm)["code"])) },
      // No `extensions` key for a set without any (azure-cli_test_vmss_create_and_modify.yaml #26).
      ...(this.extensions.length > 0
        ? {
            extensions: this.extensions.map((ext) => ({
              name: ext["name"],
              statusesSummary: count(vms.map((vm) => extensionStatus(vm, String(ext["name"]))["code"])),
            })),
          }
        : {}),
      statuses: [
        {
          code: `ProvisioningState/${this.provisioningState.toLowerCase()}`,
          level: "Info",
          displayStatus: this.provisioningState === "Succeeded" ? "Provisioning succeeded" : this.provisioningState,
          time: azureTime(new Date()),
        },
      ],
    };
  }
}

/** Ordinals of Flexible VMs attached with their own profile start here (they sort after the set's own VMs). */
const ATTACHED_ORDINAL = 1_000_000;

export const FLEXIBLE_ROLLING_NEEDS_HEALTH =
  "Rolling upgrade policy on a Virtual Machine Scale Set with Flexible orchestration requires the Application Health extension";

/**
 * A Flexible VM's name: `<scale set>_<8 hex>`, as Azure names the VMs it creates from the model (e.g.
 * `vmss-demo_1a2b3c4d`). Azure's suffix is random; here it is derived from the set and the ordinal so that runs repeat.
 */
function flexibleVmName(setName: string, ordinal: number): string {
  return `${setName}_${createHash("sha256").update(`${setName}/${ordinal}`).digest("hex").slice(0, 8)}`;
}

/**
 * An instance's profile as isLatest compares it (the parts that decide latestModelApplied: read-only and timestamp
 * fields left out), kept per profile object: an instance's profile is only ever replaced whole (an upgrade, a rollback
 * of one), never changed in place, so a filtered list of 1,000 instances does not clone 1,000 profiles per page (the
 * emulator's own CPU time is not Azure's latency, and the benchmark shares the machine). The set's own profile is
 * changed in place (an extension write), so its comparable form is not kept: a list computes it once a page.
 */
const comparableProfiles = new WeakMap<Wire, string>();
function comparableVm(vm: Vm): string {
  let text = comparableProfiles.get(vm.profile);
  if (text === undefined) {
    text = comparable(vm.profile);
    comparableProfiles.set(vm.profile, text);
  }
  return text;
}

function comparable(profile: Wire): string {
  const copy = copyJson(profile);
  delete copy["timeCreated"];
  for (const ext of copy["extensionProfile"]?.["extensions"] ?? []) delete ext["properties"]?.["provisioningState"];
  return canonical(copy);
}

function vmExtensions(vm: Vm): Wire[] {
  return vm.profile["extensionProfile"]?.["extensions"] ?? [];
}

/** Extension child resources: `protectedSettings` never leave the service; provisioningState is reported. */
function renderExtensionProperties(properties: Wire): Wire {
  return { ...withoutKeys(properties, ["protectedSettings", "provisioningState"]), provisioningState: "Succeeded" };
}

/**
 * What Azure takes in `osProfile` and never returns: the admin password and custom data (the spec marks both
 * write-only, `x-ms-mutability: [create, update]`-style secrets; azure-cli_test_vmss_create_and_modify.yaml #17 shows
 * `adminUsername` and no `adminPassword` for a set created with a password). Kept in the model (a GET→PUT round trip
 * keeps them, as PUT keeps what it omits), left out of every answer: the set, its lists, each VM's `osProfile`.
 */
const WRITE_ONLY_OS_PROFILE = ["adminPassword", "customData"] as const;

/** The model as GET shows it: no protectedSettings, no admin password or custom data, `userData` only when asked for
 *  (`$expand=userData`, VirtualMachineScaleSets_Get); extensions without provisioningState (2023-09-01 recordings). */
function renderProfile(profile: Wire, userData = false): Wire {
  const copy = copyJson(profile);
  for (const ext of copy["extensionProfile"]?.["extensions"] ?? []) {
    if (isObject(ext["properties"])) delete ext["properties"]["protectedSettings"];
  }
  if (isObject(copy["osProfile"])) for (const key of WRITE_ONLY_OS_PROFILE) delete copy["osProfile"][key];
  if (!userData) delete copy["userData"];
  return copy;
}

/** The image an instance runs: the model's reference plus exactVersion for platform images. */
function renderVmImage(profile: Wire): Wire {
  const ref: Wire = copyJson(profile["storageProfile"]?.["imageReference"] ?? {});
  const exact = exactVersion(ref);
  return exact ? { ...ref, exactVersion: exact } : ref;
}

export function exactVersion(ref: Wire): string | undefined {
  if (ref["id"] || !ref["publisher"]) return undefined;
  return !ref["version"] || String(ref["version"]).toLowerCase() === "latest"
    ? LATEST_PLATFORM_VERSION
    : String(ref["version"]);
}

function extensionFullType(ext: Wire): string {
  return `${ext["properties"]?.["publisher"]}.${ext["properties"]?.["type"]}`;
}

function handlerVersion(ext: Wire): string {
  return `${ext["properties"]?.["typeHandlerVersion"] ?? "1.0"}.0`;
}

/** Power states in which the guest (and so the Application Health extension) does not run. */
const SILENT_POWER_STATES: ReadonlySet<Vm["powerState"]> = new Set(["stopped", "deallocating", "deallocated"]);

const ENABLE_FAILED =
  "Enable failed: failed to execute command: command terminated with exit status=1\n[stdout]\n\n[stderr]\n";

/** An extension's instance-view status: an injected upgrade failure naming it; transitioning while the instance is
 *  Updating (its extensions run again); else the status set for it (setInstance, seed), or succeeded. */
function extensionStatus(vm: Vm, extension: string): Wire {
  if (vm.error?.extension === extension) return extensionStateStatus("failed");
  if (vm.provisioningState === "Updating") return extensionStateStatus("transitioning");
  const set = vm.extensionStatuses.get(extension.toLowerCase());
  return set ? extensionStateStatus(set.state, set.message) : extensionStateStatus("succeeded");
}

function extensionStateStatus(state: ExtensionState, message?: string): Wire {
  switch (state) {
    case "failed":
      return {
        code: "ProvisioningState/failed/1",
        level: "Error",
        displayStatus: "Provisioning failed",
        message: message ?? ENABLE_FAILED,
      };
    case "transitioning":
      return {
        code: "ProvisioningState/transitioning",
        level: "Info",
        displayStatus: "Transitioning",
        message: message ?? "Enable in progress",
      };
    default:
      return {
        code: "ProvisioningState/succeeded",
        level: "Info",
        displayStatus: "Provisioning succeeded",
        message: message ?? "Enable succeeded",
      };
  }
}

function provisioningStatus(vm: Vm): Wire {
  switch (vm.provisioningState) {
    case "Failed":
      return {
        code: `ProvisioningState/failed/${vm.error?.code ?? "InternalExecutionError"}`,
        level: "Error",
        displayStatus: "Provisioning failed",
        message: vm.error?.message ?? "",
        time: vm.provisioningTime,
      };
    case "Updating":
      // No `time` while updating (azure-libraries-for-java_canGetSingleVMSSInstance.json #27).
      return { code: "ProvisioningState/updating", level: "Info", displayStatus: "Updating" };
    default:
      return {
        code: "ProvisioningState/succeeded",
        level: "Info",
        displayStatus: "Provisioning succeeded",
        time: vm.provisioningTime,
      };
  }
}

function powerStatus(state: Vm["powerState"]): Wire {
  return { code: `PowerState/${state}`, level: "Info", displayStatus: `VM ${state}` };
}

const HEALTH_DISPLAY: Record<HealthState, { level: string; displayStatus: string }> = {
  healthy: { level: "Info", displayStatus: "The VM is healthy" },
  unhealthy: { level: "Error", displayStatus: "The VM is unhealthy" },
  unknown: { level: "Warning", displayStatus: "The VM health is unknown" },
  initializing: { level: "Info", displayStatus: "The VM health is being initialized" },
};

function healthStatus(health: HealthState, time: string): Wire {
  return { code: `HealthState/${health}`, ...HEALTH_DISPLAY[health], time };
}

function withoutKeys(obj: Wire, keys: readonly string[]): Wire {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}
