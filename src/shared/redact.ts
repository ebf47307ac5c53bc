// Secret hygiene shared by every module that turns data into text. What needs no list of known secrets lives here
// (pure patterns); src/shared/gate.ts adds the secrets a run knows (client secret, SAS signatures, access tokens).

const REMOVED = "[query removed]";

/** What a secret-shaped value is replaced with: the runner's own mask, so a reader sees one convention. */
export const MASK = "***";

/**
 * Removes the query string from a URI so SAS tokens never reach a log, summary or output:
 * `https://acct.blob.core.windows.net/c/run.sh?sv=…&sig=…` → `https://acct.blob.core.windows.net/c/run.sh?[query removed]`.
 * A fragment (`#…`, as in portal links) carries no credential and is kept. Idempotent.
 */
export function stripQuery(uri: string): string {
  const q = uri.indexOf("?");
  if (q === -1) return uri;
  const hash = uri.indexOf("#", q);
  const query = uri.slice(q + 1, hash === -1 ? undefined : hash);
  if (query === "" || query === REMOVED) return uri;
  return `${uri.slice(0, q)}?${REMOVED}${hash === -1 ? "" : uri.slice(hash)}`;
}

// A URL: scheme, then everything up to white space, quotes, angle brackets, backticks or pipes. `[query removed]`
// contains a space, so it is matched explicitly to keep redactText idempotent.
const URL_PATTERN = /\bhttps?:\/\/(?:[^\s"'<>`|?]+)(?:\?(?:\[query removed\]|[^\s"'<>`|]*))?/gi;

/**
 * Secret-shaped values, wherever they stand (a SAS query quoted without its URL, a token echoed by a script):
 * - a JWT (access tokens, GitHub OIDC tokens, client assertions): three base64url parts, the first two JSON objects;
 * - an Authorization header value (`Bearer …`, `Basic …`);
 * - the value of a SAS signature (`sig=`), a storage account or shared access key, and the OAuth fields that carry a
 *   credential (`client_secret`, `client_assertion`, `access_token`, `refresh_token`, `id_token`), written as a query
 *   or form field (`=`, or `%3D` URL-encoded) or as a JSON member (`"name":"value"`).
 * Each is replaced by MASK; the name before it is kept so the text still says what was there.
 */
const SHAPES: readonly (readonly [RegExp, string])[] = [
  [/\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/-]{16,}=*/gi, `$1$2${MASK}`],
  [
    /\b(sig|AccountKey|SharedAccessKey|SharedAccessSignature|client_secret|client_assertion|access_token|refresh_token|id_token)(=|%3D|"\s*:\s*")[^\s&"'<>;,`|]+/gi,
    `$1$2${MASK}`,
  ],
];

/**
 * Free text (an Azure error message, a script's output) made safe to show: the query of every URL removed (stripQuery)
 * and every secret-shaped value masked. Idempotent; line breaks are kept (see gate.ts for one-line text).
 */
export function redactText(text: string): string {
  let redacted = text.replace(URL_PATTERN, (m) => stripQuery(m));
  for (const [pattern, replacement] of SHAPES) redacted = redacted.replace(pattern, replacement);
  return redacted;
}
