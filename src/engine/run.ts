// The state one rollout run shares between its phases (planning, model update, manual batches, platform, verify,
// rollback), and the helpers they all use: one listing, an instance's assessment, the poll wait, the time checks and
// the stops they throw.

import { formatDuration, pollDelay, sleep as defaultSleep, throttlePace } from "../shared/clock.ts";
import { errorLine, isAbort } from "../domain/error-text.ts";
import { isNoOp, type ChangePlan, type ModelChange } from "../domain/change.ts";
import type { BatchPlan } from "../domain/batches.ts";
import { describeAll, type RolloutState, type Stop } from "./record.ts";
import type { RolloutDeps } from "./ports.ts";
import type { AzureErrorInfo, InstanceState, RollingUpgradeStatus, ScaleSetModel } from "../domain/scale-set.ts";
import type { BatchRecord, RolloutRecord } from "../domain/record.ts";
import type { Config } from "../config/types.ts";
import type { Logger, ScaleSetApi } from "./ports.ts";
import { assessInstance, isBad, listIds, type Assessment } from "../domain/verdict.ts";

/** After a cancel the runner kills the job a few seconds later: the last listing must be quick. */
export const CANCELLED_LISTING_MS = 2_000;
/** The most the final listing may take; the rollout keeps that much (at most a tenth of timeout) for it. */
export const FINAL_LISTING_MS = 20_000;

/** The time the rollout leaves at the end of `timeout` for the final listing. */
export function listingReserve(timeoutMs: number): number {
  return Math.min(FINAL_LISTING_MS, Math.floor(timeoutMs / 10));
}

/** Thrown inside the engine to stop; caught once, where the run is driven (src/rollout.ts). */
export class StopError extends Error {
  readonly stop: Stop;
  constructor(stop: Stop) {
    super(stop.reason);
    this.stop = stop;
  }
}

/**
 * One run of the rollout: its configuration and ports, its clock and signals, what it knows so far (the phases
 * write it), and the helpers every phase uses: listing, judging, describing, waiting, stopping.
 */
export class Run {
  readonly config: Config;
  readonly api: ScaleSetApi;
  readonly log: Logger;
  readonly cancel: AbortSignal;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly startedAt: number;
  /** startedAt + timeout: the run (final listing included) is over by then; only a rollback may go on. */
  readonly deadline: number;
  /** When the rollout's own work stops: the deadline less the final listing's reserve. */
  readonly workDeadline: number;
  /** Aborted when run() returns: nothing the run started (an operation poller, say) outlives it. */
  readonly end = new AbortController();
  /** Every Azure call and wait of the rollout: aborted on cancel, when the work time is spent, or at the end. */
  readonly work: AbortSignal;

  /** What the engine is doing, for messages: `upgrading batch 2 of 3`. */
  phase = "reading the scale set";
  model: ScaleSetModel | undefined;
  change: ModelChange | undefined;
  modelUpdated = false;
  /** Which writes Azure accepted (a rollback puts back only those). */
  written = { image: false, extension: false };
  rollingBefore: RollingUpgradeStatus | undefined;
  rolling: RollingUpgradeStatus | undefined;
  /** Every instance as the last listing showed it. */
  instances = new Map<string, InstanceState>();
  /** When the last listing was taken, and when Azure last accepted a write of the action (-∞: never). */
  listedAt = Number.NEGATIVE_INFINITY;
  wroteAt = Number.NEGATIVE_INFINITY;
  /** latestModelApplied when the rollout planned. */
  before = new Map<string, boolean>();
  protectedIds = new Set<string>();
  /** Instances the rollout has to bring onto the model. */
  targets = new Set<string>();
  /** Targets that left the scale set during the run (scale-in). */
  removed = new Set<string>();
  /** Instances whose upgrade Azure accepted (manualupgrade answered 202, or the platform rolls them). */
  started = new Set<string>();
  /** Started instances whose wait is over (their batch's gate ended): judged without further patience. */
  settled = new Set<string>();
  /** The error of the operation that upgraded an instance, when it failed. */
  operationError = new Map<string, AzureErrorInfo>();
  assessments = new Map<string, Assessment>();
  batchOf = new Map<string, number>();
  batches: BatchRecord[] = [];
  rolledBack = new Set<string>();
  rollback: RolloutRecord["rollback"];
  /** Why no rollback was attempted although one was asked for. */
  noRollback: string | undefined;
  stop: Stop | undefined;
  /** The current wait between polls (poll-interval, or slower when throttling headroom is low). */
  pollPace: number;
  private onWriteStart: RolloutDeps["onWriteStart"];

