import { describe, expect, it } from "vitest";
import { ERROR_HELP, errorsQuotedIn, explainError } from "../../../src/report/error-help.ts";

describe("explainError", () => {
  it.each([
    {
      code: "MaxUnhealthyInstancePercentExceededInRollingUpgrade",
      message: "",
      says: "more instances of the whole scale set were unhealthy",
    },
    {
      code: "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade",
      message: "",
      says: "instances it had already upgraded turned unhealthy",
    },
    { code: "VMExtensionProvisioningError", message: "", says: "An extension failed on the instance" },
    { code: "VMExtensionHandlerNonTransientError", message: "", says: "terminal failure" },
    { code: "OSProvisioningTimedOut", message: "", says: "did not report ready in the allotted time" },
    { code: "AllocationFailed", message: "", says: "no capacity" },
    { code: "OperationPreempted", message: "", says: "a newer operation" },
    { code: "Conflict", message: "", says: "another operation" },
    { code: "PreconditionFailed", message: "", says: "etag no longer matched" },
    { code: "PropertyChangeNotAllowed", message: "", says: "does not allow this property" },
    {
      code: "OperationNotAllowed",
      message: "The server rejected the request because too many requests have been received",
      says: "throttled",
    },
    {
      code: "OperationNotAllowed",
      message: "Operation could not be completed as it results in exceeding approved Total Regional Cores quota.",
      says: "quota",
    },
    {
      code: "OperationNotAllowed",
      message: "Operation 'x' is not allowed since another operation is in progress.",
      says: "current state",
    },
    { code: "AuthorizationFailed", message: "", says: "lacks a permission" },
    { code: "LinkedAuthorizationFailed", message: "", says: "links to a resource in another resource group" },
    { code: "ResourceNotFound", message: "", says: "found no scale set" },
    { code: "ProvisioningState/failed/AllocationFailed", message: "", says: "no capacity" },
    { code: "vmextensionprovisioningerror", message: "", says: "An extension failed" },
  ])("$code → $says", ({ code, message, says }) => {
    expect(explainError({ code, message })?.happened).toContain(says);
  });

  it("knows nothing about codes it has no entry for", () => {
    expect(explainError({ code: "SomethingNew", message: "" })).toBeUndefined();
  });

  it("says what happened and what to check for every code, each code and variant once", () => {
    const keys = ERROR_HELP.map((h) => `${h.code}/${h.variant?.name ?? ""}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const help of ERROR_HELP) {
      expect(help.happened).toMatch(/\.$/);
      expect(help.check).toMatch(/\.$/);
      if (help.docs) expect(help.docs).toMatch(/^https:\/\//);
    }
  });
});

describe("errorsQuotedIn", () => {
  it("finds LinkedAuthorizationFailed in a run's reason, not the AuthorizationFailed inside its name", () => {
    const reason =
      "Failed while updating the model: LinkedAuthorizationFailed: The client 'x' has permission to perform action " +
      "'Microsoft.Compute/virtualMachineScaleSets/write' on scope '/subscriptions/s/resourceGroups/rg-web'; however, " +
      "it does not have permission to perform action(s) 'Microsoft.Compute/galleries/images/versions/read' on the " +
      "linked scope(s) '/subscriptions/s/resourceGroups/rg-images'.";
    const found = errorsQuotedIn(reason);
    expect(found.map((e) => e.code)).toEqual(["LinkedAuthorizationFailed"]);
    expect(explainError(found[0] ?? { code: "", message: "" })?.check).toContain("linked scope");
  });
});
