// What changes during one run, owned by one object: the phases read it and change it only through its named
// transitions (listed, wrote, upgradeStarted, stopped …). It implements RolloutState, so the record is built from it
// as it is (buildRecord reads this object; nothing is copied).
// Its sets and maps are handed out as read-only views of the live ones, not copies (a copy per read would be one per
// instance and poll at 1,000 instances): one held across an await shows the transitions since; a caller that needs
// them as they were copies them (`[...state.started]`). None does today (checked 2026-12-07). The lease's own timing
// (its expiry, renewals) is the lease's (lease.ts), reported here through leaseTaken, leaseKept, lostLease and the like.

import { isBusy } from "../domain/in-progress.ts";
import {
  describeDrift,
  driftFrom,
  isNoOp,
  movedFromPutBack,
  type ModelChange,
  type ModelDrift,
  type PutBack,
} from "../domain/change.ts";
import { sameJson } from "../domain/json.ts";
import { extensionsChanged } from "../domain/model-match.ts";
import type { BatchPlan } from "../domain/batches.ts";
import type { Phase } from "./phase.ts";
import type { RollbackOrigin, RolloutState, Stop, TagRecordState } from "./record.ts";
import type {
  AzureErrorInfo,
  ExtensionModel,
  InstanceState,
  RollingUpgradeStatus,
  ScaleSetModel,
} from "../domain/scale-set.ts";
import type { BatchRecord, LeaseHeldBy, LeaseNotReleased, PreviousModel, RolloutRecord } from "../domain/record.ts";
import type { ChangeRequest, Config } from "../config/types.ts";
import type { Assessment } from "../domain/verdict.ts";
import { decodeRecord, sameIdentity, type RolloutTagRecord } from "../domain/rollout-tags.ts";

export class RunState implements RolloutState {
  readonly config: Config;
  /** Epoch ms. */
  readonly startedAt: number;

  #phase: Phase = { kind: "reading" };
  #model: ScaleSetModel | undefined;
  #change: ModelChange | undefined;
  #written = { image: false, extension: false };
  /** The image and extensions of the model the change was planned on (see #asWritten). */
  #plannedOn: Pick<ScaleSetModel, "imageReference" | "extensions"> | undefined;
  #asWrittenCache:
    | {
        readonly key: readonly unknown[];
        readonly value: Pick<ScaleSetModel, "imageReference" | "extensions"> | undefined;
      }
    | undefined;
  #writeUnknown: "image" | "extension" | undefined;
  #writeUnknownFinal = false;
  #cutOffUnseen: "image" | "extension" | undefined;
  #rollingBefore: RollingUpgradeStatus | undefined;
  #rolling: RollingUpgradeStatus | undefined;
  #instances: ReadonlyMap<string, InstanceState> = new Map();
  #listedAt = Number.NEGATIVE_INFINITY;
  #wroteAt = Number.NEGATIVE_INFINITY;
  /** Verification read the model (a request sent after every write of the run's way forward) and got it. */
  #modelReadAtEnd = false;
  readonly #before = new Map<string, boolean>();
  #protected: ReadonlySet<string> = new Set();
  #targets: ReadonlySet<string> = new Set();
  readonly #removed = new Set<string>();
  /** Every instance's name as the last listing that showed it gave it (an instance gone since keeps its name). */
  readonly #names = new Map<string, string>();
  readonly #started = new Set<string>();
  readonly #settled = new Set<string>();
  readonly #operationError = new Map<string, AzureErrorInfo>();
  readonly #notReached = new Set<string>();
  readonly #assessments = new Map<string, Assessment>();
  readonly #batchOf = new Map<string, number>();
  #batches: readonly BatchRecord[] = [];
  readonly #rolledBack = new Set<string>();
  #rollback: RolloutRecord["rollback"];
  /** What a rollback that put every part back put back: the reads after it are judged against it (rollbackEnded). */
  #putBack: PutBack | undefined;
  /** Another writer's change the latest read after such a rollback found, in words (RolloutRecord rollback.changedSince). */
  #changedSinceRollback: string | undefined;
  #noRollback: { readonly reason: string; readonly otherWriter?: boolean } | undefined;
  #rollbackProgress: MutableRollbackProgress | undefined;
  readonly #warnings = new Set<string>();
  #stop: Stop | undefined;
  #pollPace: number;
  readonly #unseen = new Set<string>();
  readonly #maybeStarted = new Set<string>();
  #deleted = false;
  #previousModel: PreviousModel | undefined;
  #request: ChangeRequest;
  #rollbackOrigin: RollbackOrigin | undefined;
  #tagRecord: TagRecordState | undefined;
  #recordAtLease: RolloutTagRecord | undefined;
  #leaseLost: string | undefined;
  #leaseRanOut: string | undefined;
  #leaseHeldBy: LeaseHeldBy | undefined;
  #leaseNotReleased: LeaseNotReleased | undefined;
  #otherWriter: ModelDrift | undefined;
  // Reads and listings in the order they came (each takes the next number; no clock needed): whether an instance's
  // listing came after the read that found another writer's change (otherWriterBefore).
  #seq = 0;
  // When the latest read last found another writer's change, or found it taken back (0: never). While a change is
  // found, when it was first found: an instance listed after that is on a moved model.
  #movedSeq = 0;
  // When a read of the model (or a tag write's answer, which shows it) was last taken in.
  #modelSeenSeq = 0;
  #fullListingSeq = 0;
  readonly #listedSeq = new Map<string, number>();
  #imageBackRefused: { readonly version: string; readonly why: string } | undefined;
  #imageSetByOther: string | undefined;

