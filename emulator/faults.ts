// Faults on demand, per test: request-level ones (429, 500, dropped connection, 409, 403) consumed by the server as
// matching requests arrive, scale-ins done just before a matching request is handled, and instance-level ones
// (failed / hanging / unhealthy upgrades) consumed by the upgrade simulation, and request-triggered events (a
// concurrent writer, the scale set deleted) run just before or just after a matching request is handled. See
// README.md "Faults".
import type { Reply } from "./http.ts";
import type { ConcurrentWrite, FaultControls, OperationEnd, RequestMatch, TriggerMatch } from "./types.ts";

export type RequestFaultKind =
  "throttle" | "serverError" | "drop" | "dropAfter" | "hang" | "hangAfter" | "conflict" | "forbidden";

export interface RequestFault {
  readonly kind: RequestFaultKind;
  /** throttle: the wait the client is told; null sends no Retry-After at all. */
  readonly retryAfterSeconds: number | null;
  /** forbidden: the RBAC action to name instead of the operation's. */
  readonly action?: string | undefined;
  /** hang: real seconds the request is held before it is handled and answered; hangAfter: handled first, its answer
   *  held; undefined = never. */
  readonly holdSeconds?: number | undefined;
}

interface PendingRequestFault {
  readonly kind: RequestFaultKind;
  readonly operation: string | undefined;
  /** Only requests whose path contains this (lower case). */
  readonly path: string | undefined;
  readonly retryAfterSeconds: number | null;
  readonly action?: string | undefined;
  readonly holdSeconds?: number | undefined;
  skip: number;
  times: number;
}

interface PendingTrigger {
  readonly operation: string | undefined;
  readonly when: "before" | "after";
  readonly run: () => void;
  skip: number;
  done: boolean;
}

interface PendingPreemption {
  readonly operation: string | undefined;
  readonly end: OperationEnd;
}

interface PendingScaleIn {
  readonly scaleSet: string;
  readonly instanceId: string;
  readonly operation: string;
  skip: number;
  times: number;
}

interface InstanceFault {
  readonly scaleSet: string | undefined;
  readonly instanceId: string;
  times: number;
}

interface UpgradeFailure extends InstanceFault {
  readonly code: string;
  readonly message: string | undefined;
}

interface UnhealthyImage {
  readonly scaleSet: string | undefined;
  readonly image: string;
  readonly instanceIds: readonly string[] | undefined;
}

/** What the emulator core does for faults that act at once. */
export interface FaultActions {
  deleteScaleSet(name: string | undefined): void;
  expireTokens(): void;
  /** Ends a running operation matching `operation` (any when undefined) as `end` says, at once or after
   *  `end.afterSeconds`; false when none runs. */
  preemptRunning(operation: string | undefined, end: OperationEnd): boolean;
  /** Another client's write of the scale set's model (see ConcurrentWrite). */
  concurrentWrite(scaleSet: string | undefined, write: ConcurrentWrite): void;
  /** The name of the scale set (default: the first) if it has the instance now. */
  findInstance(scaleSet: string | undefined, instanceId: string): string | undefined;
  /** Deletes the instance of the scale set if it is still there. */
  deleteInstance(scaleSet: string, instanceId: string): void;
}

const sameName = (a: string | undefined, b: string): boolean => a === undefined || a.toLowerCase() === b.toLowerCase();

export class Faults implements FaultControls {
  private readonly actions: FaultActions;
  private requestFaults: PendingRequestFault[] = [];
  private failures: UpgradeFailure[] = [];
  private hangs: InstanceFault[] = [];
  private keptImages: InstanceFault[] = [];
  private unhealthyImages: UnhealthyImage[] = [];
  private preemptions: PendingPreemption[] = [];
  private scaleIns: PendingScaleIn[] = [];
  private triggers: PendingTrigger[] = [];

  constructor(actions: FaultActions) {
    this.actions = actions;
  }

  failUpgrade(
    instanceId: string,
    options: { scaleSet?: string; code?: string; message?: string; times?: number } = {},
  ): void {
    this.failures.push({
      scaleSet: options.scaleSet,
      instanceId,
      code: options.code ?? "VMExtensionProvisioningError",
      message: options.message,
      times: options.times ?? 1,
    });
  }

  unhealthyAfterUpgrade(image: string, options: { scaleSet?: string; instanceIds?: readonly string[] } = {}): void {
    this.unhealthyImages.push({
      scaleSet: options.scaleSet,
      image: image.toLowerCase(),
      instanceIds: options.instanceIds,
    });
  }

