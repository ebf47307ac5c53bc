// Writes to the scale-set model: PATCH (merge) and PUT (merge that keeps what the body omits, see putScaleSet) of the set, PATCH/PUT of an extension child
// resource, and the create-time / restricted properties Compute refuses to change (docs: "Modify a Virtual Machine
// Scale Set"; error texts from real CRP responses, see README "Assumptions" for the status code).
import { createHash } from "node:crypto";
import { azureTime } from "../clock.ts";
import { ArmError } from "../http.ts";
import { REQUEST_TYPES, refuseUnknownMembers } from "./members.ts";
import { DEFAULT_ROLLING_POLICY } from "./seed.ts";
import { canonical, copyJson, isObject, mergeKeep, mergePatch, type Wire } from "./wire.ts";

/** Read-only properties a client may echo back; the service ignores them. */
function stripReadOnly(body: Wire): Wire {
  const copy = copyJson(body);
  for (const key of ["id", "name", "type", "etag", "location"]) delete copy[key];
  const props = copy["properties"];
  if (isObject(props)) {
    for (const key of ["provisioningState", "uniqueId", "timeCreated"]) delete props[key];
    if (isObject(props["virtualMachineProfile"])) delete props["virtualMachineProfile"]["timeCreated"];
  }
  return copy;
}

/**
 * PATCH: objects merge, arrays (e.g. extensions) replace, null removes. `tags` is the exception: a PATCH's `tags`
 * replace the resource's tags as a whole (a tag left out is removed), as the action's port (ScaleSetApi.writeTags)
 * relies on; see README "Tags" for the evidence and what is unconfirmed.
 */
export function patchScaleSet(current: Wire, body: Wire): Wire {
  refuseUnknownMembers(body, REQUEST_TYPES.scaleSetPatch);
  const incoming = stripReadOnly(body);
  refuseTags(incoming["tags"]);
  alignIdentityKeys(current, incoming);
  const next = mergePatch(current, incoming) as Wire;
  if (isObject(incoming["tags"])) next["tags"] = copyJson(incoming["tags"]);
  return finish(current, next);
}

/** What a PUT's body (the whole resource) must have: a location (400 LocationRequired), tags Azure takes. */
function refuseWholeBody(body: Wire): void {
  if (typeof body["location"] !== "string") {
    throw new ArmError(400, {
      code: "LocationRequired",
      message: "The location property is required for this definition.",
    });
  }
  refuseTags(body["tags"]);
}

/**
 * PUT of a set that does not exist: the body is the whole resource (its properties as given, read-only ones
 * dropped), over the created set's identity (id, name, type) and the properties Azure makes (uniqueId, timeCreated),
 * with the defaults Compute fills in (finish). `created`: the resource the emulator made for the name.
 */
export function createScaleSet(created: Wire, body: Wire): Wire {
  refuseUnknownMembers(body, REQUEST_TYPES.scaleSetPut);
  refuseWholeBody(body);
  const given = stripReadOnly(body);
  const props: Wire = isObject(given["properties"]) ? given["properties"] : {};
  const flexible = String(props["orchestrationMode"] ?? "Uniform").toLowerCase() === "flexible";
  if (!flexible && !isObject(props["virtualMachineProfile"])) {
    // Assumed wording and code (a Uniform set is made from its profile; the spec marks no property required).
    throw new ArmError(400, {
      code: "InvalidParameter",
      message: "Required parameter 'virtualMachineProfile' is missing (null).",
      target: "virtualMachineProfile",
    });
  }
  const made: Wire = created["properties"] ?? {};
  const next: Wire = {
    ...given,
    id: created["id"],
    name: created["name"],
    type: created["type"],
    location: canonicalLocation(String(body["location"])),
    sku: isObject(given["sku"]) ? given["sku"] : { capacity: 0 },
    properties: {
      ...props,
      orchestrationMode: flexible ? "Flexible" : "Uniform",
      ...(flexible ? {} : { singlePlacementGroup: props["singlePlacementGroup"] ?? true }),
      uniqueId: made["uniqueId"],
      timeCreated: made["timeCreated"],
    },
  };
  const finished = finish(next, next);
  shapeIdentity(finished);
  return finished;
}

