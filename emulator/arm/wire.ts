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