  constructor(config: Config, startedAt: number) {
    this.config = config;
    this.startedAt = startedAt;
    this.#pollPace = config.rollout.pollIntervalMs;
    this.#request = config.change;
  }

  /** What this run rolls out: the inputs' change, or a rollback's (rollbackPlanned). */
  get request(): ChangeRequest {
    return this.#request;
  }
  /** A rollback run's plan: the record it undoes (or finishes) and what it puts back. */
  get rollbackOrigin(): RollbackOrigin | undefined {
    return this.#rollbackOrigin;
  }
  /**
   * The rollout record on the scale set's tags as the run took its lease (undefined: none, a damaged one, or no lease
   * yet): under the lease no other run writes one, so this is the record the run's own may replace.
   */
  get recordAtLease(): RolloutTagRecord | undefined {
    return this.#recordAtLease;
  }
  /** The rollout record this run keeps on the scale set (undefined: it has written no model). */
  get tagRecord(): TagRecordState | undefined {
    return this.#tagRecord;
  }

  /** What the engine is doing (see phaseWords). */
  get phase(): Phase {
    return this.#phase;
  }
  get model(): ScaleSetModel | undefined {
    return this.#model;
  }
  get change(): ModelChange | undefined {
    return this.#change;
  }
  /** The image and extensions of the model the change was planned on. */
  get plannedOn(): Pick<ScaleSetModel, "imageReference" | "extensions"> | undefined {
    return this.#plannedOn;
  }
  get modelUpdated(): boolean {
    return this.#written.image || this.#written.extension;
  }
  /**
   * A model write cut off in flight whose effect could not be read back: Azure may or may not have applied it
   * (`modelUpdated` stays false, as nothing proves the write; the record and the summary say it is unknown).
   */
  get modelWriteUnknown(): "image" | "extension" | undefined {
    return this.#writeUnknown;
  }
  /**
   * A model write cut off in flight that the model did not hold when read after it: Azure may still apply a request it
   * had received (the record and the summary say so). Undefined once a later read found it applied (`wrote`).
   */
  get modelWriteCutOff(): "image" | "extension" | undefined {
    const what = this.#cutOffUnseen;
    return what !== undefined && !this.#written[what] ? what : undefined;
  }
  /** Which writes Azure accepted (a rollback puts back only those). */
  get written(): { readonly image: boolean; readonly extension: boolean } {
    return this.#written;
  }
  /** The latest rolling upgrade when the run started (one that ended before it is not this run's). */
  get rollingBefore(): RollingUpgradeStatus | undefined {
    return this.#rollingBefore;
  }
  /** The rolling upgrade this run started, as last read. */
  get rolling(): RollingUpgradeStatus | undefined {
    return this.#rolling;
  }
  /** Every instance as the last listing showed it. */
  get instances(): ReadonlyMap<string, InstanceState> {
    return this.#instances;
  }
  /** When the last listing was taken (-∞: never). */
  get listedAt(): number {
    return this.#listedAt;
  }
  /** When Azure last accepted a write of the action, or a model write's operation ended (-∞: never). */
  get wroteAt(): number {
    return this.#wroteAt;
  }
  /** latestModelApplied when the rollout planned. */
  get before(): ReadonlyMap<string, boolean> {
    return this.#before;
  }
  get protected(): ReadonlySet<string> {
    return this.#protected;
  }
  /** Instances the rollout has to bring onto the model. */
  get targets(): ReadonlySet<string> {
    return this.#targets;
  }
  /** The name each instance had on the last listing that showed it: one that left the scale set keeps it. */
  get names(): ReadonlyMap<string, string> {
    return this.#names;
  }