  hangUpgrade(instanceId: string, options: { scaleSet?: string } = {}): void {
    this.hangs.push({ scaleSet: options.scaleSet, instanceId, times: 1 });
  }

  keepOldImage(instanceId: string, options: { scaleSet?: string } = {}): void {
    this.keptImages.push({ scaleSet: options.scaleSet, instanceId, times: 1 });
  }

  throttle(match: RequestMatch & { retryAfterSeconds?: number | null } = {}): void {
    this.addRequestFault("throttle", match, match.retryAfterSeconds === undefined ? 1 : match.retryAfterSeconds);
  }

  hangRequest(match: RequestMatch & { seconds?: number; afterProcessing?: boolean } = {}): void {
    this.addRequestFault(match.afterProcessing === true ? "hangAfter" : "hang", match, 0, undefined, match.seconds);
  }

  onRequest(at: TriggerMatch, action: () => void): void {
    this.addTrigger(at, action);
  }

  concurrentWrite(write: ConcurrentWrite, at: TriggerMatch & { scaleSet?: string } = {}): void {
    this.addTrigger(at, () => this.actions.concurrentWrite(at.scaleSet, write));
  }

  serverError(match: RequestMatch = {}): void {
    this.addRequestFault("serverError", match);
  }

  dropConnection(match: RequestMatch & { afterProcessing?: boolean } = {}): void {
    this.addRequestFault(match.afterProcessing === true ? "dropAfter" : "drop", match);
  }

  conflict(match: RequestMatch = {}): void {
    this.addRequestFault("conflict", match);
  }

  authorizationFailed(match: RequestMatch & { action?: string } = {}): void {
    // A missing role does not come back by itself: every matching request unless `times` says otherwise.
    this.addRequestFault("forbidden", { ...match, times: match.times ?? Number.POSITIVE_INFINITY }, 0, match.action);
  }

  scaleIn(instanceId: string, options: { scaleSet?: string; operation?: string; after?: number } = {}): void {
    const scaleSet = this.actions.findInstance(options.scaleSet, instanceId);
    if (scaleSet === undefined)
      throw new Error(`emulator: scaleIn(): no instance ${instanceId} in ${options.scaleSet ?? "the first scale set"}`);
    this.scaleIns.push({
      scaleSet,
      instanceId,
      operation: options.operation ?? "VirtualMachineScaleSets.UpdateInstances",
      skip: options.after ?? 0,
      times: 1,
    });
  }

  preemptOperation(
    options: { operation?: string; status?: "Canceled" | "Failed"; afterSeconds?: number; running?: boolean } = {},
  ): void {
    this.endOperation(
      options.operation,
      {
        status: options.status ?? "Canceled",
        ...(options.afterSeconds !== undefined ? { afterSeconds: options.afterSeconds } : {}),
      },
      options.running ?? true,
    );
  }

  failOperation(
    options: { operation?: string; code?: string; message?: string; afterSeconds?: number; running?: boolean } = {},
  ): void {
    this.endOperation(
      options.operation,
      {
        status: "Failed",
        error: {
          code: options.code ?? "InternalExecutionError",
          message: options.message ?? "An internal execution error occurred. Please retry later.",
        },
        ...(options.afterSeconds !== undefined ? { afterSeconds: options.afterSeconds } : {}),
      },
      options.running ?? true,
    );
  }

  deleteScaleSet(name?: string, at?: TriggerMatch): void {
    if (at === undefined) this.actions.deleteScaleSet(name);
    else this.addTrigger(at, () => this.actions.deleteScaleSet(name));
  }

  expireTokens(): void {
    this.actions.expireTokens();
  }

  clear(): void {
    this.hostile = undefined;
    this.requestFaults = [];
    this.failures = [];
    this.hangs = [];
    this.unhealthyImages = [];
    this.preemptions = [];
    this.scaleIns = [];
    this.triggers = [];
  }

  // ───────────── consumed by the emulator ─────────────

  /** The fault for this ARM request, if one is due (consumes it). */
  takeRequestFault(operation: string, path = ""): RequestFault | undefined {
    for (const fault of this.requestFaults) {
      if (fault.operation !== undefined && fault.operation.toLowerCase() !== operation.toLowerCase()) continue;
      if (fault.path !== undefined && !path.toLowerCase().includes(fault.path)) continue;
      if (fault.skip > 0) {
        fault.skip--;
        continue;
      }
      fault.times--;
      this.requestFaults = this.requestFaults.filter((f) => f.times > 0);
      return {
        kind: fault.kind,
        retryAfterSeconds: fault.retryAfterSeconds,
        action: fault.action,
        holdSeconds: fault.holdSeconds,
      };
    }
    return undefined;
  }

