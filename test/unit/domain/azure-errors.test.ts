import { describe, expect, it } from "vitest";
import {
  isGoneInstance,
  isPreconditionFailed,
  isPreempted,
  isRetryableRefusal,
  redactError,
  refusalMeaning,
  refusalWords,
} from "../../../src/domain/azure-errors.ts";
import { AzureApiError } from "../../../src/domain/scale-set.ts";

describe("isPreconditionFailed", () => {
  it("is a 412 or the PreconditionFailed code of an AzureApiError", () => {
    expect(isPreconditionFailed(new AzureApiError("Whatever", "m", 412))).toBe(true);
    expect(isPreconditionFailed(new AzureApiError("PreconditionFailed", "m"))).toBe(true);
    expect(isPreconditionFailed(new AzureApiError("Conflict", "m", 409))).toBe(false);
    expect(isPreconditionFailed(Object.assign(new Error("m"), { statusCode: 412 }))).toBe(false);
  });
});

describe("isPreempted", () => {
  it("is a cancelled operation or one ended with OperationPreempted", () => {
    expect(isPreempted({ status: "Canceled" })).toBe(true);
    expect(isPreempted({ status: "Failed", error: { code: "OperationPreempted", message: "" } })).toBe(true);
    expect(isPreempted({ status: "Failed", error: { code: "VMExtensionProvisioningError", message: "" } })).toBe(false);
    expect(isPreempted({ status: "Succeeded" })).toBe(false);
  });
});

describe("isRetryableRefusal", () => {
  it.each([
    [new AzureApiError("Conflict", "m", 409), true],
    [new AzureApiError("Conflict", "m"), true],
    [new AzureApiError("OperationPreempted", "m"), true],
    [new AzureApiError("AuthorizationFailed", "m", 403), false],
    [new AzureApiError("InvalidParameter", "m", 400), false],
  ])("%s → %s", (err, expected) => {
    expect(isRetryableRefusal(err)).toBe(expected);
  });
});

describe("isGoneInstance", () => {
  it("is 400 InvalidParameter only", () => {
    expect(isGoneInstance(new AzureApiError("InvalidParameter", "m", 400))).toBe(true);
    expect(isGoneInstance(new AzureApiError("InvalidParameter", "m"))).toBe(false);
    expect(isGoneInstance(new AzureApiError("BadRequest", "m", 400))).toBe(false);
  });
});

describe("refusalWords", () => {
  it("says preempted for OperationPreempted or no HTTP status, refused otherwise", () => {
    expect(refusalWords(new AzureApiError("OperationPreempted", "m", 409))).toBe("was preempted");
    expect(refusalWords(new AzureApiError("Canceled", "m"))).toBe("was preempted");
    expect(refusalWords(new AzureApiError("Conflict", "m", 409))).toBe("was refused");
  });
});

describe("refusalMeaning", () => {
  it("explains 403, 401 and 404", () => {
    expect(refusalMeaning(new AzureApiError("AuthorizationFailed", "m", 403), 1)).toContain("manualUpgrade/action");
    expect(refusalMeaning(new AzureApiError("InvalidAuthenticationToken", "m", 401), 1)).toContain("arm-endpoint");
    expect(refusalMeaning(new AzureApiError("ResourceNotFound", "m", 404), 1)).toBe(
      "the scale set was not found: it may have been deleted",
    );
  });

  it("counts the attempts of a busy scale set, with why it gave up", () => {
    expect(refusalMeaning(new AzureApiError("Conflict", "m", 409), 6)).toBe(
      "another operation kept the scale set busy (6 attempt(s))",
    );
    expect(
      refusalMeaning(new AzureApiError("OperationPreempted", "m"), 2, "the timeout leaves no time to try again"),
    ).toBe("another operation kept the scale set busy (2 attempt(s); the timeout leaves no time to try again)");
  });

  it("says nothing about other refusals", () => {
    expect(refusalMeaning(new AzureApiError("BadRequest", "m", 400), 1)).toBeUndefined();
  });
});

describe("redactError", () => {
  it("removes SAS query strings from the message and keeps the code", () => {
    expect(
      redactError({
        code: "VMExtensionProvisioningError",
        message: "failed on https://a.blob.core.windows.net/c/x.sh?sv=1&sig=SECRET",
      }),
    ).toEqual({
      code: "VMExtensionProvisioningError",
      message: "failed on https://a.blob.core.windows.net/c/x.sh?[query removed]",
    });
  });
});
