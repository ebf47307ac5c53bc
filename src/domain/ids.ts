// Instance IDs: how they sort. Shared by the engine, the verdict and the report.

const NUMERIC = /^\d+$/;

/** Uniform instance IDs are integers in strings: "2" sorts before "10". Other IDs sort as text, after numbers. */
export function compareInstanceIds(a: string, b: string): number {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  if (aNumeric && bNumeric) return Number(a) - Number(b) || a.localeCompare(b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The IDs in instance-ID order (a new array). */
export function sortIds(ids: Iterable<string>): string[] {
  return [...ids].sort(compareInstanceIds);
}
