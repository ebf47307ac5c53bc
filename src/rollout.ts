// The rollout engine: reads the scale set, writes the model change, brings every instance onto it (in health-gated
// batches, or by following the platform), proves it, and returns a RolloutRecord. It never throws for Azure or
// rollout failures: every outcome, a refusal before any write included, is a record with a result and a reason.
//
//   Plan          read the scale set, refuse what Azure would refuse, wait for operations already running,
//                 compute the change and the batch plan (a dry run stops here)
//   Model update  PATCH with If-Match (412 → re-read, rebuild, retry), then list the instances to upgrade
//   Batch i/n     manualupgrade, then poll until each instance is on the new model (and healthy)
//   or Platform   Automatic/Rolling: the platform rolls; poll until it is done, Faulted, or the time is spent
//   Verification  one last listing: the true state of every instance
//   Rollback      on failure, when asked: previous model back, upgraded instances back onto it

import { formatDuration, pollDelay, sleep as defaultSleep } from "./clock.ts";
import { describeImage, isNoOp, planChange, type ModelChange } from "./patch.ts";
import { planBatches, type BatchPlan } from "./plan.ts";
import { redactText } from "./redact.ts";
import {
  AzureApiError,
  type AzureErrorInfo,
  type BatchRecord,
  type BatchResult,
  type Config,
  type InstanceRecord,
  type InstanceState,
  type Logger,
  type OperationOutcome,
  type PendingOperation,
  type RollingUpgradeStatus,
  type RolloutRecord,
  type ScaleSetApi,
  type ScaleSetModel,
} from "./types.ts";
import {
  assessInstance,
  breachesMaxUnhealthy,
  describeError,
  describeInstance,
  finalResult,
  instanceOutcome,
  isBad,
  isFailedOutcome,
  limitList,
  listIds,
  type Assessment,
} from "./verdict.ts";

export interface RolloutDeps {
  readonly logger: Logger;
  /** Aborted when the job is cancelled: no new batch starts, the record tells the true state. */
  readonly signal: AbortSignal;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function runRollout(config: Config, api: ScaleSetApi, deps: RolloutDeps): Promise<RolloutRecord> {
  return new Rollout(config, api, deps).run();
}

/** 412 PreconditionFailed retries before giving up on a scale set that keeps changing. */
const MAX_ETAG_ATTEMPTS = 3;
/** After a cancel the runner kills the job a few seconds later: the last listing must be quick. */
const CANCELLED_LISTING_MS = 2_000;
/** The last listing after a timeout or failure: the true state is worth a short wait. */
const FINAL_LISTING_MS = 20_000;

/** Why the rollout stopped early. The reason is one sentence; instance details are appended at the end. */
interface Stop {
  readonly kind: "failed" | "timeout" | "cancelled";
  readonly reason: string;
}

/** Thrown inside the engine to stop; caught once in run(). */
class StopError extends Error {
  readonly stop: Stop;
  constructor(stop: Stop) {
    super(stop.reason);
    this.stop = stop;
  }
}

type GateEnd = "settled" | "timeout" | "cancelled";

class Rollout {
  readonly #config: Config;
  readonly #api: ScaleSetApi;
  readonly #log: Logger;
  readonly #cancel: AbortSignal;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #startedAt: number;
  readonly #deadline: number;
  /** Every Azure call and wait of the rollout: aborted on cancel or when the timeout is spent. */
  readonly #work: AbortSignal;

  /** What the engine is doing, for messages: `upgrading batch 2 of 3`. */
  #phase = "reading the scale set";
  #model: ScaleSetModel | undefined;
  #change: ModelChange | undefined;
  #modelUpdated = false;
  #rollingBefore: RollingUpgradeStatus | undefined;
  #rolling: RollingUpgradeStatus | undefined;
  /** Latest known state of each instance. */
  #instances = new Map<string, InstanceState>();
  /** latestModelApplied when the rollout planned. */
  #before = new Map<string, boolean>();
  #protected = new Set<string>();
  /** Instances the rollout has to bring onto the model. */
  #targets = new Set<string>();
  /** Instances whose upgrade began (sent to manualupgrade, or rolled by the platform). */
  #started = new Set<string>();
  #assessments = new Map<string, Assessment>();
  #batchOf = new Map<string, number>();
  #batches: BatchRecord[] = [];
  #rolledBack = new Set<string>();
  #rollback: RolloutRecord["rollback"];
  #stop: Stop | undefined;
  /** The current wait between polls (poll-interval, or slower when throttling headroom is low). */
  #pollPace: number;

  constructor(config: Config, api: ScaleSetApi, deps: RolloutDeps) {
    this.#config = config;
    this.#api = api;
    this.#log = deps.logger;
    this.#cancel = deps.signal;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? defaultSleep;
    this.#startedAt = this.#now();
    this.#deadline = this.#startedAt + config.rollout.timeoutMs;
    this.#work = AbortSignal.any([deps.signal, AbortSignal.timeout(config.rollout.timeoutMs)]);
    this.#pollPace = config.rollout.pollIntervalMs;
  }

