// A write naming a member Compute's types do not have. Compute deserializes a request body strictly (Json.NET with
// missing members an error): 400 `InvalidRequestFormat` "Cannot parse the request." with one detail `InvalidJson`
// "Could not find member '<name>' on object of type '<Type>'. Path '<path>', line 1, position <N>."
// (hashicorp/terraform-provider-azurerm#14437, a VMSS PUT; MicrosoftLearning/AZ-700-…#153, a VM PUT; Azure/azure-cli#18855,
// `orchestrationMode` on an api-version that lacks it). The body is not stored and nothing starts.
//
// What is assumed (README "Assumptions"): the member lists are the newest api-version's for every api-version
// (compute-members.ts, generated); names compare case-insensitively (Json.NET's default, and the recorded paths
// mix `Properties.UpdateGroups` with `properties`); `<Type>` and `<path>` are the public spec's type names and the
// request's own path, where Compute names its internal types and paths (`VMScaleSetPublicIPAddressConfiguration`,
// `Properties.UpdateGroups[0]…`); `<N>` is approximate: the column just past the member's name and its colon in the
// body as JSON.stringify writes it (one line, no spaces), not in the bytes the client sent. A PATCH is checked against
// the Update type and the resource's own type together (a member of either passes: which one Compute parses a
// PATCH into is not public, and a client may echo a read-only member it read). Free-form members (`tags`,
// `settings`, `protectedSettings`, `userAssignedIdentities`, …) are not looked into.
import { ArmError } from "../http.ts";
import { MEMBERS } from "./compute-members.ts";

/** The request types of each write the emulator checks (a PATCH: its Update type and the resource's, see above). */
export const REQUEST_TYPES = {
  scaleSetPut: ["VirtualMachineScaleSet"],
  scaleSetPatch: ["VirtualMachineScaleSetUpdate", "VirtualMachineScaleSet"],
  extensionPut: ["VirtualMachineScaleSetExtension"],
  extensionPatch: ["VirtualMachineScaleSetExtensionUpdate", "VirtualMachineScaleSetExtension"],
  vmPut: ["VirtualMachineScaleSetVM"],
} as const;

type Found = { name: string; type: string; path: string; position: number };

/** Throws Compute's 400 when `body` names a member none of `types` (a request type and what it contains) has. */
export function refuseUnknownMembers(body: unknown, types: readonly string[]): void {
  const found = walk(body, types, "", { length: 0 });
  if (found === undefined) return;
  throw new ArmError(400, {
    code: "InvalidRequestFormat",
    message: "Cannot parse the request.",
    details: [
      {
        code: "InvalidJson",
        message: `Could not find member '${found.name}' on object of type '${found.type}'. Path '${found.path}', line 1, position ${found.position}.`,
      },
    ],
  });
}

/**
 * Goes through `value` in JSON.stringify's order, counting the characters it would write (`at.length`), so that the
 * first unknown member's position is that in the stringified body.
 */
function walk(value: unknown, types: readonly string[], path: string, at: { length: number }): Found | undefined {
  if (Array.isArray(value)) {
    at.length += 1;
    for (const [i, element] of value.entries()) {
      if (i > 0) at.length += 1;
      const found = walk(element, types, `${path}[${i}]`, at);
      if (found) return found;
    }
    at.length += 1;
    return undefined;
  }
  if (value === null || typeof value !== "object") {
    at.length += JSON.stringify(value ?? null).length;
    return undefined;
  }
  at.length += 1;
  let first = true;
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    if (!first) at.length += 1;
    first = false;
    at.length += JSON.stringify(key).length + 1;
    const memberPath = path === "" ? key : `${path}.${key}`;
    let children: string[] = [];
    if (types.length > 0) {
      const matches = types.map((t) => lookup(t, key)).filter((m) => m !== undefined);
      if (matches.length === 0) return { name: key, type: types[0] ?? "", path: memberPath, position: at.length };
      children = matches.filter((m): m is string => m !== 0);
    }
    // A free-form or leaf member (no child type): its contents are not checked, only counted.
    const found = walk(member, children, memberPath, at);
    if (found) return found;
  }
  at.length += 1;
  return undefined;
}

const lowered = new Map<string, Map<string, string | 0>>();

/** The member's type (0: leaf or free-form), or undefined when `type` has no member `key` (any case). */
function lookup(type: string, key: string): string | 0 | undefined {
  let members = lowered.get(type);
  if (members === undefined) {
    members = new Map(Object.entries(MEMBERS[type] ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    lowered.set(type, members);
  }
  return members.get(key.toLowerCase());
}
