// `auth: azure-cli` without a shell. @azure/identity's AzureCliCredential builds one command string from the token
// scope (which comes from the arm-endpoint input) and runs it with child_process.exec, i.e. through /bin/sh; only its
// own scope check stands between an input and the shell. This credential runs the same `az account get-access-token`
// with execFile and an argument list, so nothing of an input is ever read by a shell. Its answers and failures follow
// AzureCliCredential's (identity 4.13 credentials/azureCliCredential.js), so the sign-in messages stay the same.
//
// Windows: `az` is `az.cmd`, which Node runs only through cmd.exe; there the SDK's credential is used (the scope is
// checked strictly by src/config/cloud.ts before it gets there).

import { execFile } from "node:child_process";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { AzureCliCredential, CredentialUnavailableError } from "@azure/identity";
import { abortError } from "./errors.ts";

export interface CliCredentialOptions {
  readonly tenantId?: string;
  readonly processTimeoutInMs: number;
}

/** AzureCliCredential's texts, so describeAuthError (credentials.ts) reads both credentials' failures alike. */
const CLI_NOT_INSTALLED =
  "Azure CLI could not be found. Please visit https://aka.ms/azure-cli for installation instructions and then, once installed, authenticate to your Azure account using 'az login'.";
const CLI_NOT_SIGNED_IN = "Please run 'az login' from a command prompt to authenticate before using this credential.";

/** The Azure CLI credential for this platform: without a shell where Node can run `az` directly. */
export function azureCliCredential(options: CliCredentialOptions): TokenCredential {
  if (process.platform === "win32") {
    return new AzureCliCredential({
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
      processTimeoutInMs: options.processTimeoutInMs,
    });
  }
  return new AzureCliNoShellCredential(options);
}

// The characters AzureCliCredential allows in a scope; src/config/cloud.ts allows fewer.
const SCOPE = /^[0-9a-zA-Z._:/-]+$/;

class AzureCliNoShellCredential implements TokenCredential {
  private readonly options: CliCredentialOptions;

  constructor(options: CliCredentialOptions) {
    this.options = options;
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? "";
    if (!SCOPE.test(scope))
      throw new CredentialUnavailableError("Invalid scope was specified by the user or calling client");
    const args = ["account", "get-access-token", "--output", "json", "--resource", scope.replace(/\/\.default$/, "")];
    if (this.options.tenantId) args.push("--tenant", this.options.tenantId);
    const { stdout, stderr, notFound } = await run(args, this.options.processTimeoutInMs, options?.abortSignal);
    if (notFound || /az:(.*)not found/.test(stderr)) throw new CredentialUnavailableError(CLI_NOT_INSTALLED);
    if (/az login/.test(stderr) && !/az login --scope/.test(stderr))
      throw new CredentialUnavailableError(CLI_NOT_SIGNED_IN);
    try {
      return parseCliToken(stdout);
    } catch (err) {
      // stderr only: stdout may hold a token.
      if (stderr) throw new CredentialUnavailableError(stderr);
      throw err;
    }
  }
}

function run(
  args: string[],
  timeout: number,
  signal: GetTokenOptions["abortSignal"],
): Promise<{ stdout: string; stderr: string; notFound: boolean }> {
  return new Promise((resolve, reject) => {
    // The request's signal (a cancel, the run's timeout) ends `az` too: it is not left running after the job.
    const onAbort = (): void => {
      child.kill();
      reject(abortError());
    };
    // /bin as the working directory, as AzureCliCredential does: never the workspace, whose files the job checked out.
    const child = execFile("az", args, { cwd: "/bin", timeout, encoding: "utf8" }, (error, stdout, stderr) => {
      signal?.removeEventListener("abort", onAbort);
      const code = (error as NodeJS.ErrnoException | null)?.code;
      resolve({
        stdout,
        stderr: stderr || (error && code !== "ENOENT" ? error.message : ""),
        notFound: code === "ENOENT",
      });
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `az account get-access-token --output json`: `accessToken`, `expires_on` (epoch s, CLI 2.54+) or `expiresOn`. */
export function parseCliToken(stdout: string): AccessToken {
  const response = JSON.parse(stdout) as { accessToken?: unknown; expires_on?: unknown; expiresOn?: unknown };
  if (typeof response.accessToken !== "string" || response.accessToken === "")
    throw new CredentialUnavailableError("Unexpected response from Azure CLI when getting token: no accessToken.");
  const epochSeconds = Number.parseInt(String(response.expires_on), 10);
  const expiresOnTimestamp = Number.isNaN(epochSeconds)
    ? new Date(String(response.expiresOn)).getTime()
    : epochSeconds * 1000;
  if (Number.isNaN(expiresOnTimestamp))
    throw new CredentialUnavailableError(
      'Unexpected response from Azure CLI when getting token. Expected "expiresOn" to be a RFC3339 date string.',
    );
  return { token: response.accessToken, expiresOnTimestamp, tokenType: "Bearer" };
}
