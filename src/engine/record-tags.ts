// The rollout record on the scale set's tags (domain/rollout-tags.ts), as a run keeps it: written as planned before its
// model writes (in the lease's take in Manual mode, the lease's cover in the platform's modes), again after them
// (outcome in-progress), and its outcome set at the end, also after a failure, a timeout or a cancel; a record written
// before a model write that never landed is taken back. Every write goes through the run's one TagWriter
// (engine/tags.ts).
//
// A record that cannot be written (no room among the 50 tags, a value that looks like a secret, Azure refusing the
// write) never stops the rollout: the run says why once, and the summary says that `rollback: true` will not find
// this change, once. A record on the scale set that is neither this run's nor the one on the tags when the run took its
// lease (under the lease no other run writes one; a record written before, by a run this one waited for with
// lease-wait, say, may be replaced) nor a rollback's origin is never overwritten.

import { errorLine } from "../domain/error-text.ts";
import { runUrl } from "../domain/deployment.ts";
import {
  decodeRecord,
  describeIdentity,
  recordedChanges,
  sameIdentity,
  withRecord,
  withoutRecord,
  type RecordIdentity,
  type RecordOutcome,
  type RolloutTagRecord,
} from "../domain/rollout-tags.ts";
import type { RolloutResult } from "../domain/record.ts";
import { tagWriteEnd, type TagDecision, type TagPart, type TagWriter, type Tags } from "./tags.ts";
import type { ScaleSetApi } from "./ports.ts";
import type { Run } from "./run.ts";

const WHY = "rollout record";

/**
 * After a model write: the record of what this run's writes changed so far, outcome in progress. The scale set is
 * read first: the tag write goes with the etag the model write left (not the one read before it, which would meet
 * 412), and the run knows the model it wrote from then on.
 */
export async function recordChange(run: Run, api: Pick<ScaleSetApi, "getScaleSet">, tags: TagWriter): Promise<void> {
  if (!meant(run)) return;
  try {
    run.state.read(await api.getScaleSet(run.work));
  } catch {
    // The tag writer reads again on its own (a 412); a read that keeps failing is the rollout's to meet next.
  }
  await write(run, tags, run.work);
}

/**
 * Before a model write: the record of the change as planned, outcome in progress, as a part of a lease write: the one
 * that takes it in Manual mode (RunLease.acquire), the one that makes it last the run before a write the platform
 * rolls (Automatic, Rolling; RunLease.cover). Azure refuses writes to the scale set while a model update runs, and in
 * the platform's modes while it rolls (emulator/README.md, "Tags and the lease"): a run that fails, times out or is
 * cancelled meanwhile may write nothing after it (a cancelled run has a few seconds), and the record on the scale set
 * then names it, in progress. After the write (recordChange) and at the end (recordOutcome) it is written again with
 * what Azure took; a write that never landed takes it back (recordOutcome).
 */
export function recordPlanned(run: Run): TagPart | undefined {
  const change = run.state.change;
  if (change === undefined) return undefined;
  const planned = { image: change.scaleSetPatch !== undefined, extension: change.extensionPatch !== undefined };
  return meant(run, planned) ? recordPart(run) : undefined;
}

/**
 * At the end of the run: the record with its outcome, when the run wrote the model (also when the record's first
 * write never happened: a failure or a cancel during Azure's roll, say). Returned as a part of the run's last tag
 * write, the one that also releases the lease (RunLease.release): undefined when there is no record to write.
 */
export function recordOutcome(run: Run, result: RolloutResult): TagPart | undefined {
  if (!meant(run, withUnknown(run))) return withdrawal(run);
  const meantRecord = run.state.tagRecord;
  if (meantRecord === undefined) return undefined;
  run.state.tagRecordMeant({ ...meantRecord.record, outcome: outcomeOf(result) });
  return recordPart(run);
}

/**
 * The writes the record names at the end when one was cut off in flight and could not be read back (its outcome
 * unknown), or was not in the model when read (it may land still): those Azure took, and that one too. A later `rollback: true` then undoes it if it landed, and finds nothing
 * to undo if it did not: a rollback run compares the model with the record first (domain/rollback-plan.ts). Without
 * it, the record would be taken back, and the change, had it landed, would be on no record. Undefined otherwise.
 */
function withUnknown(run: Run): { readonly image: boolean; readonly extension: boolean } | undefined {
  // A write that got no answer and that the model did not hold when read may still land (RunState.modelWriteCutOff):
  // kept on record the same way.
  // Not for a rollback run's own write (rollback: true): its record would then stand for a rollback that may never land,
  // and the next rollback: true would take it for one to finish; the record it undoes is put back instead.
  const unknown =
    run.state.modelWriteUnknown ?? (run.state.rollbackOrigin === undefined ? run.state.modelWriteCutOff : undefined);
  if (unknown === undefined) return undefined;
  const { written } = run.state;
  return { image: written.image || unknown === "image", extension: written.extension || unknown === "extension" };
}

