// Wire JSON helpers. ARM bodies are open-ended JSON trees; the emulator keeps them as plain objects (`Wire`) so PATCH
// can merge them exactly as sent, and reads the few fields it needs through these helpers.

export type Wire = Record<string, any>;

export function isObject(value: unknown): value is Wire {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of a JSON tree (objects, arrays, strings, numbers, booleans, null). What `structuredClone` gives for
 * such a tree, at a fraction of its cost: structuredClone serialises through V8's message format, and rendering a list
 * page of 50 instances copied their profiles that way, emulator CPU time the benchmark counted as ARM latency.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((element: unknown) => copyJson(element)) as T;
  const result: Wire = {};
  for (const key of Object.keys(value)) {
    const element = copyJson((value as Wire)[key]);
    // A `__proto__` key (a tag of that name, say) stays a key of the copy, as structuredClone keeps it.
    if (key === "__proto__")
      Object.defineProperty(result, key, { value: element, enumerable: true, writable: true, configurable: true });
    else result[key] = element;
  }
  return result as T;
}

/** RFC 7396 JSON merge patch: objects merge, arrays and scalars replace, null removes. Returns a new tree. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return copyJson(patch);
  const result: Wire = isObject(target) ? copyJson(target) : {};
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
    if (!Array.isArray(target) || !body.every(named) || !target.every(named)) return copyJson(body);
    return body.map((element: Wire) => {
      const before = target.find(
        (t: Wire) => String(t["name"]).toLowerCase() === String(element["name"]).toLowerCase(),
      );
      return before === undefined ? copyJson(element) : mergeKeep(before, element);
    });
  }
  if (!isObject(body)) return copyJson(body);
  const result: Wire = isObject(target) ? copyJson(target) : {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null) delete result[key];
    else result[key] = mergeKeep(result[key], value);
  }
  return result;
}

function named(value: unknown): value is Wire {
  return isObject(value) && typeof value["name"] === "string";
}
