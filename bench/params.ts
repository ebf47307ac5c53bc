// The benchmark's fixed settings. Changing any of them changes what the figures mean: docs/benchmark.md explains
// each choice, and bench/results/latest.json records them with the figures.

/** Per-request latency of ARM requests, simulated ms (the emulator's `latencyMs` option; scaled by speed like every
 *  simulated duration). `list`: the first page of an instance list; `page`: each following nextLink page. */
export interface LatencyParams {
  readonly default: number;
  readonly list: number;
  readonly page: number;
}

export interface SizeParams {
  readonly instances: number;
  /** Emulator speed factor for every run at this size: wall seconds per simulated second. */
  readonly speed: number;
  /** Whether the one-at-a-time baseline runs at this size (it takes `instances` upgrade times). */
  readonly oneAtATime: boolean;
  /** Whether the action also runs (default batch size) on a Flexible scale set of this size, whose every listing is
   *  two lists: the scale set's VM list and the standalone VM list (docs/benchmark.md, "Flexible"). */
  readonly flexible?: boolean;
}

export interface BenchParams {
  readonly name: "full" | "quick";
  /** In run order. */
  readonly sizes: readonly SizeParams[];
  /** Simulated seconds one instance takes to move onto the new image (emulator `instanceUpgradeSeconds`). */
  readonly instanceUpgradeSeconds: number;
  /** Simulated seconds between polls (the action's `poll-interval`, and the baselines' LRO polling). */
  readonly pollIntervalSeconds: number;
  /** Simulated seconds of the model update (emulator `modelUpdateSeconds`); the emulator's default. */
  readonly modelUpdateSeconds: number;
  /** The action's default batch size, and the one compared with all-at-once. */
  readonly defaultBatchSize: string;
  readonly fullBatchSize: string;
  /** A run is killed after this multiple of its ideal time, plus a minute. */
  readonly killFactor: number;
  /** What each ARM request costs in time, the same for the action and the baselines (docs/benchmark.md). */
  readonly latencyMs: LatencyParams;
}

/** 97.5 s: a realistic image upgrade (60–120 s), half a poll interval off the 15 s poll grid (docs/benchmark.md). */
const UPGRADE_SECONDS = 97.5;
const POLL_SECONDS = 15;
/** No per-operation latency is published for ARM/Compute; a moderate estimate (docs/benchmark.md, "Latency"). */
const LATENCY_MS: LatencyParams = { default: 150, list: 600, page: 400 };

export const FULL: BenchParams = {
  name: "full",
  sizes: [
    { instances: 10, speed: 0.02, oneAtATime: true },
    { instances: 100, speed: 0.02, oneAtATime: true, flexible: true },
    // Azure's own clock: the targets at 1,000 are about real time, and a compressed clock would multiply the processes'
    // CPU time (parsing eighty pages of fifty instances) by 1/speed against Azure's latencies (docs/benchmark.md).
    { instances: 1000, speed: 1, oneAtATime: false },
  ],
  instanceUpgradeSeconds: UPGRADE_SECONDS,
  pollIntervalSeconds: POLL_SECONDS,
  modelUpdateSeconds: 5,
  defaultBatchSize: "20%",
  fullBatchSize: "100%",
  killFactor: 4,
  latencyMs: LATENCY_MS,
};

export const QUICK: BenchParams = {
  ...FULL,
  name: "quick",
  sizes: [
    { instances: 10, speed: 0.01, oneAtATime: true, flexible: true },
    { instances: 100, speed: 0.01, oneAtATime: false },
  ],
};

/** Wall milliseconds of `seconds` simulated seconds at `speed`. */
export const wallMs = (speed: number, seconds: number): number => seconds * 1000 * speed;

/** A duration input the action accepts (`375ms`). */
export const durationInput = (ms: number): string => `${Math.max(1, Math.round(ms))}ms`;
