// The fault fuzzer's invariants: what must hold after any run, whatever the faults. Each check says in a comment what a
// user would be told wrongly if it broke. Some cases were found to be right behaviour, not defects (two audits' runs):
// they are written down, as "Not a violation", beside the check they limit. A violation is `CODE: detail (JSON)`.

import type { Emulator, InstanceSnapshot } from "../../emulator/index.ts";
import type { ConcurrentWrite } from "../../emulator/types.ts";
import type { Config } from "../../src/config/types.ts";
import type { InstanceRecord, RolloutRecord } from "../../src/domain/record.ts";
import { decodeLease } from "../../src/domain/lease.ts";
import { decodeRecord } from "../../src/domain/rollout-tags.ts";
import { imageLabel } from "../../src/engine/record.ts";
import { headline } from "../../src/report/headline.ts";
import { buildOutputs } from "../../src/report/outputs.ts";
import { renderSummary } from "../../src/report/summary.ts";
import { extensionAdded, NEW_VERSION, OLD_VERSION } from "../integration/harness.ts";
import type { OtherWrite, Scenario } from "./generate.ts";

export const NEW_URI = "https://stvmssdemo.blob.core.windows.net/scripts/install-v2.sh";
export const OLD_URI = "https://stvmssdemo.blob.core.windows.net/scripts/install.sh";
const OTHER_VERSION = "24.04.202412010";
const OTHER_URI = "https://stvmssdemo.blob.core.windows.net/scripts/other-writer.sh";
const OTHER_COMMAND = "bash install.sh --other-writer";
const OTHER_AGENT = "otherWritersAgent";

/**
 * Another writer's write, built when it lands (not when the fault is set up: extensionAdded keeps the model's
 * extensions as they are then).
 */
export function otherWrite(emu: Emulator, what: OtherWrite): ConcurrentWrite {
  switch (what) {
    case "image":
      return {
        patch: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER_VERSION } } } },
        },
      };
    case "extensionSettings":
      return {
        extension: {
          name: "customScript",
          properties: { settings: { fileUris: [OTHER_URI], commandToExecute: "bash other.sh" } },
        },
      };
    case "command":
      return {
        extension: {
          name: "customScript",
          properties: { settings: { fileUris: [OLD_URI], commandToExecute: OTHER_COMMAND } },
        },
      };
    case "extensionAdded":
      return extensionAdded(emu, OTHER_AGENT);
    case "tags":
      return { patch: { tags: { otherWriter: "x" } } };
  }
}

/** Another writer's write that landed, at the request `seq` (just `when` it was handled). */
export interface Landed {
  readonly what: OtherWrite | "scaleIn";
  readonly seq: number;
  readonly when: "before" | "after";
}

export interface RunFacts {
  readonly scenario: Scenario;
  readonly config: Config;
  readonly record: RolloutRecord;
  readonly emu: Emulator;
  readonly landed: readonly Landed[];
  readonly elapsedMs: number;
}

/** Which part of the model a write changes: a later write to the same part replaces an earlier one. */
const SLOT: Record<OtherWrite, string> = {
  image: "image",
  extensionSettings: "customScript",
  command: "customScript",
  extensionAdded: "agent",
  tags: "tags",
};

type Model = any;
const extensionsOf = (model: Model): any[] =>
  model?.properties?.virtualMachineProfile?.extensionProfile?.extensions ?? [];
const settingsOf = (model: Model): any =>
  extensionsOf(model).find((e) => e.name === "customScript")?.properties?.settings;

/** Whether another writer's write is still in the model. */
export function present(model: Model, what: OtherWrite): boolean {
  switch (what) {
    case "image":
      return model.properties.virtualMachineProfile.storageProfile.imageReference.version === OTHER_VERSION;
    case "extensionSettings":
      return JSON.stringify(settingsOf(model)?.fileUris) === JSON.stringify([OTHER_URI]);
    case "command":
      return settingsOf(model)?.commandToExecute === OTHER_COMMAND;
    case "extensionAdded":
      return extensionsOf(model).some((e) => e.name === OTHER_AGENT);
    case "tags":
      return model.tags?.["otherWriter"] === "x";
  }
}

