// Equality of JSON-shaped values. Pure.

/**
 * Deep equality of JSON values: object keys in any order (Azure returns settings in whatever order it likes), a key
 * whose value is undefined the same as one left out (a spread `{ ...ref, exactVersion: undefined }` drops a field).
 * Arrays compare in order.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameJson(v, b[i]));
  }
  const defined = (o: object): [string, unknown][] => Object.entries(o).filter(([, v]) => v !== undefined);
  const ea = defined(a);
  const eb = new Map(defined(b));
  return ea.length === eb.size && ea.every(([k, v]) => eb.has(k) && sameJson(v, eb.get(k)));
}
