// One rollout run: what never changes during it (config, log, clock, signals, deadlines), its state (state.ts: the
// one owner of what changes, through named transitions), and the helpers every phase uses: recording a listing, an
// instance's assessment, the poll wait, the time checks and the stops they throw. Run talks to no Azure API: the
// phases are handed the ScaleSetApi port and call it themselves (rollout.ts).

import { formatDuration, pollDelay, sleep as defaultSleep, throttlePace } from "../shared/clock.ts";
import { errorLine, isAbort } from "../domain/error-text.ts";
import {
  describeDrift,
  planChange,
  withoutImageRollback,
  type ChangePlan,
  type ModelChange,
} from "../domain/change.ts";
import { describeAll, recordedPrevious, type Stop } from "./record.ts";
import type { RolloutEvent } from "./events.ts";
import { phasePhrase, phaseWords, type Phase } from "./phase.ts";
import { RunState } from "./state.ts";
import type { ExtensionModel, InstanceFilter, InstanceState, ScaleSetModel } from "../domain/scale-set.ts";
import type { Config } from "../config/types.ts";
import type { RolloutDeps } from "./deps.ts";
import type { Logger, ScaleSetApi } from "./ports.ts";
import { listIds } from "../domain/ids.ts";
import { assessInstance, isBad, type Assessment } from "../domain/verdict.ts";

/** After a cancel the runner kills the job a few seconds later: the last listing must be quick. */
export const CANCELLED_LISTING_MS = 2_000;
/**
 * After a cancel the runner sends SIGINT, SIGTERM 7.5 s later and kills the job 2.5 s after that (docs.github.com,
 * "Cancellation of workflows and jobs"); the action means to end within 5 s (issue #18; `npm run bench:cancel`
 * measures it), and its GitHub deployment's final status comes after these (github/deployments.ts): every final step
 * (the last listing, the record's outcome and the lease's release) is over this long after the cancel.
 */
export const CANCELLED_FINAL_MS = 4_000;
/** Of that, the part kept for the final tag write (the record's outcome and the lease's release in one). */
export const CANCELLED_WRITE_MS = 1_500;
/** The least a final step gets, even when the budget is spent (one try). */
export const MIN_FINAL_MS = 1_000;
/** The most the final tag write may take otherwise (enough to wait out a 429's Retry-After of a few seconds). */
export const FINAL_WRITE_MS = 30_000;
/**
 * The most a read back of a write cut off by a cancel may take (did it land?): within the final steps' budget
 * (CANCELLED_FINAL_MS), leaving the final listing and tag write theirs. After the deadline: WRITE_CUT_OFF_MS × 5.
 */
export const WRITE_CUT_OFF_MS = 1_000;
/** The most the final listing may take; the rollout keeps that much (at most a tenth of timeout) for it. */
export const FINAL_LISTING_MS = 20_000;

/** The time the rollout leaves at the end of `timeout` for the final listing. */
export function listingReserve(timeoutMs: number): number {
  return Math.min(FINAL_LISTING_MS, Math.floor(timeoutMs / 10));
}

/**
 * The work's time as a timeout's reason says it beside `timeout`: to the second, or to a tenth of one where the two
 * would round alike ("after 3.6s (timeout 4s, …)", not "after 4s (timeout 4s, 400 ms of it …)": a review, 2026-12-07).
 */
function workTime(workMs: number, timeoutMs: number): string {
  const shown = formatDuration(workMs);
  return shown === formatDuration(timeoutMs) && workMs < 60_000 ? `${(workMs / 1000).toFixed(1)}s` : shown;
}

/** Thrown inside the engine to stop; caught once, where the run is driven (engine/rollout.ts). */
export class StopError extends Error {
  readonly stop: Stop;
  constructor(stop: Stop) {
    super(stop.reason);
    this.stop = stop;
  }
}

/**
 * One run of the rollout: its configuration, log, clock and signals (fixed for the run), its state (`state`, changed
 * only through the transitions of RunState), and the helpers every phase uses.
 */
export class Run {
  readonly config: Config;
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
  /** Aborted when the run loses its lease on the scale set (leaseLost): every call and wait of its work ends. */
  readonly #lost = new AbortController();
  /** Aborted when the lease is about to expire unrenewed (leaseRunsOut): the work ends, the final steps do not. */
  readonly #expiring = new AbortController();
  /** Every Azure call and wait of the rollout: aborted on cancel, when the work time is spent, or at the end. */
  readonly work: AbortSignal;
  /** What the run knows so far; the record is built from it. */
  readonly state: RunState;
  /** Azure's throttling headroom as the API last saw it (a reading, not a call to Azure). */
  readonly #headroom: () => number | undefined;
  readonly #events: (event: RolloutEvent) => void;
  /** When the job was cancelled (the run's clock); undefined: it was not. */
  #cancelledAt: number | undefined;

