// Generates compute-members.ts: which JSON members Compute's request types have (see members.ts for the check).
//
//   node emulator/arm/compute-members.gen.ts && npx prettier --write emulator/arm/compute-members.ts
//
// Source: the serializers and deserializers of @azure/arm-compute (the version in package-lock.json), which the
// TypeSpec emitter generates from the same Compute TypeSpec as azure-rest-api-specs
// specification/compute/resource-manager/Microsoft.Compute/Compute/stable/<version>/ComputeRP.json. The spec itself
// was the first choice, but its repository's snapshot (1.29 GB) is over what can be brought here and the file is a
// single 0.9 MB swagger; the SDK's models are its mechanical translation, with every member's wire name. For each
// `fooSerializer` / `fooDeserializer` function: the wire names it writes or reads (a deserializer reads read-only
// members too, which a client echoing a GET sends back) and, per member, the type its value is (de)serialized as
// (`barSerializer(item["x"])`, `barArraySerializer(…)` for arrays of bar). Free-form members (`Record<…>` maps such
// as tags and userAssignedIdentities, `unknown` such as extension settings) are not checked: marked 0, as leaves are.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ts from "typescript";

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve("@azure/arm-compute/package.json"));
const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string };
const files = ["compute/models.js", "common/models.js", "models.js"].map((f) => join(pkgDir, "dist/esm/models", f));

/** The roots the emulator checks and every type they contain. */
const ROOTS = [
  "VirtualMachineScaleSet",
  "VirtualMachineScaleSetUpdate",
  "VirtualMachineScaleSetVM",
  "VirtualMachineScaleSetExtension",
  "VirtualMachineScaleSetExtensionUpdate",
];

/** type → member (wire name) → the member's type, or 0 (a leaf or free-form: not checked). */
const types = new Map<string, Map<string, string | 0>>();

function typeName(fn: string): { name: string; free: boolean } | undefined {
  const m = /^_?(\w+?)(Array)?(Record)?(Serializer|Deserializer)$/.exec(fn);
  if (!m) return undefined;
  const base = m[1]!;
  return { name: base[0]!.toUpperCase() + base.slice(1), free: m[3] !== undefined };
}

/** The (de)serializer functions called in an expression, in order. */
function calls(node: ts.Node): string[] {
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && /Serializer$|Deserializer$/.test(n.expression.text))
      found.push(n.expression.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function childOf(init: ts.Node): string | 0 {
  if (init.getText().includes("Object.fromEntries")) return 0;
  const called = calls(init)[0];
  const t = called === undefined ? undefined : typeName(called);
  return t === undefined || t.free ? 0 : t.name;
}

function add(type: string, member: string, child: string | 0): void {
  const members = types.get(type) ?? new Map<string, string | 0>();
  types.set(type, members);
  const had = members.get(member);
  if (had === undefined || had === 0) members.set(member, child);
}

for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  for (const stmt of source.statements) {
    if (!ts.isFunctionDeclaration(stmt) || !stmt.name || !stmt.body) continue;
    const fn = stmt.name.text;
    const t = typeName(fn);
    if (!t || t.free || /Array(Serializer|Deserializer)$/.test(fn)) continue;
    const ret = stmt.body.statements.find(ts.isReturnStatement);
    const obj = ret?.expression;
    if (!obj || !ts.isObjectLiteralExpression(obj)) continue;
    const deserializer = fn.endsWith("Deserializer");
    types.set(t.name, types.get(t.name) ?? new Map());
    for (const prop of obj.properties) {
      const init = ts.isPropertyAssignment(prop)
        ? prop.initializer
        : ts.isSpreadAssignment(prop)
          ? prop.expression
          : undefined;
      if (init === undefined) continue;
      // A serializer's keys are wire names; a deserializer reads them as item["wire"].
      const wire =
        deserializer || ts.isSpreadAssignment(prop)
          ? /item\["([^"]+)"\]/.exec(init.getText())?.[1]
          : prop.name !== undefined && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))
            ? prop.name.text
            : undefined;
      if (wire === undefined) continue;
      add(t.name, wire, childOf(init));
    }
  }
}

// Keep the types reachable from the roots.
const keep = new Map<string, Record<string, string | 0>>();
const queue = [...ROOTS];
while (queue.length > 0) {
  const name = queue.shift()!;
  if (keep.has(name)) continue;
  const members = types.get(name);
  if (!members) throw new Error(`no (de)serializer for ${name} in @azure/arm-compute ${version}`);
  const sorted = [...members.entries()].sort(([a], [b]) => a.localeCompare(b));
  keep.set(name, Object.fromEntries(sorted));
  for (const [, child] of sorted) if (child !== 0 && !keep.has(child)) queue.push(child);
}

const table = [...keep.entries()].sort(([a], [b]) => a.localeCompare(b));
const out = `// GENERATED by compute-members.gen.ts from @azure/arm-compute ${version} (do not edit; rerun the generator).
// Compute's request types: type → member (wire name) → its type, or 0 (a leaf, or free-form: not checked).
export const COMPUTE_SDK_VERSION = ${JSON.stringify(version)};
export const MEMBERS: Readonly<Record<string, Readonly<Record<string, string | 0>>>> = ${JSON.stringify(Object.fromEntries(table))};
`;
writeFileSync(new URL("./compute-members.ts", import.meta.url), out);
console.log(`compute-members.ts: ${table.length} types from @azure/arm-compute ${version}`);
