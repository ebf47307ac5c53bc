// Issue 3 acceptance: every bad input stops the action before it touches Azure: exit 1, an `::error::` line on stdout
// that names the input, and no request at all in the emulator's log.
import { describe, expect, it } from "vitest";
import { describeRun, errorLines, runAction, type EnvVars, type Inputs } from "./harness.ts";
import type { Emulator } from "../../emulator/types.ts";
import { emulator, expectExit, expectNoSecrets, requestLog } from "./fixtures.ts";

const GALLERY_IMAGE =
  "/subscriptions/6f1c8e2a-3b4d-4c5e-9f60-7a8b9c0d1e2f/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galApps/images/web";
const SECRET = "Zq8~vT3.bN7_secretValue-DoNotPrint";

interface BadInput {
  readonly name: string;
  readonly inputs: Inputs | ((emu: Emulator) => Inputs);
  readonly env?: EnvVars;
  /** The input the message must name. */
  readonly input: string;
  /** More the message must say. */
  readonly says?: RegExp;
}

/** No creds input; the subscription given on its own. */
function withoutCreds(emu: Emulator): Inputs {
  return { creds: undefined, "subscription-id": emu.subscriptionId };
}

// Every case also sets a valid change unless it is about the change itself (so only the named input is wrong).
const CHANGE = { "image-version": "24.04.202502210" };

