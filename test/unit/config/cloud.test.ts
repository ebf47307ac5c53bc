import { describe, expect, it } from "vitest";
import { resolveCloud } from "../../../src/config/cloud.ts";
import { InputError } from "../../../src/config/types.ts";

describe("resolveCloud: the endpoint, token scope and authority host each environment uses", () => {
  it.each([
    [
      "AzureCloud",
      "https://management.azure.com",
      "https://management.azure.com/.default",
      "https://login.microsoftonline.com",
      "https://portal.azure.com",
    ],
    [
      "AzureUSGovernment",
      "https://management.usgovcloudapi.net",
      "https://management.usgovcloudapi.net/.default",
      "https://login.microsoftonline.us",
      "https://portal.azure.us",
    ],
    [
      "AzureChinaCloud",
      "https://management.chinacloudapi.cn",
      "https://management.chinacloudapi.cn/.default",
      "https://login.chinacloudapi.cn",
      "https://portal.azure.cn",
    ],
  ])("%s", (environment, armEndpoint, armScope, authorityHost, portalUrl) => {
    expect(resolveCloud(environment, {})).toEqual({
      name: environment,
      armEndpoint,
      armScope,
      authorityHost,
      portalUrl,
      customAuthority: false,
    });
  });

  it.each([["azurecloud"], ["AZUREUSGOVERNMENT"], ["azureChinaCloud"], [" AzureCloud "]])(
    "matches '%s' case-insensitively",
    (environment) => {
      expect(resolveCloud(environment, {}).name).toMatch(/^Azure/);
    },
  );

  it.each([["AzureGermanCloud"], ["AzureStack"], ["public"], [""]])(
    "rejects environment '%s', listing the valid ones",
    (environment) => {
      const err = captureInputError(() => resolveCloud(environment, {}));
      expect(err.input).toBe("environment");
      expect(err.message).toContain("AzureCloud, AzureUSGovernment or AzureChinaCloud");
    },
  );
});

describe("resolveCloud overrides", () => {
  it.each([
    ["https://management.example.com", "https://management.example.com/.default"],
    ["https://127.0.0.1:4443/", "https://127.0.0.1:4443/.default"],
    [
      "https://management.local.azurestack.external/arm_v1/x-y.z",
      "https://management.local.azurestack.external/arm_v1/x-y.z/.default",
    ],
  ])("accepts the ARM endpoint %s, and its scope is one the Azure CLI can be given as is", (armEndpoint, scope) => {
    const cloud = resolveCloud("AzureCloud", { armEndpoint });
    expect(cloud.armScope).toBe(scope);
    expect(cloud.armScope).toMatch(/^[0-9a-zA-Z._:/-]+$/);
  });

  it("a custom ARM endpoint gets its own token scope and keeps the environment's Entra", () => {
    expect(resolveCloud("AzureCloud", { armEndpoint: "https://127.0.0.1:8443/" })).toEqual({
      name: "Custom",
      armEndpoint: "https://127.0.0.1:8443",
      armScope: "https://127.0.0.1:8443/.default",
      authorityHost: "https://login.microsoftonline.com",
      portalUrl: "https://portal.azure.com",
      customAuthority: false,
    });
  });

  it("a custom authority host is marked custom (no instance discovery against public Entra)", () => {
    const cloud = resolveCloud("AzureCloud", {
      armEndpoint: "https://127.0.0.1:8443",
      authorityHost: "https://127.0.0.1:8443/entra/",
    });
    expect(cloud).toMatchObject({
      name: "Custom",
      authorityHost: "https://127.0.0.1:8443/entra",
      customAuthority: true,
    });
  });

  it("Azure Stack Hub: portal next to ARM, ADFS authority with a path", () => {
    const cloud = resolveCloud("AzureCloud", {
      armEndpoint: "https://management.local.azurestack.external",
      authorityHost: "https://adfs.local.azurestack.external/adfs",
    });
    expect(cloud).toEqual({
      name: "Custom",
      armEndpoint: "https://management.local.azurestack.external",
      armScope: "https://management.local.azurestack.external/.default",
      authorityHost: "https://adfs.local.azurestack.external/adfs",
      portalUrl: "https://portal.local.azurestack.external",
      customAuthority: true,
    });
  });

  it.each([
    ["the same ARM endpoint with a trailing slash", { armEndpoint: "https://management.azure.com/" }],
    ["the same authority host", { authorityHost: "https://login.microsoftonline.com" }],
    ["no overrides (empty strings)", { armEndpoint: "", authorityHost: "" }],
  ])("%s keeps the known cloud", (_, overrides) => {
    expect(resolveCloud("AzureCloud", overrides).name).toBe("AzureCloud");
  });

  it("an alias of a Microsoft authority host is not custom", () => {
    expect(resolveCloud("AzureCloud", { authorityHost: "https://login.windows.net" })).toMatchObject({
      name: "Custom",
      customAuthority: false,
    });
  });

  it.each([
    ["arm-endpoint", { armEndpoint: "http://127.0.0.1:8080" }, "https"],
    ["arm-endpoint", { armEndpoint: "not a url" }, "not a URL"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/?x=1" }, "query"],
    ["authority-host", { authorityHost: "http://login.example.com" }, "https"],
    ["arm-endpoint", { armEndpoint: "https://management.usgovcloudapi.net/" }, "set environment: AzureUSGovernment"],
    ["authority-host", { authorityHost: "https://login.chinacloudapi.cn" }, "set environment: AzureChinaCloud"],
    // Issue 11, finding 7: shell syntax in the path reached `az account get-access-token --scope` (azure-cli mode)
    // with only the SDK's own scope check in between.
    ["arm-endpoint", { armEndpoint: "https://management.example.com/a;id" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/$(id)" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/`id`" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/a'b" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/a%20b" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/a&b" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/a|b" }, "path holds only"],
    ["arm-endpoint", { armEndpoint: "https://[::1]/" }, "host is a DNS name"],
    ["arm-endpoint", { armEndpoint: "https://user:pw@management.example.com" }, "credentials"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/?" }, "query"],
    ["arm-endpoint", { armEndpoint: "https://management.example.com/#" }, "fragment"],
    ["authority-host", { authorityHost: "https://login.example.com/$(id)" }, "path holds only"],
    // Not a URL at all, yet with a password in it: the echo masks it.
    ["arm-endpoint", { armEndpoint: "https://me:SECRETPW@" }, "'https://***@' is not a URL"],
  ])("rejects %s %j", (input, overrides, text) => {
    const err = captureInputError(() => resolveCloud("AzureCloud", overrides));
    expect(err.input).toBe(input);
    expect(err.message).toContain(text);
    expect(err.message).not.toContain("SECRETPW");
  });
});

function captureInputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error("expected an InputError");
}