  async run(): Promise<RolloutRecord> {
    try {
      await this.#group("Plan", () => this.#plan());
      if (!this.#config.rollout.dryRun && this.#platformRolls()) await this.#rollOnPlatform();
      else if (!this.#config.rollout.dryRun) {
        await this.#group("Model update", () => this.#updateModel());
        await this.#upgradeInBatches();
      }
    } catch (err) {
      this.#stop = err instanceof StopError ? err.stop : this.#stopFromError(err);
      this.#log.info(`Stopped: ${this.#stop.reason}`);
    }
    if (this.#model !== undefined && !this.#config.rollout.dryRun) await this.#group("Verification", () => this.#verify());
    // Said before a rollback turns the failed instances into rolled-back ones.
    const failure = this.#failure();
    if (failure !== undefined && this.#shouldRollBack()) await this.#group("Rollback", () => this.#rollBack());
    return this.#record(failure);
  }

  // ───────────────────────────── Plan ─────────────────────────────

  async #plan(): Promise<void> {
    const { target, change, rollout } = this.#config;
    let model = await this.#api.getScaleSet(this.#work);
    this.#model = model;
    this.#log.info(
      `Scale set ${target.resourceGroup}/${model.name}: ${model.orchestrationMode}, upgrade mode ${model.upgradeMode}, ` +
        `image ${describeImage(model.imageReference)}, etag ${model.etag ?? "(none)"}.`,
    );
    this.#useChange(planChange(model, change)); // refuse before waiting on anything

    model = await this.#waitForRunningOperations(model, !rollout.dryRun);
    const plan = this.#useChange(planChange(model, change));
    if (isNoOp(plan)) this.#log.info("The model already holds the requested values: nothing to write.");
    for (const c of plan.changes) this.#log.info(`Change ${c.property}: ${c.before} → ${c.after}`);

    // After a model write no instance runs the model any more: every unprotected one is to be upgraded.
    const instances = [...this.#instances.values()];
    const predicted = isNoOp(plan) ? instances : instances.map((i) => ({ ...i, latestModelApplied: false }));
    if (!isNoOp(plan) && model.upgradeMode !== "Manual") {
      this.#noteTargets(planBatches(predicted, rollout));
      this.#log.info(
        `Upgrade mode ${model.upgradeMode}: Azure rolls the ${this.#targets.size} instance(s) onto the new model itself; the action follows it.`,
      );
    } else {
      this.#noteBatches(planBatches(predicted, rollout));
    }
    if (rollout.dryRun) this.#log.info("Dry run: nothing is written.");
  }

  #useChange(plan: ReturnType<typeof planChange>): ModelChange {
    if (!plan.ok) throw new StopError({ kind: "failed", reason: plan.reason });
    this.#change = plan;
    return plan;
  }

  /**
   * Waits (within the timeout) for a scale-set update, a rolling upgrade or instance operations already running.
   * A dry run only says what is running.
   */
  async #waitForRunningOperations(model: ScaleSetModel, wait: boolean): Promise<ScaleSetModel> {
    let current = model;
    let announced = false;
    for (;;) {
      const instances = await this.#list();
      const rolling = current.upgradeMode === "Manual" ? undefined : await this.#api.getLatestRollingUpgrade(this.#work);
      this.#rollingBefore = rolling;
      const busy = describeRunning(current, rolling, instances);
      if (busy === undefined) {
        if (announced) this.#log.info(`The operation in progress has ended (${this.#elapsed()} elapsed).`);
        this.#model = current;
        return current;
      }
      if (!wait) {
        this.#log.info(`An operation is in progress: ${busy}. A real run would wait for it first.`);
        return current;
      }
      this.#phase = `waiting for an operation already in progress (${busy})`;
      if (!announced) this.#log.info(`Waiting for an operation already in progress: ${busy}.`);
      announced = true;
      await this.#pause();
      current = await this.#api.getScaleSet(this.#work);
    }
  }

