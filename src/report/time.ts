// Durations and times for people. Everything is derived from the record's ISO timestamps, never from the clock, and
// printed in UTC so the same record renders the same text on every runner.

/** `850 ms`, `12s`, `4m 05s`, `1h 02m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const total = Math.round(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

/** Milliseconds from `from` to `to` (ISO strings); undefined when either does not parse. */
export function elapsedMs(from: string, to: string): number | undefined {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `12:04:31 UTC`; the input verbatim when it is not a date. */
export function clockUtc(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** `00:01:05` for 65 s: a position on a timeline that starts at 00:00:00. Undefined past 24 hours. */
export function timelinePosition(ms: number): string | undefined {
  if (ms < 0 || ms >= 24 * 3600 * 1000) return undefined;
  return new Date(ms).toISOString().slice(11, 19);
}
