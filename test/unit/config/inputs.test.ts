import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../../src/config/inputs.ts";
import { InputError } from "../../../src/config/types.ts";
import type { Config } from "../../../src/config/types.ts";

const SUB = "11111111-2222-3333-4444-555555555555";
const OTHER_SUB = "99999999-2222-3333-4444-555555555555";
const TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const CLIENT = "12345678-1234-1234-1234-123456789abc";
const SECRET = "Sup3r~Secret.Value_do-not-print";
const OIDC_ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example/id?api-version=2.0",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runtime-token",
};

/** The smallest valid set of inputs; each test changes what it is about. */
const BASE: Readonly<Record<string, string>> = {
  "subscription-id": SUB,
  "resource-group": "rg-prod",
  "scale-set": "web-vmss",
  "image-version": "latest",
};

function parse(inputs: Record<string, string>, env: Record<string, string> = {}): Config {
  const all = { ...BASE, ...inputs };
  return parseConfig((name) => all[name] ?? "", env);
}

function inputError(inputs: Record<string, string>, env: Record<string, string> = {}): InputError {
  try {
    parse(inputs, env);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error(`expected an InputError for ${JSON.stringify(inputs)}`);
}

const actionYml = parseYaml(readFileSync(new URL("../../../action.yml", import.meta.url), "utf8")) as {
  inputs: Record<string, { default?: string; required?: boolean }>;
};

describe("parseConfig: inputs of action.yml", () => {
  it("reads every input of action.yml and no other", () => {
    const read = new Set<string>();
    parseConfig((name) => {
      read.add(name);
      return BASE[name] ?? "";
    }, {});
    expect([...read].sort()).toEqual(Object.keys(actionYml.inputs).sort());
  });

  it("applies action.yml's defaults itself when an input is empty", () => {
    const defaults = Object.fromEntries(
      Object.entries(actionYml.inputs).map(([name, spec]) => [name, spec.default ?? ""]),
    );
    const withYamlDefaults = parseConfig((name) => BASE[name] || defaults[name] || "", {});
    const withEmptyInputs = parseConfig((name) => BASE[name] ?? "", {});
    expect(withEmptyInputs).toEqual(withYamlDefaults);
  });

  it("turns the defaults into this Config", () => {
    expect(
      parse(
        {},
        {
          GITHUB_RUN_ID: "42",
          GITHUB_RUN_ATTEMPT: "2",
          GITHUB_REPOSITORY: "o/r",
          GITHUB_SERVER_URL: "https://github.com",
        },
      ),
    ).toEqual({
      target: { subscriptionId: SUB, resourceGroup: "rg-prod", scaleSet: "web-vmss" },
      change: { imageVersion: "latest" },
      rollout: {
        batchSize: { kind: "percent", value: 20 },
        pauseBetweenBatchesMs: 0,
        health: "auto",
        healthTimeoutMs: 600_000,
        maxUnhealthyPercent: 20,
        rollbackOnFailure: false,
        timeoutMs: 3_600_000,
        pollIntervalMs: 15_000,
        leaseDurationMs: 600_000,
        leaseWaitMs: 0,
        dryRun: false,
        nonDefaultBatchOptions: [],
      },
      auth: { mode: "azure-cli" },
      cloud: {
        name: "AzureCloud",
        armEndpoint: "https://management.azure.com",
        armScope: "https://management.azure.com/.default",
        authorityHost: "https://login.microsoftonline.com",
        portalUrl: "https://portal.azure.com",
        customAuthority: false,
      },
      secrets: [],
      github: {
        serverUrl: "https://github.com",
        apiUrl: "https://api.github.com",
        repository: "o/r",
        runId: "42",
        runAttempt: "2",
      },
    });
  });

  it("returns a deeply frozen object", () => {
    const config = parse({ "extension-name": "cse", "extension-file-uris": "https://a.example/x.sh", canary: "1" });
    for (const part of [
      config,
      config.target,
      config.change,
      config.change.extension,
      config.change.extension?.fileUris,
      config.rollout,
      config.rollout.canary,
      config.auth,
      config.cloud,
      config.secrets,
    ]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it.each([
    ["resource-group", "Input 'resource-group': is required: the name of the scale set's resource group, e.g. rg-web"],
    ["scale-set", "Input 'scale-set': is required: the scale set's name, e.g. vmss-web"],
  ])("requires %s, saying what it takes", (name, message) => {
    expect(inputError({ [name]: "" })).toMatchObject({ input: name, message });
  });
});

describe("durations (timeout, poll-interval, health-timeout, pause-between-batches) become milliseconds", () => {
  it.each([
    ["90s", 90_000],
    ["15m", 900_000],
    ["2h", 7_200_000],
    ["1h30m", 5_400_000],
    ["1h0m5s", 3_605_000],
    ["250ms", 250],
    ["1s500ms", 1_500],
    ["PT1H", 3_600_000],
    ["PT1H30M", 5_400_000],
    ["pt45s", 45_000],
    ["PT0.5S", 500],
    ["P1D", 86_400_000],
    // Short durations in any case, as ISO ones: m is minutes, ms milliseconds either way.
    ["1H", 3_600_000],
    ["90S", 90_000],
    ["15M", 900_000],
    ["1H30M", 5_400_000],
    ["1h30M", 5_400_000],
    ["250MS", 250],
    ["1S500Ms", 1_500],
  ])("%s → %i ms", (value, ms) => {
    expect(parse({ timeout: value }).rollout.timeoutMs).toBe(ms);
  });

  it.each([
    [{}, 600_000, 0],
    [{ "lease-duration": "30s", "lease-wait": "30m" }, 30_000, 1_800_000],
  ])("lease-duration and lease-wait: %j", (inputs, durationMs, waitMs) => {
    expect(parse(inputs).rollout).toMatchObject({ leaseDurationMs: durationMs, leaseWaitMs: waitMs });
  });

  it.each([["0"], ["0s"], ["PT0S"]])("pause-between-batches may be zero (%s)", (value) => {
    expect(parse({ "pause-between-batches": value }).rollout.pauseBetweenBatchesMs).toBe(0);
  });

  it.each([
    ["timeout", "60", "add a unit, e.g. 60s or 60m"],
    ["timeout", "1.5h", "is not a duration"],
    ["timeout", "15 m", "is not a duration"],
    ["timeout", "m", "is not a duration"],
    ["timeout", "PT", "is not a duration"],
    ["timeout", "P1DT", "is not a duration"],
    ["timeout", "-5m", "is not a duration"],
    ["timeout", "0s", "'0s' must be longer than zero: use e.g. 90s, 15m, 2h"],
    ["poll-interval", "0", "'0' must be longer than zero: use e.g. 90s, 15m, 2h"],
    ["health-timeout", "PT0S", "'PT0S' must be longer than zero: use e.g. 90s, 15m, 2h"],
    ["health-timeout", "ten minutes", "is not a duration"],
    ["pause-between-batches", "soon", "is not a duration"],
    ["timeout", "600h", "at most 576h"],
    ["lease-duration", "29s", "too short: at least 30s"],
    ["lease-duration", "0", "'0' is too short: at least 30s"],
    ["lease-duration", "0s", "'0s' is too short: at least 30s"],
    ["lease-wait", "soon", "is not a duration"],
    ["timeout", "1H 30M", "'1H 30M' is not a duration: use e.g. 90s, 15m, 2h, 1h30m, 500ms or PT1H30M"],
    ["timeout", "30M1H", "'30M1H' is not a duration: use e.g. 90s, 15m, 2h"],
    ["timeout", "0S", "'0S' must be longer than zero: use e.g. 90s, 15m, 2h"],
    ["timeout", "600H", "'600H' is too long: at most 576h"],
    ["lease-duration", "29S", "'29S' is too short: at least 30s"],
  ])("%s: '%s' → %s", (name, value, text) => {
    const err = inputError({ [name]: value });
    expect(err.input).toBe(name);
    expect(err.message).toContain(text);
  });

  // A run lasts timeout, and health-timeout more for its rollback (its lease as long): Node's timers end at 24.8 days.
  it.each([
    [{ timeout: "576h", "health-timeout": "1s" }, true],
    [{ timeout: "300h", "health-timeout": "300h" }, true],
    [{ timeout: "288h", "health-timeout": "288h" }, false],
    [{ timeout: "6h", "health-timeout": "576h" }, true],
  ])("timeout and health-timeout together: %j refused: %s", (inputs, refused) => {
    if (!refused) {
      expect(() => parse(inputs)).not.toThrow();
      return;
    }
    const err = inputError(inputs);
    expect(err.input).toBe("health-timeout");
    expect(err.message).toContain(
      `with timeout '${inputs.timeout}' adds up to more than 576h (24 days), the longest a run may last with its rollback`,
    );
  });

  // An input review (2026-12-06): health-timeout left at its default was named, though the user set only timeout.
  it("timeout too long for the default health-timeout: timeout is named, with the longest it may be", () => {
    const err = inputError({ timeout: "576h" });
    expect(err.input).toBe("timeout");
    expect(err.message).toBe(
      "Input 'timeout': '576h' with health-timeout '10m' (its default) adds up to more than 576h (24 days), the longest a run may last with its rollback: shorten timeout to at most 575h50m",
    );
    expect(() => parse({ timeout: "575h50m" })).not.toThrow();
  });
});

describe("sizes, percentages, booleans and choices", () => {
  it.each([
    ["20%", { kind: "percent", value: 20 }],
    ["100%", { kind: "percent", value: 100 }],
    ["1%", { kind: "percent", value: 1 }],
    ["5", { kind: "count", value: 5 }],
    ["1", { kind: "count", value: 1 }],
  ])("batch-size %s", (value, size) => {
    expect(parse({ "batch-size": value }).rollout.batchSize).toEqual(size);
    expect(parse({ canary: value }).rollout.canary).toEqual(size);
  });

  it.each([["0"], ["0%"], ["101%"], ["-1"], ["2.5"], ["20 %"], ["half"], ["%"]])(
    "batch-size and canary reject '%s'",
    (value) => {
      for (const name of ["batch-size", "canary"]) {
        const err = inputError({ [name]: value });
        expect(err.input).toBe(name);
        expect(err.message).toContain("count of instances");
        // Only canary may be left out, and its message says how.
        expect(err.message.includes("leave canary empty for no canary")).toBe(name === "canary");
      }
    },
  );

  // An input review (2026-12-06): a count past what a number holds exactly was told "at least 1".
  it("batch-size too large to count exactly: said so, with what to use instead", () => {
    const err = inputError({ "batch-size": "99999999999999999999" });
    expect(err.input).toBe("batch-size");
    expect(err.message).toContain("is too large a count of instances (a scale set has at most 1,000): use 100%");
    expect(parse({ "batch-size": "5000" }).rollout.batchSize).toEqual({ kind: "count", value: 5000 });
  });

  it("canary is absent unless given", () => {
    expect(parse({}).rollout).not.toHaveProperty("canary");
  });

  it.each([
    ["0%", 0],
    ["20%", 20],
    ["100%", 100],
  ])("max-unhealthy %s → %i", (value, percent) => {
    expect(parse({ "max-unhealthy": value }).rollout.maxUnhealthyPercent).toBe(percent);
  });

  it.each([["20"], ["101%"], ["-1%"], ["12.5%"], ["lots"]])("max-unhealthy rejects '%s'", (value) => {
    expect(inputError({ "max-unhealthy": value })).toMatchObject({
      input: "max-unhealthy",
      message: expect.stringContaining("0% to 100%"),
    });
  });

  it.each([
    ["true", true],
    ["True", true],
    ["TRUE", true],
    ["false", false],
    ["False", false],
    ["FALSE", false],
  ])("booleans accept %s like core.getBooleanInput", (value, expected) => {
    const config = parse({ "dry-run": value, "rollback-on-failure": value });
    expect([config.rollout.dryRun, config.rollout.rollbackOnFailure]).toEqual([expected, expected]);
  });

  it.each([["yes"], ["1"], ["tRUE"], ["on"]])("booleans reject '%s'", (value) => {
    expect(inputError({ "dry-run": value })).toMatchObject({
      input: "dry-run",
      message: expect.stringContaining("use true or false"),
    });
    expect(inputError({ "rollback-on-failure": value })).toMatchObject({ input: "rollback-on-failure" });
  });

  it.each([
    ["auto", "auto"],
    ["off", "off"],
    ["OFF", "off"],
  ])("health %s", (value, expected) => {
    expect(parse({ health: value }).rollout.health).toBe(expected);
  });

  it("health rejects other values", () => {
    expect(inputError({ health: "on" })).toMatchObject({
      input: "health",
      message: "Input 'health': 'on' is not one of auto, off",
    });
  });
});

describe("the change", () => {
  it.each([["latest"], ["LATEST"], ["16.04.201801090"], ["2022.10.3"]])("image-version %s", (value) => {
    expect(parse({ "image-version": value }).change.imageVersion).toBe(value.toLowerCase());
  });

  it.each([["16.04"], ["1.2.3.4"], ["newest"], ["1.2.x"], ["v"], ["v1.2"], ["vv1.2.3"], ["version1.2.3"], ["v-1.2.3"]])(
    "image-version rejects '%s', naming the input, the value and the valid form",
    (value) => {
      const err = inputError({ "image-version": value });
      expect(err.input).toBe("image-version");
      expect(err.message).toContain(`'${value}'`);
      expect(err.message).toContain("<major>.<minor>.<patch>");
    },
  );

  const prefix = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute`;
  const gallery = `${prefix}/galleries/gal1/images/ubuntu/versions`;

  // Release tags are versions: a leading v before a digit is dropped (and said), everything else is kept as written.
  it.each([
    { input: "image-version", given: "v1.4.0", used: "1.4.0", note: true },
    { input: "image-version", given: "V2024.10.3", used: "2024.10.3", note: true },
    { input: "image-version", given: "1.4.0", used: "1.4.0", note: false },
    { input: "image-version", given: "latest", used: "latest", note: false },
    { input: "image-id", given: `${gallery}/v1.4.0`, used: `${gallery}/1.4.0`, note: true },
    { input: "image-id", given: `${gallery}/1.4.0`, used: `${gallery}/1.4.0`, note: false },
    { input: "image-id", given: `${gallery}/latest`, used: `${gallery}/latest`, note: false },
    { input: "image-id", given: `${prefix}/images/v1-golden`, used: `${prefix}/images/v1-golden`, note: false },
  ])("$input $given → $used", ({ input, given, used, note }) => {
    const config = parse({ "image-version": "", [input]: given });
    const change = config.change as Record<string, unknown>;
    expect(change[input === "image-version" ? "imageVersion" : "imageId"]).toBe(used);
    if (note) {
      expect(config.notes).toHaveLength(1);
      expect(config.notes?.[0]).toContain(given.slice(given.lastIndexOf("/") + 1));
      expect(config.notes?.[0]).toContain(used.slice(used.lastIndexOf("/") + 1));
    } else {
      expect(config.notes).toBeUndefined();
    }
  });

  it.each([["v1"], ["v1.4"], ["release-1.4.0"], ["1.4.0-rc1"], ["vv1.4.0"], ["1.0.2147483648"], ["v99999999999.0.0"]])(
    "image-id with version '%s' is refused, naming the input, the value and the valid form",
    (version) => {
      const err = inputError({ "image-version": "", "image-id": `${gallery}/${version}` });
      expect(err.input).toBe("image-id");
      expect(err.message).toContain(`'${version}'`);
      expect(err.message).toContain("<major>.<minor>.<patch> (each at most 2147483647)");
    },
  );

  it.each([
    ["managed image", `${prefix}/images/golden-2024`],
    ["gallery image", `${prefix}/galleries/gal1/images/ubuntu`],
    ["names with _ . -", `${prefix}/galleries/gal_1.prod/images/ubuntu-22.04_lts`],
    ["an image name of 80 characters", `${prefix}/images/${"a".repeat(80)}`],
    ["gallery image version", `${prefix}/galleries/gal1/images/ubuntu/versions/1.0.7`],
    [
      "gallery image version with 32-bit parts",
      `${prefix}/galleries/gal1/images/ubuntu/versions/2147483647.0.2147483647`,
    ],
    [
      "lower-case segment names",
      `/subscriptions/${SUB}/resourcegroups/rg-images/providers/microsoft.compute/galleries/gal1/images/ubuntu/versions/1.0.7`,
    ],
  ])("image-id: %s", (_, id) => {
    expect(parse({ "image-version": "", "image-id": id }).change).toEqual({ imageId: id });
  });

  // What is wrong is named on its own (an input review, 2026-12-06): the value is cut after 80 characters in the
  // message, and a real ID's mistake is usually past them.
  it.each([
    ["not a path", "golden-2024", "it does not start with /subscriptions/"],
    [
      "subscription not a GUID",
      `/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Compute/images/x`,
      "its subscription 'abc' is not a GUID",
    ],
    ["missing image name", `${prefix}/images/`, "it ends with '/'"],
    ["trailing slash", `${prefix}/images/x/`, "it ends with '/'"],
    [
      "another provider",
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/images/x`,
      "it has 'Microsoft.Storage' where 'Microsoft.Compute' belongs",
    ],
    ["gallery without image", `${prefix}/galleries/gal1`, "it ends after the gallery's name, before 'images'"],
    [
      "a misspelt 'images' in a gallery ID",
      `${prefix}/galleries/gal1/image/ubuntu`,
      "it has 'image' where 'images' belongs",
    ],
    ["a path that ends at the subscription", "/subscriptions", "it ends before the subscription ID"],
    [
      "a path that ends at the provider",
      `${prefix}`,
      "it ends after Microsoft.Compute, before 'images' or 'galleries'",
    ],
    [
      "a misspelt segment far into the ID",
      `${prefix}/galeries/gal1/images/ubuntu/versions/1.0.0`,
      "it has 'galeries' after Microsoft.Compute, where 'images' or 'galleries' belongs",
    ],
    ["an empty segment", `${prefix}//images/x`, "it has an empty segment ('//')"],
    ["a path that goes on", `${prefix}/images/x/versions/1.0.0`, "it goes on after the image's name"],
    [
      "version not major.minor.patch",
      `${prefix}/galleries/gal1/images/ubuntu/versions/v1`,
      "its version 'v1' is not a gallery image version",
    ],
    [
      "invalid resource group",
      `/subscriptions/${SUB}/resourceGroups/rg./providers/Microsoft.Compute/images/x`,
      "its resource group 'rg.' is not a resource group name",
    ],
    [
      "shared gallery ID",
      `/SharedGalleries/abc/Images/ubuntu/Versions/1.0.0`,
      "it has 'SharedGalleries' where 'subscriptions' belongs",
    ],
  ])("image-id rejects %s, naming what is wrong", (_, id, problem) => {
    const err = inputError({ "image-version": "", "image-id": id });
    expect(err.input).toBe("image-id");
    expect(err.message).toContain(problem);
    expect(err.message).toContain("(managed image)");
    expect(err.message).toContain("(gallery image version; versions/latest also takes the latest)");
  });

  it.each([
    ["a query in the image name", `${prefix}/images/golden?api-version=2024-03-01`],
    ["a space in the image name", `${prefix}/images/golden 2024`],
    ["a fragment in the gallery image name", `${prefix}/galleries/gal1/images/ubuntu#1/versions/1.0.0`],
    ["a dot-dot gallery name", `${prefix}/galleries/../images/ubuntu`],
    ["an image name over 80 characters", `${prefix}/images/${"a".repeat(81)}`],
    ["an image name from a dot", `${prefix}/images/.x`],
    ["an image name ending in a dot", `${prefix}/images/golden.`],
    ["a gallery image name ending in a hyphen", `${prefix}/galleries/gal1/images/ubuntu-/versions/1.0.0`],
  ])("image-id rejects %s, naming the valid names", (_, id) => {
    const err = inputError({ "image-version": "", "image-id": id });
    expect(err.input).toBe("image-id");
    expect(err.message).toContain("(managed image)");
    expect(err.message).toContain("names of 1-80 letters, digits, _ . -");
  });

  it("image-version and image-id are exclusive", () => {
    expect(inputError({ "image-id": `${prefix}/images/x` })).toMatchObject({
      input: "image-id",
      message: expect.stringContaining("image-version"),
    });
  });

  describe("rollback: true", () => {
    const NO_CHANGE = { "image-version": "" };
    it("takes no change inputs: the change comes from the record on the scale set", () => {
      const config = parse({ ...NO_CHANGE, rollback: "true", "dry-run": "true" });
      expect(config.rollback).toBe(true);
      expect(config.change).toEqual({});
      expect(config.rollout.dryRun).toBe(true);
      expect(parse({}).rollback).toBeUndefined();
      expect(parse({ rollback: "false" }).rollback).toBeUndefined();
    });

    it.each([
      { inputs: { "image-version": "1.2.3" }, names: "image-version" },
      { inputs: { "image-id": "/subscriptions/x" }, names: "image-id" },
      {
        inputs: { "extension-name": "customScript", "force-update-tag": "auto" },
        names: "extension-name, force-update-tag",
      },
      { inputs: { "extension-file-uris": "https://a.example/x.sh" }, names: "extension-file-uris" },
      {
        inputs: {
          "image-version": "1.2.3",
          "extension-name": "e",
          "extension-file-uris": "https://a.example/x.sh",
          "force-update-tag": "t",
        },
        names: "image-version, extension-name, extension-file-uris, force-update-tag",
      },
    ] as { inputs: Record<string, string>; names: string }[])(
      "refuses change inputs given with it, naming them: $names",
      ({ inputs, names }) => {
        const err = inputError({ ...NO_CHANGE, ...inputs, rollback: "true" });
        expect(err.input).toBe("rollback");
        expect(err.message).toContain(`cannot be combined with ${names}:`);
        expect(err.message).toMatch(/record/);
      },
    );

    it("refuses rollback-on-failure with it: a failed rollback would put back the model it removes", () => {
      const err = inputError({ ...NO_CHANGE, rollback: "true", "rollback-on-failure": "true" });
      expect(err).toMatchObject({ input: "rollback-on-failure", message: expect.stringContaining("rollback: true") });
    });

    it.each([["yes"], ["1"]])("is a boolean: '%s' is refused", (value) => {
      expect(inputError({ ...NO_CHANGE, rollback: value })).toMatchObject({ input: "rollback" });
    });
  });

  it("requires some change", () => {
    const err = inputError({ "image-version": "" });
    expect(err.message).toContain("nothing to change");
    expect(err.message).toContain("extension-name");
    expect(err.message).toContain("rollback: true");
  });

  it.each([
    ["one URI", "https://a.example/install.sh", ["https://a.example/install.sh"]],
    ["commas", "https://a.example/1.sh,https://a.example/2.sh", ["https://a.example/1.sh", "https://a.example/2.sh"]],
    [
      "comma and space",
      "https://a.example/1.sh, https://a.example/2.sh",
      ["https://a.example/1.sh", "https://a.example/2.sh"],
    ],
    [
      "lines",
      "https://a.example/1.sh\nhttps://a.example/2.sh\r\nhttps://a.example/3.sh",
      ["https://a.example/1.sh", "https://a.example/2.sh", "https://a.example/3.sh"],
    ],
    [
      "comma at line end",
      "https://a.example/1.sh,\nhttps://a.example/2.sh",
      ["https://a.example/1.sh", "https://a.example/2.sh"],
    ],
    [
      "blank line between",
      "https://a.example/1.sh\n\n  https://a.example/2.sh",
      ["https://a.example/1.sh", "https://a.example/2.sh"],
    ],
    [
      "SAS query kept",
      "https://acct.blob.core.windows.net/c/run.sh?sv=2022&sig=abc%3D",
      ["https://acct.blob.core.windows.net/c/run.sh?sv=2022&sig=abc%3D"],
    ],
    [
      "a mirror's URL with the file's URL in its path",
      "https://ghproxy.example/https://raw.githubusercontent.com/org/repo/main/install.sh",
      ["https://ghproxy.example/https://raw.githubusercontent.com/org/repo/main/install.sh"],
    ],
    [
      "a zero-width non-joiner in a Persian name",
      "https://st.blob.core.windows.net/c/\u0645\u06cc\u200c\u062e.sh",
      ["https://st.blob.core.windows.net/c/\u0645\u06cc\u200c\u062e.sh"],
    ],
    [
      "a URL in the query",
      "https://fn.example/api/get?url=https://a.example/x.sh",
      ["https://fn.example/api/get?url=https://a.example/x.sh"],
    ],
  ])("extension-file-uris: %s", (_, text, uris) => {
    const config = parse({ "image-version": "", "extension-name": "cse", "extension-file-uris": text });
    expect(config.change).toEqual({ extension: { name: "cse", fileUris: uris } });
  });

  it.each([
    ["http URI", "https://a.example/1.sh,http://a.example/2.sh?sig=SECRETSAS", "entry 2 of 2", "must use https"],
    ["doubled comma", "https://a.example/1.sh,,https://a.example/2.sh", "entry 2 of 3", "is empty"],
    ["leading comma", ",https://a.example/1.sh", "entry 1 of 2", "is empty"],
    ["not a URI", "https://a.example/1.sh\ninstall.sh?sig=SECRETSAS", "entry 2 of 2", "is not a URI"],
    ["file URI", "file:///tmp/x.sh", "entry 1 of 1", "must use https"],
    ["ftp URI with a password", "ftp://me:SECRETSAS@a.example/1.sh", "entry 1 of 1", "must use https"],
    ["http URI with a token", "http://SECRETSAS@a.example/1.sh", "entry 1 of 1", "must use https"],
    ["no slashes", "https:a.example/1.sh?sig=SECRETSAS", "entry 1 of 1", "write it as https://host/path"],
    ["one slash", "https:/a.example/1.sh", "entry 1 of 1", "write it as https://host/path"],
    ["three slashes", "https:///a.example/1.sh", "entry 1 of 1", "write it as https://host/path"],
    ["backslashes", "https:\\\\a.example\\1.sh", "entry 1 of 1", "write it as https://host/path"],
    ["a backslash in the path", "https://a.example/c\\1.sh", "entry 1 of 1", "forward slashes only"],
    // An input review (2026-12-05): two URIs joined by a separator the list does not know, or an invisible character,
    // were sent as written, and every VM's download would fail after the model write.
    ["two URIs joined by ;", "https://a.example/1.sh;https://a.example/2.sh", "entry 1 of 1", "more than one URI"],
    ["two URIs joined by |", "https://a.example/1.sh|https://a.example/2.sh", "entry 1 of 1", "more than one URI"],
    [
      "two SAS URIs joined by ;",
      "https://a.example/1.sh?sig=SECRETSAS;https://a.example/2.sh?sig=SECRETSAS",
      "entry 1 of 1",
      "more than one URI",
    ],
    ["two URIs run together", "https://a.example/1.shhttps://a.example/2.sh", "entry 1 of 1", "more than one URI"],
    // An input review (2026-12-06): a quoted URI, or one of a JSON array, was said to hold "more than one URI".
    ["a quoted URI", '"https://a.example/1.sh?sig=SECRETSAS"', "entry 1 of 1", "wrapped in quotes or brackets"],
    ["a single-quoted URI", "'https://a.example/1.sh'", "entry 1 of 1", "wrapped in quotes or brackets"],
    [
      "a JSON array",
      '["https://a.example/1.sh","https://a.example/2.sh?sig=SECRETSAS"]',
      "entry 1 of 2",
      "wrapped in quotes or brackets",
    ],
    ["a URI in angle brackets", "<https://a.example/1.sh>", "entry 1 of 1", "wrapped in quotes or brackets"],
    ["a closing quote only", 'https://a.example/1.sh"', "entry 1 of 1", "wrapped in quotes or brackets"],
    ["a zero-width space", "https://a.example/1.sh\u200b", "entry 1 of 1", "invisible character (U+200B)"],
    ["a soft hyphen", "https://a.example/in\u00adstall.sh", "entry 1 of 1", "invisible character (U+00AD)"],
    ["an Arabic letter mark", "https://a.example/\u061cx.sh", "entry 1 of 1", "invisible character (U+061C)"],
    ["a tag character", "https://a.example/x\u{e0041}.sh", "entry 1 of 1", "invisible character (U+E0041)"],
    ["a variation selector", "https://a.example/x\ufe0f.sh", "entry 1 of 1", "invisible character (U+FE0F)"],
  ])("extension-file-uris rejects %s without printing a SAS query or user:password", (_, text, position, problem) => {
    const err = inputError({ "extension-name": "cse", "extension-file-uris": text });
    expect(err.input).toBe("extension-file-uris");
    expect(err.message).toContain(position);
    expect(err.message).toContain(problem);
    expect(err.message).not.toContain("SECRETSAS");
  });

  it("force-update-tag keeps a given value", () => {
    expect(parse({ "extension-name": "cse", "force-update-tag": "release-7" }).change.extension).toEqual({
      name: "cse",
      forceUpdateTag: "release-7",
    });
  });

  it.each([["auto"], ["Auto"], ["AUTO"]])(
    "force-update-tag %s is unique to the run, the same for each attempt (a re-run resumes)",
    (auto) => {
      const tag = (runId: string, attempt: string | undefined) =>
        parse(
          { "extension-name": "cse", "force-update-tag": auto },
          { GITHUB_RUN_ID: runId, ...(attempt !== undefined && { GITHUB_RUN_ATTEMPT: attempt }) },
        ).change.extension?.forceUpdateTag;
      expect(tag("9876543210", "1")).toBe("github-run-9876543210");
      expect(tag("9876543210", "2")).toBe("github-run-9876543210");
      expect(tag("9876543210", undefined)).toBe("github-run-9876543210");
      expect(tag("9876543211", "1")).toBe("github-run-9876543211");
    },
  );

  it.each([[{}], [{ GITHUB_RUN_ATTEMPT: "1" }]])(
    "force-update-tag auto fails clearly outside a workflow run (%j)",
    (env) => {
      const err = inputError({ "extension-name": "cse", "force-update-tag": "Auto" }, env);
      expect(err).toMatchObject({ input: "force-update-tag", message: expect.stringContaining("GITHUB_RUN_ID") });
    },
  );

  it("combines an image change with an extension change", () => {
    const config = parse({
      "extension-name": "cse",
      "extension-file-uris": "https://a.example/1.sh",
      "force-update-tag": "x",
    });
    expect(config.change).toEqual({
      imageVersion: "latest",
      extension: { name: "cse", fileUris: ["https://a.example/1.sh"], forceUpdateTag: "x" },
    });
  });

  it.each([
    [{ "extension-file-uris": "https://a.example/1.sh" }, "extension-file-uris", "needs extension-name"],
    [{ "force-update-tag": "x" }, "force-update-tag", "needs extension-name"],
    [{ "extension-name": "cse" }, "extension-name", "extension-file-uris and/or force-update-tag"],
    [{ "extension-name": "a/b", "force-update-tag": "x" }, "extension-name", "cannot contain"],
  ])("extension inputs %j → %s", (inputs, name, text) => {
    expect(inputError(inputs)).toMatchObject({ input: name, message: expect.stringContaining(text) });
  });
});

describe("target names and IDs", () => {
  it.each([["rg-prod"], ["rg_(test).1"], ["Ressourcengruppe-Ü"], ["a".repeat(90)]])(
    "resource-group '%s' is valid",
    (value) => {
      expect(parse({ "resource-group": value }).target.resourceGroup).toBe(value);
    },
  );

  it.each([["rg."], ["rg prod"], ["rg/prod"], ["a".repeat(91)], ["rg#1"]])("resource-group '%s' is not", (value) => {
    expect(inputError({ "resource-group": value })).toMatchObject({
      input: "resource-group",
      message: expect.stringContaining("1-90"),
    });
  });

  it.each([["web-vmss"], ["vmss_1"], ["web.vmss.1"], ["a".repeat(64)]])("scale-set '%s' is valid", (value) => {
    expect(parse({ "scale-set": value }).target.scaleSet).toBe(value);
  });

  it.each([["_vmss"], ["vmss-"], ["vmss."], ["my vmss"], ["a/b"], ["a?b"], ["a".repeat(65)]])(
    "scale-set '%s' is not",
    (value) => {
      expect(inputError({ "scale-set": value })).toMatchObject({
        input: "scale-set",
        message: expect.stringContaining("1-64 characters"),
      });
    },
  );

  it.each([
    ["subscription-id", "my-subscription"],
    ["tenant-id", "contoso.onmicrosoft.com"],
    ["client-id", "1234"],
  ])("%s must be a GUID", (name, value) => {
    expect(inputError({ [name]: value })).toMatchObject({
      input: name,
      message: expect.stringContaining("is not a GUID"),
    });
  });

  it("subscription-id is required without creds", () => {
    expect(inputError({ "subscription-id": "" })).toMatchObject({
      input: "subscription-id",
      message: expect.stringContaining("is required"),
    });
  });
});

describe("creds", () => {
  const creds = (fields: Record<string, unknown>) =>
    JSON.stringify({ clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT, subscriptionId: SUB, ...fields });

  it("gives the service principal and the subscription", () => {
    const config = parse({ "subscription-id": "", creds: creds({}) });
    expect(config.auth).toEqual({ mode: "creds", clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT });
    expect(config.target.subscriptionId).toBe(SUB);
  });

  it("accepts azure/login's --sdk-auth JSON with its extra endpoints", () => {
    const sdkAuth = creds({
      activeDirectoryEndpointUrl: "https://login.microsoftonline.com",
      resourceManagerEndpointUrl: "https://management.azure.com/",
      activeDirectoryGraphResourceId: "https://graph.windows.net/",
      sqlManagementEndpointUrl: "https://management.core.windows.net:8443/",
      galleryEndpointUrl: "https://gallery.azure.com/",
      managementEndpointUrl: "https://management.core.windows.net/",
    });
    expect(parse({ "subscription-id": "", creds: sdkAuth }).cloud.name).toBe("AzureCloud");
  });

  it("the same subscription in both places is fine", () => {
    expect(parse({ "subscription-id": SUB.toUpperCase(), creds: creds({}) }).target.subscriptionId).toBe(
      SUB.toUpperCase(),
    );
  });

  it("conflicting subscriptions name both inputs", () => {
    const err = inputError({ "subscription-id": OTHER_SUB, creds: creds({}) });
    expect(err.input).toBe("subscription-id");
    expect(err.message).toBe(
      `Input 'subscription-id': is ${OTHER_SUB} but creds has subscriptionId ${SUB}: remove one or make them equal`,
    );
  });

  it("resourceManagerEndpointUrl makes a custom cloud", () => {
    const config = parse({
      creds: creds({ resourceManagerEndpointUrl: "https://management.local.azurestack.external/" }),
    });
    expect(config.cloud).toMatchObject({
      name: "Custom",
      armEndpoint: "https://management.local.azurestack.external",
      armScope: "https://management.local.azurestack.external/.default",
    });
  });

  it.each([
    ["invalid JSON", `{"clientId": "${CLIENT}", "clientSecret": "${SECRET}"`, "is not valid JSON"],
    ["single quotes", `{'clientSecret': '${SECRET}'}`, "is not valid JSON"],
    ["an array", `["${SECRET}"]`, "is not a JSON object"],
    ["missing clientId", creds({ clientId: undefined }), "has no clientId"],
    ["missing clientSecret", creds({ clientSecret: "" }), "has no clientSecret"],
    ["missing tenantId", creds({ tenantId: null }), "has no tenantId"],
    // Each says what would be valid (before, only that the field was wrong).
    [
      "clientId not a GUID",
      creds({ clientId: SECRET }),
      "field clientId must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
    ],
    [
      "tenantId not a string",
      creds({ tenantId: 7 }),
      "field tenantId must be a string: expected azure/login's JSON {clientId",
    ],
    [
      "resourceManagerEndpointUrl over http",
      creds({ resourceManagerEndpointUrl: "http://management.example" }),
      "resourceManagerEndpointUrl: must be an https URL",
    ],
    [
      "resourceManagerEndpointUrl with a line break",
      creds({ resourceManagerEndpointUrl: "https://management.example\n::error::injected" }),
      "field resourceManagerEndpointUrl contains a line break or control character",
    ],
    [
      "resourceManagerEndpointUrl of another cloud",
      creds({ resourceManagerEndpointUrl: "https://management.chinacloudapi.cn/" }),
      "set environment: AzureChinaCloud",
    ],
  ])("%s is an error that never shows the secret", (_, text, problem) => {
    const err = inputError({ creds: text });
    expect(err.input).toBe("creds");
    expect(err.message).toContain(problem);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain("Sup3r");
  });

  it.each([
    ["arm-endpoint", "https://management.b.example/" + "b".repeat(300), "https://management.a.example"],
    ["creds' endpoint", "https://management.b.example", "https://management.a.example/" + "a".repeat(300)],
  ])("a conflict between the endpoints echoes at most a short prefix of a long %s", (_, arm, fromCreds) => {
    const err = inputError({ creds: creds({ resourceManagerEndpointUrl: fromCreds }), "arm-endpoint": arm });
    expect(err.input).toBe("arm-endpoint");
    expect(err.message).toContain("differs from creds' resourceManagerEndpointUrl");
    expect(err.message).toMatch(/\(\d+ characters\)/);
    expect(err.message.length).toBeLessThan(400);
  });

  // An input review (2026-12-06): one endpoint spelt two ways was called a conflict.
  it.each([
    ["https://management.azure.com", "https://management.azure.com:443/"],
    ["HTTPS://Management.Azure.com/", "https://management.azure.com"],
    ["https://management.example/arm/", "https://management.example/arm"],
  ])("arm-endpoint %s and creds' %s are one endpoint: no conflict", (arm, fromCreds) => {
    const config = parse({ creds: creds({ resourceManagerEndpointUrl: fromCreds }), "arm-endpoint": arm });
    expect(config.cloud.armEndpoint).toMatch(/^https:\/\/management\./i);
  });

  it("creds' endpoint and arm-endpoint must agree", () => {
    const err = inputError({
      creds: creds({ resourceManagerEndpointUrl: "https://management.a.example" }),
      "arm-endpoint": "https://management.b.example",
    });
    expect(err).toMatchObject({
      input: "arm-endpoint",
      message: expect.stringContaining("differs from creds' resourceManagerEndpointUrl"),
    });
  });
});

describe("auth", () => {
  const credsJson = JSON.stringify({ clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT, subscriptionId: SUB });

  it.each([
    [
      "auto + creds → creds",
      { creds: credsJson },
      {},
      { mode: "creds", clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT },
    ],
    [
      "auto + creds wins over OIDC inputs that repeat it",
      { creds: credsJson, "client-id": CLIENT, "tenant-id": TENANT },
      OIDC_ENV,
      { mode: "creds", clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT },
    ],
    [
      "auto + client-id + tenant-id + ID token → OIDC",
      { "client-id": CLIENT, "tenant-id": TENANT },
      OIDC_ENV,
      { mode: "oidc", clientId: CLIENT, tenantId: TENANT, audience: "api://AzureADTokenExchange" },
    ],
    [
      "auto + custom audience",
      { "client-id": CLIENT, "tenant-id": TENANT, audience: "api://AzureADTokenExchangeUSGov" },
      OIDC_ENV,
      { mode: "oidc", clientId: CLIENT, tenantId: TENANT, audience: "api://AzureADTokenExchangeUSGov" },
    ],
    ["auto + nothing → azure-cli", {}, {}, { mode: "azure-cli" }],
    [
      "auto + tenant-id only → azure-cli in that tenant",
      { "tenant-id": TENANT },
      {},
      { mode: "azure-cli", tenantId: TENANT },
    ],
    [
      "oidc",
      { auth: "oidc", "client-id": CLIENT, "tenant-id": TENANT },
      OIDC_ENV,
      { mode: "oidc", clientId: CLIENT, tenantId: TENANT, audience: "api://AzureADTokenExchange" },
    ],
    [
      "creds",
      { auth: "creds", creds: credsJson },
      {},
      { mode: "creds", clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT },
    ],
    ["azure-cli", { auth: "azure-cli" }, OIDC_ENV, { mode: "azure-cli" }],
    ["azure-cli with tenant", { auth: "Azure-CLI", "tenant-id": TENANT }, {}, { mode: "azure-cli", tenantId: TENANT }],
    ["managed-identity, system-assigned", { auth: "managed-identity" }, {}, { mode: "managed-identity" }],
    [
      "managed-identity, user-assigned",
      { auth: "managed-identity", "client-id": CLIENT },
      {},
      { mode: "managed-identity", clientId: CLIENT },
    ],
  ])("%s", (_, inputs, env, auth) => {
    expect(parse(inputs, env).auth).toEqual(auth);
  });

  it.each([
    [
      "auto: OIDC inputs without an ID token",
      { "client-id": CLIENT, "tenant-id": TENANT },
      {},
      "auth",
      "permissions: id-token: write",
    ],
    [
      "oidc without an ID token",
      { auth: "oidc", "client-id": CLIENT, "tenant-id": TENANT },
      {},
      "auth",
      "permissions: id-token: write",
    ],
    [
      "oidc without client-id",
      { auth: "oidc", "tenant-id": TENANT },
      OIDC_ENV,
      "client-id",
      "is required with auth: oidc",
    ],
    [
      "oidc without tenant-id",
      { auth: "oidc", "client-id": CLIENT },
      OIDC_ENV,
      "tenant-id",
      "is required with auth: oidc",
    ],
    ["auto: client-id alone", { "client-id": CLIENT }, OIDC_ENV, "tenant-id", "auth: managed-identity"],
    ["creds without creds", { auth: "creds" }, {}, "creds", "is required with auth: creds"],
    [
      "creds with another mode",
      { auth: "oidc", creds: credsJson, "client-id": CLIENT, "tenant-id": TENANT },
      OIDC_ENV,
      "creds",
      "is set but auth is oidc",
    ],
    [
      "creds and a different client-id",
      { creds: credsJson, "client-id": "00000000-1234-1234-1234-123456789abc" },
      {},
      "client-id",
      "differs from creds' clientId",
    ],
    [
      "creds and a different tenant-id",
      { creds: credsJson, "tenant-id": "00000000-bbbb-cccc-dddd-eeeeeeeeeeee" },
      {},
      "tenant-id",
      "differs from creds' tenantId",
    ],
    ["azure-cli with client-id", { auth: "azure-cli", "client-id": CLIENT }, {}, "client-id", "has no effect"],
    ["an unknown mode", { auth: "service-principal" }, {}, "auth", "auto, oidc, creds, azure-cli, managed-identity"],
  ])("%s", (_, inputs, env, name, text) => {
    const err = inputError(inputs, env);
    expect(err.input).toBe(name);
    expect(err.message).toContain(text);
    expect(err.message).not.toContain(SECRET);
  });

  it("the message for a lone client-id lists the four ways to sign in", () => {
    const err = inputError({ "client-id": CLIENT });
    for (const way of ["creds", "OIDC", "azure-cli", "managed-identity"]) expect(err.message).toContain(way);
  });
});

describe("environment and endpoints", () => {
  it.each([
    ["AzureUSGovernment", "https://management.usgovcloudapi.net/.default", "https://login.microsoftonline.us"],
    ["azurechinacloud", "https://management.chinacloudapi.cn/.default", "https://login.chinacloudapi.cn"],
  ])("%s", (environment, armScope, authorityHost) => {
    expect(parse({ environment }).cloud).toMatchObject({ armScope, authorityHost });
  });

  it("arm-endpoint and authority-host make a custom cloud for the emulator", () => {
    const cloud = parse({ "arm-endpoint": "https://127.0.0.1:4443", "authority-host": "https://127.0.0.1:4443" }).cloud;
    expect(cloud).toEqual({
      name: "Custom",
      armEndpoint: "https://127.0.0.1:4443",
      armScope: "https://127.0.0.1:4443/.default",
      authorityHost: "https://127.0.0.1:4443",
      portalUrl: "https://portal.azure.com",
      customAuthority: true,
    });
  });

  it("rejects an unknown environment", () => {
    expect(inputError({ environment: "AzureGermanCloud" })).toMatchObject({ input: "environment" });
  });
});

describe("secrets to mask", () => {
  const credsJson = JSON.stringify({ clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT, subscriptionId: SUB });

  it("reports the client secret of creds", () => {
    expect(parse({ creds: credsJson, "subscription-id": "" }).secrets).toEqual([SECRET]);
  });

  it("reports each SAS query string of extension-file-uris and its sig, as written and URL-decoded", () => {
    const config = parse({
      "image-version": "",
      "extension-name": "cse",
      "extension-file-uris":
        "https://st.blob.core.windows.net/s/a.sh?sv=2022-11-02&se=2030-01-01&sig=AbC%2Bd%2Fe%3D, https://st.blob.core.windows.net/s/b.sh?sp=r&sig=ZYX987wvu",
    });
    expect(config.secrets).toEqual([
      "sv=2022-11-02&se=2030-01-01&sig=AbC%2Bd%2Fe%3D",
      "AbC%2Bd%2Fe%3D",
      "AbC+d/e=",
      "sp=r&sig=ZYX987wvu",
      "ZYX987wvu",
    ]);
  });

  it("reports nothing for URIs without a query, and does not mask short queries that would blank out ordinary text", () => {
    const config = parse({
      "image-version": "",
      "extension-name": "cse",
      "extension-file-uris": "https://a.example/x.sh\nhttps://a.example/y.sh?v=2",
    });
    expect(config.secrets).toEqual([]);
  });
});

describe("error messages echo at most a short prefix of a long value (issue #12)", () => {
  const long = (prefix: string): string => prefix + "9".repeat(5000 - prefix.length);
  it.each([
    ["image-version", long("1.2.")],
    ["image-id", long("/subscriptions/x")],
    ["extension-name", long("ext/")],
    ["timeout", long("")],
    ["batch-size", long("x")],
    ["resource-group", long("rg/")],
    ["deployment-environment", long("prod-")],
  ])("%s of 5,000 characters", (input, value) => {
    const inputs: Record<string, string> =
      input === "image-id" ? { "image-version": "", "image-id": value } : { [input]: value };
    if (input === "extension-name") Object.assign(inputs, { "image-version": "", "force-update-tag": "t" });
    const error = inputError(inputs);
    expect(error.message.length).toBeLessThan(700);
    expect(error.message).not.toContain(value);
    expect(error.message).toContain(`${value.slice(0, 20)}`);
    expect(error.message).toContain("(5000 characters)");
  });

  it("a value of 80 characters is echoed whole", () => {
    const value = "1.2.3" + "x".repeat(75);
    expect(inputError({ "image-version": value }).message).toContain(`'${value}'`);
  });
});

// Issue 11, finding 4: a line break in a one-line input reached the log raw and became a workflow command of its own.
describe("batch options set away from action.yml's defaults", () => {
  it.each([
    [{}, []],
    [{ "batch-size": "20%", "max-unhealthy": "20%", "pause-between-batches": "0s" }, []],
    [{ "batch-size": "2" }, ["batch-size"]],
    [{ "batch-size": "25%", canary: "1" }, ["batch-size", "canary"]],
    [{ "max-unhealthy": "0%", "pause-between-batches": "30s" }, ["max-unhealthy", "pause-between-batches"]],
  ])("%j → %j", (inputs, expected) => {
    expect(parse({ ...inputs }).rollout.nonDefaultBatchOptions).toEqual(expected);
  });
});

describe("one-line inputs refuse line breaks and control characters", () => {
  const HOSTILE = [
    ["line feed", "v2\n::error::forged"],
    ["carriage return", "v2\r::warning::forged"],
    ["CRLF", "v2\r\n::add-mask::x"],
    ["line separator", "v2\u2028::stop-commands::t"],
    ["escape", "v2\u001b[2K"],
    ["NUL", "v2\u0000"],
  ] as const;
  const CASES = HOSTILE.flatMap(([what, value]): { what: string; input: string; inputs: Record<string, string> }[] => [
    { what, input: "force-update-tag", inputs: { "extension-name": "cse", "force-update-tag": value } },
    { what, input: "extension-name", inputs: { "extension-name": value, "force-update-tag": "v2" } },
    { what, input: "scale-set", inputs: { "scale-set": `web${value}` } },
    { what, input: "audience", inputs: { "client-id": CLIENT, "tenant-id": TENANT, audience: `api://x${value}` } },
  ]);

  it.each(CASES)("$input with a $what", ({ input, inputs }) => {
    const err = inputError({ "image-version": "", ...inputs }, OIDC_ENV);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(/line break or control character \(U\+[0-9A-F]{4}\)/);
    // The value itself is not quoted: the message stays one line and carries nothing of the input.
    expect(err.message).not.toMatch(/forged|add-mask|stop-commands|\n|\r/);
  });

  // An input review (2026-12-06): invisible characters were refused in extension-file-uris only; elsewhere they reached
  // Azure or GitHub as written, while the log (which strips them) showed a value that looked right.
  it.each([
    { input: "image-version", value: "latest\u200b", code: "U+200B" },
    { input: "scale-set", value: "web-vmss\u200b", code: "U+200B" },
    { input: "scale-set", value: "vmss\u202e", code: "U+202E" },
    { input: "resource-group", value: "rg-prod\u00ad", code: "U+00AD" },
    { input: "extension-name", value: "cse\u200b", code: "U+200B" },
    { input: "force-update-tag", value: "v\ufeff2", code: "U+FEFF" },
    { input: "deployment-environment", value: "production\u200b", code: "U+200B" },
  ])("$input with an invisible character ($code)", ({ input, value, code }) => {
    const inputs: Record<string, string> = { [input]: value };
    if (input === "extension-name") inputs["force-update-tag"] = "v2";
    if (input === "force-update-tag") inputs["extension-name"] = "cse";
    const err = inputError(inputs, OIDC_ENV);
    expect(err.input).toBe(input);
    expect(err.message).toContain(`contains an invisible character (${code}): write the value without it`);
  });

  it("emoji keep their variation selectors and tag characters in free-text inputs", () => {
    const config = parse({ "image-version": "", "extension-name": "cse", "force-update-tag": "release \u2601\ufe0f" });
    expect(config.change.extension?.forceUpdateTag).toBe("release \u2601\ufe0f");
  });

  it.each([
    { what: "a tag character outside a flag", value: "prod\u{e0041}", code: "U+E0041" },
    { what: "a variation selector after no pictograph", value: "v\ufe0f2", code: "U+FE0F" },
  ])("free text with $what is refused ($code)", ({ value, code }) => {
    const err = inputError({ "image-version": "", "extension-name": "cse", "force-update-tag": value });
    expect(err.input).toBe("force-update-tag");
    expect(err.message).toContain(`contains an invisible character (${code})`);
  });

  it("the zero-width joiners some scripts need stay allowed", () => {
    expect(
      parse({ "image-version": "", "extension-name": "cse", "force-update-tag": "\u0645\u200c\u06cc" }).change.extension
        ?.forceUpdateTag,
    ).toBe("\u0645\u200c\u06cc");
  });

  it("a tab is not a line: allowed where the input's own format allows it", () => {
    expect(
      parse({ "image-version": "", "extension-name": "cse", "force-update-tag": "a\tb" }).change.extension,
    ).toEqual({ name: "cse", forceUpdateTag: "a\tb" });
  });

  it("extension-file-uris and creds may span lines", () => {
    const config = parse({
      "image-version": "",
      "extension-name": "cse",
      "extension-file-uris": "https://a.example/x.sh\nhttps://a.example/y.sh",
    });
    expect(config.change.extension?.fileUris).toEqual(["https://a.example/x.sh", "https://a.example/y.sh"]);
  });

  it.each([
    ["user:password@", "https://user:pw@a.example/x.sh"],
    ["a fragment", "https://a.example/x.sh#frag"],
    ["an empty fragment", "https://a.example/x.sh#"],
    ["a control character", "https://a.example/x\u0007.sh"],
    ["user:password@ after a scheme other than https", "http:///user:pw@a.example/x.sh"],
  ])("extension-file-uris entries refuse %s", (_what, uri) => {
    const err = inputError({ "image-version": "", "extension-name": "cse", "extension-file-uris": uri });
    expect(err.input).toBe("extension-file-uris");
    expect(err.message).not.toContain("pw");
  });
});

describe("the GitHub deployment (deployment-environment, github-token) and the run's context", () => {
  const RUN_ENV = {
    GITHUB_REPOSITORY: "octo/app",
    GITHUB_SHA: "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c",
    GITHUB_REF: "refs/tags/v1.4.0",
    GITHUB_RUN_ID: "99",
    GITHUB_RUN_ATTEMPT: "3",
    GITHUB_WORKFLOW: "release",
    GITHUB_SERVER_URL: "https://ghe.example.com/",
    GITHUB_API_URL: "https://ghe.example.com/api/v3/",
  };

  it("reads the run from the runner's variables, URLs without a trailing slash", () => {
    expect(parse({}, RUN_ENV).github).toEqual({
      serverUrl: "https://ghe.example.com",
      apiUrl: "https://ghe.example.com/api/v3",
      repository: "octo/app",
      ref: "refs/tags/v1.4.0",
      sha: "8c1a3e0b5d2f4a6c9e7b1d3f5a7c9e1b3d5f7a9c",
      runId: "99",
      runAttempt: "3",
      workflow: "release",
    });
    expect(parse({}, {}).github).toBeUndefined();
  });

  it("records a deployment when deployment-environment is set; the token is masked", () => {
    const config = parse({ "deployment-environment": "production", "github-token": "ghs_abcdef123456" }, RUN_ENV);
    expect(config.deployment).toEqual({ environment: "production", token: "ghs_abcdef123456" });
    expect(config.secrets).toContain("ghs_abcdef123456");
    expect(parse({ "github-token": "ghs_abcdef123456" }, RUN_ENV).deployment).toBeUndefined();
  });

  it.each([
    ["with deployment-environment", { "deployment-environment": "production", "github-token": "ghs_x" }, 1],
    ["without it", {}, 0],
  ])("reads the event payload (a pull request's head commit) only %s", (_name, inputs, reads) => {
    const head = "0123456789abcdef0123456789abcdef01234567";
    let read = 0;
    const all: Record<string, string> = { ...BASE, ...inputs };
    const config = parseConfig(
      (name) => all[name] ?? "",
      { ...RUN_ENV, GITHUB_REF: "refs/pull/7/merge" },
      () => {
        read += 1;
        return { pullRequestHeadSha: head };
      },
    );
    expect(read).toBe(reads);
    expect(config.github?.pullRequestHeadSha).toBe(reads > 0 ? head : undefined);
  });

  it.each([
    ["outside a workflow run", {}],
    ["with no token", { "github-token": "" }],
  ])("a dry run records no deployment, so it needs none of its inputs (%s), and says so", (_name, inputs) => {
    const config = parse({ "deployment-environment": "production", "dry-run": "true", ...inputs }, {});
    expect(config.deployment).toBeUndefined();
    expect(config.notes).toContain("deployment-environment: a dry run records no GitHub deployment.");
  });

  it.each([
    ["a token left unevaluated", { "github-token": "${{ github.token }}" }, RUN_ENV, "github-token"],
    ["no token", { "github-token": "" }, RUN_ENV, "github-token"],
    ["outside a workflow run", { "github-token": "ghs_x" }, {}, "deployment-environment"],
    [
      "a name over 255 characters",
      { "github-token": "ghs_x", "deployment-environment": "p".repeat(256) },
      RUN_ENV,
      "deployment-environment",
    ],
    [
      "a control character",
      { "github-token": "ghs_x", "deployment-environment": "prod\nuction" },
      RUN_ENV,
      "deployment-environment",
    ],
  ])("refuses %s", (_name, inputs, env, input) => {
    expect(inputError({ "deployment-environment": "production", ...inputs }, env).input).toBe(input);
  });
});

describe("warnings: inputs accepted that do nothing as given (never a refusal)", () => {
  const credsJson = JSON.stringify({ clientId: CLIENT, clientSecret: SECRET, tenantId: TENANT, subscriptionId: SUB });
  const AUDIENCE = "api://AzureADTokenExchangeUSGov";

  describe("audience without OIDC", () => {
    it.each([
      ["creds", { creds: credsJson }, {}, "creds (a service principal's client secret)"],
      ["auth: azure-cli", { auth: "azure-cli" }, OIDC_ENV, "(auth: azure-cli)"],
      ["auth: auto → azure-cli", {}, {}, "(auth: auto, with neither creds nor client-id and tenant-id)"],
      ["auth: managed-identity", { auth: "managed-identity" }, {}, "managed identity (auth: managed-identity)"],
    ])("%s: warns, naming the sign-in way", (_, inputs, env, way) => {
      const config = parse({ ...inputs, audience: AUDIENCE }, env);
      expect(config.warnings).toEqual([{ title: "audience ignored", message: expect.any(String) }]);
      const message = config.warnings?.[0]?.message ?? "";
      expect(message).toMatch(/^audience 'api:\/\/AzureADTokenExchangeUSGov' has no effect: this run signs in with /);
      expect(message).toContain(way);
      expect(message).toContain("Remove audience, or sign in with OIDC");
      expect(message).not.toContain(SECRET);
    });

    it.each([
      ["OIDC with a custom audience", { "client-id": CLIENT, "tenant-id": TENANT, audience: AUDIENCE }, OIDC_ENV],
      ["creds with the default audience", { creds: credsJson, audience: "api://AzureADTokenExchange" }, {}],
      ["azure-cli with audience left empty", { auth: "azure-cli" }, {}],
    ])("%s: no warning", (_, inputs, env) => {
      expect(parse(inputs, env).warnings).toBeUndefined();
    });
  });

  describe("authority-host with a sign-in that does not use it", () => {
    const HOST = "https://login.example.com";
    it.each([
      ["auth: azure-cli", { auth: "azure-cli" }, "(auth: azure-cli)", "the Azure CLI gets its tokens"],
      ["auth: auto → azure-cli", {}, "(auth: auto, with neither creds", "the Azure CLI gets its tokens"],
      ["auth: managed-identity", { auth: "managed-identity" }, "(auth: managed-identity)", "metadata endpoint"],
    ])("%s: warns, naming the sign-in way", (_, inputs, way, why) => {
      const config = parse({ ...inputs, "authority-host": HOST });
      expect(config.warnings).toEqual([{ title: "authority-host ignored", message: expect.any(String) }]);
      const message = config.warnings?.[0]?.message ?? "";
      expect(message).toMatch(/^authority-host 'https:\/\/login\.example\.com' has no effect: this run signs in with /);
      expect(message).toContain(way);
      expect(message).toContain(why);
      expect(message).toContain("Remove authority-host");
    });

    it.each([
      ["creds", { creds: credsJson, "authority-host": HOST }, {}],
      ["OIDC", { "client-id": CLIENT, "tenant-id": TENANT, "authority-host": HOST }, OIDC_ENV],
      ["azure-cli without authority-host", { auth: "azure-cli" }, {}],
    ])("%s: no warning", (_, inputs, env) => {
      expect(parse(inputs, env).warnings).toBeUndefined();
    });

    it("with audience too: both warnings, audience first", () => {
      const warnings = parse({ auth: "azure-cli", audience: AUDIENCE, "authority-host": HOST }).warnings;
      expect(warnings?.map((w) => w.title)).toEqual(["audience ignored", "authority-host ignored"]);
    });
  });

  describe("auth: auto with tenant-id and an empty client-id (a secret that is empty in this job, say)", () => {
    it.each([
      ["the job may request an OIDC token: warned", OIDC_ENV, ["client-id is empty"]],
      ["it may not: the Azure CLI with a tenant is what it asks for", {}, []],
    ])("%s", (_, env, titles) => {
      const config = parse({ "tenant-id": TENANT, "client-id": "" }, env);
      expect(config.auth).toEqual({ mode: "azure-cli", tenantId: TENANT });
      expect((config.warnings ?? []).map((w) => w.title)).toEqual(titles);
    });

    it("auth: azure-cli said on purpose is not warned of", () => {
      const config = parse({ auth: "azure-cli", "tenant-id": TENANT }, OIDC_ENV);
      expect(config.warnings ?? []).toEqual([]);
    });
  });

  describe("tenant-id with a managed identity (azure/login's managed-identity examples set it)", () => {
    it.each([
      ["system-assigned", { auth: "managed-identity", "tenant-id": TENANT }],
      ["user-assigned", { auth: "managed-identity", "client-id": CLIENT, "tenant-id": TENANT }],
    ])("%s: signs in with the identity, and warns that tenant-id does nothing", (_, inputs) => {
      const config = parse(inputs);
      expect(config.auth.mode).toBe("managed-identity");
      expect(config.warnings).toEqual([{ title: "tenant-id ignored", message: expect.any(String) }]);
      const message = config.warnings?.[0]?.message ?? "";
      expect(message).toMatch(new RegExp(`^tenant-id '${TENANT}' has no effect: this run signs in with `));
      expect(message).toContain("(auth: managed-identity)");
      expect(message).toContain("Remove tenant-id");
    });

    it("a tenant-id that is not a GUID is still refused", () => {
      expect(inputError({ auth: "managed-identity", "tenant-id": "contoso" }, {}).input).toBe("tenant-id");
    });
  });

  describe("extension-file-uris naming the same URI twice", () => {
    const A = "https://acct.blob.core.windows.net/c/run.sh";
    const B = "https://acct.blob.core.windows.net/c/lib.sh";
    const SIG = "sig=AbCdEf%2Bsecret0123456789%3D";
    const SAS = `?sv=2022-11-02&se=2030-01-01&sp=r&${SIG}`;
    it.each([
      ["the same URI twice", `${A}\n${A}`, [A, A], [`entry 2 of 2 ('${A}') repeats entry 1`]],
      ["a repeat after another entry", `${A}, ${B}, ${A}`, [A, B, A], [`entry 3 of 3 ('${A}') repeats entry 1`]],
      [
        "the same SAS URI twice: its query never shown",
        `${A}${SAS}\n${B}\n${A}${SAS}`,
        [`${A}${SAS}`, B, `${A}${SAS}`],
        [`entry 3 of 3 ('${A}' with a query string, not shown) repeats entry 1`],
      ],
      [
        "two repeats",
        `${A},${B},${B},${A}`,
        [A, B, B, A],
        [`entry 3 of 4 ('${B}') repeats entry 2`, `entry 4 of 4 ('${A}') repeats entry 1`],
      ],
      // An input audit (2026-12-06): the same file written another way was downloaded twice, unsaid.
      [
        "the same blob with two different SAS tokens",
        `${A}?${SIG}\n${A}?${SIG}x`,
        [`${A}?${SIG}`, `${A}?${SIG}x`],
        [`entry 2 of 2 ('${A}' with a query string, not shown) repeats entry 1, the same file written another way`],
      ],
      [
        "the host in another case",
        `${A}\n${A.replace("acct.blob", "ACCT.Blob")}`,
        [A, A.replace("acct.blob", "ACCT.Blob")],
        [`repeats entry 1, the same file written another way`],
      ],
      [
        "the default port written",
        `${A}\n${A.replace(".net/", ".net:443/")}`,
        [A, A.replace(".net/", ".net:443/")],
        [`repeats entry 1, the same file written another way`],
      ],
    ])("%s: warns which entry repeats which, and sends the list as given", (_, uris, sent, repeats) => {
      const config = parse({ "extension-name": "customScript", "extension-file-uris": uris });
      expect(config.change.extension?.fileUris).toEqual(sent);
      expect(config.warnings).toEqual([{ title: "extension-file-uris repeats a URI", message: expect.any(String) }]);
      const message = config.warnings?.[0]?.message ?? "";
      expect(message).toMatch(/^extension-file-uris names the same URI more than once: /);
      for (const repeat of repeats) expect(message).toContain(repeat);
      expect(message).toContain("remove the repeated");
      expect(message).not.toContain("sig=");
      expect(message).not.toContain("?");
      for (const secret of config.secrets) expect(message).not.toContain(secret);
    });

    it.each([
      ["different URIs", `${A}\n${B}`],
      // Blob names are case-sensitive: another path is another file.
      ["URIs whose paths differ in case", `${A}\n${A.replace("/c/run.sh", "/c/Run.sh")}`],
      ["another port", `${A}\n${A.replace(".net/", ".net:8443/")}`],
    ])("%s: no warning", (_, uris) => {
      expect(parse({ "extension-name": "customScript", "extension-file-uris": uris }).warnings).toBeUndefined();
    });
  });

  describe("rollout options that cannot do what they say, known from the inputs alone", () => {
    it.each([
      [
        "timeout equal to poll-interval",
        { timeout: "15s", "health-timeout": "10s" },
        "timeout within one poll-interval",
        /^timeout 15s is not longer than poll-interval 15s: /,
      ],
      [
        "timeout shorter than poll-interval",
        { timeout: "500ms", "poll-interval": "2s", "health-timeout": "400ms" },
        "timeout within one poll-interval",
        /^timeout 500ms is not longer than poll-interval 2s: /,
      ],
      [
        "a pause as long as timeout",
        { "pause-between-batches": "60m" },
        "pause-between-batches outlasts timeout",
        /^pause-between-batches 60m is not shorter than timeout 60m: /,
      ],
      [
        "health-timeout longer than timeout",
        { "health-timeout": "2h" },
        "health-timeout outlasts timeout",
        /^health-timeout 2h is not shorter than timeout 60m: a batch's wait/,
      ],
      [
        "lease-wait longer than timeout",
        { "lease-wait": "2h" },
        "lease-wait outlasts timeout",
        /^lease-wait 2h is not shorter than timeout 60m: lease-wait counts against timeout/,
      ],
    ])("%s: warns", (_, inputs: Record<string, string>, title, message) => {
      expect(parse(inputs).warnings).toEqual([{ title, message: expect.stringMatching(message) }]);
    });

    it.each([
      ["the defaults", {}],
      ["canary 99%", { canary: "99%" }],
      ["canary 100% (warned of once the scale set is read: it depends on its upgrade mode)", { canary: "100%" }],
      ["timeout just over poll-interval", { timeout: "16s", "health-timeout": "15s" }],
      ["a pause and lease-wait within timeout", { "pause-between-batches": "59m", "lease-wait": "59m" }],
    ])("%s: no warning", (_, inputs) => {
      expect(parse(inputs).warnings).toBeUndefined();
    });
  });
});