export function check(facts: RunFacts): string[] {
  const { scenario, config, record, emu, landed, elapsedMs } = facts;
  const v: string[] = [];
  const add = (code: string, detail: unknown): void => {
    v.push(`${code}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  };

  // The run ends within its time: a user's job does not hang past timeout + health-timeout (and a margin).
  const limit = scenario.rollout.timeoutMs + scenario.rollout.healthTimeoutMs + 15_000;
  if (elapsedMs > limit) add("D-TOO-LONG", { elapsedMs, limit });

  let outputs: Record<string, string>;
  let summary: string;
  let head: string;
  try {
    outputs = buildOutputs(record);
    summary = renderSummary(record);
    head = headline(record);
  } catch (e) {
    // The job's summary and outputs could not be written at all.
    add("RENDER-THROWS", String(e));
    return v;
  }
  const requests = [...emu.requests].sort((a, b) => a.seq - b.seq);
  const listings = new Set(["VirtualMachineScaleSetVMs.List", "VirtualMachines.List"]);
  const lastList = requests.filter((q) => listings.has(q.operation) && q.status === 200).at(-1)?.seq ?? 0;
  const modelWrites = requests.filter(
    (q) =>
      q.operation === "VirtualMachineScaleSets.Update" || q.operation === "VirtualMachineScaleSetExtensions.Update",
  );
  const writes = landed.filter((w): w is Landed & { what: OtherWrite } => w.what !== "scaleIn");
  // Not a violation: another writer's change after the run's last request (its final tag write, with when "after")
  // makes instances stale that the run saw on the model; it cannot report what it never read. A change before that
  // request it can: the tag write carries If-Match, and its 412 makes the run read the model again.
  const lastRequest = requests.filter((q) => q.operation !== "Entra.Token").at(-1)?.seq ?? 0;
  const late = writes.some((w) => w.seq > lastRequest || (w.seq === lastRequest && w.when === "after"));
  const scaledInLate = landed.some((w) => w.what === "scaleIn" && w.seq >= lastList);
  const imageByOther = writes.some((w) => w.what === "image");
  const reported =
    record.modelChangedByAnother !== undefined ||
    record.imageSetByAnother !== undefined ||
    record.rollback?.model === "changed-by-another-writer" ||
    record.noRollback?.otherWriter === true;

  consistency(record, config, emu, outputs, summary, head, add, {
    late,
    scaledInLate,
    imageByOther,
    otherReported: reported,
  });

  let state: ReturnType<Emulator["state"]>;
  try {
    state = emu.state(config.target.scaleSet);
  } catch {
    return v;
  }
  if (state.deleted || record.scaleSetDeleted === true) return v;
  const model = state.model as Model;
  const list = (k: string): string[] => JSON.parse(outputs[k] ?? "[]");
  const byId = new Map(record.instances.map((i) => [i.instanceId, i]));
  const snaps = new Map(state.instances.map((i) => [i.instanceId, i]));
  const uris = (snap: InstanceSnapshot): string =>
    JSON.stringify((snap.extensions["customScript"]?.settings as any)?.fileUris);
  const runsImage = (snap: InstanceSnapshot, version: string): boolean =>
    snap.imageReference["version"] === version || snap.imageReference["exactVersion"] === version;
  // Not a violation: when only one part of the change was written (partWritten), instances run that part alone.
  const imageTarget =
    record.partWritten === "extension" ? (record.previousModel?.imageReference.version ?? OLD_VERSION) : NEW_VERSION;
  const extensionTarget = JSON.stringify(
    record.partWritten === "image" ? (record.previousModel?.extension?.fileUris ?? [OLD_URI]) : [NEW_URI],
  );
  const onTargetImage = (snap: InstanceSnapshot): boolean => runsImage(snap, imageTarget);
  const onTarget = (snap: InstanceSnapshot): boolean =>
    onTargetImage(snap) && (!scenario.extensionChange || uris(snap) === extensionTarget) && snap.latestModelApplied;
  const previousVersion = record.previousModel?.imageReference.version ?? OLD_VERSION;
  const previousUris = JSON.stringify(record.previousModel?.extension?.fileUris ?? [OLD_URI]);
  const onPrevious = (snap: InstanceSnapshot): boolean =>
    runsImage(snap, previousVersion) && (!scenario.extensionChange || uris(snap) === previousUris);

  // Updated instances run the target: a user told "updated" trusts the instance runs the new image (and script).
  // Not a violation: an instance a rollback could not bring back (rollback.notBack) keeps the image part only.
  if (!reported && !late)
    for (const id of list("updated-instances")) {
      const snap = snaps.get(id);
      if (snap === undefined) continue;
      const notBack = record.rollback?.notBack?.includes(id) === true;
      if (!(notBack ? onTargetImage(snap) : onTarget(snap)))
        add("A-UPDATED-NOT-ON-TARGET", {
          id,
          image: snap.imageReference["version"],
          uris: uris(snap),
          latestModelApplied: snap.latestModelApplied,
        });
    }
  // Failed and pending instances are not silently on the target: a user would redo (or chase) work that is done.
  for (const k of ["failed-instances", "pending-instances"])
    for (const id of list(k)) {
      const snap = snaps.get(id);
      const rec = byId.get(id);
      if (
        snap !== undefined &&
        onTarget(snap) &&
        snap.provisioningState === "Succeeded" &&
        snap.health !== "unhealthy" &&
        rec?.outcome !== "straggler" &&
        rec?.error?.code !== "ModelChangedByAnotherWriter"
      )
        add("A-LISTED-BUT-ON-TARGET", { list: k, id, outcome: rec?.outcome });
    }

  // The stop reason blames the release only when an instance failed on its own account: "N of M upgraded instance(s)
  // failed or are unhealthy" over instances another writer's change moved (left behind, or onto its model) reads as
  // a broken release (a fuzz run found it so, 2026-12-07).
  const movedByOther = new Set(["ModelChangedByAnotherWriter", "ModelChangedSinceUpgrade"]);
  const failing = record.instances.filter((i) => ["failed", "unhealthy", "straggler"].includes(i.outcome));
  if (
    /^(Stopped after [^:]*: \d+ of \d+ upgraded instance\(s\) failed(,| or) are unhealthy|\d+ of \d+ instance\(s\) did not end on the new model and healthy)/.test(
      record.reason ?? "",
    ) &&
    failing.length > 0 &&
    failing.every((i) => movedByOther.has(i.error?.code ?? ""))
  )
    add("A-LEAD-BLAMES-RELEASE", { reason: record.reason?.slice(0, 160), failing: failing.map((i) => i.instanceId) });
  // An instance left behind by another writer's change that is unhealthy on this run's model is reported unhealthy:
  // "unfinished" hides what the release did to it.
  if (config.rollout.health === "auto")
    for (const i of record.instances) {
      const snap = snaps.get(i.instanceId);
      if (i.error?.code === "ModelChangedSinceUpgrade" && snap?.health === "unhealthy" && i.health === "unhealthy")
        add("A-UNHEALTHY-HIDDEN", { id: i.instanceId, outcome: i.outcome });
    }

  // Manual mode: at most one batch is sent onto another writer's model. A change to the model after the run's write
  // (not its tags) lands before some manualupgrade; that batch's gate reads the model beside its first listing, and
  // finds it, so no later batch is sent (a fuzz run found every later batch sent, 2026-12-07: the change was an
  // extension added, which no listing shows). Not a violation: a read of the model that failed after the change (it
  // says nothing). A rollback's batches are left out (another writer's change the rollback did not touch does not
  // stop it: see the session notes).
  if (scenario.mode.startsWith("Manual") && record.rollback === undefined) {
    const idsOf = (q: { body: unknown }): string[] =>
      (q.body as { instanceIds?: string[] } | undefined)?.instanceIds ?? [];
    const upgrades = requests.filter(
      (q) => q.operation === "VirtualMachineScaleSets.UpdateInstances" && q.status > 0 && q.status < 300,
    );
    const lastOwnWrite = modelWrites
      .filter((q) => q.status > 0 && q.status < 300 && (upgrades[0] === undefined || q.seq < upgrades[0].seq))
      .at(-1)?.seq;
    for (const w of writes) {
      const afterOwnWrite =
        lastOwnWrite !== undefined && (w.seq > lastOwnWrite || (w.seq === lastOwnWrite && w.when === "after"));
      if (w.what === "tags" || !afterOwnWrite) continue;
      const sinceChange = (q: { seq: number }): boolean => q.seq > w.seq || (q.seq === w.seq && w.when === "before");
      const sent = new Set(upgrades.filter((q) => !sinceChange(q)).flatMap(idsOf));
      // The manualupgrades after the change that send an instance not sent before: each a batch onto that model.
      const onto: { seq: number; ids: string[] }[] = [];
      for (const q of upgrades.filter(sinceChange)) {
        const fresh = idsOf(q).filter((id) => !sent.has(id));
        for (const id of fresh) sent.add(id);
        if (fresh.length > 0) onto.push({ seq: q.seq, ids: fresh });
      }
      const second = onto[1];
      if (second === undefined) continue;
      const readFailed = requests.some(
        (q) =>
          q.operation === "VirtualMachineScaleSets.Get" && q.status !== 200 && sinceChange(q) && q.seq < second.seq,
      );
      if (!readFailed) add("A-BATCHES-ONTO-OTHER", { write: w, batches: onto });
    }
  }

  // Another writer's change is never silently overwritten: it stays in the model, or the report says it changed
  // (modelChangedByAnother, noRollback.otherWriter, the rollback's changed-by-another-writer), or the run stopped so.
  // Only the last write to each part counts (the other writer replaces its own earlier one).
  // Not a violation: an image or extension settings written before the run's first model write that went through: a
  // 412 makes the run read the model again and plan on it (it is then previousModel). Not a violation either: the
  // extension PATCH carries no If-Match (Azure's extension child resource takes none), so another writer's command
  // it overwrites is found afterwards and reported as a stop (README "Applies it").
  const firstModelWrite = modelWrites.find((q) => q.status > 0 && q.status < 300)?.seq;
  const lastOfSlot = new Map<string, Landed & { what: OtherWrite }>();
  for (const w of [...writes].sort((a, b) => a.seq - b.seq)) lastOfSlot.set(SLOT[w.what], w);
  const saidAround = (record.reason ?? "").includes(
    "Another write to the scale set came in while the action wrote the extension",
  );
  for (const w of lastOfSlot.values()) {
    if (present(model, w.what)) continue;
    const runWroteAfter = modelWrites.some((q) => q.seq > w.seq || (q.seq === w.seq && w.when === "before"));
    const baseline =
      (w.what === "image" || w.what === "extensionSettings" || w.what === "command") &&
      (firstModelWrite === undefined || w.seq < firstModelWrite || (w.seq === firstModelWrite && w.when === "before"));
    if (w.what === "tags") add("B-OTHER-TAG-GONE", { write: w, tags: model.tags });
    else if (runWroteAfter && !reported && !baseline && !(w.what === "command" && saidAround))
      add("B-OTHER-WRITE-GONE", {
        write: w,
        image: model.properties.virtualMachineProfile.storageProfile.imageReference,
        settings: settingsOf(model),
      });
  }

  // succeeded: every targeted instance runs the new model (a user closes the change), unless another writer is reported.
  if (record.result === "succeeded" && !late && !reported)
    for (const snap of state.instances) {
      const rec = byId.get(snap.instanceId);
      if (rec && !rec.outcome.startsWith("skipped") && rec.outcome !== "removed" && !onTarget(snap))
        add("C-SUCCEEDED-NOT-ON-TARGET", {
          id: snap.instanceId,
          outcome: rec.outcome,
          image: snap.imageReference["version"],
          latestModelApplied: snap.latestModelApplied,
        });
    }
  // rolled-back: every instance the run started is on previousModel's image and the model is restored (a user is told
  // the scale set is as before). Not a violation: a Rolling rollback that failed leaves its instances on the new image
  // (the result is then failed, not rolled-back).
  if (record.result === "rolled-back") {
    const started = new Set(record.batches.filter((b) => b.startedAt !== undefined).flatMap((b) => b.instanceIds));
    for (const snap of state.instances) {
      const rec = byId.get(snap.instanceId);
      if (!rec || rec.outcome.startsWith("skipped")) continue;
      if ((started.has(snap.instanceId) || rec.outcome === "rolled-back") && !onPrevious(snap))
        add("C-ROLLEDBACK-NOT-PREVIOUS", {
          id: snap.instanceId,
          outcome: rec.outcome,
          image: snap.imageReference["version"],
        });
    }
    const now = model.properties.virtualMachineProfile.storageProfile.imageReference.version;
    if (now !== previousVersion && !reported && !late)
      add("C-ROLLEDBACK-MODEL-NOT-PREVIOUS", { now, previous: previousVersion });
  }

  // The lease and the rollout record on the set's tags are as the record says: else the next run waits for a lease
  // nobody holds, or `rollback: true` undoes a change it was told is not recorded (or finds none it was told is).
  // Not a violation: a record tag left in progress when the record's note says the last write did not land.
  if (!writes.some((w) => w.what === "tags")) {
    const tags = (model.tags ?? {}) as Record<string, string>;
    const lease = decodeLease(tags);
    if (record.leaseNotReleased === undefined && record.leaseHeldBy === undefined && lease.kind !== "none")
      add("E-LEASE-LEFT-UNSAID", { lease });
    if (record.leaseNotReleased !== undefined && !record.leaseNotReleased.maybe && lease.kind === "none")
      add("E-LEASE-SAID-LEFT-BUT-GONE", record.leaseNotReleased);
    const decoded = decodeRecord(tags);
    const want = record.result === "unchanged" || record.result === "planned" ? "succeeded" : record.result;
    const status = record.scaleSetRecord;
    if (
      status?.written === true &&
      status.note === undefined &&
      (decoded.kind !== "record" || decoded.record.outcome !== want)
    )
      add("E-RECORD-SAID-WRITTEN", { tags: decoded.kind === "record" ? decoded.record.outcome : decoded.kind, want });
    if (
      status?.written === false &&
      status.maybeWritten !== true &&
      decoded.kind === "record" &&
      decoded.record.outcome === want &&
      record.modelUpdated
    )
      add("E-RECORD-SAID-NOT-WRITTEN", { status, outcome: decoded.record.outcome });
    if (status === undefined && record.modelUpdated) add("E-NO-RECORD-STATUS", {});
  }
  return v;
}

interface Exemptions {
  /** Another writer changed the model after the run's last listing of the instances. */
  readonly late: boolean;
  /** An instance was scaled in after the run's last listing. */
  readonly scaledInLate: boolean;
  readonly imageByOther: boolean;
  /** The record reports another writer's change. */
  readonly otherReported: boolean;
}

/** I1–I6: the record, the outputs, the summary and the headline against each other and the emulator's end state. */
function consistency(
  record: RolloutRecord,
  config: Config,
  emu: Emulator,
  outputs: Record<string, string>,
  summary: string,
  head: string,
  add: (code: string, detail: unknown) => void,
  x: Exemptions,
): void {
  const byId = new Map(record.instances.map((i) => [i.instanceId, i]));
  const ids = (k: string): string[] => JSON.parse(outputs[k]!);
  const lists = {
    updated: ids("updated-instances"),
    failed: ids("failed-instances"),
    skipped: ids("skipped-instances"),
    pending: ids("pending-instances"),
    unknown: ids("unknown-instances"),
  };
  const n = (o: InstanceRecord["outcome"]): number => record.instances.filter((i) => i.outcome === o).length;

  // I1: an instance is in one output list at most, and a listed ID is one of the set's: a workflow acting on the lists
  // would act twice, or on nothing.
  const seen = new Map<string, string>();
  for (const [k, list] of Object.entries(lists))
    for (const id of list) {
      if (seen.has(id)) add("I1-TWO-LISTS", { id, lists: [seen.get(id), k] });
      seen.set(id, k);
      if (!byId.has(id)) add("I1-NOT-IN-RECORD", { id, k });
    }
  if (byId.size !== record.instances.length)
    add(
      "I1-DUP-RECORD-IDS",
      record.instances.map((i) => i.instanceId),
    );
  for (const i of record.instances)
    if (!seen.has(i.instanceId) && !["already-current", "rolled-back", "removed"].includes(i.outcome))
      add("I1-IN-NO-LIST", { id: i.instanceId, outcome: i.outcome });

  // I2: summary-json and result are the record: a workflow reading them reads what the summary says.
  const sj = JSON.parse(outputs["summary-json"]!);
  const plain = JSON.parse(JSON.stringify(record));
  if (JSON.stringify({ ...sj, target: undefined }) !== JSON.stringify({ ...plain, target: undefined }))
    add("I2-SUMMARY-JSON", "summary-json differs from the record beyond target");
  if (outputs["result"] !== record.result) add("I2-RESULT", outputs["result"]);

  // I3: the headline's counts are the lists': a user reading the title alone is told the same as the tables.
  const m = /(\d+)\/(\d+) (?:targeted )?instances? /.exec(head);
  if (m) {
    const onNew = n("updated") + n("already-current");
    if (Number(m[1]) !== onNew) add("I3-HEAD-ONNEW", { head, onNew });
    const targeted = record.instances.length - lists.skipped.length - n("removed");
    if (Number(m[2]) !== targeted) add("I3-HEAD-TARGETED", { head, targeted });
  }
  const grab = (re: RegExp): number => Number(re.exec(head)?.[1] ?? 0);
  const counted = /\d\/\d/.test(head);
  const headFailed = grab(/(\d+) failed/) + grab(/(\d+) unhealthy/) + grab(/(\d+) unfinished/);
  if (counted && !/rollback failed|protected from scale-set/.test(head) && headFailed !== lists.failed.length)
    add("I3-HEAD-FAILED", { head, failed: lists.failed });
  if (counted && grab(/(\d+) not started/) !== lists.pending.length)
    add("I3-HEAD-PENDING", { head, pending: lists.pending });
  if (counted && grab(/(\d+) in an unknown state/) !== lists.unknown.length)
    add("I3-HEAD-UNKNOWN", { head, unknown: lists.unknown });
  const rb = /rolled back (\d+) of (\d+)/.exec(head);
  if (rb && Number(rb[1]) !== n("rolled-back")) add("I3-HEAD-ROLLEDBACK-N", { head, rolledBack: n("rolled-back") });
  const back = /(\d+) instances? back on the previous model/.exec(head);
  if (back && Number(back[1]) !== n("rolled-back")) add("I3-HEAD-BACK", { head });
  if (!summary.includes(head)) add("I3-SUMMARY-TITLE", head);

  // I3b: within the record, an updated instance runs the rolled-out image and is not Failed.
  const ic = record.changes.find((c) => c.property.startsWith("storageProfile.imageReference."));
  for (const i of record.instances) {
    if (
      i.outcome === "updated" &&
      ic &&
      ic.after !== "latest" &&
      record.modelUpdated &&
      i.image !== undefined &&
      i.image !== ic.after
    )
      add("I3B-UPDATED-RECORD-IMAGE", { id: i.instanceId, image: i.image, after: ic.after });
    if ((i.outcome === "updated" || i.outcome === "already-current") && i.provisioningState === "Failed")
      add("I3B-ONMODEL-BUT-FAILED", { id: i.instanceId, outcome: i.outcome });
  }

  // I4: the verdict follows the outcomes: "succeeded" only when every target is on the model, "rolled-back" only when
  // the rollback succeeded, and a rollback that restored the model and brought every instance back is not reported
  // as one that did not complete.
  const targetsOk = record.instances.every((i) =>
    ["updated", "already-current", "skipped-protected", "skipped-own-model", "removed"].includes(i.outcome),
  );
  if ((record.result === "succeeded" || record.result === "unchanged") && !targetsOk)
    add(
      "I4-SUCCEEDED-NOT-ALL",
      record.instances.map((i) => `${i.instanceId}:${i.outcome}`),
    );
  if ((record.result === "succeeded" || record.result === "unchanged") && record.instancesListed === false)
    add("I4-SUCCEEDED-UNLISTED", record.result);
  if (record.result === "rolled-back" && record.rollback?.succeeded !== true)
    add("I4-ROLLEDBACK-NOT-SUCCEEDED", record.rollback);
  if (record.rollback) {
    const rbIds = [...record.rollback.instanceIds].sort();
    const outIds = record.instances
      .filter((i) => i.outcome === "rolled-back")
      .map((i) => i.instanceId)
      .sort();
    if (JSON.stringify(rbIds) !== JSON.stringify(outIds))
      add("I4-ROLLBACK-IDS", { rollbackIds: rbIds, outcomeRolledBack: outIds });
    for (const id of record.rollback.notBack ?? [])
      if (byId.get(id)?.outcome === "rolled-back") add("I4-NOTBACK-BUT-ROLLEDBACK", id);
    const started = new Set(record.batches.filter((b) => b.startedAt !== undefined).flatMap((b) => b.instanceIds));
    const allBack = [...started].every((id) => ["rolled-back", "removed"].includes(byId.get(id)?.outcome ?? ""));
    if (
      !record.rollback.succeeded &&
      record.rollback.model === "restored" &&
      (record.rollback.notBack ?? []).length === 0 &&
      allBack
    )
      add("I4-ROLLBACK-DONE-REPORTED-FAILED", { rollback: record.rollback, result: record.result });
  }

  // I5: the record's facts are the emulator's end state: the summary's per-instance table is what runs.
  let state: ReturnType<Emulator["state"]> | undefined;
  try {
    state = emu.state(config.target.scaleSet);
  } catch {
    state = undefined;
  }
  const add5 = (code: string, detail: unknown): void => {
    // Not a violation: an instance's latestModelApplied after another writer's late change (see `late`),
    // or once the record reports another writer's change (modelChangedByAnother: the run says the model moved).
    if (x.late && /^I5-(LMA-MISMATCH|UPDATED-NOT-LATEST|SUCCEEDED-EMU-STALE)/.test(code)) return;
    if (x.otherReported && code === "I5-LMA-MISMATCH") return;
    // Not a violation: an instance scaled in after the run's last listing is gone though the record lists it.
    if (x.scaledInLate && code === "I5-RECORD-GONE") return;
    // Not a violation: another writer's image makes instances not started stale, not on previousModel's image
    // (after a 412 the run re-plans on that image: previousModel is then the writer's).
    if (x.imageByOther && code === "I5-PENDING-NOT-PREVIOUS") return;
    add(code, detail);
  };
  if (state && !state.deleted && record.scaleSetDeleted !== true) {
    const emuIds = new Set(state.instances.map((i) => i.instanceId));
    if (record.instancesListed !== false && record.instances.length > 0) {
      for (const id of emuIds) if (!byId.has(id)) add5("I5-EMU-NOT-IN-RECORD", id);
      for (const i of record.instances)
        if (!emuIds.has(i.instanceId) && i.outcome !== "removed" && i.outcome !== "unknown")
          add5("I5-RECORD-GONE", `${i.instanceId}:${i.outcome}`);
    }
    for (const i of record.instances)
      if (i.outcome === "removed" && emuIds.has(i.instanceId)) add5("I5-REMOVED-STILL-THERE", i.instanceId);
    const prevImg = record.previousModel?.imageReference as Record<string, string | undefined> | undefined;
    const runs = (snap: InstanceSnapshot, ref: Record<string, string | undefined> | undefined): boolean | undefined => {
      if (!ref || !ic) return undefined;
      const key = ic.property.split(".").pop()!;
      return ref[key] === undefined ? undefined : String(snap.imageReference[key]) === ref[key];
    };
    for (const snap of state.instances) {
      const i = byId.get(snap.instanceId);
      if (!i) continue;
      const tag = `${i.instanceId}:${i.outcome}`;
      if (
        !["unknown", "removed", "straggler"].includes(i.outcome) &&
        record.instancesListed !== false &&
        !record.dryRun
      ) {
        if (i.latestModelAfter !== snap.latestModelApplied)
          add5("I5-LMA-MISMATCH", { tag, record: i.latestModelAfter, emu: snap.latestModelApplied });
        const label = imageLabel(snap.imageReference);
        if (i.image !== undefined && i.image !== label) add5("I5-IMAGE-MISMATCH", { tag, record: i.image, emu: label });
        if (i.provisioningState !== undefined && i.provisioningState !== snap.provisioningState)
          add5("I5-PROV-MISMATCH", { tag, record: i.provisioningState, emu: snap.provisioningState });
      }
      if (i.outcome === "updated" || i.outcome === "already-current") {
        // Not a violation: "updated ⇒ latestModelApplied" once a rollback restored the model (the instance it left
        // on the new model is stale against the restored one).
        if (!snap.latestModelApplied && !x.otherReported && record.rollback === undefined)
          add5("I5-UPDATED-NOT-LATEST", { tag });
        if (ic && record.modelUpdated && i.outcome === "updated" && config.rollback !== true)
          if (runs(snap, { [ic.property.split(".").pop()!]: ic.after }) === false)
            add5("I5-UPDATED-WRONG-IMAGE", { tag, want: ic.after, emu: snap.imageReference });
        if (snap.provisioningState === "Failed") add5("I5-UPDATED-BUT-FAILED", tag);
      }
      if (i.outcome === "rolled-back" && runs(snap, prevImg) === false)
        add5("I5-ROLLEDBACK-WRONG-IMAGE", { tag, want: prevImg, emu: snap.imageReference });
      if (i.outcome === "not-started" && !record.dryRun && config.rollback !== true && runs(snap, prevImg) === false)
        add5("I5-PENDING-NOT-PREVIOUS", { tag, want: prevImg, emu: snap.imageReference });
    }
    if (record.result === "succeeded" && !x.otherReported)
      for (const snap of state.instances) {
        const i = byId.get(snap.instanceId);
        if (i && !i.outcome.startsWith("skipped") && !snap.latestModelApplied)
          add5("I5-SUCCEEDED-EMU-STALE", snap.instanceId);
      }
  }

  // I6: the summary's tables name only the set's instances, and count them as the record does.
  const known = new Set([
    ...record.instances.map((i) => i.instanceId),
    ...(state?.instances.map((i) => i.instanceId) ?? []),
  ]);
  const all = /<summary>All (\d+) instances?<\/summary>/.exec(summary);
  if (record.instances.length > 0 && (!all || Number(all[1]) !== record.instances.length))
    add("I6-ALL-COUNT", { all: all?.[1], n: record.instances.length });
  const lines = summary.split("\n");
  let header = "";
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    if (!line.startsWith("| ")) {
      header = "";
      continue;
    }
    if (lines[k + 1]?.startsWith("| ---")) {
      header = line;
      k++;
      continue;
    }
    if (!header.startsWith("| Instance")) continue;
    const cell = line.slice(2).split(" | ")[0]!.trim();
    const m2 = /^(?:(\S+) )?<code>(.*)<\/code>$/.exec(cell);
    const raw = m2 ? (m2[1] ?? m2[2]!) : cell;
    const id = raw
      .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
      .replace(/&amp;/g, "&")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">");
    if (!known.has(id)) add("I6-UNKNOWN-ID", { id, line: line.slice(0, 200) });
  }
  const rbLine = /\*\*Rolled back\*\* \((\d+)\)/.exec(summary);
  if ((rbLine ? Number(rbLine[1]) : 0) !== n("rolled-back")) add("I6-ROLLEDBACK-LINE", rbLine?.[0]);
  const ns = /\*\*Not started\*\* \((\d+)\)/.exec(summary);
  if (ns && Number(ns[1]) !== lists.pending.length) add("I6-NOTSTARTED-LINE", ns[0]);
}