/**
 * A record written before a model write that never landed (recordPlanned): taken back, the record found when the lease
 * was taken put back (or none). Also when its write's outcome is unknown (an answer lost: Azure may hold it); the tags
 * read afresh say whether it is there. Undefined when it was never sent.
 */
function withdrawal(run: Run): TagPart | undefined {
  const ours = run.state.tagRecord;
  if (ours === undefined) return undefined;
  // The lease is another run's now: this run writes nothing more (putting the old record back could undo the record of
  // the run that took the lease over, before it writes its own). Its record stays until that run replaces it.
  if (run.state.leaseLost !== undefined) return undefined;
  if (ours.written === undefined && ours.problem === undefined) {
    run.state.tagRecordWithdrawn();
    return undefined;
  }
  const previous = run.state.recordAtLease;
  return {
    why: WHY,
    apply: (tags) => {
      const found = decodeRecord(tags);
      // The older record this run removed for want of room for its own (recordPart): put back, as its own would be.
      if (found.kind === "none" && ours.droppedOlder === true && previous !== undefined) {
        const back = withRecord(tags, previous, run.config.secrets);
        return { tags: back.ok ? back.tags : tags };
      }
      if (found.kind !== "record" || !sameIdentity(found.record, ours.record)) return { tags };
      const back = previous !== undefined ? withRecord(tags, previous, run.config.secrets) : undefined;
      return { tags: back?.ok ? back.tags : withoutRecord(tags) };
    },
    settled: (end) => {
      if ("written" in end) run.state.tagRecordWithdrawn();
      else recordPart(run)?.settled(end);
    },
  };
}

/**
 * The record of what this run's writes changed so far (outcome in progress, or as meant before); false: none.
 * `planned`: the writes about to be sent instead of those Azure took (recordPlanned).
 */
function meant(run: Run, planned?: { readonly image: boolean; readonly extension: boolean }): boolean {
  const { state } = run;
  const change = state.change;
  if (change === undefined || (planned === undefined && !state.modelUpdated)) return false;
  const origin = state.rollbackOrigin;
  // A rollback run records every part it set out to put back, written or not: one that failed (or was cut off) after
  // its image write and before its extension write leaves the extension's way back on record, for the next rollback:
  // true to finish (rollback-plan.ts). Recording only what it wrote replaced the origin's record and lost that part (an
  // audit, 2026-12-06).
  // (So too when the parts come from a write whose outcome is unknown, withUnknown, or the writes about to be sent.)
  const given = planned ?? state.written;
  const parts =
    origin !== undefined
      ? {
          image: given.image || change.scaleSetPatch !== undefined,
          extension: given.extension || change.extensionPatch !== undefined,
        }
      : given;
  const changes = recordedChanges(change, state.request, parts);
  if (changes.length === 0) return false;
  const github = run.config.github;
  const url = github ? runUrl(github) : undefined;
  const record: RolloutTagRecord = {
    // The first write's time: the record's identity for the rest of the run.
    at: state.tagRecord?.record.at ?? new Date(run.now()).toISOString(),
    ...(github?.runId && {
      run: {
        repository: github.repository,
        runId: github.runId,
        ...(github.runAttempt && { attempt: github.runAttempt }),
        ...(github.workflow && { workflow: github.workflow }),
        ...(url && { url }),
      },
    }),
    outcome: state.tagRecord?.record.outcome ?? "in-progress",
    changes,
    // A rollback that finishes another keeps pointing at the change first undone.
    ...(origin && {
      rollbackOf: origin.finishing ? (origin.origin.rollbackOf ?? identity(origin.origin)) : identity(origin.origin),
    }),
  };
  state.tagRecordMeant(record);
  return true;
}

async function write(run: Run, tags: TagWriter, signal: AbortSignal): Promise<void> {
  const part = recordPart(run);
  if (part === undefined) return;
  try {
    const result = await tags.update(part.apply, part.why, signal);
    part.settled(result.kind === "refused" ? { refused: result.reason } : { written: true });
  } catch (error) {
    part.settled({ error });
  }
}