  #noteBatches(plan: BatchPlan): void {
    this.#noteTargets(plan);
    this.#batchOf.clear();
    this.#batches = plan.batches.map((b) => ({
      index: b.index,
      canary: b.canary,
      instanceIds: b.instanceIds,
      result: this.#config.rollout.dryRun ? "planned" : "not-started",
    }));
    for (const b of plan.batches) for (const id of b.instanceIds) this.#batchOf.set(id, b.index);
    const { batches, current, protected: skipped } = plan;
    this.#log.info(
      `Batch plan: ${plan.toUpgrade.length} instance(s) to upgrade in ${batches.length} batch(es)` +
        `${current.length > 0 ? `, ${current.length} already on the latest model` : ""}` +
        `${skipped.length > 0 ? `, ${skipped.length} protected and skipped (${skipped.join(", ")})` : ""}.`,
    );
    for (const b of batches) this.#log.info(`  Batch ${b.index}${b.canary ? " (canary)" : ""}: ${b.instanceIds.join(", ")}`);
  }

  #noteTargets(plan: BatchPlan): void {
    this.#targets = new Set(plan.toUpgrade);
    this.#protected = new Set(plan.protected);
    for (const id of plan.toUpgrade) this.#before.set(id, false);
    for (const id of plan.current) this.#before.set(id, true);
    for (const id of plan.protected) this.#before.set(id, this.#instances.get(id)?.latestModelApplied ?? false);
  }

  // ───────────────────────────── Model update ─────────────────────────────

  /** Manual mode (or nothing to write): every write is waited for before the batches start. */
  async #updateModel(): Promise<void> {
    this.#phase = "updating the model";
    const started = this.#now();
    const image = await this.#startImageWrite();
    if (image !== undefined) await this.#awaitWrite(image);
    const extension = await this.#startExtensionWrite();
    if (extension !== undefined) await this.#awaitWrite(extension);
    if (this.#modelUpdated) this.#log.info(`Model updated in ${formatDuration(this.#now() - started)}.`);
    else this.#log.info("Nothing written: the model already holds the requested values.");
  }

  /**
   * Sends the image PATCH with If-Match on the etag read; on 412 re-reads the scale set, rebuilds the change and
   * retries. undefined when no image write is needed (any longer).
   */
  async #startImageWrite(): Promise<PendingOperation | undefined> {
    for (let attempt = 1; ; attempt++) {
      const patch = this.#change?.scaleSetPatch;
      if (patch === undefined) return undefined;
      try {
        this.#log.info(`PATCH scale set ${JSON.stringify(patch)} with If-Match ${this.#model?.etag ?? "(none)"}.`);
        const pending = await this.#api.startPatchScaleSet(patch, this.#model?.etag, this.#work);
        this.#modelUpdated = true;
        return pending;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        if (attempt >= MAX_ETAG_ATTEMPTS) {
          throw new StopError({
            kind: "failed",
            reason: `The scale set changed under the action ${attempt} times in a row (412 PreconditionFailed on its etag); nothing was written. Re-run when other changes have settled.`,
          });
        }
        this.#log.info(`The scale set changed since it was read (412 PreconditionFailed): reading it again (attempt ${attempt + 1}).`);
        this.#model = await this.#api.getScaleSet(this.#work);
        this.#useChange(planChange(this.#model, this.#config.change));
      }
    }
  }

  /** The extension child resource: Azure keeps its other settings and protectedSettings. */
  async #startExtensionWrite(): Promise<PendingOperation | undefined> {
    const patch = this.#change?.extensionPatch;
    if (patch === undefined) return undefined;
    const fields = [patch.settings !== undefined ? "settings.fileUris" : "", patch.forceUpdateTag !== undefined ? "forceUpdateTag" : ""];
    this.#log.info(`PATCH extension '${patch.name}' (${fields.filter(Boolean).join(", ")}).`);
    const pending = await this.#api.startPatchExtension(patch, this.#work);
    this.#modelUpdated = true;
    return pending;
  }

  async #awaitWrite(pending: PendingOperation): Promise<void> {
    const outcome = await pending.done;
    if (outcome === undefined) throw this.#interrupted(this.#phase); // the wait was aborted: cancel or timeout
    if (outcome !== undefined && outcome.status !== "Succeeded") {
      throw new StopError({ kind: "failed", reason: `The model update ${outcome.status.toLowerCase()}${outcome.error ? `: ${describeError(outcome.error)}` : "."}` });
    }
  }

  /** Automatic and Rolling scale sets roll a model change themselves; anything else goes through manualupgrade. */
  #platformRolls(): boolean {
    return this.#model?.upgradeMode !== "Manual" && this.#change !== undefined && !isNoOp(this.#change);
  }

  // ───────────────────────────── Batches (manualupgrade) ─────────────────────────────

  async #upgradeInBatches(): Promise<void> {
    const { rollout } = this.#config;
    if (this.#modelUpdated) {
      this.#phase = "listing the instances to upgrade";
      // Plan on the instances as Azure now reports them; the plan printed before assumed every one was made stale.
      const plan = planBatches(await this.#list(), rollout);
      const predicted = this.#batches.map((b) => b.instanceIds.join(",")).join(" ");
      if (plan.batches.map((b) => b.instanceIds.join(",")).join(" ") !== predicted) {
        await this.#group("Batch plan (revised)", async () => this.#noteBatches(plan));
      }
    }
    if (this.#targets.size === 0) {
      this.#log.info("Every instance is on the latest model: no upgrade needed.");
      return;
    }
    for (const batch of this.#batches) {
      const label = `batch ${batch.index} of ${this.#batches.length}`;
      if (batch.index > 1 && rollout.pauseBetweenBatchesMs > 0) {
        this.#phase = `pausing before ${label}`;
        this.#log.info(`Pausing ${formatDuration(rollout.pauseBetweenBatchesMs)} before ${label}.`);
        await this.#sleep(Math.min(rollout.pauseBetweenBatchesMs, this.#timeLeft()), this.#work);
      }
      this.#checkTime(`before ${label} started`);
      const title = `Batch ${batch.index}/${this.#batches.length}${batch.canary ? " (canary)" : ""}: ${batch.instanceIds.join(", ")}`;
      await this.#group(title, () => this.#runBatch(batch, label));
    }
  }

  async #runBatch(batch: BatchRecord, label: string): Promise<void> {
    const { rollout } = this.#config;
    this.#phase = `upgrading ${label}`;
    const started = this.#now();
    this.#setBatch(batch.index, { startedAt: new Date(started).toISOString(), result: "not-started" });
    for (const id of batch.instanceIds) this.#started.add(id);

    this.#log.info(`manualupgrade ${batch.instanceIds.join(", ")}`);
    const outcome = await this.#upgrade(batch.instanceIds);
    if (outcome === "aborted") {
      this.#setBatch(batch.index, { durationMs: this.#now() - started, result: this.#cancel.aborted ? "cancelled" : "timed-out" });
      throw this.#interrupted(this.#phase);
    }
    const operationError = outcome.status === "Succeeded" ? undefined : (outcome.error ?? { code: outcome.status, message: "" });
    this.#log.info(
      `manualupgrade ${outcome.status.toLowerCase()} after ${formatDuration(this.#now() - started)}` +
        `${operationError ? `: ${describeError(operationError)}` : ""}.`,
    );

    const end = await this.#gate(batch.instanceIds, { operationError, healthDeadline: this.#now() + rollout.healthTimeoutMs, label });
    const bad = batch.instanceIds.filter((id) => this.#isBadNow(id));
    const result: BatchResult =
      end === "cancelled" ? "cancelled" : end === "timeout" ? "timed-out" : bad.length === 0 ? "succeeded" : operationError ? "failed" : "unhealthy";
    this.#setBatch(batch.index, { durationMs: this.#now() - started, result, ...(operationError && { error: redactError(operationError) }) });
    this.#log.info(`Batch ${batch.index}: ${result} in ${formatDuration(this.#now() - started)}.`);
    if (end !== "settled") throw this.#interrupted(this.#phase);

    const upgraded = [...this.#started];
    const allBad = upgraded.filter((id) => this.#isBadNow(id));
    if (breachesMaxUnhealthy({ upgraded: upgraded.length, bad: allBad.length, maxUnhealthyPercent: rollout.maxUnhealthyPercent, canary: batch.canary })) {
      const notStarted = [...this.#targets].filter((id) => !this.#started.has(id));
      const share = batch.canary
        ? "the canary batch tolerates no failure"
        : `${Math.round((allBad.length * 100) / upgraded.length)}% of the upgraded instances, more than max-unhealthy ${rollout.maxUnhealthyPercent}%`;
      throw new StopError({
        kind: "failed",
        reason:
          `Stopped after ${label}: ${allBad.length} of ${upgraded.length} upgraded instance(s) failed or are unhealthy (${share}): ` +
          `${this.#describeAll(allBad)}. ` +
          (notStarted.length > 0 ? `Not started: ${listIds(notStarted)}.` : "No instance was left untouched."),
      });
    }
  }

  /** manualupgrade; an HTTP refusal (409 Conflict, 400 …) counts as a failed operation of the batch. */
  async #upgrade(ids: readonly string[]): Promise<OperationOutcome | "aborted"> {
    try {
      return await this.#api.upgradeInstances(ids, this.#work);
    } catch (err) {
      if (err instanceof AzureApiError) return { status: "Failed", error: { code: err.code, message: err.message } };
      if (isAbort(err)) return "aborted";
      throw err;
    }
  }

  /**
   * Polls (one list call per poll) until every instance of `ids` is settled: on the new model and healthy, failed,
   * or unhealthy. Health is waited for until `healthDeadline`; the whole run's deadline and a cancel end it early.
   */
  async #gate(
    ids: readonly string[],
    options: { operationError?: AzureErrorInfo | undefined; healthDeadline: number; label: string },
  ): Promise<GateEnd> {
    const { health } = this.#config.rollout;
    for (;;) {
      if (this.#cancel.aborted) return "cancelled";
      const healthWaitOver = this.#now() >= options.healthDeadline;
      try {
        await this.#list();
      } catch (err) {
        if (!isAbort(err)) throw err;
        return this.#cancel.aborted ? "cancelled" : "timeout";
      }
      for (const id of ids) {
        this.#assessments.set(
          id,
          assessInstance(this.#instances.get(id), {
            health,
            scaleSetHasHealthSignal: this.#model?.hasHealthSignal ?? false,
            ...(options.operationError && { operationError: options.operationError }),
            healthWaitOver,
          }),
        );
      }
      this.#progress(ids, options.label);
      const pending = ids.filter((id) => this.#assessments.get(id)?.kind === "pending");
      if (pending.length === 0 || healthWaitOver) return "settled";
      if (this.#timeLeft() <= 0) return "timeout";
      await this.#untilNextPoll(Math.min(this.#timeLeft(), options.healthDeadline - this.#now()));
    }
  }

  // ───────────────────────────── Platform (Automatic / Rolling) ─────────────────────────────

  /**
   * Each write, then the platform's roll that follows it. Azure refuses a model write while the previous one's
   * operation runs, and in these modes that operation may last the whole roll: an image and an extension change
   * are therefore two rolls, one after the other.
   */
  async #rollOnPlatform(): Promise<void> {
    const mode = this.#model?.upgradeMode ?? "Automatic";
    const writes = [
      ...(this.#change?.scaleSetPatch ? [() => this.#startImageWrite()] : []),
      ...(this.#change?.extensionPatch ? [() => this.#startExtensionWrite()] : []),
    ];
    for (const write of writes) {
      this.#phase = "updating the model";
      const pending = await this.#group("Model update", write);
      if (pending !== undefined) await this.#group(`Platform rollout (${mode})`, () => this.#followPlatform(pending));
    }
  }

  /**
   * Polls until the write's operation has ended and every targeted instance is settled, or it failed / time is up.
   * Once the operation has ended, instances get health-timeout to turn healthy.
   */
  async #followPlatform(pending: PendingOperation): Promise<void> {
    const { health, healthTimeoutMs } = this.#config.rollout;
    const mode = this.#model?.upgradeMode;
    const label = mode === "Rolling" ? "rolling upgrade" : "automatic upgrade";
    this.#phase = `waiting for Azure's ${label}`;
    const operation: { ended: boolean; outcome?: OperationOutcome | undefined } = { ended: false };
    void pending.done.then((outcome) => Object.assign(operation, { ended: true, outcome }));
    const ids = [...this.#targets];
    for (const id of ids) this.#started.add(id);
    let healthDeadline = Number.POSITIVE_INFINITY;
    for (;;) {
      this.#checkTime(this.#phase);
      // Read the verdicts first and the instances after, so a failure is described with the states that caused it.
      const ended = operation.ended;
      if (ended && healthDeadline === Number.POSITIVE_INFINITY) healthDeadline = this.#now() + healthTimeoutMs;
      const healthWaitOver = this.#now() >= healthDeadline;
      const rolling = mode === "Rolling" ? await this.#rollingStatus() : undefined;
      await this.#list();
      for (const id of ids) {
        this.#assessments.set(
          id,
          assessInstance(this.#instances.get(id), { health, scaleSetHasHealthSignal: this.#model?.hasHealthSignal ?? false, healthWaitOver }),
        );
      }
      this.#progress(ids, label);
      if (rolling?.code === "Faulted" || rolling?.code === "Cancelled") {
        const what = `Azure's rolling upgrade ${rolling.code === "Faulted" ? "faulted" : "was cancelled"}`;
        const counts = `${rolling.successfulInstanceCount} succeeded, ${rolling.failedInstanceCount} failed, ${rolling.pendingInstanceCount} pending`;
        throw this.#platformFailure(ids, `${what}${rolling.error ? ` (${describeError(rolling.error)})` : ""}: ${counts}.`);
      }
      if (ended && operation.outcome === undefined) throw this.#interrupted(this.#phase);
      if (ended && operation.outcome !== undefined && operation.outcome.status !== "Succeeded") {
        const { status, error } = operation.outcome;
        throw this.#platformFailure(ids, `Azure's ${label} ${status.toLowerCase()}${error ? ` (${describeError(error)})` : ""}.`);
      }
      if (ended && (healthWaitOver || ids.every((id) => this.#assessments.get(id)?.kind !== "pending"))) return;
      const untilNext = Math.min(this.#timeLeft(), healthDeadline - this.#now());
      await this.#untilNextPoll(untilNext);
    }
  }

  /** rollingUpgrades/latest, when it is the upgrade this run started (not one that ended before the action started). */
  async #rollingStatus(): Promise<RollingUpgradeStatus | undefined> {
    const status = await this.#api.getLatestRollingUpgrade(this.#work);
    if (status === undefined || (this.#rollingBefore !== undefined && status.startTime === this.#rollingBefore.startTime)) return undefined;
    this.#rolling = status;
    this.#log.info(
      `Rolling upgrade ${status.code}: ${status.successfulInstanceCount} succeeded, ${status.failedInstanceCount} failed, ` +
        `${status.inProgressInstanceCount} in progress, ${status.pendingInstanceCount} pending.`,
    );
    return status;
  }

  /** `<what happened> Failed or unhealthy: 0 (vmss1_0): …. Not on the new model: 1, 2.` */
  #platformFailure(ids: readonly string[], what: string): StopError {
    const bad = ids.filter((id) => this.#isBadNow(id) && this.#assessments.get(id)?.kind !== "pending");
    const waiting = ids.filter((id) => this.#assessments.get(id)?.kind === "pending");
    const parts = [
      what,
      ...(bad.length > 0 ? [`Failed or unhealthy: ${this.#describeAll(bad)}.`] : []),
      ...(waiting.length > 0 ? [`Not on the new model: ${listIds(waiting)}.`] : []),
    ];
    return new StopError({ kind: "failed", reason: parts.join(" ") });
  }

  // ───────────────────────────── Verification ─────────────────────────────

  async #verify(): Promise<void> {
    // The work signal may be spent (timeout) or aborted (cancel): the last listing gets its own short budget.
    const budget = this.#cancel.aborted ? CANCELLED_LISTING_MS : FINAL_LISTING_MS;
    try {
      await this.#list(AbortSignal.timeout(budget));
    } catch (err) {
      this.#log.warning(`Could not list the instances one last time: ${errorText(err)}. The states shown are the last ones read.`);
    }
    // An instance still on its way when the run stopped (or never judged) may have arrived, or failed, since.
    for (const id of this.#started) {
      if (this.#assessments.has(id) && this.#assessments.get(id)?.kind !== "pending") continue;
      const now = assessInstance(this.#instances.get(id), {
        health: this.#config.rollout.health,
        scaleSetHasHealthSignal: this.#model?.hasHealthSignal ?? false,
        healthWaitOver: false,
      });
      if (now.kind !== "pending") this.#assessments.set(id, now);
    }
    const records = this.#instanceRecords();
    const count = (outcome: string): number => records.filter((r) => r.outcome === outcome).length;
    this.#log.info(
      `${records.length} instance(s): ${count("updated")} updated, ${count("already-current")} already current, ` +
        `${records.filter((r) => isFailedOutcome(r.outcome)).length} failed/unhealthy/not on the new model, ` +
        `${count("not-started")} not started, ${count("skipped-protected")} protected.`,
    );
    for (const r of records.filter((r) => isFailedOutcome(r.outcome))) this.#log.info(`  ${r.outcome}: ${this.#describe(r.instanceId)}`);
  }

  // ───────────────────────────── Rollback ─────────────────────────────

  /** A cancelled job gets no rollback: the runner kills it seconds later. */
  #shouldRollBack(): boolean {
    return this.#config.rollout.rollbackOnFailure && this.#modelUpdated && this.#stop?.kind !== "cancelled";
  }

  /**
   * Puts the previous model back (etag-guarded) and brings the instances upgraded so far back onto it. The run's
   * timeout may be spent already, so the rollback gets its own budget of health-timeout.
   */
  async #rollBack(): Promise<void> {
    const change = this.#change!;
    const budget = this.#config.rollout.healthTimeoutMs;
    const signal = AbortSignal.any([this.#cancel, AbortSignal.timeout(budget)]);
    const deadline = this.#now() + budget;
    const manual = this.#model?.upgradeMode === "Manual";
    const ids = [...this.#started];
    this.#phase = "rolling back";
    try {
      if (change.rollback.scaleSetPatch !== undefined) {
        const model = await this.#api.getScaleSet(signal);
        this.#log.info(`PATCH scale set back to ${JSON.stringify(change.rollback.scaleSetPatch)} with If-Match ${model.etag ?? "(none)"}.`);
        this.#model = await this.#api.patchScaleSet(change.rollback.scaleSetPatch, model.etag, signal);
      }
      if (change.rollback.extensionPatch !== undefined) {
        this.#log.info(`PATCH extension '${change.rollback.extensionPatch.name}' back to its previous values.`);
        await this.#api.patchExtension(change.rollback.extensionPatch, signal);
      }
      if (manual && ids.length > 0) {
        this.#log.info(`manualupgrade ${ids.join(", ")} back onto the previous model.`);
        const outcome = await this.#api.upgradeInstances(ids, signal);
        if (outcome.status !== "Succeeded") throw new AzureApiError(outcome.error?.code ?? outcome.status, outcome.error?.message ?? "");
      }
      // Back on the previous model = latestModelApplied again (Automatic/Rolling: the platform rolls it back).
      for (;;) {
        await this.#list(signal);
        const stale = ids.filter((id) => !this.#instances.get(id)?.latestModelApplied);
        this.#log.info(`Rollback: ${ids.length - stale.length}/${ids.length} instance(s) back on the previous model.`);
        if (stale.length === 0) break;
        if (this.#now() >= deadline) throw new Error(`instances ${stale.join(", ")} are not back on the previous model within health-timeout`);
        await this.#untilNextPoll(deadline - this.#now(), signal);
      }
      for (const id of ids) this.#rolledBack.add(id);
      this.#rollback = { succeeded: true, instanceIds: ids };
    } catch (err) {
      const error = errorText(err);
      this.#log.info(`Rollback failed: ${error}`);
      this.#rollback = { succeeded: false, instanceIds: ids, error };
    }
  }

  // ───────────────────────────── the record ─────────────────────────────

  #record(failure: string | undefined): RolloutRecord {
    const config = this.#config;
    const finishedAt = this.#now();
    const instances = this.#instanceRecords();
    const result =
      config.rollout.dryRun && failure === undefined
        ? "planned"
        : finalResult({
            cancelled: this.#stop?.kind === "cancelled",
            failed: failure !== undefined,
            workDone: this.#modelUpdated || this.#targets.size > 0,
            rolledBack: this.#rollback?.succeeded === true,
          });
    const reason = this.#reason(result, failure);
    const resourceId =
      this.#model?.id ||
      `/subscriptions/${config.target.subscriptionId}/resourceGroups/${config.target.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${config.target.scaleSet}`;
    return {
      target: { ...config.target, resourceId, portalUrl: `${config.cloud.portalUrl}/#resource${resourceId}/overview` },
      cloud: config.cloud.name,
      ...(this.#model && { upgradeMode: this.#model.upgradeMode }),
      dryRun: config.rollout.dryRun,
      startedAt: new Date(this.#startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - this.#startedAt,
      result,
      ...(reason !== undefined && { reason: redactText(reason) }),
      changes: this.#change?.changes ?? [],
      modelUpdated: this.#modelUpdated,
      ...(this.#change && { previousModel: this.#change.previousModel }),
      batches: this.#batches,
      instances,
      ...(this.#rolling && { rolling: { ...this.#rolling, ...(this.#rolling.error && { error: redactError(this.#rolling.error) }) } }),
      ...(this.#rollback && { rollback: { ...this.#rollback, ...(this.#rollback.error && { error: redactText(this.#rollback.error) }) } }),
    };
  }

  /** Why the run failed, in one line; undefined when it did not. */
  #failure(): string | undefined {
    const instances = this.#instanceRecords();
    if (this.#stop === undefined) {
      const failed = instances.filter((r) => isFailedOutcome(r.outcome));
      if (failed.length === 0) return undefined;
      return (
        `${failed.length} of ${this.#targets.size} instance(s) did not end on the new model and healthy: ` +
        `${this.#describeAll(failed.map((r) => r.instanceId))}.`
      );
    }
    if (this.#stop.kind === "failed" || this.#model === undefined) return this.#stop.reason;
    return `${this.#stop.reason} ${this.#stateSummary(instances)}`;
  }

  #reason(result: RolloutRecord["result"], failure: string | undefined): string | undefined {
    if (result === "succeeded" || result === "unchanged") return undefined;
    if (result === "planned") {
      return (
        `Dry run: ${this.#change?.changes.length ?? 0} model change(s) and ${this.#targets.size} instance(s) to upgrade` +
        `${this.#batches.length > 0 ? ` in ${this.#batches.length} batch(es)` : ""}; nothing was written.`
      );
    }
    let reason = failure ?? "";
    if (this.#rollback?.succeeded) {
      reason += ` Rolled back: the previous model is restored${this.#rollback.instanceIds.length > 0 ? ` and instances ${listIds(this.#rollback.instanceIds)} run it again` : ""}.`;
    } else if (this.#rollback) {
      reason += ` The rollback failed too: ${this.#rollback.error ?? "unknown error"}.`;
    }
    return reason;
  }

  /** `Updated: 0, 1. Not on the new model: 2 (…). Not started: 4, 5.` */
  #stateSummary(instances: readonly InstanceRecord[]): string {
    const ids = (pick: (r: InstanceRecord) => boolean): string[] => instances.filter(pick).map((r) => r.instanceId);
    const updated = ids((r) => r.outcome === "updated");
    const failed = ids((r) => isFailedOutcome(r.outcome));
    const notStarted = ids((r) => r.outcome === "not-started");
    const parts = [
      updated.length > 0 ? `Updated: ${listIds(updated)}.` : "No instance was updated.",
      ...(failed.length > 0 ? [`Not on the new model or unhealthy: ${this.#describeAll(failed)}.`] : []),
      ...(notStarted.length > 0 ? [`Not started: ${listIds(notStarted)}.`] : []),
    ];
    return parts.join(" ");
  }

  #instanceRecords(): InstanceRecord[] {
    const ids = new Set([...this.#instances.keys(), ...this.#targets]);
    return [...ids]
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
      .map((id): InstanceRecord => {
        const state = this.#instances.get(id);
        const assessment = this.#assessments.get(id);
        const batch = this.#batchOf.get(id);
        const image = state?.imageReference ? imageLabel(state.imageReference) : undefined;
        const error = state?.error ?? (assessment?.kind === "failed" ? assessment.error : undefined);
        return {
          instanceId: id,
          name: state?.name ?? id,
          latestModelBefore: this.#before.get(id) ?? state?.latestModelApplied ?? false,
          latestModelAfter: state?.latestModelApplied ?? false,
          outcome: instanceOutcome({
            protected: this.#protected.has(id) || (state?.protectedFromScaleSetActions ?? false),
            targeted: this.#targets.has(id),
            started: this.#started.has(id),
            ...(assessment && { assessment }),
            rolledBack: this.#rolledBack.has(id),
          }),
          ...(batch !== undefined && { batch }),
          ...(state?.provisioningState !== undefined && { provisioningState: state.provisioningState }),
          ...(state?.powerState !== undefined && { powerState: state.powerState }),
          ...(state?.health !== undefined && { health: state.health }),
          ...(image !== undefined && { image }),
          ...(error !== undefined && { error: redactError(error) }),
        };
      });
  }

  // ───────────────────────────── helpers ─────────────────────────────

  /** One list call (all pages); remembers every instance's state. */
  async #list(signal: AbortSignal = this.#work): Promise<InstanceState[]> {
    const instances = await this.#api.listInstances(signal);
    this.#instances = new Map(instances.map((i) => [i.instanceId, i]));
    return instances;
  }

  #isBadNow(id: string): boolean {
    const assessment = this.#assessments.get(id);
    // Still pending once its gate ended (health-timeout spent): it did not make it.
    return assessment === undefined || isBad(assessment) || assessment.kind === "pending";
  }

  #describe(id: string): string {
    const assessment = this.#assessments.get(id);
    const base = describeInstance(id, this.#instances.get(id), assessment?.kind === "failed" ? assessment.error : undefined);
    if (assessment?.kind === "unhealthy") return `${base} (${assessment.detail})`;
    if (assessment?.kind === "pending") return `${base} (waiting for ${assessment.waitingFor})`;
    return base;
  }

  #describeAll(ids: readonly string[]): string {
    return limitList(ids.map((id) => this.#describe(id)));
  }

  #progress(ids: readonly string[], label: string): void {
    const kinds = ids.map((id) => this.#assessments.get(id)?.kind ?? "pending");
    const n = (kind: string): number => kinds.filter((k) => k === kind).length;
    const waiting = new Set<string>();
    for (const id of ids) {
      const assessment = this.#assessments.get(id);
      if (assessment?.kind === "pending") waiting.add(assessment.waitingFor);
    }
    const doneOverall = [...this.#targets].filter((id) => this.#assessments.get(id)?.kind === "done").length;
    const total = this.#targets.size;
    this.#log.info(
      `[${label}] ${n("done")}/${ids.length} done, ${n("pending")} waiting${waiting.size > 0 ? ` (for ${[...waiting].join(", ")})` : ""}, ` +
        `${n("failed")} failed, ${n("unhealthy")} unhealthy · rollout ${doneOverall}/${total} (${total > 0 ? Math.floor((doneOverall * 100) / total) : 100}%) · ${this.#elapsed()} elapsed`,
    );
  }

  /**
   * Waits for the next poll: poll-interval, slower when Azure's throttling headroom runs low (said once per change
   * of pace), never longer than `maxMs`.
   */
  async #untilNextPoll(maxMs: number, signal: AbortSignal = this.#work): Promise<void> {
    const interval = this.#config.rollout.pollIntervalMs;
    const remaining = this.#api.rateLimitRemaining?.();
    const pace = pollDelay(interval, remaining, Number.POSITIVE_INFINITY);
    if (pace !== this.#pollPace) {
      if (pace > interval) this.#log.info(`Azure's throttling headroom is low (${remaining} requests left): polling every ${formatDuration(pace)}.`);
      else if (this.#pollPace !== interval) this.#log.info(`Throttling headroom recovered: polling every ${formatDuration(pace)} again.`);
      this.#pollPace = pace;
    }
    await this.#sleep(Math.max(0, Math.min(pace, maxMs)), signal);
  }

  #setBatch(index: number, fields: Partial<BatchRecord>): void {
    this.#batches = this.#batches.map((b) => (b.index === index ? { ...b, ...fields } : b));
  }

  async #pause(): Promise<void> {
    this.#checkTime(this.#phase);
    await this.#untilNextPoll(this.#timeLeft());
    this.#checkTime(this.#phase);
  }

  /** Throws the cancel or timeout stop when it is due. `when`: `while upgrading batch 2 of 3`, `before batch 3 …`. */
  #checkTime(when: string): void {
    if (this.#cancel.aborted || this.#timeLeft() <= 0) throw this.#interrupted(when);
  }

  /** The stop for a cancel (the runner's signal) or else the spent timeout. */
  #interrupted(when: string): StopError {
    const phrase = when.startsWith("before") ? when : `while ${when}`;
    if (this.#cancel.aborted) return new StopError({ kind: "cancelled", reason: `The job was cancelled ${phrase}; no further batch was started.` });
    return new StopError({ kind: "timeout", reason: `Timed out after ${formatDuration(this.#config.rollout.timeoutMs)} (timeout) ${phrase}.` });
  }

  #stopFromError(err: unknown): Stop {
    if (this.#cancel.aborted || isAbort(err) || this.#timeLeft() <= 0) return this.#interrupted(this.#phase).stop;
    return { kind: "failed", reason: `Failed while ${this.#phase}: ${errorText(err)}.` };
  }

  #timeLeft(): number {
    return this.#deadline - this.#now();
  }

  #elapsed(): string {
    return formatDuration(this.#now() - this.#startedAt);
  }

  async #group<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.#log.startGroup(name);
    try {
      return await body();
    } finally {
      this.#log.endGroup();
    }
  }
}

/** What is already running on the scale set, in words; undefined when nothing is. */
function describeRunning(model: ScaleSetModel, rolling: RollingUpgradeStatus | undefined, instances: readonly InstanceState[]): string | undefined {
  const running: string[] = [];
  const state = model.provisioningState?.toLowerCase();
  if (state !== undefined && state !== "succeeded" && state !== "failed") running.push(`the scale set is ${model.provisioningState}`);
  if (rolling?.code === "RollingForward" || rolling?.code === "RollingBack") {
    running.push(
      `a rolling upgrade is ${rolling.code}${rolling.startTime ? ` since ${rolling.startTime}` : ""} ` +
        `(${rolling.successfulInstanceCount} done, ${rolling.inProgressInstanceCount} in progress, ${rolling.pendingInstanceCount} pending)`,
    );
  }
  const busy = new Map<string, string[]>();
  for (const i of instances) {
    const s = i.provisioningState;
    if (s !== undefined && ["updating", "creating", "deleting"].includes(s.toLowerCase())) busy.set(s, [...(busy.get(s) ?? []), i.instanceId]);
  }
  for (const [s, ids] of busy) running.push(`instance(s) ${ids.join(", ")} ${s}`);
  return running.length > 0 ? running.join("; ") : undefined;
}

function imageLabel(ref: InstanceState["imageReference"] & object): string {
  return ref.id ?? ref.sharedGalleryImageId ?? ref.communityGalleryImageId ?? ref.exactVersion ?? ref.version ?? describeImage(ref);
}

/** Azure error texts may quote a fileUri with its SAS token. */
function redactError(error: AzureErrorInfo): AzureErrorInfo {
  return { code: error.code, message: redactText(error.message) };
}

function isPreconditionFailed(err: unknown): boolean {
  return err instanceof AzureApiError && (err.statusCode === 412 || err.code === "PreconditionFailed");
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/** One line, SAS query strings removed. */
function errorText(err: unknown): string {
  if (err instanceof AzureApiError) return describeError({ code: err.code, message: err.message });
  const text = err instanceof Error ? err.message : String(err);
  return redactText(text).replace(/\s+/g, " ").trim().replace(/\.$/, "") || "unknown error";
}