  private onWriteStart: RolloutDeps["onWriteStart"];

  constructor(config: Config, api: Pick<ScaleSetApi, "rateLimitRemaining">, deps: RolloutDeps) {
    this.config = config;
    this.log = deps.logger;
    this.cancel = deps.signal;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? defaultSleep;
    this.#events = deps.events ?? (() => {});
    this.#headroom = () => api.rateLimitRemaining?.();
    this.startedAt = this.now();
    this.deadline = this.startedAt + config.rollout.timeoutMs;
    this.workDeadline = this.deadline - listingReserve(config.rollout.timeoutMs);
    this.work = AbortSignal.any([
      deps.signal,
      AbortSignal.timeout(this.workDeadline - this.startedAt),
      this.end.signal,
      this.#lost.signal,
      this.#expiring.signal,
    ]);
    this.state = new RunState(config, this.startedAt);
    if (deps.signal.aborted) this.#cancelledAt = this.startedAt;
    else deps.signal.addEventListener("abort", () => (this.#cancelledAt ??= this.now()), { once: true });
    this.onWriteStart = deps.onWriteStart;
  }

  /**
   * Azure accepted a write of this run (a model write, or its own manualupgrade): tells deps.onWriteStart, the first
   * time only, with the previous model the record ends with (recordedPrevious). Not before the request goes out: its
   * answer may show the write was not this run's to claim (a 412 because another writer set the requested image, which
   * the run then does not write: no previous model), or was planned again on another writer's model (its values are
   * the previous ones then), and what GitHub was told cannot be taken back (a deployment's payload is fixed). A write
   * whose answer never came (cut off, lost) tells nothing here: the deployment is created at the end, with the
   * record's previous model.
   */
  #accepted(): void {
    const notify = this.onWriteStart;
    this.onWriteStart = undefined;
    notify?.(recordedPrevious(this.state), this.state.request);
  }

  /** The lease is another run's now (engine/lease.ts): said once, and the work stops (no further write). */
  leaseLost(reason: string): void {
    if (this.state.leaseLost !== undefined) return;
    this.state.lostLease(reason);
    // A warning: the reason (the step's failure) says it again, and GitHub shows only 10 error annotations a step, the
    // last of which must stay the failure's own (report/annotations.ts).
    this.log.warning(reason, "Lease lost");
    this.#lost.abort();
  }

  /**
   * The lease is about to expire and no renewal has landed (they wait behind a write Azure keeps refusing, say): another
   * run may take it over from then on, so the work stops (no further model write or batch). Not a lost lease: nobody
   * else is known to hold it, so the final steps still write, each on the tags read afresh (the If-Match write takes
   * another run's lease into account), and a rollback first extends the lease the same way.
   */
  leaseRunsOut(reason: string): void {
    if (this.state.leaseLost !== undefined || this.state.leaseRanOut !== undefined) return;
    this.state.leaseRunningOut(reason);
    this.log.warning(reason, "Lease expiring");
    this.#expiring.abort();
  }

  /** Aborted when the run loses its lease (part of `work`; on its own for steps after the work, a rollback). */
  get leaseLostSignal(): AbortSignal {
    return this.#lost.signal;
  }

  /** Tells the observer (RolloutDeps.events); an observer that throws does not change the run. */
  emit(event: RolloutEvent): void {
    try {
      this.#events(event);
    } catch {
      // An observer's failure is not the rollout's.
    }
  }

  /** The engine moves to another phase. */
  enter(phase: Phase): void {
    this.state.entered(phase);
    this.emit({ type: "phase", phase });
  }

  /** The phase in words: `upgrading batch 2 of 3`. */
  get phaseWords(): string {
    return phaseWords(this.state.phase);
  }

  /**
   * The run's change planned on `model` (from the inputs, or for `rollback: true` from the rollout record), or the
   * stop for a change Azure would refuse.
   */
  planOn(model: ScaleSetModel): ModelChange {
    return this.useChange(this.plan(model), model);
  }

  /** The run's request planned on `model`, as is: a refusal is returned, not thrown (its `fact` says what is off). */
  plan(model: ScaleSetModel): ChangePlan {
    return planChange(model, this.state.request, this.config.rollback === true ? "record" : "inputs");
  }

  /**
   * The change planned on `on`, or the stop for a change Azure would refuse. A way back to an image Azure would refuse now
   * (RunState.imageBackRefused) is left out of it.
   */
  useChange(
    plan: ChangePlan,
    on: ScaleSetModel,
    options: { readonly extensions?: readonly ExtensionModel[] } = {},
  ): ModelChange {
    if (!plan.ok) throw new StopError({ kind: "failed", reason: plan.reason });
    const refused = this.state.imageBackRefused;
    const change =
      refused !== undefined && plan.rollback.scaleSetPatch?.imageReference?.version === refused.version
        ? withoutImageRollback(plan, refused.why)
        : plan;
    this.state.planned(change, on, options);
    return change;
  }

  /** Azure accepted a model write. */
  wrote(what: "image" | "extension"): void {
    this.state.wrote(what, this.now());
    this.#accepted();
    this.emit({ type: "wrote", what });
  }

  /**
   * A model write's operation ended: a listing started before now may not show what it did (verification lists again
   * when the run stops before the next one).
   */
  writeSettled(): void {
    this.state.writeSettled(this.now());
  }

  /** Azure accepted an upgrade of `ids` (`write`: the action's own manualupgrade, rather than the platform's roll). */
  upgradeStarted(ids: readonly string[], write: boolean): void {
    this.state.upgradeStarted(ids, write ? this.now() : undefined);
    if (write) this.#accepted();
    this.emit({ type: "upgrade-accepted", ids });
  }

  /**
   * Records one listing (all pages) and says which targeted instances left the scale set. `seq`: its place among the
   * reads, taken (RunState.mark) when its request went out, so that a read answered meanwhile counts as after it.
   * `at`: when the listing was started, if not now (a listing read while something else ran, see EarlyListing).
   */
  listed(instances: readonly InstanceState[], seq: number, at = this.now()): readonly InstanceState[] {
    const gone = this.state.listed(instances, at, seq);
    if (gone.length > 0) {
      this.log.info(
        `Instance(s) ${listIds(gone)} left the scale set (scale-in): not upgraded, not counted as failures.`,
      );
    }
    this.emit({ type: "listed", count: instances.length, gone });
    return instances;
  }

  /** Lists every instance, in the order of reads as of when the request went out (RunState.mark), and records it. */
  async list(api: ScaleSetApi, signal: AbortSignal): Promise<readonly InstanceState[]> {
    const seq = this.state.mark();
    return this.listed(await api.listInstances(signal), seq);
  }

  /** Records a filtered listing (see RunState.listedSome): only the instances it shows are updated. */
  listedSome(instances: readonly InstanceState[], filter: InstanceFilter, seq: number): void {
    this.state.listedSome(instances, seq);
    this.emit({ type: "listed", count: instances.length, gone: [], filter });
  }

  /** An instance's state on the last listing, as the verdict sees it. */
  assess(id: string, healthWaitOver: boolean): Assessment {
    const operationError = this.state.operationError.get(id);
    const moved = this.state.otherWriterBefore(id);
    return assessInstance(this.state.instances.get(id), {
      health: this.config.rollout.health,
      scaleSetHasHealthSignal: this.state.model?.hasHealthSignal ?? false,
      ...(operationError && { operationError }),
      ...(this.state.request.extension && { changedExtension: this.state.request.extension.name }),
      // A rollback brings instances back onto the previous image: the forward change's image is not theirs.
      ...(this.state.phase.kind !== "rolling-back" &&
        this.state.expectedImage && { expectedImage: this.state.expectedImage }),
      ...(this.state.phase.kind !== "rolling-back" &&
        this.state.expectedExtensions && { expectedExtensions: this.state.expectedExtensions }),
      ...(this.state.phase.kind !== "rolling-back" &&
        moved !== undefined && { latestModelMoved: describeDrift(moved) }),
      healthWaitOver,
    });
  }

  /** Judges an instance on the last listing and records it. */
  judge(id: string, healthWaitOver: boolean): void {
    this.state.judged(id, this.assess(id, healthWaitOver));
  }

  /** The instances of earlier batches, judged again on this listing: their wait is over. */
  judgeSettled(): void {
    for (const id of this.state.settled) this.judge(id, true);
  }

  isBadNow(id: string): boolean {
    const assessment = this.state.assessments.get(id);
    if (assessment?.kind === "removed" || this.state.removed.has(id)) return false;
    // Still pending once its gate ended (health-timeout spent): it did not make it.
    return assessment === undefined || isBad(assessment) || assessment.kind === "pending";
  }

  notStarted(): string[] {
    const { targets, started, removed } = this.state;
    return [...targets].filter((id) => !started.has(id) && !removed.has(id));
  }

  describeAll(ids: readonly string[]): string {
    return describeAll(this.state, ids);
  }

  progress(ids: readonly string[], label: string): void {
    const { assessments, targets, removed } = this.state;
    const kinds = ids.map((id) => assessments.get(id)?.kind ?? "pending");
    const n = (kind: string): number => kinds.filter((k) => k === kind).length;
    const waiting = new Set<string>();
    for (const id of ids) {
      const assessment = assessments.get(id);
      if (assessment?.kind === "pending") waiting.add(assessment.waitingFor);
    }
    const answerable = [...targets].filter((id) => !removed.has(id));
    const doneOverall = answerable.filter((id) => assessments.get(id)?.kind === "done").length;
    const total = answerable.length;
    this.log.info(
      `[${label}] ${n("done")}/${ids.length} done, ${n("pending")} waiting${waiting.size > 0 ? ` (for ${[...waiting].join(", ")})` : ""}, ` +
        `${n("failed")} failed, ${n("unhealthy")} unhealthy${n("removed") > 0 ? `, ${n("removed")} removed` : ""} · ` +
        `rollout ${doneOverall}/${total} (${total > 0 ? Math.floor((doneOverall * 100) / total) : 100}%) · ${this.elapsed()} elapsed`,
    );
    this.emit({
      type: "poll",
      ids,
      done: n("done"),
      pending: n("pending"),
      bad: n("failed") + n("unhealthy"),
      waitingFor: [...waiting],
    });
  }

  /**
   * Waits for the next poll: poll-interval, slower when Azure's throttling headroom runs low (said once per change
   * of pace), never longer than `maxMs`; sooner when `until` settles (an operation's end).
   */
  async untilNextPoll(maxMs: number, until?: Promise<unknown>, signal: AbortSignal = this.work): Promise<void> {
    const interval = this.config.rollout.pollIntervalMs;
    const remaining = this.#headroom();
    const pace = throttlePace(interval, remaining);
    if (pace !== this.state.pollPace) {
      if (pace > interval)
        this.log.info(
          `Azure's throttling headroom is low (${remaining} requests left): polling every ${formatDuration(pace)}.`,
        );
      else if (this.state.pollPace !== interval)
        this.log.info(`Throttling headroom recovered: polling every ${formatDuration(pace)} again.`);
      this.state.paced(pace);
    }
    const delay = pollDelay(interval, remaining, maxMs);
    this.emit({ type: "wait", ms: delay, paceMs: pace, headroom: remaining });
    if (until === undefined) return this.sleep(delay, signal);
    const woken = new AbortController();
    await Promise.race([this.sleep(delay, AbortSignal.any([signal, woken.signal])), until]);
    woken.abort();
  }

  async pause(): Promise<void> {
    this.checkTime();
    await this.untilNextPoll(this.timeLeft());
    this.checkTime();
  }

  /** Throws the cancel or timeout stop when it is due (said of `phase`, by default the current one). */
  checkTime(phase: Phase = this.state.phase): void {
    if (this.cancel.aborted || this.timeLeft() <= 0 || this.#leaseStop() !== undefined) throw this.interrupted(phase);
  }

  /** The stop for a cancel (the runner's signal) or else the spent timeout, said of `phase` (by default the current one). */
  interrupted(phase: Phase = this.state.phase): StopError {
    const phrase = phasePhrase(phase);
    const lost = this.#leaseStop();
    if (lost !== undefined) return new StopError({ kind: "failed", reason: lost });
    // In Automatic and Rolling mode the change is Azure's to roll once written: the run's stop does not stop it.
    const goesOn =
      this.state.platformRolls() && this.state.modelUpdated
        ? " Azure goes on rolling the new model out to the instances it has not reached: the action's stop does not stop it (`az vmss rolling-upgrade cancel` stops a rolling upgrade)."
        : "";
    if (this.cancel.aborted)
      return new StopError({
        kind: "cancelled",
        reason: goesOn
          ? `The job was cancelled ${phrase}.${goesOn}`
          : `The job was cancelled ${phrase}; no further batch was started.`,
      });
    return new StopError({
      kind: "timeout",
      // The work stops listingReserve() before `timeout` (the final listing takes the rest): the reason says when it
      // stopped, so that it agrees with the run's duration, and why that is short of `timeout`.
      reason: `Timed out after ${workTime(this.workDeadline - this.startedAt, this.config.rollout.timeoutMs)} (timeout ${formatDuration(this.config.rollout.timeoutMs)}, ${formatDuration(this.deadline - this.workDeadline)} of it kept for the final listing) ${phrase}.${goesOn}`,
    });
  }

  /** A batch's result when the run's stop cut it off: as `interrupted()` says the stop. */
  interruptedBatch(): "cancelled" | "timed-out" | "stopped" {
    if (this.#leaseStop() !== undefined) return "stopped";
    return this.cancel.aborted ? "cancelled" : "timed-out";
  }

  /** Why the lease stopped the work: lost to another run, or about to expire unrenewed. */
  #leaseStop(): string | undefined {
    return this.state.leaseLost ?? this.state.leaseRanOut;
  }

  stopFromError(err: unknown): Stop {
    if (this.cancel.aborted || isAbort(err) || this.timeLeft() <= 0 || this.#leaseStop() !== undefined)
      return this.interrupted().stop;
    return {
      kind: "failed",
      reason: `Failed while ${this.phaseWords}: ${errorLine(err) || "unknown error"}.`,
      fromError: true,
    };
  }

  /** The rollout stops early: recorded, said, and told. */
  /**
   * Azure answered 404 for the scale set, read at the start: it was deleted during the run. The run ends on it, saying
   * `during` what (by default the phase); nothing more is said of its instances. A cancel stays a cancel.
   */
  scaleSetGone(err: unknown, during = `while ${this.phaseWords}`): void {
    this.state.scaleSetDeleted();
    this.stopped({
      kind: this.state.stop?.kind === "cancelled" ? "cancelled" : "failed",
      reason: `The scale set was deleted during the run (Azure answered ${errorLine(err)} ${during}).`,
    });
  }

  stopped(stop: Stop): void {
    this.state.stopped(stop);
    this.log.info(`Stopped: ${stop.reason}`);
    this.emit({ type: "stopped", stop });
  }

  /**
   * When the final steps (the last listing, the record's outcome, the lease's release) must be over: CANCELLED_FINAL_MS
   * after a cancel, whatever they took so far; otherwise `otherwiseMs` from now.
   */
  finalBy(otherwiseMs: number): number {
    if (this.#cancelledAt !== undefined) return this.#cancelledAt + CANCELLED_FINAL_MS;
    return this.now() + otherwiseMs;
  }

  /**
   * The signal of a final step that may last until finalBy(otherwiseMs) (at least MIN_FINAL_MS, so that a step reached
   * late still gets one try): aborted then, or CANCELLED_FINAL_MS after a cancel that comes meanwhile. `reserveMs`: the
   * part of that budget kept for a later final step (the final tag write's, CANCELLED_WRITE_MS, for a final read).
   */
  finalSignal(otherwiseMs: number, reserveMs = 0): AbortSignal {
    // A step that keeps part of the budget for a later one (a final read before the final tag write) gets no floor:
    // after a cancel its time is what is left, however little, so that the later step keeps its part.
    const least = reserveMs > 0 ? 0 : MIN_FINAL_MS;
    const ms = Math.floor(this.finalBy(otherwiseMs) - reserveMs - this.now());
    const signals = [AbortSignal.timeout(Math.max(least, ms))];
    if (!this.cancel.aborted) signals.push(this.afterCancel(CANCELLED_FINAL_MS - reserveMs));
    return AbortSignal.any(signals);
  }

  /** Aborted `ms` after a cancel that comes while the run goes on (never, if the run was cancelled before). */
  afterCancel(ms: number): AbortSignal {
    const cancelled = new AbortController();
    const onCancel = (): void => void setTimeout(() => cancelled.abort(), ms).unref();
    this.cancel.addEventListener("abort", onCancel, { once: true, signal: this.end.signal });
    return cancelled.signal;
  }

  /**
   * The signal of the one read that says whether a write the run's abort (cancel, deadline, lost lease) cut off while
   * it was in flight reached Azure: WRITE_CUT_OFF_MS after a cancel, else a few seconds of the final listing's
   * reserve (the work deadline is past, run.deadline not).
   */
  cutOffReadSignal(): AbortSignal {
    const budget = this.cancel.aborted
      ? WRITE_CUT_OFF_MS
      : Math.max(WRITE_CUT_OFF_MS, Math.min(WRITE_CUT_OFF_MS * 5, this.deadline - this.now()));
    const signals = [AbortSignal.timeout(budget), this.end.signal];
    // A cancel while it is read: the final steps after it keep their seconds.
    if (!this.cancel.aborted) signals.push(this.afterCancel(WRITE_CUT_OFF_MS));
    return AbortSignal.any(signals);
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
