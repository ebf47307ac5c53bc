// Durations and times for people. Everything is derived from the record's ISO timestamps, never from the clock, and
// printed in UTC so the same record renders the same text on every runner.

/**
 * Whole seconds, rounded to the nearest: the one rounding of every time the report shows in seconds, so the batch
 * table (`+4s`) and the timeline chart (`00:00:04`) agree.
 */
export function wholeSeconds(ms: number): number {
  return Math.round(ms / 1000);
}

/** Milliseconds from `from` to `to` (ISO strings); undefined when either does not parse. */
export function elapsedMs(from: string, to: string): number | undefined {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * How far `to` is from `from` as the report prints it: the difference of the two times rounded to whole seconds, so
 * it adds up with the clock times shown next to it (`12:00:04` + `4s` = `12:00:08`); the exact milliseconds when both
 * round to the same second. Undefined when either does not parse.
 */
export function offsetMs(from: string, to: string): number | undefined {
  const exact = elapsedMs(from, to);
  if (exact === undefined) return undefined;
  const rounded = (wholeSeconds(Date.parse(to)) - wholeSeconds(Date.parse(from))) * 1000;
  return rounded === 0 ? exact : rounded;
}

/** `12:04:31 UTC`, rounded to the nearest second; the input verbatim when it is not a date. */
export function clockUtc(iso: string): string {
  const time = roundedTime(iso);
  return time === undefined ? iso : `${time.toISOString().slice(11, 19)} UTC`;
}

/** `2025-11-26 12:04:31 UTC`, rounded to the nearest second; the input verbatim when it is not a date. */
export function dateTimeUtc(iso: string): string {
  const time = roundedTime(iso);
  return time === undefined ? iso : `${time.toISOString().slice(0, 10)} ${time.toISOString().slice(11, 19)} UTC`;
}

function roundedTime(iso: string): Date | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(wholeSeconds(ms) * 1000);
}

/**
 * `00:01:05` for 65 s (64.5 s too: rounded like formatDuration): a position on a timeline that starts at 00:00:00.
 * Undefined past 24 hours.
 */
export function timelinePosition(ms: number): string | undefined {
  const seconds = wholeSeconds(ms);
  if (!Number.isFinite(ms) || ms < 0 || seconds >= 24 * 3600) return undefined;
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}
