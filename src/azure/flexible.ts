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
//   version, the extensions (settings, forceUpdateTag, handler version; `enableAutomaticUpgrade` left out: azure-cli#26019).
// So one listing is the two lists, each paged, joined by the VM's resource ID (or name): a fixed number of requests
// per page whatever the size, no per-VM GET while the list shows the VMs' extensions. Where latestModelApplied is
// missing it is not taken as true: the VM is compared with the scale set's model (src/domain/model-match.ts: the image,
// each extension's settings and forceUpdateTag, its other properties where shown; InstanceState.modelCompared says
// so); the model is read once for that listing (a GET of the set, a cheap read).
// - The VM list has been reported to show extensions by ID only, with no properties (ansible/ansible#38279,
//   azure-sdk-for-net#13378; azure-cli#26019 shows them with their properties in 2023). Then the comparison cannot be
//   made from the list: a VM running the model's image has its extensions read (VirtualMachineExtensions_List, one
//   GET a VM), and not again while its provisioning state and that state's time stay as they were (assumed: anything
//   that changes a VM's extensions takes it through Updating). Without this, such a VM never compared as on the model.

import type { VirtualMachine, VirtualMachineExtension, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import type {
  AzureErrorInfo,
  ExtensionModel,
  ImageReference,
  InstanceState,
  ScaleSetModel,
} from "../domain/scale-set.ts";
import type { ComputeClient } from "./compute-client.ts";
import { matchesModel, runsModelImage } from "../domain/model-match.ts";
import { shownByIdOnly, shownExtensions, toImageReference, toVmExtensionModel, viewFacts } from "./mapping.ts";

export interface FlexibleListDeps {
  readonly client: ComputeClient;
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
  /** Told how many VMs had their extensions read one by one, the list showing them by ID only (only when some did). */
  readonly readOneByOne?: (count: number) => void;
  /**
   * The extensions of VMs read one by one (resource ID, lower case → what was read, and under which model extensions
   * and provisioning state: `seen`), kept by the caller between listings, so that a VM nothing has changed since is not
   * read again. A refused read is not kept: it is tried again.
   */
  readonly extensionsSeen?: Map<string, { readonly seen: string; readonly extensions: readonly ExtensionModel[] }>;
  /**
   * Azure's refusal of one VM's extension read, as the engine reports it (its code and message), or undefined when the
   * failure is not one VM's (an abort, a sign-in failure, no answer at all): the listing then fails. Told of each
   * refused read (`name`: the VM's); a VM refused again is read again at each listing.
   */
  readonly refusal: (err: unknown, name: string) => AzureErrorInfo | undefined;
}

/** One VM's extensions as read one by one, or Azure's refusal of that read (its model is then not known). */
type ExtensionsRead = { readonly extensions: readonly ExtensionModel[] } | { readonly refused: AzureErrorInfo };

/** VMs whose extensions are read at once, when the list shows them by ID only. */
const EXTENSION_READS_AT_ONCE = 8;

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
  const unsaid = members.filter(comparedOnModel);
  const model = unsaid.length > 0 ? await deps.getModel(signal) : undefined;
  if (unsaid.length > 0) deps.compared?.(unsaid.length);
  const extensionsOf =
    model === undefined
      ? new Map<string, ExtensionsRead>()
      : await extensionsRead(deps, unsaid, detailOf, model, signal);
  return members.map((member) => {
    const detail = detailOf(member);
    return toFlexibleInstanceState(member, detail, model, extensionsOf.get(detail?.id?.toLowerCase() ?? ""));
  });
}

/**
 * Whether a member is judged on the model by comparison (toFlexibleInstanceState): Azure does not say whether it is on
 * the model (anything but a boolean: absent, null, a string), and it was not attached with a profile of its own.
 */
export function comparedOnModel(member: VirtualMachineScaleSetVM): boolean {
  return typeof (member.latestModelApplied as unknown) !== "boolean" && member.modelDefinitionApplied !== OWN_MODEL;
}

/**
 * The extensions of each VM the comparison needs them of when the list shows them by ID only: a VM whose
 * latestModelApplied Azure leaves out and that runs the model's image (one that does not is off the model whatever its
 * extensions). A VM read before, whose provisioning state and its time are what they were then (nothing has changed
 * it since: an upgrade or an extension write goes through Updating, with a new time), under the same model extensions,
 * is not read again. A read Azure refuses (a 403 for that VM, a 404, a 5xx after the SDK's retries) leaves that VM's
 * model unknown (InstanceState.modelUnknown), not the whole listing failed: before (a review, 2026-12-07), one VM's
 * refusal stopped the run. A VM gone by then (404: a scale-in between the list and the read) is shown gone by the next
 * listing, as on a Uniform set. A refused read is tried again at the next listing. Keyed by the VM's resource ID
 * (lower case).
 */
