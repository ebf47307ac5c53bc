// The instances of a Flexible scale set, read as the engine reads a Uniform one (one listInstances, InstanceState).
//
// What Azure offers for Flexible VMs (evidence in emulator/README.md "Flexible orchestration"):
// - The scale-set VM list (`virtualMachineScaleSets/{name}/virtualMachines`) names the members with limited detail:
//   the name (which is also the instance ID manualupgrade takes), protectionPolicy, modelDefinitionApplied,
//   virtualMachineResourceId (api-version >= 2025-11-01), and latestModelApplied only if Azure fills it — no public
//   source says it does. No instance view; per-instance scale-set VM calls refuse names; the set's instanceView is not
//   allowed on Flexible.
// - The standalone VM list (`virtualMachines?$filter='virtualMachineScaleSet/id' eq '<id>'&$expand=instanceView`)
//   gives the detail: the instance view (power, provisioning, extension statuses, vmHealth), the image with its exact
//   version, the extensions (settings, forceUpdateTag).
// So one listing is the two lists, each paged, joined by the VM's resource ID (or name): a fixed number of requests
// per page whatever the size, never a per-VM GET. Where latestModelApplied is missing it is not taken as true: the VM
// is compared with the scale set's model (src/domain/model-match.ts) on what vmss-rollout changes; the model is read
// once for that listing (a GET of the set, a cheap read).

