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
  // A URL-encoded URL (`https%3A%2F%2F…%2Frun.sh%3Fsv%3D…`) starts its query at `%3F` and its fragment at `%23`. Only
  // when the scheme itself is encoded: in a plain URL `%3F` is a `?` in a path segment (a blob named `a?b`), kept.
  const encoded = /^https?%3A/i.test(uri);
  const q = first(uri, encoded ? /\?|%3F/i : /\?/, 0);
  if (q === -1) return uri;
  const start = q + (uri[q] === "?" ? 1 : 3);
  const hash = first(uri, encoded ? /#|%23/i : /#/, start);
  const query = uri.slice(start, hash === -1 ? undefined : hash);
  if (query === "" || query === REMOVED) return uri;
  // Always `?`, not `%3F`: URL_PATTERN stops at `?` and knows `?[query removed]`, which keeps redactText idempotent.
  return `${uri.slice(0, q)}?${REMOVED}${hash === -1 ? "" : uri.slice(hash)}`;
}

/**
 * Every user:password@ (or token@) in free text replaced by the mask: `ftp://me:pw@host/x` → `ftp://***@host/x`. Every
 * spelling the URL parser reads userinfo from is covered (USERINFO_SHAPES), as far as free text shows where a URL ends
 * (white space, `"`, `<`, `>`). Idempotent. For one whole URI, uriWithoutUserinfo.
 */
export function withoutUserinfo(text: string): string {
  let masked = text;
  for (const [pattern, replacement] of USERINFO_SHAPES) masked = masked.replace(pattern, replacement);
  return masked;
}

/**
 * One whole URI without its user:password@: withoutUserinfo, and then the URL parser's own reading of the text as one
 * URI: everything between `scheme:` (and its slashes) and the last `@` before the path, query or fragment is userinfo,
 * whatever the characters (`"`, `<`, a blank …), which free text cannot tell from the URL's end. For echoing a URI the
 * parser refuses (one it refuses for its scheme, or one that does not parse at all, may still carry them), and for URIs
 * read from Azure (an extension's file URIs). Idempotent.
 */
export function uriWithoutUserinfo(uri: string): string {
  return withoutUserinfo(uri).replace(URI_USERINFO, `$1${MASK}@`);
}

