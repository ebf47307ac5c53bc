// Instance IDs: how they sort and how a list of them is written. Shared by the engine, the verdict and the report.

const NUMERIC = /^\d+$/;

/**
 * Uniform instance IDs are integers in strings: "2" sorts before "10". Other IDs (Flexible VM names such as
 * `vmss-web_1a2b3c4d`, or `web-vm-2` for a VM attached by hand) sort after numbers, naturally: runs of digits compare
 * by value (`web-vm-2` before `web-vm-10`), the rest as text; IDs equal that way fall back to plain text order.
 */
export function compareInstanceIds(a: string, b: string): number {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  if (aNumeric && bNumeric) return Number(a) - Number(b) || a.localeCompare(b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return compareNatural(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

const RUNS = /\d+|\D+/g;

function compareNatural(a: string, b: string): number {
  const x = a.match(RUNS) ?? [];
  const y = b.match(RUNS) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    const pDigits = p.charCodeAt(0) >= 48 && p.charCodeAt(0) <= 57;
    const qDigits = q.charCodeAt(0) >= 48 && q.charCodeAt(0) <= 57;
    if (pDigits && qDigits) {
      // By value without parsing (names may hold long runs): fewer significant digits first, then digit by digit.
      const pv = p.replace(/^0+/, "");
      const qv = q.replace(/^0+/, "");
      if (pv.length !== qv.length) return pv.length - qv.length;
      if (pv !== qv) return pv < qv ? -1 : 1;
    } else if (p !== q) {
      // Text runs, and a digit run against a text run, as plain text (digits sort before letters).
      return p < q ? -1 : 1;
    }
  }
  return x.length - y.length;
}

/** The IDs in instance-ID order (a new array). */
export function sortIds(ids: Iterable<string>): string[] {
  return [...ids].sort(compareInstanceIds);
}

/**
 * IDs as a short list with runs of three or more consecutive numbers collapsed: `0–4, 7, 9–12`. Keeps a list of 1,000
 * instances to a few characters when batches are contiguous. Not escaped: IDs are not always numbers. The report
 * writes ranges with an en dash; the log (listIds) with a hyphen.
 */
export function idRanges(ids: Iterable<string>, dash = "–"): string {
  const sorted = sortIds(ids);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    let j = i;
    if (NUMERIC.test(first)) {
      while (j + 1 < sorted.length && NUMERIC.test(sorted[j + 1]!) && Number(sorted[j + 1]) === Number(sorted[j]) + 1)
        j++;
    }
    const last = sorted[j]!;
    parts.push(j === i ? first : j === i + 1 ? `${first}, ${last}` : `${first}${dash}${last}`);
    i = j + 1;
  }
  return parts.join(", ");
}

/** `0-3, 7, 9-10`: idRanges as the log writes it. */
export function listIds(ids: Iterable<string>): string {
  return idRanges(ids, "-");
}
