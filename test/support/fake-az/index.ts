// Puts the stub Azure CLI (./az) in front of a test or a child process: a temporary AZURE_CONFIG_DIR holding (or not)
// the session an earlier `azure/login` step would have left, and a PATH that finds the stub first.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The directory holding the `az` executable. */
export const FAKE_AZ_DIR = fileURLToPath(new URL(".", import.meta.url));

/** The session `az login --service-principal` leaves: a client secret, or a federated (GitHub OIDC) token. */
export interface FakeAzLogin {
  /** Entra authority host, e.g. the emulator's `authorityHost`. */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  /** `az login --federated-token`: the CLI keeps using this one token and cannot renew it. */
  readonly federatedToken?: string;
  readonly subscriptionId?: string;
}

export interface FakeAzOptions {
  /** CA certificate the stub trusts (the emulator's `caPath`). Default: NODE_EXTRA_CA_CERTS of this process. */
  readonly caPath?: string;
  /** PATH behind the stub. Default: this process's PATH. */
  readonly basePath?: string;
}

export interface FakeAz {
  /**
   * To merge into process.env (AzureCliCredential runs `az` with it) or a child's env: PATH (stub first),
   * AZURE_CONFIG_DIR, and NODE_EXTRA_CA_CERTS as an absolute path (the credential runs `az` in /bin, where a
   * relative one would not be found).
   */
  readonly env: { readonly PATH: string; readonly AZURE_CONFIG_DIR: string; readonly NODE_EXTRA_CA_CERTS?: string };
  readonly configDir: string;
  /** Arguments of each `az` invocation so far. */
  calls(): string[][];
  /** Signs the stub in (again), like an azure/login step. */
  login(login: FakeAzLogin): void;
  /** Like `az logout`: later token requests fail with "Please run 'az login' to setup account." */
  logout(): void;
  /** Removes the temporary config directory. */
  cleanup(): void;
}

/** A stub CLI signed in with `login`, or not signed in at all when it is omitted. */
export function fakeAz(login?: FakeAzLogin, options: FakeAzOptions = {}): FakeAz {
  const caPath = options.caPath ?? process.env["NODE_EXTRA_CA_CERTS"];
  chmodSync(join(FAKE_AZ_DIR, "az"), 0o755); // in case a checkout lost the executable bit
  const configDir = mkdtempSync(join(tmpdir(), "fake-az-"));
  const profilePath = join(configDir, "fake-az-profile.json");
  const callsPath = join(configDir, "fake-az-calls.jsonl");
  const stub: FakeAz = {
    env: {
      PATH: `${FAKE_AZ_DIR}${delimiter}${options.basePath ?? process.env["PATH"] ?? ""}`,
      AZURE_CONFIG_DIR: configDir,
      ...(caPath ? { NODE_EXTRA_CA_CERTS: resolve(caPath) } : {}),
    },
    configDir,
    calls() {
      let text: string;
      try {
        text = readFileSync(callsPath, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { args: string[] }).args);
    },
    login(session) {
      writeFileSync(profilePath, JSON.stringify(session), { mode: 0o600 });
    },
    logout() {
      rmSync(profilePath, { force: true });
    },
    cleanup() {
      rmSync(configDir, { recursive: true, force: true });
    },
  };
  if (login) stub.login(login);
  return stub;
}
