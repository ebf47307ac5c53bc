// The benchmark's records: what one measured run is, shared by the runner (run.ts) and the report (report.ts).
import type { RequestFigures, TimeBreakdown } from "./metrics.ts";

export type ScenarioName =
  "action" | "action-100" | "action-flexible" | "all-at-once" | "one-at-a-time" | "az-all-at-once" | "az-one-at-a-time";
export const SCENARIOS: readonly ScenarioName[] = [
  "action",
  "action-100",
  "action-flexible",
  "all-at-once",
  "one-at-a-time",
  "az-all-at-once",
  "az-one-at-a-time",
];

export interface RunRecord {
  readonly size: number;
  readonly scenario: ScenarioName;
  readonly batchSize?: string;
  /** Emulator speed factor of the run (wall seconds per simulated second). */
  readonly speed: number;
  /** Poll interval handed to the client, wall ms. */
  readonly pollMs: number;
  /** `succeeded` when the process exited 0 and every instance reports latestModelApplied. */
  readonly outcome: "succeeded" | "failed" | "killed";
  readonly exitCode: number | null;
  /** The action's `result` output. */
  readonly result?: string;
  readonly instancesLatest: number;
  readonly instances: number;
  readonly batches: number;
  readonly wallMs: number;
  readonly idealMs: number;
  readonly ratio: number;
  readonly requests: RequestFigures;
  readonly time: TimeBreakdown;
  readonly peakRssBytes?: number;
  readonly peakRssSource?: string;
  /** The machine's 1-minute load average just before the process started (the benchmark's own load included). */
  readonly loadAverage1m?: number;
  /** Share of the machine's CPU capacity (all cores) used by other processes during the run, percent. */
  readonly otherCpuPercent?: number;
  /** Share of the machine's CPU capacity the hypervisor gave to other guests during the run (steal time), percent. */
  readonly stealCpuPercent?: number;
  readonly note?: string;
}