// `^scheme:` (after any leading blanks, which the URL parser strips) and its slashes (any number of `/` or `\` for the special schemes, `//` for the others: `mailto:me@x` has
// no userinfo), then the authority up to its last `@` (greedy: the URL parser's choice). One start, each part a single
// character class: linear in the text's length.
const URI_USERINFO = /^([\s]{0,64}(?:(?:https?|ftp|wss?):[/\\]*|[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/))[^/\\?#]*@/i;

/** A URI as the action shows or stores one read from Azure: without its query (stripQuery) or userinfo. */
export function safeUri(uri: string): string {
  return stripQuery(uriWithoutUserinfo(uri));
}

// What may hold a secret before a URL's host: `scheme://user:password@` or `scheme://token@`, up to the last `@` before
// the host (the URL parser's choice: `https://me@corp.com:pw@host` has the password `pw`). The URL parser also reads
// userinfo after `scheme:` with any number of `/` or `\` (none too) for the special schemes (http, https, ftp, ws, wss:
// WHATWG URL, "special authority ignore slashes state"), so those need only a `:` before the `@`; with slashes (as
// written, JSON-escaped `\/` or URL-encoded `%2F`) any scheme counts, and a token with no `:` too. Not after a letter,
// digit or `+.-` (then it is not the scheme's start); `mailto:me@example.com` has neither slash nor `:` before its `@`
// and is kept. Every run is bounded and every alternative is one character or a fixed string, so that hostile text
// (100 KB of `http:` or `a:%2F`) costs linear time per start, not a regex engine's backtracking explosion.
// The URL parser reads `'`, backticks and `|` into userinfo too, and so does this: a password may hold them. `"`, `<`
// and `>` end a URL in free text (JSON, HTML, `<https://…>`), where taking them in would run on to an e-mail address
// (`{"url":"https://x","upn":"me@y"}`); in one whole URI, uriWithoutUserinfo masks a password holding them.
const USERINFO = String.raw`[^\s/\\?#"<>]`; // may hold `@` and `:`: the last `@` wins
const USERNAME = String.raw`[^\s/\\?#"<>:]`; // the user name of the no-slash form ends at its first `:`
const USERINFO_SHAPES: readonly (readonly [RegExp, string])[] = [
  [
    new RegExp(
      String.raw`(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}(?::|%3A)(?:[/\\]|%2F){1,64})${USERINFO}{1,2048}@`,
      "gi",
    ),
    `$1${MASK}@`,
  ],
  [
    new RegExp(String.raw`(?<![A-Za-z0-9+.-])((?:https?|ftp|wss?):)${USERNAME}{0,1024}:${USERINFO}{0,1024}@`, "gi"),
    `$1${MASK}@`,
  ],
];

/** Where `pattern` first matches in `text` at or after `from`; -1 when it does not. */
function first(text: string, pattern: RegExp, from: number): number {
  const at = text.slice(from).search(pattern);
  return at === -1 ? -1 : from + at;
}

// A URL: scheme, then everything up to white space, quotes, angle brackets, backticks or pipes. `[query removed]`
// contains a space, so it is matched explicitly to keep redactText idempotent. The scheme's `://` as written, JSON-
// escaped (`https:\/\/`, as .NET and PHP write it) or URL-encoded (`https%3A%2F%2F`, a URL inside another's query).
// Not after a letter (`xhttps://` is no URL), but after anything else: `%22https…` or `\u0022https…` is one.
const URL_PATTERN =
  /(?<![A-Za-z])https?(?::|%3A)(?:\\?\/|%2F){2}(?:[^\s"'<>`|?]+)(?:\?(?:\[query removed\]|[^\s"'<>`|]*))?/gi;

// Where a secret-shaped name or value may start: not inside a word (`design=` is no `sig=`), but right after an
// escape, which ends in a letter or digit: `%26sig=` (a URL-encoded `&`), `\u0026sig=` (a JSON-escaped one),
// `%2526sig=` (twice encoded), `%20eyJ…`. `&amp;sig=` ends in `;` and needs nothing more.
const AFTER_ESCAPE = String.raw`(?<=%(?:25)?[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})`;
const START = String.raw`(?:(?<![A-Za-z0-9_])|${AFTER_ESCAPE})`;
// A JWT's start is not after `-` either: `eyJ` inside a base64url run is no token's start, and hostile text of `-eyJ`
// repeated would make each start scan to the end (quadratic).
const JWT_START = String.raw`(?:(?<![A-Za-z0-9_-])|${AFTER_ESCAPE})`;

// A JWT wrapped across lines: output wrapped at a fixed width (76 columns, as base64 tools and some scripts write)
// splits a token, and no part alone has its shape (an audit, 2026-12-06). The run of token characters and dots from an
// `eyJ` over up to 64 line breaks (a 4 KB token at 64 columns), each followed by more of them (a blank line ends it),
// is joined and checked (maskWrappedJwt). Nothing in the run can fail, so the engine never backtracks, and the next
// match starts after the run: linear. (Letting the token pattern itself cross line breaks made each `eyJ` at a line's
// start scan to the text's end: quadratic.)
const WRAPPED_JWT = new RegExp(String.raw`${JWT_START}eyJ[A-Za-z0-9_.-]*(?:\r?\n[A-Za-z0-9_.-]+){1,64}`, "g");
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;

/**
 * A run WRAPPED_JWT found, with the token it starts with (its line breaks taken out) replaced by MASK and those line
 * breaks, so the text keeps its lines; unchanged when it starts with no token. A word of token characters that starts
 * the line after the token's end is taken for its last part, and masked too.
 */
function maskWrappedJwt(run: string): string {
  const token = JWT_SHAPE.exec(run.replace(/\r?\n/g, ""))?.[0];
  if (token === undefined) return run;
  let end = 0;
  for (let seen = 0; seen < token.length; end++) if (run[end] !== "\r" && run[end] !== "\n") seen++;
  return MASK + run.slice(0, end).replace(/[^\r\n]/g, "") + run.slice(end);
}

/**
 * Secret-shaped values, wherever they stand (a SAS query quoted without its URL, a token echoed by a script):
 * - a JWT (access tokens, GitHub OIDC tokens, client assertions): three base64url parts, the first two JSON objects;
 * - an Authorization header value (`Bearer …`, `Basic …`);
 * - the value of a SAS signature (`sig=`), a storage account or shared access key, and the OAuth fields that carry a
 *   credential (`client_secret`, `client_assertion`, `access_token`, `refresh_token`, `id_token`), written as a query
 *   or form field (`=`, or `%3D` URL-encoded) or as a JSON member (`"name":"value"`).
 * Each is replaced by MASK; the name before it is kept so the text still says what was there.
 */
const SHAPES: readonly (readonly [RegExp, string | ((match: string) => string)])[] = [
  [WRAPPED_JWT, maskWrappedJwt],
  [new RegExp(String.raw`${JWT_START}eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`, "g"), MASK],
  [new RegExp(String.raw`${START}(Bearer|Basic)(\s+|%20|\+)[A-Za-z0-9._~+/-]{16,}=*`, "gi"), `$1$2${MASK}`],
  [
    new RegExp(
      String.raw`${START}((?:s|%73)(?:i|%69)(?:g|%67)|AccountKey|SharedAccessKey|SharedAccessSignature|client_secret|client_assertion|access_token|refresh_token|id_token)` +
        // `=` as is, URL-encoded (once or twice), JSON-escaped; or a JSON member, its quotes escaped or not, or a
        // Python dict's (`'name': 'value'`); or YAML's `name: value` (quoted or not); or an XML element's content.
        // The value runs to a delimiter; a backslash is part of it (`\/` in JSON) unless it escapes the closing quote.
        String.raw`(=|%3D|%253D|\\u003[dD]|\\?["']\s*:\s*\\?["']|:[ \t]*["']?|>)(?:[^\s&"'<>;,\\` +
        '`|]|\\\\(?!"))+',
      "gi",
    ),
    `$1$2${MASK}`,
  ],
  // Tokens the runner masks but the action is not given (the workflow's GITHUB_TOKEN, another step's client secret),
  // by their published formats: the runner masks the summary by exact value, line by line, and the summary's escaping
  // (`_` as `&#95;`, `~` as `&#126;`) would hide them from it. GitHub: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` and 36 or
  // more base62 characters, `github_pat_…` (docs.github.com, "About authentication to GitHub", token prefixes).
  // Entra client secrets: 40 characters, `Q~` after three characters and a digit (the format GitHub's secret scanning
  // and Microsoft's credential scanner look for: `[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}`).
  [new RegExp(String.raw`${START}(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})`, "g"), MASK],
  [new RegExp(String.raw`${START}[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}`, "g"), MASK],
];

/**
 * Free text (an Azure error message, a script's output) made safe to show: the userinfo (user:password@) and the query
 * of every URL removed (withoutUserinfo, stripQuery) and every secret-shaped value masked. Idempotent; line breaks are
 * kept (see gate.ts for one-line text).
 */
export function redactText(text: string): string {
  let redacted = withoutUserinfo(text).replace(URL_PATTERN, (m) => stripQuery(m));
  for (const [pattern, replacement] of SHAPES)
    redacted =
      typeof replacement === "string"
        ? redacted.replace(pattern, replacement)
        : redacted.replace(pattern, (m) => replacement(m));
  return redacted;
}

/** Shorter query values are not masked: masking `1` or `v=2` would blank out ordinary text all over the log. */
const MIN_SECRET_LENGTH = 6;

/**
 * The secrets of SAS URIs the workflow gives (extension-file-uris): each one's query string, its `sig` value (as
 * written and URL-decoded; the name too is read decoded, `%73ig=` is Azure Storage's `sig=`). Masked, they are caught
 * where no URL pattern matches (an error message that cuts a URL, say).
 */
export function sasSecrets(uris: readonly string[]): string[] {
  const secrets = new Set<string>();
  for (const uri of uris) {
    const query = queryOf(uri);
    if (!query) continue;
    secrets.add(query);
    for (const sig of signaturesOf(query)) secrets.add(sig).add(safeDecode(sig));
  }
  // And its other tokens (a function's `code=`, a `token=`), as queryTokensRead finds them in the model's URIs: Azure
  // may quote one without the rest of the query (an audit, 2026-12-06: a refused extension write did). The workflow's
  // own values, so runner masks as well.
  for (const token of queryTokensRead(uris)) secrets.add(token);
  return [...secrets].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
}

/**
 * A SAS signature as Azure Storage makes one: the base64 of an HMAC-SHA256 (32 bytes: 43 characters and `=`).
 */
const SIGNATURE = /^[A-Za-z0-9+/]{43}=?$/;

/**
 * The secrets of SAS URIs read from Azure (an extension's file URIs in the scale set's model): each signature (`sig`)
 * shaped like one (SIGNATURE, once URL-decoded), as written and decoded; never the query around it. Whoever can write
 * the model chooses these texts, and each secret becomes a mask of the gate's and of the runner's, which masks more
 * than it is given (each line of a value, the text after its last `&`): `?failed`, or `?sig=…&failed`, masked would
 * blank out the action's own words (its result among them) in the log, the summary and the outputs for the rest of the
 * job. A query is still never shown (safeUri and redactText remove every query); only its signature is masked as well.
 */
export function sasSecretsRead(uris: readonly string[]): string[] {
  const secrets = new Set<string>();
  for (const uri of uris) {
    for (const sig of signaturesOf(queryOf(uri))) {
      const decoded = safeDecode(sig);
      if (!SIGNATURE.test(decoded)) continue;
      secrets.add(decoded);
      if (/^[A-Za-z0-9%+/=]+$/.test(sig)) secrets.add(sig);
    }
  }
  return [...secrets];
}

/** A query value this long, of the characters tokens are written in, is taken for one (a function key, a token). */
const MIN_TOKEN_LENGTH = 32;
/**
 * Except Azure Storage's SAS fields other than `sig` (versions, times, permissions, and a user-delegation SAS's object
 * and tenant IDs, `skoid`/`sktid`: not secrets, and the IDs a user reads in Azure's authorization errors): masked, they
 * would blank that text for the rest of the job. A review of an audit's fix (2026-12-06); a GUID under another name
 * (an `api_key`) is still taken for a token.
 */
const SAS_FIELDS = new Set(
  "sv ss srt sp se st spr sip si sr sdd ses skoid sktid skt ske sks skv saoid suoid scid rscc rscd rsce rscl rsct".split(
    " ",
  ),
);
const TOKEN = /^[A-Za-z0-9%+/=_.~-]+$/; // as written and decoded: no blank

/**
 * The query values of file URIs read from Azure that look like tokens (a function's `code=`, a `token=`, a signature
 * of another shape): 32 characters or more, as written and URL-decoded. Hidden from what the action prints, but never
 * made a runner mask (sasSecretsRead says why): a planted value can only hide a text of its own length and more.
 * A query is removed wherever a URL shows whole (redactText); these catch one quoted without its URL, or after a blank.
 */
export function queryTokensRead(uris: readonly string[]): string[] {
  const tokens = new Set<string>();
  for (const uri of uris) {
    for (const part of queryOf(uri).split("&")) {
      const at = part.indexOf("=");
      if (at > 0 && SAS_FIELDS.has(safeDecode(part.slice(0, at)).toLowerCase())) continue;
      const value = part.slice(at + 1);
      const decoded = safeDecode(value);
      // `+` is a blank in a query: words joined by `+` or `%20` are text, not a token.
      if (decoded.length < MIN_TOKEN_LENGTH || !TOKEN.test(value) || !TOKEN.test(decoded) || /\+.*\+/.test(value))
        continue;
      tokens.add(value).add(decoded);
    }
  }
  return [...tokens];
}

/** The `sig` values of a query string, as written; the names compared URL-decoded and in any case. */
function signaturesOf(query: string): string[] {
  const sigs: string[] = [];
  for (const part of query ? query.split("&") : []) {
    const at = part.indexOf("=");
    const name = at === -1 ? part : part.slice(0, at);
    const value = at === -1 ? "" : part.slice(at + 1);
    if (value && safeDecode(name).toLowerCase() === "sig") sigs.push(value);
  }
  return sigs;
}

/** The query string of a URI, without `?` and without a `#` fragment. */
function queryOf(uri: string): string {
  const q = uri.indexOf("?");
  if (q === -1) return "";
  const hash = uri.indexOf("#", q);
  return uri.slice(q + 1, hash === -1 ? undefined : hash);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