  /** Targets that left the scale set during the run (scale-in). */
  get removed(): ReadonlySet<string> {
    return this.#removed;
  }
  /** Instances whose upgrade Azure accepted (manualupgrade answered 202, or the platform rolls them). */
  get started(): ReadonlySet<string> {
    return this.#started;
  }
  /** Started instances whose wait is over (their batch's gate ended): judged without further patience. */
  get settled(): ReadonlySet<string> {
    return this.#settled;
  }
  /** The error of the operation that upgraded an instance, when it failed. */
  get operationError(): ReadonlyMap<string, AzureErrorInfo> {
    return this.#operationError;
  }
  get notReached(): ReadonlySet<string> {
    return this.#notReached;
  }
  get assessments(): ReadonlyMap<string, Assessment> {
    return this.#assessments;
  }
  get batchOf(): ReadonlyMap<string, number> {
    return this.#batchOf;
  }
  get batches(): readonly BatchRecord[] {
    return this.#batches;
  }
  get rolledBack(): ReadonlySet<string> {
    return this.#rolledBack;
  }
  get sentBackNotBack(): ReadonlySet<string> {
    const sent = this.#rollback === undefined ? undefined : this.#rollbackProgress?.sent;
    return new Set([...(sent ?? [])].filter((id) => !this.#rolledBack.has(id) && !this.#removed.has(id)));
  }
  /**
   * The rollback as it ended; one that put the previous model back whose model the latest read since shows changed by
   * another writer says so (`model`, `changedSince`).
   */
  get rollback(): RolloutRecord["rollback"] {
    const ended = this.#rollback;
    const changedSince = this.#changedSinceRollback;
    if (ended === undefined || changedSince === undefined) return ended;
    return { ...ended, model: "changed-by-another-writer", changedSince };
  }
  get rollbackHeldBack(): ReadonlySet<string> {
    const held = this.#rollback === undefined ? undefined : this.#rollbackProgress?.heldByProtection;
    return new Set([...(held ?? [])].filter((id) => !this.#rolledBack.has(id) && !this.#removed.has(id)));
  }
  /** Why no rollback was attempted although one was asked for. */
  get noRollback(): { readonly reason: string; readonly otherWriter?: boolean } | undefined {
    return this.#noRollback;
  }
  get stop(): Stop | undefined {
    return this.#stop;
  }
  /** The current wait between polls (poll-interval, or slower when throttling headroom is low). */
  get pollPace(): number {
    return this.#pollPace;
  }
  /** Instances an upgrade may have reached (accepted, or its answer lost) that no listing has shown since. */
  get unseen(): ReadonlySet<string> {
    return this.#unseen;
  }
  /**
   * Instances a manualupgrade whose answer never came (lost, or cut off by a cancel or the deadline) may have reached:
   * the listing after it says whether it did (verification counts those it shows reached as started).
   */
  get maybeStarted(): ReadonlySet<string> {
    return this.#maybeStarted;
  }
  /** The scale set was deleted during the run (Azure answered 404 for it). */
  get deleted(): boolean {
    return this.#deleted;
  }
  /** What the scale set held before this run's first model write (undefined: nothing written yet). */
  get previousModel(): PreviousModel | undefined {
    return this.#previousModel;
  }

  /** Why the run lost its lease on the scale set (another run holds it now); undefined while it holds it. */
  get leaseLost(): string | undefined {
    return this.#leaseLost;
  }

  /**
   * Why the run's work stopped on its lease's expiry (no renewal landed in time); undefined otherwise. Unlike a lost
   * lease, the final steps still write (the record's outcome, the release), each deciding on the tags read afresh.
   */
  get leaseRanOut(): string | undefined {
    return this.#leaseRanOut;
  }

  /** The run holding the lease when this run could not take it. */
  get leaseHeldBy(): LeaseHeldBy | undefined {
    return this.#leaseHeldBy;
  }

  get leaseNotReleased(): LeaseNotReleased | undefined {
    return this.#leaseNotReleased;
  }

  /**
   * Automatic and Rolling scale sets roll a model change themselves; anything else goes through manualupgrade. A write
   * of this run's that landed counts as well as one still to send: after a lost answer (a resend met 412 and the model
   * held it) the change is re-planned on a model that already holds it, so it looks like nothing is left to do, and the
   * platform rolls it all the same.
   */
  platformRolls(): boolean {
    return (
      this.#model?.upgradeMode !== "Manual" &&
      ((this.#change !== undefined && !isNoOp(this.#change)) || this.modelUpdated)
    );
  }

  // Transitions.

  entered(phase: Phase): void {
    this.#phase = phase;
  }

  /** The scale set as read (or as a write answered). */
  read(model: ScaleSetModel): void {
    this.#modelSeenSeq = this.mark();
    this.#model = model;
    this.#checkWritten(model);
  }

  /**
   * How another writer changed the model after this run's write, as the latest read or tag write's answer shows it:
   * the model no longer holds what this run wrote. Batches not started yet would upgrade their instances onto that
   * writer's model, under this run's name (manual-batches.ts stops before them).
   */
  get otherWriter(): ModelDrift | undefined {
    return this.#otherWriter;
  }

  /**
   * The other writer's change (otherWriter) when the instance's last listing came after the read that found it: on
   * the latest model then, the instance runs a model with that change, not this run's (as the per-instance checks say
   * when the listing shows the difference; an extension added, or a property a listing leaves out, it does not show).
   */
  otherWriterBefore(id: string): ModelDrift | undefined {
    const drift = this.#otherWriter;
    return drift !== undefined && (this.#listedSeq.get(id) ?? 0) > this.#movedSeq ? drift : undefined;
  }

  /**
   * Another writer's change was found, or found taken back, after the last listing of every instance went out: the
   * instances as it shows them may not be what they are (on the latest model then, not now; or on that writer's).
   */
  get movedSinceListing(): boolean {
    return this.#movedSeq > this.#fullListingSeq;
  }

  /**
   * Verification read the model, after every write of the run's way forward (its request went out after them, unlike
   * a read or a tag write's answer that may arrive after a write it was sent before): another writer's change that
   * came before the last upgrade, which the instances upgraded then took, shows in it (otherWriter).
   */
  get modelReadAtEnd(): boolean {
    return this.#modelReadAtEnd;
  }

  /** Verification's read of the model (`model`) was answered. */
  readAtEnd(model: ScaleSetModel): void {
    this.read(model);
    this.#modelReadAtEnd = true;
  }

  /** The model was read (or shown by a tag write's answer) after the last listing of every instance went out. */
  get modelSeenSinceListing(): boolean {
    return this.#modelSeenSeq > this.#fullListingSeq;
  }

  /**
   * A point in the order of reads and listings, taken when a listing's request goes out (its answer may come after a
   * read that finds another writer's change, and the listing is still from before that read).
   */
  mark(): number {
    return ++this.#seq;
  }

  /** Kept from the first read that found a change while one is found: an instance listed since is on a moved model. */
  #setOtherWriter(drift: ModelDrift | undefined): void {
    if (drift === undefined) {
      // Taken back: an instance listed on the latest model meanwhile runs that writer's model, no longer the latest.
      if (this.#otherWriter !== undefined) this.#movedSeq = ++this.#seq;
    } else if (this.#otherWriter === undefined) this.#movedSeq = ++this.#seq;
    this.#otherWriter = drift;
  }

  /**
   * The latest read decides: a change another writer made and took back since does not stop the run. What the model
   * must hold: what this run wrote; or, in a run that found every requested value in the model already (a re-run, its
   * change planned and nothing to write), those values, which it brings its instances onto. Either way, nothing else
   * may have moved from the model the change was planned on (driftBeyondWritten).
   */
  #checkWritten(model: ScaleSetModel): void {
    // After a rollback that put the previous model back: judged against what it put back (rollbackEnded).
    if (this.#putBack !== undefined) return this.#checkPutBack(model, this.#putBack);
    // A rollback puts the previous values back itself.
    if (this.#phase.kind === "rolling-back") return;
    if (this.#written.image || this.#written.extension) {
      this.#setOtherWriter(driftFrom(model, this.#request, this.#written) ?? this.driftBeyondWritten(model));
      return;
    }
    if (this.#change === undefined || !isNoOp(this.#change)) return;
    const request = this.#request;
    this.#setOtherWriter(
      driftFrom(model, request, {
        image: request.imageVersion !== undefined || request.imageId !== undefined,
        extension: request.extension !== undefined,
      }) ?? this.driftBeyondWritten(model),
    );
  }

  /**
   * A read after a rollback that put the previous model back: another writer's change since, to what it put back or to
   * the rest of the model (the run's own extension, put back, judged by what the rollback sent). The latest read
   * decides; an instance listed before the read that finds such a change (or its taking back) is on the latest model
   * no more (movedSinceListing).
   */
  #checkPutBack(model: ScaleSetModel, put: PutBack): void {
    const beyond = this.driftBeyondWritten(model, put.extension !== undefined);
    const moved =
      movedFromPutBack(model, put) ??
      (beyond === undefined || beyond.kind === "refused" ? undefined : describeDrift(beyond));
    if ((moved === undefined) !== (this.#changedSinceRollback === undefined)) this.#movedSeq = ++this.#seq;
    this.#changedSinceRollback = moved;
  }

  /**
   * The image and extensions the model holds as this run left it: the model the change was planned on, with the
   * extension as the run wrote it (its settings replaced as a unit, its forceUpdateTag) once that write was accepted.
   * Its image is the one planned on even after the run wrote its own: callers judge the image only where the run did
   * not write it (driftBeyondWritten; expectedImage takes the request's).
   * Built from the plan, not from a read after the write: the extension's write takes no If-Match, so a read after it
   * could already hold a change another writer made between the plan and the write. Before any write it is the model
   * planned on (what the extension's write checks first; in a run that found every requested value in the model, the
   * one it brings its instances onto). Undefined before the plan.
   */
  #asWritten(): Pick<ScaleSetModel, "imageReference" | "extensions"> | undefined {
    // Asked for each instance judged (expectedImage, expectedExtensions): built once for what it depends on. #written
    // and #plannedOn are replaced, never changed in place, so their identity says whether they changed.
    const key = [this.#plannedOn, this.#change, this.#written, this.#ownExtensionUnknown()] as const;
    const cached = this.#asWrittenCache;
    if (cached !== undefined && cached.key.every((part, i) => part === key[i])) return cached.value;
    const value = this.#buildAsWritten();
    this.#asWrittenCache = { key, value };
    return value;
  }

  #buildAsWritten(): Pick<ScaleSetModel, "imageReference" | "extensions"> | undefined {
    const on = this.#plannedOn;
    const change = this.#change;
    if (on === undefined || change === undefined) return undefined;
    // A write of the extension whose outcome is unknown: either its values or the ones before may be there, so the
    // extension is left out (neither is another writer's).
    const own = this.#request.extension?.name.toLowerCase();
    if (this.#ownExtensionUnknown())
      return {
        imageReference: on.imageReference,
        extensions: on.extensions.filter((e) => e.name.toLowerCase() !== own),
      };
    const patch = this.#written.extension ? change.extensionPatch : undefined;
    if (patch === undefined) return on;
    const name = patch.name.toLowerCase();
    return {
      imageReference: on.imageReference,
      extensions: on.extensions.map((e) =>
        e.name.toLowerCase() === name
          ? {
              ...e,
              ...(patch.settings !== undefined && { settings: patch.settings }),
              ...(patch.forceUpdateTag !== undefined && { forceUpdateTag: patch.forceUpdateTag }),
            }
          : e,
      ),
    };
  }

  /** The extension's write was cut off or its answer lost, and no read settled whether it landed. */
  #ownExtensionUnknown(): boolean {
    return !this.#written.extension && (this.#writeUnknown === "extension" || this.#cutOffUnseen === "extension");
  }

  /**
   * What another writer changed in the model since the plan outside this run's own values, against the model as this
   * run left it (#asWritten): the image where the run did not write it, and every extension whole (every property
   * domain/model-match.ts EXTENSION_FACTS compares), the run's own included, as written (left out only while its write's outcome is
   * unknown). Before any write, what moved since the plan. Undefined before the plan, or when nothing moved. Instances
   * upgraded now would take that writer's change under this run's name. `ownPutBack`: a rollback put the run's own
   * extension back (judged by what it sent, not here).
   */
  driftBeyondWritten(model: ScaleSetModel, ownPutBack = false): ModelDrift | undefined {
    const before = this.#asWritten();
    if (before === undefined) return undefined;
    // exactVersion is what a `latest` resolves to, not what a writer sets.
    const image = (ref: ScaleSetModel["imageReference"]) => ({ ...ref, exactVersion: undefined });
    if (!this.#written.image && !sameJson(image(model.imageReference), image(before.imageReference)))
      return { kind: "image", image: model.imageReference, beyond: true };
    // The run's own extension too, whole: another writer's change to a setting this run did not set (its command, say)
    // is as much that writer's as a change to another extension. Left out only while its write's outcome is unknown.
    const own = this.#request.extension?.name.toLowerCase();
    const skip = this.#ownExtensionUnknown() || ownPutBack ? own : undefined;
    const kept = (list: readonly ExtensionModel[]) => ({
      extensions: list.filter((e) => e.name.toLowerCase() !== skip),
    });
    const [name] = extensionsChanged(kept(before.extensions), kept(model.extensions));
    if (name === undefined) return undefined;
    return {
      kind: "extension",
      name,
      beyond: name.toLowerCase() === own && this.#written.extension ? "own" : true,
    };
  }

  /**
   * The image an instance on the latest model must run: the one the run asks for, or, in a run that wrote only an
   * extension, the image its write left in the model (another writer's image on an instance is that writer's model).
   */
  get expectedImage(): Pick<ChangeRequest, "imageVersion" | "imageId"> | undefined {
    const request = this.#request;
    if (request.imageVersion !== undefined || request.imageId !== undefined) return request;
    const image = this.#asWritten()?.imageReference;
    if (image === undefined) return undefined;
    if (image.id !== undefined) return { imageId: image.id };
    if (image.version !== undefined) return { imageVersion: image.version };
    return undefined;
  }

  /** The extensions as the run's write left the model: what an instance on the latest model must show of them. */
  get expectedExtensions(): readonly ExtensionModel[] | undefined {
    return this.#asWritten()?.extensions;
  }

  /**
   * The run took the lease on the scale set, whose tags were then `tags`. A record there that is this run's own (sent
   * with the take, whose answer was lost: the tags read afresh already hold it) is not the one found at the lease:
   * the one seen before stays.
   */
  leaseTaken(tags: Readonly<Record<string, string>>): void {
    const found = decodeRecord(tags);
    const ours = this.#tagRecord?.record;
    if (found.kind === "record" && ours !== undefined && sameIdentity(found.record, ours)) return;
    this.#recordAtLease = found.kind === "record" ? found.record : undefined;
  }

  /**
   * A tag write (engine/tags.ts) answered with `model`. Its tags are the scale set's now. Its etag is taken only when
   * the rest of the model is the one the run knows: then the only write since is this run's (its tag write went with
   * If-Match), and the next model write may go with the new etag. Otherwise another writer changed the model around
   * the tag write: the run keeps the etag it planned on, so its next model write meets 412 and plans again rather
   * than overwrite that change. Returns whether the etag was taken.
   */
  tagsWritten(model: ScaleSetModel): boolean {
    this.#modelSeenSeq = this.mark();
    const known = this.#model;
    if (known === undefined) {
      this.#model = model;
      return true;
    }
    const same = sameModel(known, model);
    if (!same) this.#checkWritten(model);
    this.#model = {
      ...known,
      ...(model.tags !== undefined ? { tags: model.tags } : {}),
      ...(same && model.etag !== undefined ? { etag: model.etag } : {}),
    };
    return same;
  }

  /**
   * The platform image version a rollback would put back, which Azure would refuse (deprecated by its publisher, or no
   * longer offered in the region), and why, as a clause: the run's change is planned without that way back.
   */
  get imageBackRefused(): { readonly version: string; readonly why: string } | undefined {
    return this.#imageBackRefused;
  }

  /** The image catalog says a rollback could not put `version` back (imageBackRefused). */
  imageBackBlocked(version: string, why: string): void {
    this.#imageBackRefused = { version, why };
  }

  sawRollingBefore(status: RollingUpgradeStatus | undefined): void {
    this.#rollingBefore = status;
  }

  /** A rollback run planned from the record on the scale set: its change request is the record's values. */
  rollbackPlanned(plan: RollbackOrigin): void {
    this.#rollbackOrigin = plan;
    this.#request = plan.request;
  }

  /** The rollout record this run means the scale set to hold (after a model write, or with its outcome). */
  tagRecordMeant(record: RolloutTagRecord): void {
    this.#tagRecord = { ...this.#tagRecord, record };
  }

  /** The record this run wrote before a model write that never landed was taken back: the run has no record. */
  tagRecordWithdrawn(): void {
    this.#tagRecord = undefined;
  }

  /** The run said that the record was not written (said once a run). */
  tagRecordWarned(): void {
    if (this.#tagRecord !== undefined) this.#tagRecord = { ...this.#tagRecord, warned: true };
  }

  /** Azure took the record (with its outcome as meant), or did not (`problem`). */
  tagRecordWrote(
    result:
      | { readonly written: true }
      | { readonly problem: string; readonly droppedOlder?: boolean; readonly mayBeWritten?: boolean },
  ): void {
    const current = this.#tagRecord;
    if (current === undefined) return;
    if (!("problem" in result)) {
      this.#tagRecord = {
        record: current.record,
        written: current.record.outcome,
        ...(current.warned && { warned: true }),
      };
      return;
    }
    const { mayBeWritten: _before, ...rest } = current;
    this.#tagRecord = {
      ...rest,
      problem: result.problem,
      ...(result.droppedOlder === true && { droppedOlder: true }),
      ...(result.mayBeWritten === true && { mayBeWritten: true }),
    };
  }

  /**
   * The change planned on `on`, the model read. `extensions`: planned again on a read after this run's own image write
   * (its answer lost) that may hold another writer's change too: the extensions the model must hold are those of the
   * plan before (`plannedOn`), and a difference is that writer's.
   */
  planned(
    change: ModelChange,
    on: ScaleSetModel,
    options: { readonly extensions?: readonly ExtensionModel[] } = {},
  ): void {
    this.#change = change;
    this.#plannedOn = { imageReference: on.imageReference, extensions: options.extensions ?? on.extensions };
    // Judged afresh against this plan: a read taken before it (while waiting for an operation in progress, say) is
    // no other writer's change to what the run now plans on.
    if (!this.modelUpdated) this.#setOtherWriter(undefined);
    this.#checkWritten(on);
  }

  /**
   * The instances the rollout has to bring onto the model, and which were on it when it planned. `again`: targets were
   * noted before (the plan, or the first of two platform rolls, image then extension): those that have left the scale
   * set since stay targets, so the report still shows them (as removed).
   */
  targeted(plan: BatchPlan, again = false): void {
    const kept = again ? [...this.#targets].filter((id) => this.#removed.has(id)) : [];
    this.#targets = new Set([...plan.toUpgrade, ...kept]);
    this.#protected = new Set(plan.protected);
    for (const id of plan.toUpgrade) this.#before.set(id, false);
    for (const id of plan.current) this.#before.set(id, true);
    for (const id of plan.protected) this.#before.set(id, this.#instances.get(id)?.latestModelApplied ?? false);
  }

  batchesPlanned(batches: readonly BatchRecord[]): void {
    this.#batches = batches;
    this.#batchOf.clear();
    for (const b of batches) for (const id of b.instanceIds) this.#batchOf.set(id, b.index);
  }

  batchChanged(index: number, fields: Partial<BatchRecord>): void {
    this.#batches = this.#batches.map((b) => (b.index === index ? { ...b, ...fields } : b));
  }

  /** The values the scale set holds before this run's first model write; later calls keep the first. */
  aboutToWrite(previous: PreviousModel): void {
    this.#previousModel ??= previous;
  }

  /**
   * The model before the write turned out to be another (a 412 whose re-read shows another writer's values); undefined
   * when the write turned out not to be needed (another writer set the requested image): nothing written yet.
   */
  previousIs(previous: PreviousModel | undefined): void {
    this.#previousModel = previous;
  }

  /**
   * Another writer set the image this run asks for between its read and its image write, which Azure refused (412) and
   * which the run then did not send (`how`: that writer's write in words, for the report). The image is not this run's
   * write: a rollback does not put the one before it back.
   */
  imageSetByOther(how: string): void {
    this.#imageSetByOther = how;
  }

  /** How another writer set the image this run asks for before its write (imageSetByOther); undefined: none did. */
  get otherWritersImage(): string | undefined {
    return this.#imageSetByOther;
  }

  /** Azure answered 404 for the scale set: it is gone, and so is what the run knew of its instances. */
  scaleSetDeleted(): void {
    this.#deleted = true;
  }

  /**
   * A manualupgrade of `ids` was sent but its answer was lost (or a refusal may have met a resent copy of one Azure
   * took): it may have started them. `at`: when it was sent, a write whose effect only a later listing shows.
   */
  upgradeMaybeStarted(ids: readonly string[], at?: number): void {
    for (const id of ids) {
      this.#unseen.add(id);
      this.#maybeStarted.add(id);
    }
    if (at !== undefined) this.#wroteAt = Math.max(this.#wroteAt, at);
  }

  /**
   * A listing taken after a manualupgrade whose answer was lost shows that an upgrade reached `ids` (on the latest
   * model, or being upgraded): they count as started, known from that listing (not unseen).
   */
  upgradeReached(ids: readonly string[]): void {
    for (const id of ids) this.#started.add(id);
  }

  /** Azure accepted a model write at `at`. */
  wrote(what: "image" | "extension", at: number): void {
    this.#written = { ...this.#written, [what]: true };
    this.#wroteAt = at;
  }

  /**
   * A model write was cut off in flight and the scale set could not be read again: whether it landed is unknown.
   * `final`: no later read can tell either (another writer's value replaced whatever it did), so none settles it.
   */
  writeUnknown(what: "image" | "extension", final = false): void {
    this.#writeUnknown = what;
    this.#writeUnknownFinal = final;
  }

  /** Whether a later read of the model may still settle the unknown write (writeUnknown). */
  get writeUnknownSettleable(): boolean {
    return this.#writeUnknown !== undefined && !this.#writeUnknownFinal;
  }

  /** A later read said whether the cut-off write landed (when it did, `wrote` follows). */
  writeUnknownSettled(): void {
    this.#writeUnknown = undefined;
  }

  /** A model write cut off in flight was not in the model when read after it (modelWriteCutOff). */
  cutOffUnseen(what: "image" | "extension"): void {
    this.#cutOffUnseen = what;
  }

  /**
   * A model write cut off in flight and not seen since (cutOffUnseen) was judged on a read taken once no operation ran
   * on the scale set, which holds what it held before: the copy did not land, and nothing of it is pending
   * (modelWriteCutOff clears). A copy that landed is counted by `wrote` instead.
   */
  cutOffDidNotLand(what: "image" | "extension"): void {
    if (this.#cutOffUnseen === what) this.#cutOffUnseen = undefined;
  }

  /** A model write's operation ended at `at`: a listing started before it may not show the write's effect. */
  writeSettled(at: number): void {
    this.#wroteAt = Math.max(this.#wroteAt, at);
  }

  /**
   * Azure accepted an upgrade of `ids` (at `acceptedAt`: a write of the action; without: the platform rolls them).
   * The action's own upgrade makes them unseen until a listing shows them. The platform's roll does not: its targets
   * are noted from a listing taken after the model write that started the roll (notePlatformTargets), which shows
   * them as they are, so they are not unknown (a cancel right after that listing must not turn every one unknown).
   */
  upgradeStarted(ids: readonly string[], acceptedAt?: number): void {
    for (const id of ids) {
      this.#started.add(id);
      if (acceptedAt !== undefined) this.#unseen.add(id);
    }
    if (acceptedAt !== undefined) this.#wroteAt = acceptedAt;
  }

  /** The operation that upgraded `ids` failed. */
  operationFailed(ids: readonly string[], error: AzureErrorInfo): void {
    for (const id of ids) this.#operationError.set(id, error);
  }

  /** The platform's roll ended without `ids` on the new model, and will not upgrade them now. */
  platformEndedBefore(ids: readonly string[]): void {
    for (const id of ids) this.#notReached.add(id);
  }

  /**
   * Verification's listing, after the platform's roll ended: an instance it left that this listing shows on the latest
   * model, being upgraded or not at all was reached after all (or is gone), and is judged as such.
   */
  confirmNotReached(): void {
    for (const id of [...this.#notReached]) {
      const instance = this.#instances.get(id);
      if (instance === undefined || instance.latestModelApplied || isBusy(instance)) this.#notReached.delete(id);
    }
  }

  /**
   * A listing taken at `at`; `seq`, its place among the reads, taken (mark) when its request went out. Returns the
   * targets it shows gone for the first time (now removed).
   */
  listed(instances: readonly InstanceState[], at: number, seq: number): string[] {
    this.#instances = new Map(instances.map((i) => [i.instanceId, i]));
    this.#listedAt = at;
    this.#fullListingSeq = Math.max(this.#fullListingSeq, seq);
    for (const i of instances) {
      this.#listedSeq.set(i.instanceId, this.#fullListingSeq);
      this.#names.set(i.instanceId, i.name);
    }
    this.#unseen.clear();
    const gone = [...this.#targets].filter((id) => !this.#instances.has(id) && !this.#removed.has(id));
    for (const id of gone) this.#removed.add(id);
    // A target a listing left out and a later one shows again is there after all (a Flexible listing joins two paged
    // lists, and one may miss a VM): it is judged, and reported, as what the listing shows of it.
    for (const id of this.#removed) if (this.#instances.has(id)) this.#removed.delete(id);
    return gone;
  }

  /**
   * A filtered listing (only the instances on the latest model, say): the instances it shows are updated, the others
   * keep what the last listing said of them, since it says nothing of them. Not a listing of every instance: listedAt,
   * and which targets left the scale set, stay as they were.
   */
  listedSome(instances: readonly InstanceState[], seq: number): void {
    const next = new Map(this.#instances);
    for (const instance of instances) {
      next.set(instance.instanceId, instance);
      this.#names.set(instance.instanceId, instance.name);
      this.#listedSeq.set(instance.instanceId, seq);
      this.#unseen.delete(instance.instanceId);
    }
    this.#instances = next;
  }

  judged(id: string, assessment: Assessment): void {
    this.#assessments.set(id, assessment);
  }

  /** The wait of `ids` is over (their gate ended): from now on they are judged without patience. */
  waitOver(ids: readonly string[]): void {
    for (const id of ids) this.#settled.add(id);
  }

  /**
   * Azure took a platform write and rolls every instance: after the first of two writes (image, then extension), the
   * first roll's instances are waited for anew (health-timeout from when each is on the model again).
   */
  rollBegins(): void {
    this.#settled.clear();
  }

  rollingRead(status: RollingUpgradeStatus): void {
    this.#rolling = status;
  }

  paced(ms: number): void {
    this.#pollPace = ms;
  }

  /** Another run holds the lease: this run stops before any write. */
  leaseRefused(heldBy: LeaseHeldBy): void {
    this.#leaseHeldBy = heldBy;
  }

  /** The run's last tag write did not release its lease (or may not have: cut off after it went out). */
  leaseKept(kept: LeaseNotReleased): void {
    this.#leaseNotReleased = kept;
  }

  /** The lease is no longer this run's: from now on it writes nothing to the scale set. The first reason stays. */
  lostLease(reason: string): void {
    this.#leaseLost ??= reason;
  }

  /** The lease is about to expire unrenewed: the work stops (see leaseRanOut). The first reason stays. */
  leaseRunningOut(reason: string): void {
    this.#leaseRanOut ??= reason;
  }

  stopped(stop: Stop): void {
    this.#stop = stop;
  }

  /** What the rollback under way (or the last one) knows it did; undefined before any. */
  /** Whether a rollback put a part of the model back, or may have (its write's outcome unknown). */
  get rollbackWrote(): boolean {
    const progress = this.#rollbackProgress;
    const wrote = (part: RollbackPart | undefined): boolean => part === "yes" || part === "unknown";
    return progress !== undefined && (wrote(progress.image) || wrote(progress.extension));
  }
  get rollbackProgress(): RollbackProgress | undefined {
    return this.#rollbackProgress;
  }

  /** A warning is about to be said: true the first time for this text (a run that plans twice says each once). */
  firstWarning(title: string, message: string): boolean {
    const key = `${title}\n${message}`;
    if (this.#warnings.has(key)) return false;
    this.#warnings.add(key);
    return true;
  }

  rollbackSkipped(reason: string, otherWriter = false): void {
    this.#noRollback = { reason, ...(otherWriter && { otherWriter }) };
  }

  /** A rollback starts: the parts of the model it has to put back (each "no" until it is put back). */
  rollbackBegins(parts: { image: boolean; extension: boolean }): void {
    this.#rollbackProgress = {
      image: parts.image ? "no" : undefined,
      extension: parts.extension ? "no" : undefined,
      sent: new Set(),
      back: new Set(),
      heldByProtection: new Set(),
      otherWriter: false,
    };
  }

  /** Whether a part of the model is put back: yes, no, or unknown (its write cut off, or answered with an error). */
  rollbackPart(part: "image" | "extension", put: RollbackPart): void {
    this.#inRollback()[part] = put;
  }

  /** Instances sent back onto the previous model (a rollback batch's manualupgrade; the platform's roll). */
  rollbackSent(ids: Iterable<string>): void {
    const progress = this.#inRollback();
    for (const id of ids) progress.sent.add(id);
  }

  /** Instances seen back on the previous model (Manual: and healthy, as their rollback batch's gate judged them). */
  rollbackBack(ids: Iterable<string>): void {
    const progress = this.#inRollback();
    for (const id of ids) progress.back.add(id);
  }

  /**
   * Instances the rollback leaves out: protected from scale-set actions by another writer since this run upgraded them
   * (Azure's manualupgrade, and the platform's roll, skip a protected instance).
   */
  rollbackHeldByProtection(ids: Iterable<string>): void {
    const progress = this.#inRollback();
    for (const id of ids) progress.heldByProtection.add(id);
  }

  /** Instances no longer counted as back: seen "on the model" when the model was another writer's. */
  rollbackNotBack(ids: Iterable<string>): void {
    const progress = this.#inRollback();
    for (const id of ids) progress.back.delete(id);
  }

  /** Another writer changed the model during the rollback. */
  rollbackMetOtherWriter(): void {
    this.#inRollback().otherWriter = true;
  }

  #inRollback(): MutableRollbackProgress {
    if (this.#rollbackProgress === undefined) throw new Error("no rollback has begun");
    return this.#rollbackProgress;
  }

  /**
   * The rollback ended so. `restored`: it put every part of the model back (`putBack`, its patches), and `read`, its
   * latest read after its writes, held them: that read's rest of the model, and every read from now on, is judged
   * against the model it left (#checkPutBack), so that another writer's change found after it is reported, not taken
   * for the previous model.
   */
  rollbackEnded(
    rollback: NonNullable<RolloutRecord["rollback"]>,
    restored?: { readonly putBack: PutBack; readonly read?: ScaleSetModel },
  ): void {
    this.#rollback = rollback;
    // The instances brought back, also by a rollback that did not complete: they run the previous model again.
    for (const id of rollback.instanceIds) this.#rolledBack.add(id);
    if (restored === undefined) return;
    this.#putBack = restored.putBack;
    if (restored.read !== undefined) this.#checkPutBack(restored.read, restored.putBack);
  }
}

/** Whether a part of the model a rollback has to put back is back. */
export type RollbackPart = "yes" | "no" | "unknown";

/** What a rollback knows it did so far (the parts it did not have to put back are undefined). */
export interface RollbackProgress {
  readonly image: RollbackPart | undefined;
  readonly extension: RollbackPart | undefined;
  /** Instances sent back (a rollback batch's manualupgrade sent; in the platform's modes, all once the model is back). */
  readonly sent: ReadonlySet<string>;
  /** Instances seen back on the previous model (Manual: and healthy, as their rollback batch's gate judged them). */
  readonly back: ReadonlySet<string>;
  /** Instances left out: protected from scale-set actions by another writer since this run upgraded them. */
  readonly heldByProtection: ReadonlySet<string>;
  /** Another writer changed the model during the rollback. */
  readonly otherWriter: boolean;
}

interface MutableRollbackProgress {
  image: RollbackPart | undefined;
  extension: RollbackPart | undefined;
  readonly sent: Set<string>;
  readonly back: Set<string>;
  readonly heldByProtection: Set<string>;
  otherWriter: boolean;
}

/** The same model apart from tags, etag and provisioning state (what a tag write leaves as it was). */
function sameModel(a: ScaleSetModel, b: ScaleSetModel): boolean {
  const core = (m: ScaleSetModel) => ({
    orchestrationMode: m.orchestrationMode,
    upgradeMode: m.upgradeMode,
    imageReference: m.imageReference,
    extensions: m.extensions,
    hasHealthSignal: m.hasHealthSignal,
  });
  return sameJson(core(a), core(b));
}
