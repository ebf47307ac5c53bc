// The rollout engine: reads the scale set, writes the model change, brings every instance onto it (in health-gated
// batches, or by following the platform), proves it, and returns a RolloutRecord. It never throws for Azure or
// rollout failures: every outcome, a refusal before any write included, is a record with a result and a reason.
//
//   Plan          read the scale set, refuse what Azure would refuse, wait for a model update or rolling upgrade
//                 already running, compute the change (a dry run, or a run with nothing to write, lists and plans here)
//   Model update  PATCH with If-Match (412 → re-read, rebuild, retry), wait for it
//   Batch plan    one listing: the batches (instance operations already running are waited for first)
//   Batch i/n     manualupgrade, then poll (one list call per poll) until each instance is on the new model and
//                 healthy, judging every instance upgraded so far
//   or Platform   Automatic/Rolling: the platform rolls; poll until it is done, Faulted, or the time is spent
//   Verification  the last poll's listing (or one more, when an operation started since): every targeted instance
//   Rollback      on failure, when asked: previous model back, upgraded instances back onto it
//
// Time: `timeout` covers everything but a rollback. The rollout itself stops a little before it (listingReserve), so
// that the final listing fits in; a rollback then gets at most health-timeout more (never past timeout +
// health-timeout). The API is told each deadline, so no Retry-After wait runs past it.
//
// Reads: operation status is polled often (cheap); the instance list (HighCostGetVMScaleSet, one token a page) only
// when an operation has ended or a poll interval has passed (the adapter waits for its throttling bucket rather than
// run into a 429).

import { formatDuration, pollDelay, sleep as defaultSleep, throttlePace } from "./clock.ts";
import { describeError, errorLine, isAbort } from "./failure.ts";
import { sortIds } from "./ids.ts";
import { describeImage, isNoOp, planChange, type ChangePlan, type ModelChange } from "./patch.ts";
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
/** The most the final listing may take; the rollout keeps that much (at most a tenth of timeout) for it. */
const FINAL_LISTING_MS = 20_000;
/** manualupgrade refused with 409 Conflict, or preempted: retries, after poll-interval, doubled each time. */
const MAX_UPGRADE_RETRIES = 5;
const MAX_BACKOFF_MS = 120_000;
/** action.yml's defaults of the options Azure ignores in Automatic and Rolling mode: other values were set on purpose. */
const BATCH_DEFAULTS = { batchSizePercent: 20, maxUnhealthyPercent: 20, pauseBetweenBatchesMs: 0 } as const;
/** Below this poll-interval a large scale set's lists drain Azure's HighCostGetVMScaleSet bucket. */
const MIN_CLOUD_POLL_MS = 5_000;

/** The time the rollout leaves at the end of `timeout` for the final listing. */
export function listingReserve(timeoutMs: number): number {
  return Math.min(FINAL_LISTING_MS, Math.floor(timeoutMs / 10));
}

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

/** A manualupgrade Azure accepted and the end of its operation (undefined: waiting was aborted). */
interface Upgrade {
  readonly ids: readonly string[];
  readonly outcome: OperationOutcome | undefined;
}

class Rollout {
  readonly #config: Config;
  readonly #api: ScaleSetApi;
  readonly #log: Logger;
  readonly #cancel: AbortSignal;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #startedAt: number;
  /** startedAt + timeout: the run (final listing included) is over by then; only a rollback may go on. */
  readonly #deadline: number;
  /** When the rollout's own work stops: the deadline less the final listing's reserve. */
  readonly #workDeadline: number;
  /** Aborted when run() returns: nothing the run started (an operation poller, say) outlives it. */
  readonly #end = new AbortController();
  /** Every Azure call and wait of the rollout: aborted on cancel, when the work time is spent, or at the end. */
  readonly #work: AbortSignal;

