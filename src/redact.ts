// Secret hygiene shared by every module that turns data into text.

/**
 * Removes the query string (and fragment) from a URI so SAS tokens never reach a log, summary or output.
 * `https://acct.blob.core.windows.net/c/run.sh?sv=…&sig=…` → `https://acct.blob.core.windows.net/c/run.sh?[query removed]`.
 */
export function stripQuery(uri: string): string {
  const cut = uri.search(/[?#]/);
  if (cut === -1) return uri;
  return `${uri.slice(0, cut)}?[query removed]`;
}

/** Applies stripQuery to every URI-looking substring in free text (e.g. an Azure error message quoting a fileUri). */
export function redactText(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>`|]+/gi, (m) => stripQuery(m));
}
