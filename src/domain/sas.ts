// What the SAS tokens of extension-file-uris say of their own use, read before the first write: a token expired (or
// not yet valid) when the run starts, one that runs out while the run may still upgrade instances, one that grants no
// read. The extension downloads each file on every instance it is upgraded on: such a token fails them all, after the
// model was written. Only the token's dates and permissions are read and named, never its signature. Pure.

import { formatDuration } from "../shared/clock.ts";

/** One entry of extension-file-uris whose SAS token cannot serve the rollout as it is, and why. */
export interface SasFinding {
  /** `expired` and `not-yet` fail every download now; `ends-early` fails those after it; `no-read` all of them. */
  readonly kind: "expired" | "not-yet" | "ends-early" | "no-read";
  /** `entry 2 of 3 (https://…/install.sh, its SAS token expired at 2024-01-01T00:00:00.000Z)`. */
  readonly text: string;
}

/**
 * The findings on each entry of `fileUris` that carries a SAS token (a `sig` parameter): at `now`, for a run that may
 * upgrade instances until `lastUse`. Dates Azure would not read (`se`, `st` as ISO 8601) are left to Azure.
 */
export function sasFindings(fileUris: readonly string[], now: number, lastUse: number): SasFinding[] {
  const findings: SasFinding[] = [];
  fileUris.forEach((uri, index) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return;
    }
    const query = url.searchParams;
    if (!query.has("sig")) return;
    const entry = `entry ${index + 1} of ${fileUris.length} (${url.origin}${url.pathname}`;
    const expiry = isoTime(query.get("se"));
    const start = isoTime(query.get("st"));
    const permissions = query.get("sp");
    if (expiry !== undefined && expiry <= now) {
      findings.push({ kind: "expired", text: `${entry}: its SAS token expired at ${iso(expiry)})` });
    } else if (start !== undefined && start > now) {
      findings.push({ kind: "not-yet", text: `${entry}: its SAS token is valid only from ${iso(start)})` });
    } else if (expiry !== undefined && expiry < lastUse) {
      findings.push({
        kind: "ends-early",
        text: `${entry}: its SAS token expires at ${iso(expiry)}, ${formatDuration(expiry - now)} from now)`,
      });
    }
    // Read is `r` in every kind of SAS (service, account, user delegation); `sp` is required in each when not given
    // by a stored access policy (`si`), whose permissions cannot be seen here.
    if (permissions !== null && !query.has("si") && !permissions.toLowerCase().includes("r")) {
      // The permissions as letters only (what sp holds): nothing else of the query reaches the text.
      const shown = permissions.replace(/[^a-z]/gi, "").slice(0, 20);
      findings.push({ kind: "no-read", text: `${entry}: its SAS token grants no read, sp=${shown})` });
    } else if (permissions === null && !query.has("si")) {
      // Neither: Azure Storage refuses such a token (a review, 2026-12-07: it passed unwarned).
      findings.push({
        kind: "no-read",
        text: `${entry}: its SAS token names no permissions, neither sp nor a stored access policy si)`,
      });
    }
  });
  return findings;
}

/** A SAS date (`2024-01-01`, `2024-01-01T12:00Z`, `2024-01-01T12:00:00Z`: UTC), as epoch ms; undefined otherwise. */
function isoTime(value: string | null): number | undefined {
  if (value === null || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value))
    return undefined;
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  if (!Number.isFinite(ms)) return undefined;
  // A day that does not exist (2024-02-30) is not rolled over into the next month: Azure would not read it either.
  const [year, month, day] = value.slice(0, 10).split("-").map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0));
  return date.getUTCFullYear() === year && date.getUTCMonth() + 1 === month && date.getUTCDate() === day
    ? ms
    : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
