// What an Azure error means to the engine: a lost etag race, a refusal worth retrying, an instance that left the
// scale set, an operation another one preempted; and Azure error texts made safe to show. Pure.

import { redactText } from "../shared/redact.ts";
import { AzureApiError, type AzureErrorInfo, type OperationOutcome } from "./scale-set.ts";

/** 412 PreconditionFailed: the scale set changed since its etag was read. */
export function isPreconditionFailed(err: unknown): boolean {
  return err instanceof AzureApiError && (err.statusCode === 412 || err.code === "PreconditionFailed");
}

function isPreemptedCode(code: string | undefined): boolean {
  return code === "OperationPreempted";
}

/** An accepted manualupgrade whose operation another one preempted or cancelled: Azure may not have finished it. */
export function isPreempted(outcome: OperationOutcome): boolean {
  return outcome.status === "Canceled" || isPreemptedCode(outcome.error?.code);
}

/** 409 Conflict (another operation holds the scale set) and OperationPreempted: worth trying again. */
export function isRetryableRefusal(err: AzureApiError): boolean {
  return err.statusCode === 409 || err.code === "Conflict" || isPreemptedCode(err.code);
}

/**
 * 404 for the scale set itself or as a parent (ARM: ResourceNotFound for the set, ParentResourceNotFound for its
 * instances, extensions and actions, ResourceGroupNotFound when its group went too): it no longer exists. A 404
 * `NotFound` names a missing instance or extension, not the set.
 */
export function isScaleSetGone(err: unknown): boolean {
  return (
    err instanceof AzureApiError &&
    err.statusCode === 404 &&
    ["ResourceNotFound", "ParentResourceNotFound", "ResourceGroupNotFound"].includes(err.code)
  );
}

/** 400 InvalidParameter: manualupgrade names an instance that is not (any longer) in the scale set. */
export function isGoneInstance(err: AzureApiError): boolean {
  return err.statusCode === 400 && err.code === "InvalidParameter";
}

/** `was preempted` (an operation ended by another, or no HTTP answer) or `was refused`. */
export function refusalWords(err: AzureApiError): string {
  return isPreemptedCode(err.code) || err.statusCode === undefined ? "was preempted" : "was refused";
}

/**
 * What a refused manualupgrade likely means, for the reason of the stop; undefined when nothing more can be said.
 * `attempts` and `why` (why no further attempt was made) are told for a scale set another operation kept busy; for a
 * 404, `why` says what was found instead of a deleted scale set.
 */
export function refusalMeaning(err: AzureApiError, attempts: number, why?: string): string | undefined {
  switch (err.statusCode) {
    case 403:
      return "the signed-in identity may not run manualupgrade on the scale set: it needs the permission Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action (in Virtual Machine Contributor, for one) on the scale set";
    case 401:
      return "Azure did not accept the sign-in for it: check that environment / arm-endpoint name the cloud the identity signs in to";
    case 404:
      // `why`: the scale set was read and found since (a 404 naming something else, an instance the listing shows).
      return why ?? "the scale set was not found: it may have been deleted";
  }
  return isRetryableRefusal(err)
    ? `another operation kept the scale set busy (${attempts} attempt(s)${why ? `; ${why}` : ""})`
    : undefined;
}

/** Azure error texts may quote a fileUri with its SAS token. */
export function redactError(error: AzureErrorInfo): AzureErrorInfo {
  return { code: error.code, message: redactText(error.message) };
}