  /** Deletes the instances whose scale-in is due before this ARM request (`scaleSet`: the set it is about, if any). */
  scaleInBefore(operation: string, scaleSet: string | undefined): void {
    for (const pending of this.scaleIns) {
      if (pending.operation.toLowerCase() !== operation.toLowerCase()) continue;
      if (scaleSet === undefined || !sameName(pending.scaleSet, scaleSet)) continue;
      if (pending.skip > 0) {
        pending.skip--;
        continue;
      }
      pending.times--;
      this.actions.deleteInstance(pending.scaleSet, pending.instanceId);
    }
    this.scaleIns = this.scaleIns.filter((p) => p.times > 0);
  }

  /** Runs the request-triggered events due `when` this ARM request is handled (each once). */
  runTriggers(operation: string, when: "before" | "after"): void {
    for (const trigger of this.triggers) {
      if (trigger.done || trigger.when !== when) continue;
      if (trigger.operation !== undefined && trigger.operation.toLowerCase() !== operation.toLowerCase()) continue;
      if (trigger.skip > 0) {
        trigger.skip--;
        continue;
      }
      trigger.done = true;
      trigger.run();
    }
    this.triggers = this.triggers.filter((t) => !t.done);
  }

  takeUpgradeFailure(scaleSet: string, instanceId: string): { code: string; message: string | undefined } | undefined {
    const failure = this.takeInstanceFault(this.failures, scaleSet, instanceId);
    return failure ? { code: failure.code, message: failure.message } : undefined;
  }

  takeKeptImage(scaleSet: string, instanceId: string): boolean {
    return this.takeInstanceFault(this.keptImages, scaleSet, instanceId) !== undefined;
  }

  takeHang(scaleSet: string, instanceId: string): boolean {
    return this.takeInstanceFault(this.hangs, scaleSet, instanceId) !== undefined;
  }

  /** `images`: the identifiers of the image the instance now runs (version, exactVersion, id). */
  isUnhealthyImage(scaleSet: string, instanceId: string, images: readonly string[]): boolean {
    const keys = images.map((i) => i.toLowerCase());
    return this.unhealthyImages.some(
      (u) =>
        sameName(u.scaleSet, scaleSet) &&
        keys.includes(u.image) &&
        (u.instanceIds === undefined || u.instanceIds.includes(instanceId)),
    );
  }

  /** A pending end for an operation that just started (consumes it). */
  takePreemption(operation: string): OperationEnd | undefined {
    const index = this.preemptions.findIndex(
      (p) => p.operation === undefined || p.operation.toLowerCase() === operation.toLowerCase(),
    );
    if (index < 0) return undefined;
    const [taken] = this.preemptions.splice(index, 1);
    return taken?.end;
  }

  private endOperation(operation: string | undefined, end: OperationEnd, running: boolean): void {
    if (!running || !this.actions.preemptRunning(operation, end)) this.preemptions.push({ operation, end });
  }

  private addTrigger(at: TriggerMatch, run: () => void): void {
    this.triggers.push({ operation: at.operation, when: at.when ?? "after", run, skip: at.after ?? 0, done: false });
  }

  private addRequestFault(
    kind: RequestFaultKind,
    match: RequestMatch,
    retryAfterSeconds: number | null = 0,
    action?: string,
    holdSeconds?: number,
  ): void {
    this.requestFaults.push({
      kind,
      operation: match.operation,
      path: match.path?.toLowerCase(),
      retryAfterSeconds,
      action,
      holdSeconds,
      skip: match.after ?? 0,
      times: match.times ?? 1,
    });
  }

  private takeInstanceFault<T extends InstanceFault>(list: T[], scaleSet: string, instanceId: string): T | undefined {
    const fault = list.find((f) => sameName(f.scaleSet, scaleSet) && f.instanceId === instanceId && f.times > 0);
    if (fault) fault.times--;
    return fault;
  }

  // ───────────── hostile text (appended; see hostileMessages in types.ts) ─────────────

  private hostile: string | undefined;

  hostileMessages(text: string): void {
    this.hostile = text;
  }

  /** An ARM error answer with the hostile text at the end of its message, when hostileMessages is on. */
  taintReply(reply: Reply): Reply {
    const body = reply.body as { error?: { message?: unknown } } | undefined;
    if (this.hostile === undefined || typeof body?.error?.message !== "string") return reply;
    return { ...reply, body: { ...body, error: { ...body.error, message: `${body.error.message} ${this.hostile}` } } };
  }
}