  /** What the engine is doing, for messages: `upgrading batch 2 of 3`. */
  #phase = "reading the scale set";
  #model: ScaleSetModel | undefined;
  #change: ModelChange | undefined;
  #modelUpdated = false;
  /** Which writes Azure accepted (a rollback puts back only those). */
  #written = { image: false, extension: false };
  #rollingBefore: RollingUpgradeStatus | undefined;
  #rolling: RollingUpgradeStatus | undefined;
  /** Every instance as the last listing showed it. */
  #instances = new Map<string, InstanceState>();
  /** When the last listing was taken, and when Azure last accepted a write of the action (-∞: never). */
  #listedAt = Number.NEGATIVE_INFINITY;
  #wroteAt = Number.NEGATIVE_INFINITY;
  /** latestModelApplied when the rollout planned. */
  #before = new Map<string, boolean>();
  #protected = new Set<string>();
  /** Instances the rollout has to bring onto the model. */
  #targets = new Set<string>();
  /** Targets that left the scale set during the run (scale-in). */
  #removed = new Set<string>();
  /** Instances whose upgrade Azure accepted (manualupgrade answered 202, or the platform rolls them). */
  #started = new Set<string>();
  /** Started instances whose wait is over (their batch's gate ended): judged without further patience. */
  #settled = new Set<string>();
  /** The error of the operation that upgraded an instance, when it failed. */
  #operationError = new Map<string, AzureErrorInfo>();
  #assessments = new Map<string, Assessment>();
  #batchOf = new Map<string, number>();
  #batches: BatchRecord[] = [];
  #rolledBack = new Set<string>();
  #rollback: RolloutRecord["rollback"];
  /** Why no rollback was attempted although one was asked for. */
  #noRollback: string | undefined;
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
    this.#workDeadline = this.#deadline - listingReserve(config.rollout.timeoutMs);
    this.#work = AbortSignal.any([deps.signal, AbortSignal.timeout(this.#workDeadline - this.#startedAt), this.#end.signal]);
    this.#pollPace = config.rollout.pollIntervalMs;
  }

  async run(): Promise<RolloutRecord> {
    try {
      this.#api.useDeadline?.(this.#workDeadline);
      try {
        await this.#group("Plan", () => this.#plan());
        if (!this.#config.rollout.dryRun) {
          if (this.#platformRolls()) await this.#rollOnPlatform();
          else {
            if (!isNoOp(this.#change!)) {
              await this.#group("Model update", () => this.#updateModel());
              this.#phase = "listing the instances to upgrade";
              await this.#group("Batch plan", () => this.#planOnListing(true));
            }
            await this.#upgradeInBatches();
          }
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
    } finally {
      this.#end.abort();
    }
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

    model = await this.#waitForScaleSet(model, !rollout.dryRun);
    const plan = this.#useChange(planChange(model, change));
    if (isNoOp(plan)) this.#log.info("The model already holds the requested values: nothing to write.");
    for (const c of plan.changes) this.#log.info(`Change ${c.property}: ${c.before} → ${c.after}`);
    this.#warnAboutOptions(model, plan);

    // Nothing is written (a dry run, or the model holds the values): the one listing to plan on is now. Otherwise it
    // follows the model update, when Azure reports which instances the write made stale.
    if (rollout.dryRun || isNoOp(plan)) await this.#planOnListing(!rollout.dryRun);
    if (rollout.dryRun) this.#log.info("Dry run: nothing is written.");
  }

  #useChange(plan: ChangePlan): ModelChange {
    if (!plan.ok) throw new StopError({ kind: "failed", reason: plan.reason });
    this.#change = plan;
    return plan;
  }

  /**
   * Waits (within the timeout) for a scale-set update or a rolling upgrade already running: reads of the scale set
   * and of its latest rolling upgrade, which are cheap. A dry run only says what is running.
   */
  async #waitForScaleSet(model: ScaleSetModel, wait: boolean): Promise<ScaleSetModel> {
    let current = model;
    let announced = false;
    for (;;) {
      const rolling = current.upgradeMode === "Manual" ? undefined : await this.#api.getLatestRollingUpgrade(this.#work);
      this.#rollingBefore = rolling;
      const busy = describeRunning(current, rolling, []);
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
      this.#model = current;
    }
  }

  /**
   * Lists the instances (waiting, one list per poll, for instance operations already running) and plans on them.
   * A dry run of a change plans as if the write had made every instance stale, as it would.
   */
  async #planOnListing(wait: boolean): Promise<void> {
    let instances = await this.#list();
    let announced = false;
    for (let busy = describeRunning(undefined, undefined, instances); busy !== undefined; busy = describeRunning(undefined, undefined, instances)) {
      if (!wait) {
        this.#log.info(`An operation is in progress: ${busy}. A real run would wait for it first.`);
        break;
      }
      this.#phase = `waiting for an operation already in progress (${busy})`;
      if (!announced) this.#log.info(`Waiting for an operation already in progress: ${busy}.`);
      announced = true;
      await this.#pause();
      instances = await this.#list();
      if (describeRunning(undefined, undefined, instances) === undefined) this.#log.info(`The operation in progress has ended (${this.#elapsed()} elapsed).`);
    }
    const change = this.#change!;
    const predicted = isNoOp(change) ? instances : instances.map((i) => ({ ...i, latestModelApplied: false }));
    if (this.#platformRolls()) {
      this.#noteTargets(planBatches(predicted, this.#config.rollout));
      this.#log.info(
        `Upgrade mode ${this.#model?.upgradeMode}: Azure rolls the ${this.#targets.size} instance(s) onto the new model itself; the action follows it.`,
      );
    } else {
      this.#noteBatches(planBatches(predicted, this.#config.rollout));
    }
  }

  /**
   * Warnings about inputs that cannot do what they say: batch options in a mode where Azure rolls the change itself,
   * and a poll-interval that drains Azure's throttling bucket for instance lists.
   */
  #warnAboutOptions(model: ScaleSetModel, change: ModelChange): void {
    const { rollout, cloud } = this.#config;
    if (model.upgradeMode !== "Manual" && !isNoOp(change)) {
      const ignored = [
        ...(rollout.batchSize.kind !== "percent" || rollout.batchSize.value !== BATCH_DEFAULTS.batchSizePercent ? ["batch-size"] : []),
        ...(rollout.canary !== undefined ? ["canary"] : []),
        ...(rollout.maxUnhealthyPercent !== BATCH_DEFAULTS.maxUnhealthyPercent ? ["max-unhealthy"] : []),
        ...(rollout.pauseBetweenBatchesMs !== BATCH_DEFAULTS.pauseBetweenBatchesMs ? ["pause-between-batches"] : []),
      ];
      if (ignored.length > 0) {
        const how = model.upgradeMode === "Rolling" ? "by the scale set's rolling upgrade policy" : "on every instance at once";
        this.#log.warning(
          `${ignored.join(", ")} ${ignored.length === 1 ? "has" : "have"} no effect: scale set '${model.name}' is in ${model.upgradeMode} upgrade mode, ` +
            `where Azure rolls a model change itself (${how}) and the action only follows it. ` +
            `Set batches and thresholds in the scale set's upgrade policy, or switch it to Manual mode to have the action roll out in batches.`,
          "Rollout options ignored",
        );
      }
    }
    if (cloud.name !== "Custom" && rollout.pollIntervalMs < MIN_CLOUD_POLL_MS) {
      this.#log.warning(
        `poll-interval ${formatDuration(rollout.pollIntervalMs)} is below ${formatDuration(MIN_CLOUD_POLL_MS)}: every poll lists the instances, ` +
          `and each page of that list takes a token of Azure's HighCostGetVMScaleSet throttling bucket (10 a minute per scale set), ` +
          `so polling this fast ends in waits or 429 throttling on larger scale sets. The default is 15s.`,
        "Polling faster than Azure's limits",
      );
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

  /** Manual mode: every write is waited for before the batches start. */
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
        this.#wrote("image");
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
    this.#wrote("extension");
    return pending;
  }

  #wrote(what: "image" | "extension"): void {
    this.#modelUpdated = true;
    this.#written = { ...this.#written, [what]: true };
    this.#wroteAt = this.#now();
  }

  async #awaitWrite(pending: PendingOperation): Promise<void> {
    const outcome = await pending.done;
    if (outcome === undefined) throw this.#interrupted(this.#phase); // the wait was aborted: cancel or timeout
    if (outcome.status !== "Succeeded") {
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
    // Instances gone since the last listing are not sent: a manualupgrade naming one is refused whole.
    const present = this.#present(batch.instanceIds);
    if (present.length === 0) {
      this.#log.info(`Batch ${batch.index}: every instance of it has left the scale set; nothing to upgrade.`);
      return;
    }
    this.#setBatch(batch.index, { startedAt: new Date(started).toISOString(), result: "not-started" });

    this.#log.info(`manualupgrade ${present.join(", ")}`);
    const upgrade = await this.#upgrade(present, batch.index, label);
    if (upgrade.outcome === undefined) {
      this.#setBatch(batch.index, { durationMs: this.#now() - started, result: this.#cancel.aborted ? "cancelled" : "timed-out" });
      throw this.#interrupted(this.#phase);
    }
    const ids = upgrade.ids;
    const outcome = upgrade.outcome;
    const operationError = outcome.status === "Succeeded" ? undefined : (outcome.error ?? { code: outcome.status, message: "" });
    if (operationError) for (const id of ids) this.#operationError.set(id, operationError);
    this.#log.info(
      `manualupgrade ${outcome.status.toLowerCase()} after ${formatDuration(this.#now() - started)}` +
        `${operationError ? `: ${describeError(operationError)}` : ""}.`,
    );

    const end = await this.#gate(ids, label);
    const bad = ids.filter((id) => this.#isBadNow(id));
    const result: BatchResult =
      end === "cancelled" ? "cancelled" : end === "timeout" ? "timed-out" : bad.length === 0 ? "succeeded" : operationError ? "failed" : "unhealthy";
    this.#setBatch(batch.index, { durationMs: this.#now() - started, result, ...(operationError && { error: redactError(operationError) }) });
    this.#log.info(`Batch ${batch.index}: ${result} in ${formatDuration(this.#now() - started)}.`);
    if (end !== "settled") throw this.#interrupted(this.#phase);

    // Every instance upgraded so far, judged on this poll's listing: an earlier one that turned unhealthy counts too.
    const upgraded = [...this.#started].filter((id) => !this.#removed.has(id));
    const allBad = upgraded.filter((id) => this.#isBadNow(id));
    if (breachesMaxUnhealthy({ upgraded: upgraded.length, bad: allBad.length, maxUnhealthyPercent: rollout.maxUnhealthyPercent, canary: batch.canary })) {
      const notStarted = this.#notStarted();
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

  /** The instances of `ids` the last listing still shows (the others are noted as removed). */
  #present(ids: readonly string[]): string[] {
    if (this.#listedAt === Number.NEGATIVE_INFINITY) return [...ids];
    return ids.filter((id) => this.#instances.has(id));
  }

  /**
   * manualupgrade until Azure accepts it, then its operation's end. Azure refusing it means it touched no instance:
   * - 409 Conflict (another operation holds the scale set), or an operation preempted or cancelled after it was
   *   accepted: retried after poll-interval, doubled each time, at most MAX_UPGRADE_RETRIES times and within timeout;
   * - 400 InvalidParameter (an instance left the scale set since the last listing): listed again and sent once more
   *   without the instances that are gone;
   * - anything else (401, 403, 404 …) stops the run, the batch's instances not started.
   */
  async #upgrade(initial: readonly string[], index: number, label: string): Promise<Upgrade> {
    let ids = [...initial];
    let listedAgain = false;
    for (let attempt = 1; ; attempt++) {
      let refusal: AzureApiError;
      try {
        const pending = await this.#api.startUpgradeInstances(ids, this.#work);
        this.#wroteAt = this.#now();
        for (const id of ids) this.#started.add(id);
        const outcome = await pending.done;
        if (outcome === undefined || !isPreempted(outcome) || attempt > MAX_UPGRADE_RETRIES) return { ids, outcome };
        refusal = new AzureApiError(outcome.error?.code ?? outcome.status, outcome.error?.message ?? "Azure ended the operation before it finished");
      } catch (err) {
        if (isAbort(err) || this.#cancel.aborted) return { ids, outcome: undefined };
        // Not an answer from Azure (a connection lost after the SDK's retries): whether it arrived is unknown.
        if (!(err instanceof AzureApiError) || err.statusCode === undefined) throw err;
        refusal = err;
        if (isGoneInstance(err) && !listedAgain) {
          listedAgain = true;
          await this.#list();
          const still = this.#present(ids);
          if (still.length < ids.length) {
            this.#log.info(`manualupgrade refused (${describeError(err)}): sending it again without the instance(s) that left the scale set.`);
            ids = still;
            if (ids.length === 0) return { ids, outcome: { status: "Succeeded" } };
            continue;
          }
        }
        if (!isRetryableRefusal(err) || attempt > MAX_UPGRADE_RETRIES) throw this.#refused(err, index, label, attempt);
      }
      const delay = Math.min(MAX_BACKOFF_MS, this.#config.rollout.pollIntervalMs * 2 ** (attempt - 1));
      if (delay >= this.#timeLeft()) throw this.#refused(refusal, index, label, attempt, "the timeout leaves no time to try again");
      this.#log.info(`manualupgrade ${refusalWords(refusal)} (${describeError(refusal)}): trying again in ${formatDuration(delay)} (attempt ${attempt + 1}).`);
      await this.#sleep(delay, this.#work);
      this.#checkTime(this.#phase);
      this.#log.info(`manualupgrade ${ids.join(", ")}`);
    }
  }

  /** The stop for a manualupgrade Azure refused: what it said, what it likely means, what was left untouched. */
  #refused(err: AzureApiError, index: number, label: string, attempts: number, why?: string): StopError {
    this.#setBatch(index, { result: "failed", error: redactError({ code: err.code, message: err.message }) });
    const status = err.statusCode !== undefined ? `${err.statusCode} ` : "";
    const meaning =
      err.statusCode === 403
        ? "the signed-in identity may not run manualupgrade on the scale set: it needs the permission Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action (in Virtual Machine Contributor, for one) on the scale set"
        : err.statusCode === 401
          ? "Azure did not accept the sign-in for it: check that environment / arm-endpoint name the cloud the identity signs in to"
          : err.statusCode === 404
            ? "the scale set was not found: it may have been deleted"
            : isRetryableRefusal(err) || isPreemptedCode(err.code)
              ? `another operation kept the scale set busy (${attempts} attempt(s)${why ? `; ${why}` : ""})`
              : undefined;
    const notStarted = this.#notStarted();
    return new StopError({
      kind: "failed",
      reason:
        `Azure refused manualupgrade for ${label} (${status}${describeError({ code: err.code, message: err.message })})` +
        `${meaning ? `: ${meaning}` : ""}. Azure touched none of its instances. ` +
        (notStarted.length > 0 ? `Not started: ${listIds(notStarted)}.` : ""),
    });
  }

  /**
   * Polls (one list call per poll) until every instance of `ids` is settled: on the new model and healthy, failed,
   * or unhealthy; the instances of earlier batches are judged again on each listing. Health is waited for until
   * health-timeout; the whole run's deadline and a cancel end it early.
   */
  async #gate(ids: readonly string[], label: string): Promise<GateEnd> {
    const healthDeadline = this.#now() + this.#config.rollout.healthTimeoutMs;
    for (;;) {
      if (this.#cancel.aborted) return "cancelled";
      const healthWaitOver = this.#now() >= healthDeadline;
      try {
        await this.#list();
      } catch (err) {
        if (!isAbort(err)) throw err;
        return this.#cancel.aborted ? "cancelled" : "timeout";
      }
      this.#judgeSettled();
      for (const id of ids) this.#assessments.set(id, this.#assess(id, healthWaitOver));
      this.#progress(ids, label);
      const pending = ids.filter((id) => this.#assessments.get(id)?.kind === "pending");
      if (pending.length === 0 || healthWaitOver) {
        for (const id of ids) this.#settled.add(id);
        return "settled";
      }
      if (this.#timeLeft() <= 0) return "timeout";
      await this.#untilNextPoll(Math.min(this.#timeLeft(), healthDeadline - this.#now()));
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
   * Follows the platform's roll until the write's operation has ended, the platform no longer rolls and every
   * targeted instance is settled; or it failed, or the time is up. An instance not on the new model keeps the run
   * waiting (until timeout) while it is not failed; health-timeout runs for each instance from when it is first
   * seen on the new model. The instance list is read when the operation ends or a poll interval has passed.
   */
  async #followPlatform(pending: PendingOperation): Promise<void> {
    const { healthTimeoutMs } = this.#config.rollout;
    const mode = this.#model?.upgradeMode;
    const label = mode === "Rolling" ? "rolling upgrade" : "automatic upgrade";
    this.#phase = `waiting for Azure's ${label}`;
    const operation: { ended: boolean; outcome?: OperationOutcome | undefined } = { ended: false };
    const ended = pending.done.then((outcome) => void Object.assign(operation, { ended: true, outcome }));
    const onModelSince = new Map<string, number>();
    let ids: string[] | undefined;
    for (;;) {
      await this.#untilNextPoll(this.#timeLeft(), operation.ended ? undefined : ended);
      this.#checkTime(this.#phase);
      // Read the verdicts first and the instances after, so a failure is described with the states that caused it.
      const opEnded = operation.ended;
      const rolling = mode === "Rolling" ? await this.#rollingStatus() : undefined;
      const instances = await this.#list();
      ids ??= this.#notePlatformTargets(instances);
      const now = this.#now();
      for (const id of ids) {
        const state = this.#instances.get(id);
        if (state?.latestModelApplied && !isBusy(state) && !onModelSince.has(id)) onModelSince.set(id, now);
        const since = onModelSince.get(id);
        this.#assessments.set(id, this.#assess(id, since !== undefined && now >= since + healthTimeoutMs));
      }
      this.#progress(ids, label);
      if (rolling?.code === "Faulted" || rolling?.code === "Cancelled") {
        const what = `Azure's rolling upgrade ${rolling.code === "Faulted" ? "faulted" : "was cancelled"}`;
        const counts = `${rolling.successfulInstanceCount} succeeded, ${rolling.failedInstanceCount} failed, ${rolling.pendingInstanceCount} pending`;
        throw this.#platformFailure(ids, `${what}${rolling.error ? ` (${describeError(rolling.error)})` : ""}: ${counts}.`);
      }
      if (opEnded && operation.outcome === undefined) throw this.#interrupted(this.#phase);
      if (opEnded && operation.outcome !== undefined && operation.outcome.status !== "Succeeded") {
        const { status, error } = operation.outcome;
        throw this.#platformFailure(ids, `Azure's ${label} ${status.toLowerCase()}${error ? ` (${describeError(error)})` : ""}.`);
      }
      const stillRolling = rolling?.code === "RollingForward" || rolling?.code === "RollingBack";
      if (opEnded && !stillRolling && ids.every((id) => this.#assessments.get(id)?.kind !== "pending")) {
        for (const id of ids) this.#settled.add(id);
        return;
      }
    }
  }

  /** The write made every instance stale: the platform is to roll every unprotected one. */
  #notePlatformTargets(instances: readonly InstanceState[]): string[] {
    this.#noteTargets(planBatches(instances.map((i) => ({ ...i, latestModelApplied: false })), this.#config.rollout));
    const ids = [...this.#targets];
    for (const id of ids) this.#started.add(id);
    this.#log.info(`Azure rolls ${ids.length} instance(s) onto the new model; the action follows it.`);
    return ids;
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

  /**
   * The verdict on every targeted instance from the last listing: the last poll's, or a new one when an operation
   * the action started may have moved instances since (a stop while Azure was upgrading). The new one fits in the
   * rest of `timeout` (the rollout left a reserve for it), or 2 s after a cancel.
   */
  async #verify(): Promise<void> {
    if (this.#wroteAt > this.#listedAt) {
      const budget = this.#cancel.aborted ? CANCELLED_LISTING_MS : Math.min(FINAL_LISTING_MS, this.#deadline - this.#now());
      if (budget > 0) {
        this.#api.useDeadline?.(this.#now() + budget);
        try {
          await this.#list(AbortSignal.any([AbortSignal.timeout(budget), this.#end.signal]));
        } catch (err) {
          this.#log.warning(`Could not list the instances one last time: ${errorLine(err)}. The states shown are the last ones read.`);
        }
      } else {
        this.#log.warning("No time was left to list the instances one last time: the states shown are the last ones read.");
      }
    }
    // Stopped before the platform's roll was first looked at: its targets are known from this listing.
    if (this.#platformRolls() && this.#modelUpdated && this.#targets.size === 0 && this.#listedAt > this.#wroteAt) {
      this.#notePlatformTargets([...this.#instances.values()]);
    }
    for (const id of this.#started) this.#assessments.set(id, this.#assess(id, this.#settled.has(id)));
    const records = this.#instanceRecords();
    const count = (outcome: string): number => records.filter((r) => r.outcome === outcome).length;
    this.#log.info(
      `${records.length} instance(s): ${count("updated")} updated, ${count("already-current")} already current, ` +
        `${records.filter((r) => isFailedOutcome(r.outcome)).length} failed/unhealthy/not on the new model, ` +
        `${count("not-started")} not started, ${count("skipped-protected")} protected` +
        `${count("removed") > 0 ? `, ${count("removed")} left the scale set` : ""}.`,
    );
    for (const r of records.filter((r) => isFailedOutcome(r.outcome))) this.#log.info(`  ${r.outcome}: ${this.#describe(r.instanceId)}`);
  }

  // ───────────────────────────── Rollback ─────────────────────────────

  /** A cancelled job gets no rollback: the runner kills it seconds later. */
  #shouldRollBack(): boolean {
    return this.#config.rollout.rollbackOnFailure && this.#modelUpdated && this.#stop?.kind !== "cancelled";
  }

  /**
   * Puts the previous model back (etag-guarded) and brings the instances upgraded so far back onto it. It gets
   * health-timeout, and never goes past timeout + health-timeout; the API's deadline moves with it. When the
   * previous model cannot be restored, nothing is sent: an upgrade now would only bring instances onto the new model.
   */
  async #rollBack(): Promise<void> {
    const change = this.#change!;
    if (change.rollback.impossible !== undefined) {
      this.#noRollback = `No rollback was done: the previous model cannot be restored (${change.rollback.impossible}), so the instances stay on the new model.`;
      this.#log.info(this.#noRollback);
      return;
    }
    const budget = this.#config.rollout.healthTimeoutMs;
    const deadline = Math.min(this.#now() + budget, this.#deadline + budget);
    this.#api.useDeadline?.(deadline);
    const signal = AbortSignal.any([this.#cancel, AbortSignal.timeout(Math.max(0, deadline - this.#now())), this.#end.signal]);
    const manual = this.#model?.upgradeMode === "Manual";
    const ids = sortIds([...this.#started].filter((id) => !this.#removed.has(id)));
    this.#phase = "rolling back";
    try {
      if (change.rollback.scaleSetPatch !== undefined && this.#written.image) {
        const model = await this.#api.getScaleSet(signal);
        this.#log.info(`PATCH scale set back to ${JSON.stringify(change.rollback.scaleSetPatch)} with If-Match ${model.etag ?? "(none)"}.`);
        this.#model = await this.#api.patchScaleSet(change.rollback.scaleSetPatch, model.etag, signal);
      }
      if (change.rollback.extensionPatch !== undefined && this.#written.extension) {
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
        const stale = ids.filter((id) => this.#instances.has(id) && !this.#instances.get(id)?.latestModelApplied);
        this.#log.info(`Rollback: ${ids.length - stale.length}/${ids.length} instance(s) back on the previous model.`);
        if (stale.length === 0) break;
        if (this.#now() >= deadline) throw new Error(`instances ${stale.join(", ")} are not back on the previous model within health-timeout`);
        await this.#untilNextPoll(deadline - this.#now(), undefined, signal);
      }
      for (const id of ids) this.#rolledBack.add(id);
      this.#rollback = { succeeded: true, instanceIds: ids };
    } catch (err) {
      const error = errorLine(err);
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
      const answerable = [...this.#targets].filter((id) => !this.#removed.has(id)).length;
      return (
        `${failed.length} of ${answerable} instance(s) did not end on the new model and healthy: ` +
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
    } else if (this.#noRollback) {
      reason += ` ${this.#noRollback}`;
    }
    return reason;
  }

  /** `Updated: 0, 1. Not on the new model: 2 (…). Not started: 4, 5.` */
  #stateSummary(instances: readonly InstanceRecord[]): string {
    const ids = (pick: (r: InstanceRecord) => boolean): string[] => instances.filter(pick).map((r) => r.instanceId);
    const updated = ids((r) => r.outcome === "updated");
    const failed = ids((r) => isFailedOutcome(r.outcome));
    const notStarted = ids((r) => r.outcome === "not-started");
    const removed = ids((r) => r.outcome === "removed");
    const parts = [
      updated.length > 0 ? `Updated: ${listIds(updated)}.` : "No instance was updated.",
      ...(failed.length > 0 ? [`Not on the new model or unhealthy: ${this.#describeAll(failed)}.`] : []),
      ...(notStarted.length > 0 ? [`Not started: ${listIds(notStarted)}.`] : []),
      ...(removed.length > 0 ? [`Left the scale set: ${listIds(removed)}.`] : []),
    ];
    return parts.join(" ");
  }

  #instanceRecords(): InstanceRecord[] {
    return sortIds(new Set([...this.#instances.keys(), ...this.#targets])).map((id): InstanceRecord => {
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
          removed: this.#removed.has(id),
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

  /** One list call (all pages): the state of every instance, and which targeted ones left the scale set. */
  async #list(signal: AbortSignal = this.#work): Promise<InstanceState[]> {
    const instances = await this.#api.listInstances(signal);
    this.#instances = new Map(instances.map((i) => [i.instanceId, i]));
    this.#listedAt = this.#now();
    const gone = [...this.#targets].filter((id) => !this.#instances.has(id) && !this.#removed.has(id));
    if (gone.length > 0) {
      for (const id of gone) this.#removed.add(id);
      this.#log.info(`Instance(s) ${listIds(gone)} left the scale set (scale-in): not upgraded, not counted as failures.`);
    }
    return instances;
  }

  /** An instance's state on the last listing, as the verdict sees it. */
  #assess(id: string, healthWaitOver: boolean): Assessment {
    const operationError = this.#operationError.get(id);
    return assessInstance(this.#instances.get(id), {
      health: this.#config.rollout.health,
      scaleSetHasHealthSignal: this.#model?.hasHealthSignal ?? false,
      ...(operationError && { operationError }),
      ...(this.#config.change.extension && { changedExtension: this.#config.change.extension.name }),
      healthWaitOver,
    });
  }

  /** The instances of earlier batches, judged again on this listing: their wait is over. */
  #judgeSettled(): void {
    for (const id of this.#settled) this.#assessments.set(id, this.#assess(id, true));
  }

  #isBadNow(id: string): boolean {
    const assessment = this.#assessments.get(id);
    if (assessment?.kind === "removed" || this.#removed.has(id)) return false;
    // Still pending once its gate ended (health-timeout spent): it did not make it.
    return assessment === undefined || isBad(assessment) || assessment.kind === "pending";
  }

  #notStarted(): string[] {
    return [...this.#targets].filter((id) => !this.#started.has(id) && !this.#removed.has(id));
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
    const answerable = [...this.#targets].filter((id) => !this.#removed.has(id));
    const doneOverall = answerable.filter((id) => this.#assessments.get(id)?.kind === "done").length;
    const total = answerable.length;
    this.#log.info(
      `[${label}] ${n("done")}/${ids.length} done, ${n("pending")} waiting${waiting.size > 0 ? ` (for ${[...waiting].join(", ")})` : ""}, ` +
        `${n("failed")} failed, ${n("unhealthy")} unhealthy${n("removed") > 0 ? `, ${n("removed")} removed` : ""} · ` +
        `rollout ${doneOverall}/${total} (${total > 0 ? Math.floor((doneOverall * 100) / total) : 100}%) · ${this.#elapsed()} elapsed`,
    );
  }

  /**
   * Waits for the next poll: poll-interval, slower when Azure's throttling headroom runs low (said once per change
   * of pace), never longer than `maxMs`; sooner when `until` settles (an operation's end).
   */
  async #untilNextPoll(maxMs: number, until?: Promise<unknown>, signal: AbortSignal = this.#work): Promise<void> {
    const interval = this.#config.rollout.pollIntervalMs;
    const remaining = this.#api.rateLimitRemaining?.();
    const pace = throttlePace(interval, remaining);
    if (pace !== this.#pollPace) {
      if (pace > interval) this.#log.info(`Azure's throttling headroom is low (${remaining} requests left): polling every ${formatDuration(pace)}.`);
      else if (this.#pollPace !== interval) this.#log.info(`Throttling headroom recovered: polling every ${formatDuration(pace)} again.`);
      this.#pollPace = pace;
    }
    const delay = pollDelay(interval, remaining, maxMs);
    if (until === undefined) return this.#sleep(delay, signal);
    const woken = new AbortController();
    await Promise.race([this.#sleep(delay, AbortSignal.any([signal, woken.signal])), until]);
    woken.abort();
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
    return { kind: "failed", reason: `Failed while ${this.#phase}: ${errorLine(err) || "unknown error"}.` };
  }

  /** Time left for the rollout's own work. */
  #timeLeft(): number {
    return this.#workDeadline - this.#now();
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
function describeRunning(model: ScaleSetModel | undefined, rolling: RollingUpgradeStatus | undefined, instances: readonly InstanceState[]): string | undefined {
  const running: string[] = [];
  const state = model?.provisioningState?.toLowerCase();
  if (state !== undefined && state !== "succeeded" && state !== "failed") running.push(`the scale set is ${model?.provisioningState}`);
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

function isBusy(state: InstanceState): boolean {
  const s = state.provisioningState?.toLowerCase();
  return s === "updating" || s === "creating";
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

function isPreemptedCode(code: string | undefined): boolean {
  return code === "OperationPreempted";
}

/** An accepted manualupgrade whose operation another one preempted or cancelled: Azure may not have finished it. */
function isPreempted(outcome: OperationOutcome): boolean {
  return outcome.status === "Canceled" || isPreemptedCode(outcome.error?.code);
}

/** 409 Conflict (another operation holds the scale set) and OperationPreempted: worth trying again. */
function isRetryableRefusal(err: AzureApiError): boolean {
  return err.statusCode === 409 || err.code === "Conflict" || isPreemptedCode(err.code);
}

/** 400 InvalidParameter: manualupgrade names an instance that is not (any longer) in the scale set. */
function isGoneInstance(err: AzureApiError): boolean {
  return err.statusCode === 400 && err.code === "InvalidParameter";
}

function refusalWords(err: AzureApiError): string {
  return isPreemptedCode(err.code) || err.statusCode === undefined ? "was preempted" : "was refused";
}