/** The write of the record as meant; undefined when there is none, or the run may not write it (the lease lost). */
function recordPart(run: Run): TagPart | undefined {
  const current = run.state.tagRecord;
  if (current === undefined) return undefined;
  const record = current.record;
  // A run that lost its lease writes nothing more to the scale set.
  if (run.state.leaseLost !== undefined) {
    run.state.tagRecordWrote({ problem: `the run lost its lease on the scale set (${run.state.leaseLost})` });
    return undefined;
  }
  // Why this run's record is not on the tags although the write went through (it removed the older one instead).
  let dropped: string | undefined;
  const apply = (current: Tags): TagDecision => {
    const seen = replaceable(run);
    const decoded = decodeRecord(current);
    if (
      decoded.kind === "record" &&
      !sameIdentity(decoded.record, record) &&
      !seen.some((r) => sameIdentity(decoded.record, r))
    ) {
      return { refused: `the scale set holds a newer record, of ${describeIdentity(decoded.record)}, which is kept` };
    }
    const next = withRecord(current, record, run.config.secrets);
    dropped = undefined;
    if (next.ok) return { tags: next.tags };
    // Not written (no room among Azure's 50 tags, a value shaped like a secret): an older record left there would be
    // taken by a later rollback: true for the last change, and undone in place of this run's (an audit, 2026-12-06).
    // It is removed (that always fits); a withdrawal at the end puts it back (this run's write did not land).
    if (decoded.kind === "record" && !sameIdentity(decoded.record, record)) {
      dropped = `${next.reason}; the older record on the scale set, of ${describeIdentity(decoded.record)}, was removed so that rollback: true does not undo that change in place of this one`;
      return { tags: withoutRecord(current) };
    }
    return { refused: next.reason };
  };
  const settled: TagPart["settled"] = (end) => {
    if ("written" in end && dropped !== undefined) {
      run.state.tagRecordWrote({ problem: dropped, droppedOlder: true });
      warnNotWritten(run, dropped);
    } else if ("written" in end) {
      run.state.tagRecordWrote({ written: true });
    } else if ("refused" in end) {
      run.state.tagRecordWrote({ problem: end.refused });
      warnNotWritten(run, end.refused);
    } else {
      const error = errorLine(end.error) || "unknown error";
      const before = run.state.tagRecord;
      // An earlier write of it may have landed (its answer lost, no read said): this one failing does not say that
      // the scale set holds no record (a take whose resend met 412 and whose read failed, then the end's write).
      const earlier = before?.written === undefined && before?.mayBeWritten === true ? before.problem : undefined;
      const how = tagWriteEnd(end.error);
      // What happened to this write, in words: no answer to rely on, not sent (the read before it failed, or cut off
      // before it went out), refused (412) and not decided again (the read after it failed), or refused.
      const failed =
        how?.kind === "not-sent"
          ? how.before === "read"
            ? `no tag write was sent: reading the scale set before it failed (${error})`
            : `no tag write was sent: it was cut off before it went out (${error})`
          : how?.kind === "refused-unread"
            ? `Azure refused the tag write (${how.refusal}; another writer changed the scale set since it was read), and reading it again failed (${error}): what its tags hold now is unknown`
            : `Azure did not take the tag write (${error})`;
      const problem =
        how?.kind === "unknown"
          ? `the tag write got no answer the run could rely on (${error}): whether Azure took it is unknown`
          : earlier !== undefined
            ? `${earlier}; ${how === undefined ? `the write after it failed (${error})` : `after it, ${failed}`}`
            : failed;
      run.state.tagRecordWrote({
        problem,
        ...((how?.kind === "unknown" || earlier !== undefined) && { mayBeWritten: true }),
      });
      run.log.info(`Rollout record (${record.outcome}): ${problem}.`);
    }
  };
  return { why: WHY, apply, settled };
}

/** Says once a run that its record was not written, and why. */
function warnNotWritten(run: Run, why: string): void {
  if (run.state.tagRecord?.warned === true) return;
  run.state.tagRecordWarned();
  run.log.warning(
    `The rollout record was not written: ${why}. A later run with rollback: true will not find this change; roll it back with the change inputs instead (see the summary).`,
    "Rollout record not written",
  );
}

/** The records this run's own may replace: the one on the tags when it took the lease, a rollback's origin. */
function replaceable(run: Run): RecordIdentity[] {
  const { rollbackOrigin, recordAtLease } = run.state;
  const records: (RecordIdentity | undefined)[] = [rollbackOrigin?.origin, recordAtLease];
  return records.filter((r): r is RecordIdentity => r !== undefined);
}

function identity(record: RecordIdentity): RecordIdentity {
  return { at: record.at, ...(record.run && { run: record.run }) };
}

function outcomeOf(result: RolloutResult): RecordOutcome {
  switch (result) {
    case "succeeded":
    case "failed":
    case "cancelled":
    case "rolled-back":
    case "reverted":
      return result;
    case "unchanged":
    case "planned":
      return "succeeded";
  }
}