const cases: readonly BadInput[] = [
  // the change
  {
    name: "image-version and image-id together",
    inputs: { "image-version": "24.04.202502210", "image-id": `${GALLERY_IMAGE}/versions/1.1.0` },
    input: "image-id",
  },
  { name: "no change at all", inputs: {}, input: "image-version", says: /nothing to change/i },
  {
    name: "extension-file-uris without extension-name",
    inputs: { "extension-file-uris": "https://st.blob.core.windows.net/s/a.sh" },
    input: "extension-file-uris",
    says: /extension-name/,
  },
  {
    name: "force-update-tag without extension-name",
    inputs: { "force-update-tag": "v2" },
    input: "force-update-tag",
    says: /extension-name/,
  },
  {
    name: "extension-name with nothing to change in it",
    inputs: { "extension-name": "customScript" },
    input: "extension-name",
  },
  {
    name: "an http fileUri",
    inputs: { "extension-name": "customScript", "extension-file-uris": "http://st.blob.core.windows.net/s/a.sh" },
    input: "extension-file-uris",
    says: /https/,
  },
  {
    name: "an empty fileUri entry",
    inputs: {
      "extension-name": "customScript",
      "extension-file-uris": "https://st.blob.core.windows.net/s/a.sh,,https://st.blob.core.windows.net/s/b.sh",
    },
    input: "extension-file-uris",
  },
  {
    name: "a fileUri that is not a URI",
    inputs: { "extension-name": "customScript", "extension-file-uris": "scripts/install.sh" },
    input: "extension-file-uris",
  },
  { name: "malformed image-id (not a resource ID)", inputs: { "image-id": "galApps/web/1.1.0" }, input: "image-id" },
  {
    name: "malformed image-id (wrong provider)",
    inputs: {
      "image-id":
        "/subscriptions/6f1c8e2a-3b4d-4c5e-9f60-7a8b9c0d1e2f/resourceGroups/rg/providers/Microsoft.Storage/images/x",
    },
    input: "image-id",
  },
  { name: "malformed image-version", inputs: { "image-version": "v2" }, input: "image-version" },
  {
    name: "force-update-tag auto outside a workflow run",
    inputs: { "extension-name": "customScript", "force-update-tag": "auto" },
    env: { GITHUB_RUN_ID: undefined, GITHUB_RUN_ATTEMPT: undefined },
    input: "force-update-tag",
    says: /GITHUB_RUN_ID/,
  },
  // durations
  { name: "timeout without a unit", inputs: { ...CHANGE, timeout: "60" }, input: "timeout" },
  { name: "poll-interval in words", inputs: { ...CHANGE, "poll-interval": "soon" }, input: "poll-interval" },
  { name: "health-timeout of zero", inputs: { ...CHANGE, "health-timeout": "0" }, input: "health-timeout" },
  {
    name: "pause-between-batches negative",
    inputs: { ...CHANGE, "pause-between-batches": "-5s" },
    input: "pause-between-batches",
  },
  // sizes and percentages
  { name: "max-unhealthy without %", inputs: { ...CHANGE, "max-unhealthy": "20" }, input: "max-unhealthy" },
  { name: "max-unhealthy above 100%", inputs: { ...CHANGE, "max-unhealthy": "120%" }, input: "max-unhealthy" },
  { name: "batch-size 0", inputs: { ...CHANGE, "batch-size": "0" }, input: "batch-size" },
  { name: "batch-size 150%", inputs: { ...CHANGE, "batch-size": "150%" }, input: "batch-size" },
  { name: "canary as a fraction", inputs: { ...CHANGE, canary: "0.5" }, input: "canary" },
  // choices and booleans
  { name: "dry-run yes", inputs: { ...CHANGE, "dry-run": "yes" }, input: "dry-run" },
  { name: "rollback-on-failure 1", inputs: { ...CHANGE, "rollback-on-failure": "1" }, input: "rollback-on-failure" },
  { name: "health maybe", inputs: { ...CHANGE, health: "maybe" }, input: "health" },
  { name: "unknown auth", inputs: { ...CHANGE, auth: "password" }, input: "auth" },
  { name: "unknown environment", inputs: { ...CHANGE, environment: "AzureMoon" }, input: "environment" },
  // the target
  { name: "resource-group missing", inputs: { ...CHANGE, "resource-group": "" }, input: "resource-group" },
  { name: "scale-set missing", inputs: { ...CHANGE, "scale-set": "" }, input: "scale-set" },
  { name: "scale-set with a slash", inputs: { ...CHANGE, "scale-set": "vmss/web" }, input: "scale-set" },
  {
    name: "subscription-id not a GUID",
    inputs: { ...CHANGE, "subscription-id": "my-subscription" },
    input: "subscription-id",
  },
  // sign-in
  {
    name: "creds not JSON (the secret is never quoted)",
    inputs: { ...CHANGE, creds: `{clientId: x, clientSecret: ${SECRET}}` },
    input: "creds",
  },
  {
    name: "creds without clientSecret",
    inputs: {
      ...CHANGE,
      creds: JSON.stringify({
        clientId: "0b7e3f1a-1111-4222-8333-944455556666",
        tenantId: "0b7e3f1a-1111-4222-8333-944455556667",
      }),
    },
    input: "creds",
  },
  {
    name: "client-id not a GUID",
    inputs: (emu) => ({
      ...CHANGE,
      ...withoutCreds(emu),
      auth: "oidc",
      "client-id": "my-app",
      "tenant-id": emu.tenantId,
    }),
    input: "client-id",
  },
  {
    name: "auth oidc without tenant-id",
    inputs: (emu) => ({ ...CHANGE, ...withoutCreds(emu), auth: "oidc", "client-id": emu.clientId, "tenant-id": "" }),
    input: "tenant-id",
  },
  { name: "creds with auth oidc", inputs: (emu) => ({ ...CHANGE, creds: emu.creds, auth: "oidc" }), input: "creds" },
];

describe("bad inputs stop the action before any request to Azure", () => {
  it.each(cases)(
    "$name → exit 1, ::error:: naming '$input', no request",
    async ({ inputs: given, env, input, says }) => {
      const emu = await emulator();
      const inputs = typeof given === "function" ? given(emu) : given;
      // Start from a complete, valid set of inputs (emu.env) minus any change, then apply the case.
      const result = await runAction({ emu, inputs: { "image-version": undefined, ...inputs }, env: env ?? {} });

      expectExit(result, 1);
      const errors = errorLines(result.stdout);
      expect(errors.length, describeRun(result)).toBeGreaterThan(0);
      const message = errors.find((line) => line.includes(input));
      expect(message, `no ::error:: naming '${input}' in:\n${errors.join("\n")}`).toBeDefined();
      expect(message).not.toContain("\n");
      if (says) expect(message).toMatch(says);
      expect(emu.requests, requestLog(emu)).toEqual([]);
      expectNoSecrets(result, emu, { "secret in a malformed creds input": SECRET });
      // No stack trace on the user's screen.
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    },
  );
});