  constructor(config: Config, api: ScaleSetApi, deps: RolloutDeps) {
    this.config = config;
    this.api = api;
    this.log = deps.logger;
    this.cancel = deps.signal;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? defaultSleep;
    this.startedAt = this.now();
    this.deadline = this.startedAt + config.rollout.timeoutMs;
    this.workDeadline = this.deadline - listingReserve(config.rollout.timeoutMs);
    this.work = AbortSignal.any([
      deps.signal,
      AbortSignal.timeout(this.workDeadline - this.startedAt),
      this.end.signal,
    ]);
    this.pollPace = config.rollout.pollIntervalMs;
    this.onWriteStart = deps.onWriteStart;
  }

  /** Right before a write to Azure: tells deps.onWriteStart, the first time only. */
  writeStarting(): void {
    const notify = this.onWriteStart;
    this.onWriteStart = undefined;
    notify?.(this.change?.previousModel);
  }

  useChange(plan: ChangePlan): ModelChange {
    if (!plan.ok) throw new StopError({ kind: "failed", reason: plan.reason });
    this.change = plan;
    return plan;
  }

  noteTargets(plan: BatchPlan): void {
    this.targets = new Set(plan.toUpgrade);
    this.protectedIds = new Set(plan.protected);
    for (const id of plan.toUpgrade) this.before.set(id, false);
    for (const id of plan.current) this.before.set(id, true);
    for (const id of plan.protected) this.before.set(id, this.instances.get(id)?.latestModelApplied ?? false);
  }

  wrote(what: "image" | "extension"): void {
    this.modelUpdated = true;
    this.written = { ...this.written, [what]: true };
    this.wroteAt = this.now();
  }

  /** Automatic and Rolling scale sets roll a model change themselves; anything else goes through manualupgrade. */
  platformRolls(): boolean {
    return this.model?.upgradeMode !== "Manual" && this.change !== undefined && !isNoOp(this.change);
  }

  /** What the engine knows now, for the record and the sentences about instances (see record.ts). */
  state(): RolloutState {
    return {
      config: this.config,
      startedAt: this.startedAt,
      model: this.model,
      change: this.change,
      modelUpdated: this.modelUpdated,
      rolling: this.rolling,
      instances: this.instances,
      before: this.before,
      protected: this.protectedIds,
      targets: this.targets,
      removed: this.removed,
      started: this.started,
      assessments: this.assessments,
      batchOf: this.batchOf,
      batches: this.batches,
      rolledBack: this.rolledBack,
      rollback: this.rollback,
      noRollback: this.noRollback,
      stop: this.stop,
    };
  }

  /** One list call (all pages): the state of every instance, and which targeted ones left the scale set. */
  async list(signal: AbortSignal = this.work): Promise<InstanceState[]> {
    const instances = await this.api.listInstances(signal);
    this.instances = new Map(instances.map((i) => [i.instanceId, i]));
    this.listedAt = this.now();
    const gone = [...this.targets].filter((id) => !this.instances.has(id) && !this.removed.has(id));
    if (gone.length > 0) {
      for (const id of gone) this.removed.add(id);
      this.log.info(
        `Instance(s) ${listIds(gone)} left the scale set (scale-in): not upgraded, not counted as failures.`,
      );
    }
    return instances;
  }

  /** An instance's state on the last listing, as the verdict sees it. */
  assess(id: string, healthWaitOver: boolean): Assessment {
    const operationError = this.operationError.get(id);
    return assessInstance(this.instances.get(id), {
      health: this.config.rollout.health,
      scaleSetHasHealthSignal: this.model?.hasHealthSignal ?? false,
      ...(operationError && { operationError }),
      ...(this.config.change.extension && { changedExtension: this.config.change.extension.name }),
      healthWaitOver,
    });
  }

  /** The instances of earlier batches, judged again on this listing: their wait is over. */
  judgeSettled(): void {
    for (const id of this.settled) this.assessments.set(id, this.assess(id, true));
  }

  isBadNow(id: string): boolean {
    const assessment = this.assessments.get(id);
    if (assessment?.kind === "removed" || this.removed.has(id)) return false;
    // Still pending once its gate ended (health-timeout spent): it did not make it.
    return assessment === undefined || isBad(assessment) || assessment.kind === "pending";
  }

