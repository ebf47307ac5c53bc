// Wire JSON helpers. ARM bodies are open-ended JSON trees; the emulator keeps them as plain objects (`Wire`) so PATCH
// can merge them exactly as sent, and reads the few fields it needs through these helpers.

export type Wire = Record<string, any>;

export function isObject(value: unknown): value is Wire {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 7396 JSON merge patch: objects merge, arrays and scalars replace, null removes. Returns a new tree. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Wire = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** JSON with object keys sorted, so structurally equal trees compare equal as strings. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/**
 * A PUT body over the stored resource, keeping what the body omits: objects merge, arrays whose elements all carry a
 * `name` merge element by element (same name: merged; names not in the body: dropped; order of the body), other
 * arrays and scalars replace, null removes. Returns a new tree.
 */
export function mergeKeep(target: unknown, body: unknown): unknown {
  if (Array.isArray(body)) {
    if (!Array.isArray(target) || !body.every(named) || !target.every(named)) return structuredClone(body);
    return body.map((element: Wire) => {
      const before = target.find(
        (t: Wire) => String(t["name"]).toLowerCase() === String(element["name"]).toLowerCase(),
      );
      return before === undefined ? structuredClone(element) : mergeKeep(before, element);
    });
  }
  if (!isObject(body)) return structuredClone(body);
  const result: Wire = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null) delete result[key];
    else result[key] = mergeKeep(result[key], value);
  }
  return result;
}

function named(value: unknown): value is Wire {
  return isObject(value) && typeof value["name"] === "string";
}
