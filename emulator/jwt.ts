// Minimal RS256 JSON Web Tokens with node:crypto: enough to issue Entra access tokens and GitHub OIDC tokens and to
// check the ones the emulator issued. Not a general JWT library (no JWKS, no other algorithms).
import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** `kid` header value, like Entra's and GitHub's key ids. */
  readonly kid: string;
}

const keyPairs = new Map<string, KeyPair>();

/** The process's key pair for `kid`. RSA key generation takes tens of milliseconds, so each purpose gets one key
 *  per process, shared by all emulators started in it (tokens are still tied to their emulator, see Entra). */
export function keyPair(kid: string): KeyPair {
  let pair = keyPairs.get(kid);
  if (!pair) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    keyPairs.set(kid, (pair = { privateKey, publicKey, kid }));
  }
  return pair;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

export function signJwt(claims: Record<string, unknown>, key: KeyPair): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "RS256", kid: key.kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

export type JwtCheck =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: "malformed" | "signature" };

/** Parses a JWT and checks its RS256 signature against `key`. Claims (exp, aud, …) are the caller's business. */
export function verifyJwt(token: string, key: KeyPair): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed" };
  const [header, payload, signature] = parts as [string, string, string];
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (typeof claims !== "object" || claims === null) return { ok: false, reason: "malformed" };
  const valid = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    key.publicKey,
    Buffer.from(signature, "base64url"),
  );
  return valid ? { ok: true, claims: claims as Record<string, unknown> } : { ok: false, reason: "signature" };
}

/** Claims of a JWT without checking anything (for error messages about foreign tokens). */
export function peekClaims(token: string): Record<string, unknown> | undefined {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