  notStarted(): string[] {
    return [...this.targets].filter((id) => !this.started.has(id) && !this.removed.has(id));
  }

  describeAll(ids: readonly string[]): string {
    return describeAll(this.state(), ids);
  }

  progress(ids: readonly string[], label: string): void {
    const kinds = ids.map((id) => this.assessments.get(id)?.kind ?? "pending");
    const n = (kind: string): number => kinds.filter((k) => k === kind).length;
    const waiting = new Set<string>();
    for (const id of ids) {
      const assessment = this.assessments.get(id);
      if (assessment?.kind === "pending") waiting.add(assessment.waitingFor);
    }
    const answerable = [...this.targets].filter((id) => !this.removed.has(id));
    const doneOverall = answerable.filter((id) => this.assessments.get(id)?.kind === "done").length;
    const total = answerable.length;
    this.log.info(
      `[${label}] ${n("done")}/${ids.length} done, ${n("pending")} waiting${waiting.size > 0 ? ` (for ${[...waiting].join(", ")})` : ""}, ` +
        `${n("failed")} failed, ${n("unhealthy")} unhealthy${n("removed") > 0 ? `, ${n("removed")} removed` : ""} · ` +
        `rollout ${doneOverall}/${total} (${total > 0 ? Math.floor((doneOverall * 100) / total) : 100}%) · ${this.elapsed()} elapsed`,
    );
  }

  /**
   * Waits for the next poll: poll-interval, slower when Azure's throttling headroom runs low (said once per change
   * of pace), never longer than `maxMs`; sooner when `until` settles (an operation's end).
   */
  async untilNextPoll(maxMs: number, until?: Promise<unknown>, signal: AbortSignal = this.work): Promise<void> {
    const interval = this.config.rollout.pollIntervalMs;
    const remaining = this.api.rateLimitRemaining?.();
    const pace = throttlePace(interval, remaining);
    if (pace !== this.pollPace) {
      if (pace > interval)
        this.log.info(
          `Azure's throttling headroom is low (${remaining} requests left): polling every ${formatDuration(pace)}.`,
        );
      else if (this.pollPace !== interval)
        this.log.info(`Throttling headroom recovered: polling every ${formatDuration(pace)} again.`);
      this.pollPace = pace;
    }
    const delay = pollDelay(interval, remaining, maxMs);
    if (until === undefined) return this.sleep(delay, signal);
    const woken = new AbortController();
    await Promise.race([this.sleep(delay, AbortSignal.any([signal, woken.signal])), until]);
    woken.abort();
  }

  setBatch(index: number, fields: Partial<BatchRecord>): void {
    this.batches = this.batches.map((b) => (b.index === index ? { ...b, ...fields } : b));
  }

  async pause(): Promise<void> {
    this.checkTime(this.phase);
    await this.untilNextPoll(this.timeLeft());
    this.checkTime(this.phase);
  }

  /** Throws the cancel or timeout stop when it is due. `when`: `while upgrading batch 2 of 3`, `before batch 3 …`. */
  checkTime(when: string): void {
    if (this.cancel.aborted || this.timeLeft() <= 0) throw this.interrupted(when);
  }

  /** The stop for a cancel (the runner's signal) or else the spent timeout. */
  interrupted(when: string): StopError {
    const phrase = when.startsWith("before") ? when : `while ${when}`;
    if (this.cancel.aborted)
      return new StopError({
        kind: "cancelled",
        reason: `The job was cancelled ${phrase}; no further batch was started.`,
      });
    return new StopError({
      kind: "timeout",
      reason: `Timed out after ${formatDuration(this.config.rollout.timeoutMs)} (timeout) ${phrase}.`,
    });
  }

  stopFromError(err: unknown): Stop {
    if (this.cancel.aborted || isAbort(err) || this.timeLeft() <= 0) return this.interrupted(this.phase).stop;
    return { kind: "failed", reason: `Failed while ${this.phase}: ${errorLine(err) || "unknown error"}.` };
  }

  /** Time left for the rollout's own work. */
  timeLeft(): number {
    return this.workDeadline - this.now();
  }

  elapsed(): string {
    return formatDuration(this.now() - this.startedAt);
  }

  async group<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.log.startGroup(name);
    try {
      return await body();
    } finally {
      this.log.endGroup();
    }
  }
}
