// Writes to the scale-set model: PATCH (merge) and PUT (replace) of the set, PATCH/PUT of an extension child
// resource, and the create-time / restricted properties Compute refuses to change (docs: "Modify a Virtual Machine
// Scale Set"; error texts from real CRP responses, see README "Assumptions" for the status code).
import { ArmError } from "../http.ts";
import { isObject, mergePatch, type Wire } from "./wire.ts";

/** Read-only properties a client may echo back; the service ignores them. */
function stripReadOnly(body: Wire): Wire {
  const copy = structuredClone(body);
  for (const key of ["id", "name", "type", "etag", "location"]) delete copy[key];
  const props = copy["properties"];
  if (isObject(props)) {
    for (const key of ["provisioningState", "uniqueId", "timeCreated"]) delete props[key];
    if (isObject(props["virtualMachineProfile"])) delete props["virtualMachineProfile"]["timeCreated"];
  }
  return copy;
}

/** PATCH: objects merge, arrays (e.g. extensions) replace, null removes. */
export function patchScaleSet(current: Wire, body: Wire): Wire {
  const next = mergePatch(current, stripReadOnly(body)) as Wire;
  return finish(current, next);
}

/** PUT: the body replaces the resource; identity, read-only properties and (as observed, see README) an omitted
 *  imageReference are kept. */
export function putScaleSet(current: Wire, body: Wire): Wire {
  if (typeof body["location"] !== "string") {
    throw new ArmError(400, {
      code: "LocationRequired",
      message: "The location property is required for this definition.",
    });
  }
  const next: Wire = {
    ...stripReadOnly(body),
    id: current["id"],
    name: current["name"],
    type: current["type"],
    location: current["location"],
  };
  const props: Wire = isObject(next["properties"]) ? next["properties"] : (next["properties"] = {});
  const oldProps: Wire = current["properties"];
  props["uniqueId"] = oldProps["uniqueId"];
  props["timeCreated"] = oldProps["timeCreated"];
  if (isObject(props["virtualMachineProfile"])) {
    const profile = props["virtualMachineProfile"];
    profile["timeCreated"] = oldProps["virtualMachineProfile"]["timeCreated"];
    profile["storageProfile"] ??= {};
    profile["storageProfile"]["imageReference"] ??= structuredClone(
      oldProps["virtualMachineProfile"]["storageProfile"]["imageReference"],
    );
  }
  return finish(current, next);
}

/** PATCH of an extension child resource: properties merge, except `settings` / `protectedSettings`, which are
 *  opaque to the service and replaced as a unit. */
export function patchExtension(current: Wire, body: Wire): Wire {
  const incoming: Wire = isObject(body["properties"]) ? structuredClone(body["properties"]) : {};
  delete incoming["provisioningState"];
  const props = mergePatch(current["properties"] ?? {}, withoutOpaque(incoming)) as Wire;
  for (const key of ["settings", "protectedSettings"]) if (key in incoming) props[key] = incoming[key];
  return { name: current["name"], properties: props };
}

/** PUT of an extension child resource: the properties replace the old ones (protectedSettings kept if omitted). */
export function putExtension(name: string, current: Wire | undefined, body: Wire): Wire {
  const props: Wire = isObject(body["properties"]) ? structuredClone(body["properties"]) : {};
  delete props["provisioningState"];
  if (!("protectedSettings" in props) && current?.["properties"]?.["protectedSettings"] !== undefined) {
    props["protectedSettings"] = structuredClone(current["properties"]["protectedSettings"]);
  }
  return { name, properties: props };
}

function withoutOpaque(props: Wire): Wire {
  const { settings: _s, protectedSettings: _p, ...rest } = props;
  return rest;
}

/** Common to PATCH and PUT: restricted properties, protectedSettings kept, rolling policy defaults. */
function finish(current: Wire, next: Wire): Wire {
  refuseRestrictedChanges(current, next);
  keepProtectedSettings(current, next);
  const policy = next["properties"]?.["upgradePolicy"];
  if (isObject(policy) && policy["mode"] === "Rolling" && !isObject(policy["rollingUpgradePolicy"])) {
    policy["rollingUpgradePolicy"] = {
      maxBatchInstancePercent: 20,
      maxUnhealthyInstancePercent: 20,
      maxUnhealthyUpgradedInstancePercent: 20,
      pauseTimeBetweenBatches: "PT0S",
      maxSurge: false,
      rollbackFailedInstancesOnPolicyBreach: false,
    };
  }
  return next;
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
      ext["properties"]["protectedSettings"] = structuredClone(kept);
    }
  }
}

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
    throw new ArmError(409, {
      code: "PropertyChangeNotAllowed",
      message: "The Image type for a Virtual Machine Scale Set may not be changed.",
      target: "imageReference",
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
