// Compute's long-running operations: the Azure-AsyncOperation status document and the Location ("monitor") URL,
// both under /subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/operations/{id}.
// Shapes from the recordings: `{"startTime","status":"InProgress","name"}`, then `endTime` and `Succeeded`;
// the monitor URL answers 200 with an empty body once the operation has finished.
import { randomUUID } from "node:crypto";
import { azureTime } from "../clock.ts";
import type { ArmErrorBody } from "../http.ts";
import type { OperationSnapshot } from "../types.ts";

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

export const PREEMPTED: ArmErrorBody = {
  code: "OperationPreempted",
  message: "Operation execution has been preempted by a more recent operation.",
};

export class Operation {
  readonly id = randomUUID();
  /** A random `p` query value, as Compute's URLs carry one. */
  readonly partition = randomUUID();
  readonly operation: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly scaleSetKey: string;
  readonly instanceIds: readonly string[] | undefined;
  readonly startTime = new Date();
  status: OperationStatus = "InProgress";
  endTime: Date | undefined;
  error: ArmErrorBody | undefined;
  /** Resolves when the operation ends for any reason; simulated work races against it to stop early. */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(init: {
    operation: string;
    subscriptionId: string;
    location: string;
    scaleSetKey: string;
    instanceIds?: readonly string[];
  }) {
    this.operation = init.operation;
    this.subscriptionId = init.subscriptionId;
    this.location = init.location;
    this.scaleSetKey = init.scaleSetKey;
    this.instanceIds = init.instanceIds;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get running(): boolean {
    return this.status === "InProgress";
  }

  /** Ends the operation once; later calls are ignored (a preempted operation stays preempted). */
  finish(status: Exclude<OperationStatus, "InProgress">, error?: ArmErrorBody): void {
    if (!this.running) return;
    this.status = status;
    this.error = error;
    this.endTime = new Date();
    this.resolveEnded();
  }

  /** Absolute Azure-AsyncOperation and Location URLs, on the host the client used. */
  urls(origin: string, apiVersion: string): { asyncOperation: string; location: string } {
    const base = `${origin}/subscriptions/${this.subscriptionId}/providers/Microsoft.Compute/locations/${this.location}/operations/${this.id}`;
    return {
      asyncOperation: `${base}?p=${this.partition}&api-version=${apiVersion}`,
      location: `${base}?p=${this.partition}&monitor=true&api-version=${apiVersion}`,
    };
  }

  /** The Azure-AsyncOperation status document. */
  render(): Record<string, unknown> {
    return {
      startTime: azureTime(this.startTime),
      ...(this.endTime ? { endTime: azureTime(this.endTime) } : {}),
      status: this.status,
      ...(this.error ? { error: this.error } : {}),
      name: this.id,
    };
  }

  snapshot(): OperationSnapshot {
    return {
      id: this.id,
      operation: this.operation,
      status: this.status,
      ...(this.instanceIds ? { instanceIds: [...this.instanceIds] } : {}),
      ...(this.error ? { error: { code: this.error.code, message: this.error.message } } : {}),
      startTime: this.startTime.toISOString(),
      ...(this.endTime ? { endTime: this.endTime.toISOString() } : {}),
    };
  }
}
