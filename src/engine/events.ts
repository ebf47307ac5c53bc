// What the engine tells an observer as it goes (RolloutDeps.events): typed, so tests and tools follow the rollout
// without parsing its log lines. Events only report; nothing the engine does depends on who listens. Pure types.

import type { Phase } from "./phase.ts";
import type { Stop } from "./record.ts";
import type { InstanceFilter, OperationOutcome } from "../domain/scale-set.ts";
import type { BatchResult } from "../domain/record.ts";

export type RolloutEvent =
  /** The engine moved to another phase. */
  | { readonly type: "phase"; readonly phase: Phase }
  /** Azure accepted a model write. */
  | { readonly type: "wrote"; readonly what: "image" | "extension" }
  /** The run's lease on the scale set (engine/lease.ts): taken (`takenOverFrom`: an expired lease of that run),
   *  waited for (lease-wait), released at the end, or lost to another run. */
  | {
      readonly type: "lease";
      readonly what: "taken" | "waiting" | "released" | "lost";
      readonly takenOverFrom?: string;
    }
  /** The scale set's tags were written (engine/tags.ts): `why` says what for, `names` the tags it changed. */
  | { readonly type: "tags-written"; readonly why: string; readonly names: readonly string[] }
  /** The targets are known (Manual mode: with their batches; Automatic/Rolling: the platform rolls them). */
  | { readonly type: "planned"; readonly targets: readonly string[]; readonly batches: number }
  /** A batch begins (before its manualupgrade is sent). */
  | { readonly type: "batch-started"; readonly batch: number; readonly of: number; readonly ids: readonly string[] }
  /** Azure accepted an upgrade of these instances (manualupgrade answered 202, or the platform rolls them). */
  | { readonly type: "upgrade-accepted"; readonly ids: readonly string[] }
  /** The operation of an accepted manualupgrade ended (undefined outcome: waiting for it was aborted). */
  | { readonly type: "upgrade-ended"; readonly ids: readonly string[]; readonly outcome: OperationOutcome | undefined }
  /** manualupgrade was refused or preempted and is sent again after `delayMs`. */
  | {
      readonly type: "upgrade-retry";
      readonly ids: readonly string[];
      readonly attempt: number;
      readonly delayMs: number;
    }
  | { readonly type: "batch-ended"; readonly batch: number; readonly result: BatchResult }
  /**
   * One listing of the instances; `gone`: targets it no longer shows (scale-in). `filter`: a listing of only the
   * instances on the latest model (or only of the others), which says nothing of the rest.
   */
  | {
      readonly type: "listed";
      readonly count: number;
      readonly gone: readonly string[];
      readonly filter?: InstanceFilter;
    }
  /** A poll judged these instances (the gate of a batch, or the platform's roll). */
  | {
      readonly type: "poll";
      readonly ids: readonly string[];
      readonly done: number;
      readonly pending: number;
      readonly bad: number;
      /** What the pending ones wait for: `the new model`, `health (initializing)` … */
      readonly waitingFor: readonly string[];
    }
  /** The engine waits before its next poll: `paceMs` is the poll pace (slower when throttling headroom is low). */
  | {
      readonly type: "wait";
      readonly ms: number;
      readonly paceMs: number;
      readonly headroom: number | undefined;
    }
  /** The rollout stopped early (before verification and any rollback). */
  | { readonly type: "stopped"; readonly stop: Stop }
  | { readonly type: "rollback-started"; readonly ids: readonly string[] }
  | { readonly type: "rollback-ended"; readonly succeeded: boolean };
