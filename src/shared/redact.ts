// Secret hygiene shared by every module that turns data into text.

const REMOVED = "[query removed]";

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

/** Applies stripQuery to every URL in free text (e.g. an Azure error message quoting a fileUri). Idempotent. */
export function redactText(text: string): string {
  return text.replace(URL_PATTERN, (m) => stripQuery(m));
}