/**
 * PUT of an existing set: what the body gives replaces, what it omits is kept (objects merge; arrays of named
 * elements — extensions, NIC and IP configurations — merge element by element on `name`, elements left out are
 * removed; other arrays replace). Azure does this, as recorded and documented:
 * - `az vmss scale` PUTs `{location, sku}` only (azure-cli_test_vmss_create_and_modify.yaml, "vmss scale") and the
 *   model stays, every instance `latestModelApplied: true` on the next list;
 * - `az vmss update` blanks `imageReference` before its PUT (azure-cli `get_vmss_modified`: "To avoid unnecessary
 *   permission check of image"), so `--set ...imageReference.version=X` — the command Microsoft's docs give for a new
 *   image version ("Modify a Virtual Machine Scale Set") — sends `imageReference: {version}` only, and without `--set`
 *   no `imageReference` at all (azure-cli_test_vmss_update_image.yaml: the response still has the old one);
 * - a client on an older api-version (az 2.45: 2020-06-01) drops the properties it does not know; ARM's contract for
 *   older api-versions is that they do not clear newer properties, so a tags-only update leaves instances current.
 * Identity and read-only properties are kept; only existing sets (no create).
 */
export function putScaleSet(current: Wire, body: Wire): Wire {
  refuseUnknownMembers(body, REQUEST_TYPES.scaleSetPut);
  refuseWholeBody(body);
  refuseOtherLocation(current, String(body["location"]));
  const incoming = stripReadOnly(body);
  alignIdentityKeys(current, incoming);
  const merged = mergeKeep(current, incoming) as Wire;
  // The user-assigned identities a PUT names are the set's from then on: one it leaves out is removed.
  const users = incoming["identity"]?.["userAssignedIdentities"];
  if (isObject(users) && isObject(merged["identity"])) merged["identity"]["userAssignedIdentities"] = copyJson(users);
  // A PUT's `tags` are the set's tags from then on, as a PATCH's are: a tag it leaves out is removed (az sends the
  // whole map it read, azure-cli_test_vmss_extension.yaml #13–#73 `"tags": {}` answered `{}`;
  // …_update_image.yaml #44). A PUT without `tags` keeps them, as it keeps any property it leaves out.
  if (isObject(incoming["tags"])) merged["tags"] = copyJson(incoming["tags"]);
  const next: Wire = {
    ...merged,
    id: current["id"],
    name: current["name"],
    type: current["type"],
    location: current["location"],
  };
  return finish(current, next);
}

/**
 * A PUT naming another region than the set's: a resource cannot move, ARM refuses it (nothing changes) with
 * `InvalidResourceLocation` "The resource '<name>' already exists in location '<current>' in resource group '<rg>'. A
 * resource with the same name cannot be created in location '<requested>'. Please select a new resource name." (the
 * words in learn.microsoft.com "Resolve errors for storage account names", ARM's own check, not the provider's; the
 * same text for other types in MicrosoftDocs/azure-docs#70422 and fortinetsolutions/Azure-Templates#8, a NIC). Regions
 * compare in canonical form ("West Europe" is westeurope); the requested one is named as the body gives it (as ARM names
 * a group's, microsoft/vscode-azurefunctions#889). Status 409 Conflict: assumed, as ARM answers the resource group's
 * twin refusal InvalidResourceGroupLocation (StatusCode=409 in microsoft/bedrock#100); README "Assumptions".
 */