import type { ComputeManagementClient, VirtualMachine, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import type { InstanceState, ScaleSetModel } from "../domain/scale-set.ts";
import { matchesModel } from "../domain/model-match.ts";
import { toExtensionModel, toImageReference, viewFacts } from "./mapping.ts";

export interface FlexibleListDeps {
  readonly client: ComputeManagementClient;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly scaleSet: string;
  /** Waits, between pages of the scale-set VM list, for its throttling bucket (HighCostGetVMScaleSet), as for Uniform. */
  readonly betweenPages: (more: boolean, signal: AbortSignal | undefined) => Promise<void>;
  /** The scale set's model as Azure holds it now. */
  readonly getModel: (signal: AbortSignal | undefined) => Promise<ScaleSetModel>;
  /** Told how many VMs lacked latestModelApplied and were compared with the model instead (only when some did). */
  readonly compared?: (count: number) => void;
  /**
   * The members the last listing found without their VM (kept by the caller between listings): one missing again is
   * not read again, so a VM Azure keeps out of the VM list does not double every listing.
   */
  readonly missingBefore?: Set<string>;
}

/** A Flexible VM attached with a profile of its own: not the scale set's model, never upgraded by it. */
const OWN_MODEL = "VirtualMachine";

export async function listFlexibleInstances(
  deps: FlexibleListDeps,
  signal: AbortSignal | undefined,
): Promise<InstanceState[]> {
  // A member whose VM the second list does not show was most likely deleted between the two lists (a scale-in): read
  // once more, so that it is reported gone (as on a Uniform set) rather than judged on no state at all. Still missing
  // then: judged as before (not on the model, no state), which the gate waits for and the report shows.
  let read = await readLists(deps, signal);
  const missing = (r: typeof read): string[] =>
    r.members.filter((m) => r.detailOf(m) === undefined).map((m) => (m.name ?? "").toLowerCase());
  if (missing(read).some((name) => deps.missingBefore?.has(name) !== true)) read = await readLists(deps, signal);
  if (deps.missingBefore !== undefined) {
    deps.missingBefore.clear();
    for (const name of missing(read)) deps.missingBefore.add(name);
  }
  const { members, detailOf } = read;
  const unsaid = members.filter((m) => m.latestModelApplied === undefined && m.modelDefinitionApplied !== OWN_MODEL);
  const model = unsaid.length > 0 ? await deps.getModel(signal) : undefined;
  if (unsaid.length > 0) deps.compared?.(unsaid.length);
  return members.map((member) => toFlexibleInstanceState(member, detailOf(member), model));
}

/** The two lists of one listing: the members, and each one's VM from the standalone list (by resource ID or name). */
async function readLists(
  deps: FlexibleListDeps,
  signal: AbortSignal | undefined,
): Promise<{
  members: VirtualMachineScaleSetVM[];
  detailOf: (member: VirtualMachineScaleSetVM) => VirtualMachine | undefined;
}> {
  const { client, resourceGroup: rg, scaleSet } = deps;
  const members: VirtualMachineScaleSetVM[] = [];
  for await (const page of client.virtualMachineScaleSetVMs.list(rg, scaleSet, { abortSignal: signal }).byPage()) {
    members.push(...page);
    await deps.betweenPages(page.continuationToken !== undefined && page.continuationToken !== "", signal);
  }
  const setId = `/subscriptions/${deps.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${scaleSet}`;
  const details = new Map<string, VirtualMachine>();
  for await (const vm of client.virtualMachines.list(rg, {
    filter: `'virtualMachineScaleSet/id' eq '${setId}'`,
    expand: "instanceView",
    abortSignal: signal,
  })) {
    if (vm.id !== undefined) details.set(vm.id.toLowerCase(), vm);
    if (vm.name !== undefined) details.set(`name:${vm.name.toLowerCase()}`, vm);
  }
  const detailOf = (member: VirtualMachineScaleSetVM): VirtualMachine | undefined =>
    (member.virtualMachineResourceId !== undefined
      ? details.get(member.virtualMachineResourceId.toLowerCase())
      : undefined) ?? details.get(`name:${(member.name ?? "").toLowerCase()}`);
  return { members, detailOf };
}

/**
 * One Flexible VM: identity and protection from the scale-set VM, state from the standalone VM. latestModelApplied:
 * Azure's when given; else the comparison with the model; false when neither can say (the VM's detail was not listed,
 * or it is attached with its own profile).
 */
export function toFlexibleInstanceState(
  member: VirtualMachineScaleSetVM,
  detail: VirtualMachine | undefined,
  model: ScaleSetModel | undefined,
): InstanceState {
  const name = member.name ?? member.instanceId ?? "";
  const ownModel = member.modelDefinitionApplied === OWN_MODEL;
  const imageReference = detail?.storageProfile?.imageReference
    ? toImageReference(detail.storageProfile.imageReference)
    : undefined;
  // An extension child resource without its name (reported of this list's `resources`: azure-sdk-for-net#13378) is
  // named by its ID's last segment, which is the name.
  const extensions = detail?.resources?.map((ext) =>
    toExtensionModel({
      ...ext,
      name: ext.name ?? /\/extensions\/([^/]+)$/i.exec(ext.id ?? "")?.[1] ?? "",
      settings: ext.settings as unknown,
    }),
  );
  const latest = ownModel
    ? false
    : (booleanOr(member.latestModelApplied, undefined) ??
      (detail !== undefined && model !== undefined
        ? matchesModel(model, {
            ...(imageReference !== undefined && { imageReference }),
            ...(extensions !== undefined && { extensions }),
          })
        : false));
  const { power, health, error, errors } = viewFacts(detail?.instanceView);
  const provisioningState = detail?.provisioningState ?? member.provisioningState;
  return {
    // manualupgrade takes a Flexible VM's name as its instance ID.
    instanceId: name,
    name,
    latestModelApplied: latest,
    protectedFromScaleSetActions: booleanOr(member.protectionPolicy?.protectFromScaleSetActions, false),
    ...(ownModel && { ownModel: true }),
    ...(provisioningState !== undefined && { provisioningState }),
    ...(power !== undefined && { powerState: power }),
    ...(health !== undefined && { health }),
    ...(imageReference !== undefined && { imageReference }),
    ...(error !== undefined && { error, errors }),
  };
}

/** A boolean as Azure sent it; anything else (a string "false", say) is not taken for one: `otherwise` then. */
function booleanOr<T extends boolean | undefined>(value: unknown, otherwise: T): boolean | T {
  return typeof value === "boolean" ? value : otherwise;
}
