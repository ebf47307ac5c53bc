// @ts-check
// A stand-in for the Azure CLI in tests. It answers the commands the action's AzureCliCredential runs exactly as the
// real CLI (2.54+) does, but gets its tokens from the emulator's Entra with the service principal an earlier
// "az login" left in $AZURE_CONFIG_DIR (written by fakeAz() in index.ts). Plain JavaScript so any node on PATH runs it.
//
//   az account get-access-token --output json --resource <r> [--tenant <t>] [--subscription <s>]
//   az account show
//   az logout
//   az version
//
// Not signed in → stderr "ERROR: Please run 'az login' to setup account.", exit 1 (what the real CLI prints).
// Entra refuses → stderr "ERROR: <error_description>", exit 1. Each call is appended to fake-az-calls.jsonl.

import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";

const configDir = process.env.AZURE_CONFIG_DIR || join(homedir(), ".azure");
const profilePath = join(configDir, "fake-az-profile.json");
const argv = process.argv.slice(2);

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

/** @returns {Promise<number>} exit code */
async function main() {
  recordCall();
  const { positional, options } = parseArgs(argv);
  const command = positional.join(" ");
  if (command === "version" || options.has("version")) {
    print({ "azure-cli": "2.67.0", "azure-cli-core": "2.67.0", "fake-az": "1" });
    return 0;
  }
  if (command === "logout") {
    rmSync(profilePath, { force: true });
    return 0;
  }
  if (command !== "account get-access-token" && command !== "account show") {
    process.stderr.write(`ERROR: '${command}' is misspelled or not recognized by the system.\n`);
    return 2;
  }
  const profile = readProfile();
  if (!profile) {
    process.stderr.write("ERROR: Please run 'az login' to setup account.\n");
    return 1;
  }
  if (command === "account show") {
    print({
      environmentName: profile.cloudName ?? "AzureCloud",
      id: profile.subscriptionId,
      isDefault: true,
      name: "fake-az subscription",
      state: "Enabled",
      tenantId: profile.tenantId,
      user: { name: profile.clientId, type: "servicePrincipal" },
    });
    return 0;
  }
  return getAccessToken(profile, options);
}

/**
 * @typedef {{ authorityHost: string; tenantId: string; clientId: string; clientSecret?: string; federatedToken?: string;
 *             subscriptionId?: string; cloudName?: string }} Profile
 */

/** @returns {Profile | undefined} */
function readProfile() {
  if (!existsSync(profilePath)) return undefined;
  return JSON.parse(readFileSync(profilePath, "utf8"));
}

/**
 * @param {Profile} profile
 * @param {Map<string, string>} options
 */
async function getAccessToken(profile, options) {
  const resource = options.get("resource") ?? "https://management.core.windows.net/";
  const tenant = options.get("tenant") ?? profile.tenantId;
  // The real CLI turns a resource into the scope `<resource>/.default`.
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: profile.clientId,
    scope: `${resource}/.default`,
  });
  if (profile.federatedToken) {
    form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.set("client_assertion", profile.federatedToken);
  } else {
    form.set("client_secret", profile.clientSecret ?? "");
  }
  const { status, body } = await post(
    `${profile.authorityHost.replace(/\/+$/, "")}/${tenant}/oauth2/v2.0/token`,
    form.toString(),
  );
  const answer = JSON.parse(body || "{}");
  if (status !== 200 || typeof answer.access_token !== "string") {
    process.stderr.write(`ERROR: ${answer.error_description ?? `token request failed with HTTP ${status}`}\n`);
    return 1;
  }
  const expiresOn = Math.floor(Date.now() / 1000) + Number(answer.expires_in);
  const subscription =
    options.get("subscription")?.replace(/^"|"$/g, "") ?? (options.has("tenant") ? undefined : profile.subscriptionId);
  print({
    accessToken: answer.access_token,
    expiresOn: localDateTime(new Date(expiresOn * 1000)),
    expires_on: expiresOn,
    ...(subscription ? { subscription } : {}),
    tenant,
    tokenType: "Bearer",
  });
  return 0;
}

/**
 * az parses `--name value` and `--name=value`; `-o` is `--output`.
 * @param {string[]} args
 */
function parseArgs(args) {
  /** @type {string[]} */
  const positional = [];
  /** @type {Map<string, string>} */
  const options = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (!arg.startsWith("-")) {
      positional.push(arg);
      continue;
    }
    const [rawName = "", inline] = arg.replace(/^-+/, "").split(/=(.*)/s);
    const name = rawName === "o" ? "output" : rawName;
    if (inline !== undefined) options.set(name, inline);
    else if (args[i + 1] !== undefined && !(args[i + 1] ?? "").startsWith("-")) options.set(name, args[++i] ?? "");
    else options.set(name, "");
  }
  return { positional, options };
}

/** The CLI's `expiresOn`: local time as `YYYY-MM-DD HH:MM:SS.ffffff`. */
function localDateTime(/** @type {Date} */ d) {
  const p = (/** @type {number} */ n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** The CLI prints JSON with sorted keys and a 2-space indent. */
function print(/** @type {Record<string, unknown>} */ value) {
  const sorted = Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  process.stdout.write(`${JSON.stringify(sorted, null, 2)}\n`);
}

/**
 * @param {string} url
 * @param {string} body
 * @returns {Promise<{ status: number; body: string }>}
 */
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** One JSON line per invocation (arguments only: no secrets pass through them), for tests to assert on. */
function recordCall() {
  try {
    appendFileSync(join(configDir, "fake-az-calls.jsonl"), `${JSON.stringify({ args: argv })}\n`);
  } catch {
    // No config directory: nothing to record into, as with a CLI that was never signed in.
  }
}