function refuseOtherLocation(current: Wire, requested: string): void {
  const location = String(current["location"]);
  if (canonicalLocation(requested) === canonicalLocation(location)) return;
  const group = /\/resourceGroups\/([^/]+)\//i.exec(String(current["id"]))?.[1] ?? "";
  throw new ArmError(409, {
    code: "InvalidResourceLocation",
    message: `The resource '${current["name"]}' already exists in location '${location}' in resource group '${group}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
  });
}

/** PATCH of an extension child resource: properties merge, except `settings` / `protectedSettings`, which are
 *  opaque to the service and replaced as a unit. */
export function patchExtension(current: Wire, body: Wire): Wire {
  refuseUnknownMembers(body, REQUEST_TYPES.extensionPatch);
  const incoming: Wire = isObject(body["properties"]) ? copyJson(body["properties"]) : {};
  delete incoming["provisioningState"];
  const props = mergePatch(current["properties"] ?? {}, withoutOpaque(incoming)) as Wire;
  for (const key of ["settings", "protectedSettings"]) if (key in incoming) props[key] = incoming[key];
  return { name: current["name"], properties: props };
}

/** PUT of an extension child resource: the properties replace the old ones (protectedSettings kept if omitted). */
export function putExtension(name: string, current: Wire | undefined, body: Wire): Wire {
  refuseUnknownMembers(body, REQUEST_TYPES.extensionPut);
  const props: Wire = isObject(body["properties"]) ? copyJson(body["properties"]) : {};
  delete props["provisioningState"];
  if (!("protectedSettings" in props) && current?.["properties"]?.["protectedSettings"] !== undefined) {
    props["protectedSettings"] = copyJson(current["properties"]["protectedSettings"]);
  }
  return { name, properties: props };
}

function withoutOpaque(props: Wire): Wire {
  const { settings: _s, protectedSettings: _p, ...rest } = props;
  return rest;
}

/** `Basic_A1` → Basic, every other size (`Standard_…`) → Standard, as the recorded size list names their tiers
 *  (azure-cli_test_vmss_create_and_modify.yaml #19). */
export function skuTier(name: string): string {
  return /^basic_/i.test(name) ? "Basic" : "Standard";
}

/**
 * ARM's canonical form of a region as a resource shows it: `"West Europe"` → `westeurope` (lower case, no spaces);
 * every recorded resource's `location` and operation URL has that form (e.g. `westus`, `eastus`).
 */
export function canonicalLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** The profile as its `timeCreated` follows it: everything but that stamp. */
function profileText(props: unknown): string {
  const profile = isObject(props) ? props["virtualMachineProfile"] : undefined;
  if (!isObject(profile)) return "";
  const { timeCreated: _stamp, ...rest } = profile;
  return canonical(rest);
}

/**
 * `virtualMachineProfile.timeCreated` is the time the profile was last written: a write that changes the profile gives
 * it the write's time (azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #13 → #14, the PUT
 * adding the health extension; azure-cli_test_vmss_add_application.yaml #11 → #12, the PATCH of applicationProfile),
 * one that leaves it as it was keeps it (…health_extension.yaml #23 → #24, a PUT of automaticRepairsPolicy only).
 */
export function stampProfile(profile: Wire, now = azureTime(new Date())): void {
  profile["timeCreated"] = now;
}

/** Common to PATCH and PUT: restricted properties, protectedSettings kept, rolling policy defaults. */
function finish(current: Wire, next: Wire): Wire {
  refuseRestrictedChanges(current, next);
  keepProtectedSettings(current, next);
  shapeIdentity(next);
  // Every recorded set and VM names its tier (`Standard` for `Standard_*` sizes): filled in when the body gave none.
  const sku = next["sku"];
  if (isObject(sku) && typeof sku["name"] === "string" && typeof sku["tier"] !== "string")
    sku["tier"] = skuTier(sku["name"]);
  const profile = next["properties"]?.["virtualMachineProfile"];
  if (isObject(profile) && (current === next || profileText(current["properties"]) !== profileText(next["properties"])))
    stampProfile(profile);
  const props = next["properties"];
  if (isObject(props)) {
    const policy: Wire = isObject(props["upgradePolicy"])
      ? props["upgradePolicy"]
      : (props["upgradePolicy"] = { mode: "Manual" });
    // The service stores the enum's own spelling (az 2.45 sends `"mode": "manual"`) and fills the rolling policy's
    // defaults in every mode: the recorded Manual-mode GET (azure-cli_test_vmss_create_and_modify.yaml, deployment
    // output) shows `upgradePolicy: {mode: "Manual", rollingUpgradePolicy: {maxBatchInstancePercent: 20, …}}`.
    const mode = String(policy["mode"] ?? "Manual");
    policy["mode"] = UPGRADE_MODES.find((m) => m.toLowerCase() === mode.toLowerCase()) ?? mode;
    // Flexible sets: the recorded PATCH answer and GET (azure-cli_test_vmss_add_application.yaml #12, #14) show
    // `upgradePolicy: {mode: "Manual"}` alone, so no defaults are filled outside Rolling mode (a policy the client gave
    // is kept as given); in Rolling mode the defaults without the Uniform-only rollbackFailedInstancesOnPolicyBreach,
    // as the Flexible seed has them (seed.ts).
    const flexible = String(props["orchestrationMode"] ?? "").toLowerCase() === "flexible";
    const given: Wire = isObject(policy["rollingUpgradePolicy"]) ? policy["rollingUpgradePolicy"] : {};
    if (!flexible) policy["rollingUpgradePolicy"] = { ...DEFAULT_ROLLING_POLICY, ...given };
    else if (policy["mode"] === "Rolling") {
      const { rollbackFailedInstancesOnPolicyBreach: _uniformOnly, ...flexibleDefaults } = DEFAULT_ROLLING_POLICY;
      policy["rollingUpgradePolicy"] = { ...flexibleDefaults, ...given };
    }
    refusePinnedImageWithAutomaticOsUpgrade(policy, props);
    // automaticRepairsPolicy without repairAction: Compute stores its default, `Replace` (the spec's
    // AutomaticRepairsPolicy.repairAction: "Default value is replace."), and answers it: a PUT sending
    // `{enabled: true, gracePeriod: "PT30M"}` is answered, and read back, with `repairAction: "Replace"`
    // (azure-cli_test_vmss_update_automatic_repairs_with_health_extension.yaml #24 PUT, #26 GET). Assumed: the same
    // with `enabled: false` (no recording). gracePeriod's default (PT10M, the spec) is not filled in: every recorded
    // policy gave one. Until 2026-12-07 a GET showed the policy as written, without repairAction.
    const repairs = props["automaticRepairsPolicy"];
    if (isObject(repairs) && (repairs["repairAction"] === undefined || repairs["repairAction"] === null))
      repairs["repairAction"] = "Replace";
  }
  return next;
}

/**
 * Automatic OS image upgrades need the image's version to be `latest` (learn.microsoft.com, "Automatic OS image
 * upgrades": requirements): a model naming another version, or a gallery image version's ID, is refused 400
 * `BadRequest` with Azure's words (terraform-provider-azurerm#8301 and #11398 quote them).
 */
function refusePinnedImageWithAutomaticOsUpgrade(policy: Wire, props: Wire): void {
  if (policy["automaticOSUpgradePolicy"]?.["enableAutomaticOSUpgrade"] !== true) return;
  const image: Wire = props["virtualMachineProfile"]?.["storageProfile"]?.["imageReference"] ?? {};
  const version = typeof image["version"] === "string" ? image["version"] : undefined;
  const pinnedId = /\/versions\/([^/]+)$/i.exec(String(image["id"] ?? ""))?.[1];
  const pinned = [version, pinnedId].some((v) => v !== undefined && v.toLowerCase() !== "latest");
  if (pinned)
    throw new ArmError(400, {
      code: "BadRequest",
      message:
        "virtualMachineScaleSets with Automatic OS Upgrade enabled must use Platform or Gallery Image with version set to 'latest'.",
    });
}

/**
 * A PATCH naming a user-assigned identity in another case than the set holds it (az sends the ID lower-cased to remove
 * it: azure-cli_test_vmss_explicit_msi.yaml #33 `…/resourcegroups/…/microsoft.managedidentity/userassignedidentities/id1:
 * null`) means the same one: ARM resource IDs compare case-insensitively, and #33's answer no longer lists id1.
 */
function alignIdentityKeys(current: Wire, incoming: Wire): void {
  const held = current["identity"]?.["userAssignedIdentities"];
  const sent = incoming["identity"]?.["userAssignedIdentities"];
  if (!isObject(held) || !isObject(sent)) return;
  for (const key of Object.keys(sent)) {
    const same = Object.keys(held).find((k) => k !== key && k.toLowerCase() === key.toLowerCase());
    if (same === undefined) continue;
    sent[same] = sent[key];
    delete sent[key];
  }
}

/**
 * The identity as its `type` leaves it (explicit_msi.yaml #39: `SystemAssigned` alone drops userAssignedIdentities):
 * no userAssignedIdentities without `UserAssigned`, no principalId/tenantId without `SystemAssigned`, none at all for
 * `None`. The IDs Azure assigns are filled in by fillIdentityIds, after the write's own answer.
 */
function shapeIdentity(next: Wire): void {
  const identity = next["identity"];
  if (!isObject(identity)) return;
  const kinds = String(identity["type"] ?? "")
    .split(",")
    .map((k) => k.trim().toLowerCase());
  if (kinds.every((k) => k === "" || k === "none")) {
    delete next["identity"];
    return;
  }
  if (!kinds.includes("userassigned")) delete identity["userAssignedIdentities"];
  if (!kinds.includes("systemassigned")) {
    delete identity["principalId"];
    delete identity["tenantId"];
  }
}

/**
 * The IDs Azure gives a managed identity, filled in once a write has answered: the write's own answer shows a new
 * user-assigned identity as `{}` and a later GET with its principalId and clientId (explicit_msi.yaml #22, #25); the
 * system-assigned identity's principalId and tenantId stay the same across later writes (#19 … #43). Made up here,
 * stable: from the set's ID (system) or the identity's resource ID (user-assigned, the same for every set using it).
 */
export function fillIdentityIds(resource: Wire, tenantId: string): void {
  const identity = resource["identity"];
  if (!isObject(identity)) return;
  const kinds = String(identity["type"] ?? "").toLowerCase();
  if (kinds.includes("systemassigned")) {
    identity["principalId"] ??= stableGuid(`${String(resource["id"]).toLowerCase()}/system-assigned`);
    identity["tenantId"] ??= tenantId;
  }
  const users = identity["userAssignedIdentities"];
  if (isObject(users)) {
    for (const [id, value] of Object.entries(users)) {
      if (isObject(value) && typeof value["principalId"] === "string") continue;
      users[id] = {
        principalId: stableGuid(`${id.toLowerCase()}/principal`),
        clientId: stableGuid(`${id.toLowerCase()}/client`),
      };
    }
  }
}

function stableGuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** GET never returns protectedSettings, so a client cannot send them back: an extension that stays (same name)
 *  without protectedSettings keeps its old ones. */
function keepProtectedSettings(current: Wire, next: Wire): void {
  const old: Wire[] = current["properties"]?.["virtualMachineProfile"]?.["extensionProfile"]?.["extensions"] ?? [];
  const now: Wire[] = next["properties"]?.["virtualMachineProfile"]?.["extensionProfile"]?.["extensions"] ?? [];
  for (const ext of now) {
    const before = old.find((o) => String(o["name"]).toLowerCase() === String(ext["name"]).toLowerCase());
    const kept = before?.["properties"]?.["protectedSettings"];
    if (kept !== undefined && isObject(ext["properties"]) && !("protectedSettings" in ext["properties"])) {
      ext["properties"]["protectedSettings"] = copyJson(kept);
    }
  }
}

const UPGRADE_MODES = ["Manual", "Automatic", "Rolling"] as const;

function notAllowed(property: string): ArmError {
  return new ArmError(409, {
    code: "PropertyChangeNotAllowed",
    message: `Changing property '${property}' is not allowed.`,
    target: property,
  });
}

function refuseRestrictedChanges(current: Wire, next: Wire): void {
  const sorted = (v: unknown): string => JSON.stringify(Array.isArray(v) ? [...v].map(String).sort() : []);
  if (sorted(current["zones"]) !== sorted(next["zones"])) throw notAllowed("zones");
  const oldProps: Wire = current["properties"] ?? {};
  const newProps: Wire = next["properties"] ?? {};
  if ((newProps["orchestrationMode"] ?? "Uniform") !== (oldProps["orchestrationMode"] ?? "Uniform"))
    throw notAllowed("orchestrationMode");
  const oldRef: Wire = oldProps["virtualMachineProfile"]?.["storageProfile"]?.["imageReference"] ?? {};
  const newRef: Wire = newProps["virtualMachineProfile"]?.["storageProfile"]?.["imageReference"] ?? {};
  if (imageType(oldRef) !== imageType(newRef)) {
    // `OperationNotAllowed`, not PropertyChangeNotAllowed: the CLI output users quote is "(OperationNotAllowed) The
    // Image type for a Virtual Machine Scale Set may not be changed." (MicrosoftDocs/azure-docs#89791, #92371); 409 as
    // reported for it (MicrosoftDocs/azure-docs#32800 "results in a 409 conflict").
    throw new ArmError(409, {
      code: "OperationNotAllowed",
      message: "The Image type for a Virtual Machine Scale Set may not be changed.",
    });
  }
  for (const key of ["publisher", "offer"]) {
    if (String(oldRef[key] ?? "").toLowerCase() !== String(newRef[key] ?? "").toLowerCase())
      throw notAllowed(`imageReference.${key}`);
  }
  const disk = (props: Wire): unknown =>
    props["virtualMachineProfile"]?.["storageProfile"]?.["osDisk"]?.["managedDisk"]?.["storageAccountType"];
  if (disk(oldProps) !== undefined && disk(oldProps) !== disk(newProps))
    throw notAllowed("osDisk.managedDisk.storageAccountType");
}

function imageType(ref: Wire): "platform" | "id" | "sharedGallery" | "communityGallery" | "none" {
  if (ref["id"]) return "id";
  if (ref["sharedGalleryImageId"]) return "sharedGallery";
  if (ref["communityGalleryImageId"]) return "communityGallery";
  return ref["publisher"] ? "platform" : "none";
}

/**
 * Azure's limits on a resource's tags (learn.microsoft.com, "Use tags to organize your Azure resources": 50 tags, names
 * up to 512 characters without `< > % & \ ? /`, values up to 256). The codes and messages are ARM's as Azure
 * PowerShell's Az.Migrate repeats them before sending (InvalidTags, InvalidTagName, InvalidTagNameCharacters,
 * InvalidTagValueLength); the status, 400, is assumed (README "Tags and the lease").
 */
export function refuseTags(tags: unknown): void {
  if (!isObject(tags)) return;
  const names = Object.keys(tags);
  const bad = (code: string, message: string) => new ArmError(400, { code, message });
  if (names.length > 50)
    throw bad(
      "InvalidTags",
      `Too many tags specified. Requested tag count - '${names.length}'. Maximum number of tags allowed - '50'.`,
    );
  if (names.some((n) => n.trim() === ""))
    throw bad(
      "InvalidTagName",
      "The tag name must be non-null, non-empty and non-whitespace only. Please provide an actual value.",
    );
  // eslint-disable-next-line no-control-regex
  const reserved = names.filter((n) => /[<>%&\\?/\u0000-\u001f]/.test(n));
  if (reserved.length > 0)
    throw bad(
      "InvalidTagNameCharacters",
      `The tag names '${reserved.join(", ")}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`,
    );
  const long = names.filter((n) => n.length > 512);
  if (long.length > 0)
    throw bad(
      "InvalidTagName",
      `Tag key too large. Following tag name '${long.join(", ")}' exceeded the maximum length. Maximum allowed length for tag name - '512' characters.`,
    );
  const values = Object.values(tags).map(String);
  const longValues = values.filter((v) => v.length > 256);
  if (longValues.length > 0)
    throw bad(
      "InvalidTagValueLength",
      `Tag value too large. Following tag value '${longValues.join(", ")}' exceeded the maximum length. Maximum allowed length for tag value - '256' characters.`,
    );
}
