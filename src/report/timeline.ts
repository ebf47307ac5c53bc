// The batches on a time axis, as a Mermaid gantt chart: GitHub renders ```mermaid blocks in job summaries (the
// actions-timeline action draws its job timelines the same way). Only the report's own words go into the chart, so
// no Azure text needs escaping for Mermaid's grammar.

import type { BatchRecord, BatchResult } from "../domain/record.ts";
import { plural } from "./instances.ts";
import { offsetMs, timelinePosition, wholeSeconds } from "./time.ts";

/** Past this many batches the chart is unreadable; the batch table still lists every batch. */
export const MAX_CHART_BATCHES = 100;

// Mermaid task tags: `done` grey, `active` blue, `crit` red.
const TAG: Readonly<Record<BatchResult, string>> = {
  succeeded: "done",
  failed: "crit",
  unhealthy: "crit",
  unfinished: "crit",
  "timed-out": "crit",
  stopped: "crit",
  cancelled: "active",
  skipped: "",
  "not-started": "",
  planned: "",
};

/**
 * A gantt chart of the batches that ran, positioned by the time since the rollout started (so it reads the same in
 * every time zone), rounded to the second as the batch table rounds an offset of a second or more (one under a second,
 * which the table shows in ms, is at 00:00:00 or 00:00:01 here). Undefined when no batch ran, when there are too many, or when the run lasted over a day.
 */
export function timelineChart(batches: readonly BatchRecord[], rolloutStartedAt: string): string | undefined {
  const ran = batches.filter((b) => b.startedAt !== undefined && b.durationMs !== undefined);
  if (ran.length === 0 || ran.length > MAX_CHART_BATCHES) return undefined;
  const tasks: string[] = [];
  for (const batch of ran) {
    const position = timelinePosition(Math.max(0, offsetMs(rolloutStartedAt, batch.startedAt as string) ?? 0));
    if (position === undefined) return undefined;
    const seconds = Math.max(1, wholeSeconds(batch.durationMs as number));
    const name = `Batch ${batch.index}${batch.canary ? " canary" : ""} (${plural(batch.instanceIds.length, "instance")})`;
    const meta = [TAG[batch.result], `b${batch.index}`, position, `${seconds}s`].filter((m) => m !== "");
    tasks.push(`    ${name} :${meta.join(", ")}`);
  }
  return [
    "```mermaid",
    "gantt",
    "    title Batches, time since the rollout started",
    "    dateFormat HH:mm:ss",
    "    axisFormat %H:%M:%S",
    "    todayMarker off",
    "    section Batches",
    ...tasks,
    "```",
  ].join("\n");
}