async function extensionsRead(
  deps: FlexibleListDeps,
  unsaid: readonly VirtualMachineScaleSetVM[],
  detailOf: (member: VirtualMachineScaleSetVM) => VirtualMachine | undefined,
  model: ScaleSetModel,
  signal: AbortSignal | undefined,
): Promise<Map<string, ExtensionsRead>> {
  const found = new Map<string, ExtensionsRead>();
  if (model.extensions.length === 0) return found;
  const wanted = JSON.stringify(model.extensions);
  const toRead: { key: string; name: string; seen: string | undefined }[] = [];
  for (const member of unsaid) {
    const detail = detailOf(member);
    if (detail?.id === undefined || detail.name === undefined || !detail.resources?.some(shownByIdOnly)) continue;
    const key = detail.id.toLowerCase();
    if (!runsModelImage(model, toVmImage(detail))) {
      deps.extensionsSeen?.delete(key);
      continue;
    }
    const since = provisionedAt(detail);
    const seen = since === undefined ? undefined : `${wanted}|${since}`;
    const before = deps.extensionsSeen?.get(key);
    if (seen !== undefined && before?.seen === seen) found.set(key, before);
    else toRead.push({ key, name: detail.name, seen });
  }
  if (toRead.length === 0) return found;
  deps.readOneByOne?.(toRead.length);
  for (let at = 0; at < toRead.length; at += EXTENSION_READS_AT_ONCE) {
    await Promise.all(
      toRead.slice(at, at + EXTENSION_READS_AT_ONCE).map(async ({ key, name, seen }) => {
        deps.extensionsSeen?.delete(key);
        let read: VirtualMachineExtension[];
        try {
          read =
            (await deps.client.virtualMachineExtensions.list(deps.resourceGroup, name, { abortSignal: signal }))
              .value ?? [];
        } catch (err) {
          const refused = signal?.aborted === true ? undefined : deps.refusal(err, name);
          if (refused === undefined) throw err;
          // Not kept for the next listing: a refusal may be passing (a role assignment still spreading, a 5xx), and
          // the VM's state would stay unknown to the end though a read would show it (a review, 2026-12-07: a single
          // 403 after its upgrade failed the job of a VM on the model). The next listing reads it again.
          found.set(key, { refused });
          return;
        }
        const extensions = read.map(toVmExtensionModel);
        found.set(key, { extensions });
        if (seen !== undefined) deps.extensionsSeen?.set(key, { seen, extensions });
      }),
    );
  }
  return found;
}

/** The VM's provisioning state and when it last changed (its instance view's ProvisioningState status), if shown. */
function provisionedAt(detail: VirtualMachine): string | undefined {
  const status = detail.instanceView?.statuses?.find((s) => s.code?.startsWith("ProvisioningState/"));
  if (status?.time === undefined) return undefined;
  const time = status.time instanceof Date ? status.time.toISOString() : String(status.time);
  return `${status.code}@${time}`;
}

function toVmImage(detail: VirtualMachine): ImageReference | undefined {
  return detail.storageProfile?.imageReference ? toImageReference(detail.storageProfile.imageReference) : undefined;
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
 * Azure's when given; else the comparison with the model (its extensions as read one by one, `extensionsRead`, when
 * the list showed them by ID only); false when neither can say (the VM's detail was not listed, or it is attached with
 * its own profile, or the read of its extensions was refused: `modelUnknown` then says why).
 */
export function toFlexibleInstanceState(
  member: VirtualMachineScaleSetVM,
  detail: VirtualMachine | undefined,
  model: ScaleSetModel | undefined,
  read?: ExtensionsRead,
): InstanceState {
  const refused = read !== undefined && "refused" in read ? read.refused : undefined;
  const extensionsRead = read !== undefined && "extensions" in read ? read.extensions : undefined;
  const name = member.name ?? member.instanceId ?? "";
  const ownModel = member.modelDefinitionApplied === OWN_MODEL;
  const imageReference = detail !== undefined ? toVmImage(detail) : undefined;
  // An extension child resource without its name (reported of this list's `resources`: azure-sdk-for-net#13378) is
  // named by its ID's last segment, which is the name. Read one by one when the list shows them by ID only.
  const extensions = extensionsRead ?? detail?.resources?.map(toVmExtensionModel);
  const said = booleanOr(member.latestModelApplied, undefined);
  const latest =
    ownModel || (said === undefined && refused !== undefined)
      ? false
      : (said ??
        (detail !== undefined && model !== undefined
          ? matchesModel(model, {
              ...(imageReference !== undefined && { imageReference }),
              ...(extensions !== undefined && { extensions }),
            })
          : false));
  const { power, health, error, errors } = viewFacts(detail?.instanceView);
  const provisioningState = detail?.provisioningState ?? member.provisioningState;
  // Only extensions shown with their properties (or read one by one): one listed by ID only says nothing of them.
  const shown = extensionsRead ?? shownExtensions(detail?.resources);
  return {
    // manualupgrade takes a Flexible VM's name as its instance ID.
    instanceId: name,
    name,
    latestModelApplied: latest,
    ...(!ownModel && said === undefined && { modelCompared: true }),
    ...(!ownModel && said === undefined && refused !== undefined && { modelUnknown: refused }),
    protectedFromScaleSetActions: booleanOr(member.protectionPolicy?.protectFromScaleSetActions, false),
    ...(ownModel && { ownModel: true }),
    ...(provisioningState !== undefined && { provisioningState }),
    ...(power !== undefined && { powerState: power }),
    ...(health !== undefined && { health }),
    ...(imageReference !== undefined && { imageReference }),
    ...(shown !== undefined && { extensions: shown }),
    ...(error !== undefined && { error, errors }),
  };
}

/** A boolean as Azure sent it; anything else (a string "false", say) is not taken for one: `otherwise` then. */
function booleanOr<T extends boolean | undefined>(value: unknown, otherwise: T): boolean | T {
  return typeof value === "boolean" ? value : otherwise;
}
