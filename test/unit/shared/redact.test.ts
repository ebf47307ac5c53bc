import { describe, expect, it } from "vitest";
import { Gate } from "../../../src/shared/gate.ts";
import {
  queryTokensRead,
  redactText,
  safeUri,
  sasSecrets,
  sasSecretsRead,
  stripQuery,
  withoutUserinfo,
} from "../../../src/shared/redact.ts";

const SAS = "sv=2024-11-04&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=abc%2Bdef%3D";

describe("stripQuery", () => {
  it.each([
    ["https://a.blob.core.windows.net/c/run.sh", "https://a.blob.core.windows.net/c/run.sh"],
    [`https://a.blob.core.windows.net/c/run.sh?${SAS}`, "https://a.blob.core.windows.net/c/run.sh?[query removed]"],
    [
      "https://a.blob.core.windows.net/c/run.sh?[query removed]",
      "https://a.blob.core.windows.net/c/run.sh?[query removed]",
    ],
    [
      "https://portal.azure.com/#@/resource/subscriptions/s/x",
      "https://portal.azure.com/#@/resource/subscriptions/s/x",
    ],
    ["https://x/y?sig=1#frag", "https://x/y?[query removed]#frag"],
    ["https://x/y?", "https://x/y?"],
    // An encoded URL's query starts at %3F; in a plain URL %3F is part of the path.
    ["https%3A%2F%2Fx%2Fy%3Fsig%3D1%23frag", "https%3A%2F%2Fx%2Fy?[query removed]%23frag"],
    ["https://x/a%3Fb.sh?sig=1", "https://x/a%3Fb.sh?[query removed]"],
    ["https://x/a%3Fb.sh", "https://x/a%3Fb.sh"],
  ])("%s", (input, expected) => {
    expect(stripQuery(input)).toBe(expected);
    expect(stripQuery(stripQuery(input))).toBe(expected);
  });
});

describe("redactText", () => {
  it.each([
    [
      `Failed to download https://a.blob.core.windows.net/c/run.sh?${SAS} (403)`,
      "Failed to download https://a.blob.core.windows.net/c/run.sh?[query removed] (403)",
    ],
    [`'https://a/b.sh?${SAS}','https://a/c.sh'`, "'https://a/b.sh?[query removed]','https://a/c.sh'"],
    [
      "see https://aka.ms/x and https://portal.azure.com/#view",
      "see https://aka.ms/x and https://portal.azure.com/#view",
    ],
    ["no url here", "no url here"],
    // A URL in another's query, URL-encoded: its query starts at %3F (any case).
    [
      `fetch ${encodeURIComponent("https://a.blob.core.windows.net/s/x.sh?sv=2022-11-02&sig=OLD%2Babc")} failed`,
      "fetch https%3A%2F%2Fa.blob.core.windows.net%2Fs%2Fx.sh?[query removed] failed",
    ],
    ["HTTPS%3a%2f%2fa.blob%2fx.sh%3fsig%3DOLD%23frag", "HTTPS%3a%2f%2fa.blob%2fx.sh?[query removed]%23frag"],
    [`%22${encodeURIComponent("https://a/x.sh?sig=OLD")}%22`, "%22https%3A%2F%2Fa%2Fx.sh?[query removed]"],
    // JSON-escaped (.NET, PHP): `\/` and `\u0026`.
    [
      String.raw`{"uri":"https:\/\/a.blob.core.windows.net\/x.sh?sv=2022-11-02\u0026sig=OLD%2Babc"}`,
      String.raw`{"uri":"https:\/\/a.blob.core.windows.net\/x.sh?[query removed]"}`,
    ],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
    expect(redactText(redactText(input))).toBe(expected);
    expect(redactText(input)).not.toContain("sig=");
  });
});

// Issue 11, finding 5: a SAS query quoted without its URL was not redacted, and reached summary-json.
describe("redactText: secret-shaped values wherever they stand", () => {
  const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ";
  it.each([
    [
      `Server failed to authenticate: ${SAS}`,
      "Server failed to authenticate: sv=2024-11-04&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=***",
    ],
    ["sig=abc%2Bdef%3D alone", "sig=*** alone"],
    ["encoded sig%3Dabc%2Bdef%3D&x=1", "encoded sig%3D***&x=1"],
    [`Authorization: Bearer ${JWT}`, "Authorization: Bearer ***"],
    ["Authorization: Bearer AbCdEfGhIjKlMnOpQrStUv0123456789", "Authorization: Bearer ***"],
    [`token ${JWT} seen`, "token *** seen"],
    ["client_assertion=abc.def.ghi&client_id=x", "client_assertion=***&client_id=x"],
    ['{"access_token":"opaque-value-1234","token_type":"Bearer"}', '{"access_token":"***","token_type":"Bearer"}'],
    [
      "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a1b2c3d4==;EndpointSuffix=x",
      "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=***;EndpointSuffix=x",
    ],
    // `sig=` right after an escaped `&`: no word boundary there, but a name all the same.
    [String.raw`sv=2022-11-02\u0026sig=OLD%2Babc`, String.raw`sv=2022-11-02\u0026sig=***`],
    ["sv=2022-11-02%26sig%3DOLD%252Babc", "sv=2022-11-02%26sig%3D***"],
    ["sv=2022-11-02%2526sig%253DOLD%25252Babc", "sv=2022-11-02%2526sig%253D***"],
    ["sv=2022-11-02&amp;sig=OLD%2Babc", "sv=2022-11-02&amp;sig=***"],
    ["sv=2022-11-02&amp;SIG=OLD", "sv=2022-11-02&amp;SIG=***"],
    [String.raw`sv=1\u0026sig\u003dOLD`, String.raw`sv=1\u0026sig\u003d***`],
    [String.raw`{\"sig\":\"OLD\/abc\"}`, String.raw`{\"sig\":\"***\"}`],
    ["Authorization: Bearer%20AbCdEfGhIjKlMnOpQrStUv0123456789", "Authorization: Bearer%20***"],
    [`token%22${JWT}%22`, "token%22***%22"],
    // A security review (2026-12-05): Azure Storage decodes the name, so `%73ig=` is a `sig=`.
    ["sv=2024-08-04&sp=r&%73ig=SeCrEtSiG0123%2Bxyz%3D", "sv=2024-08-04&sp=r&%73ig=***"],
    ["sv=2024-08-04&%73%69%67=SeCrEt", "sv=2024-08-04&%73%69%67=***"],
    // Tokens the runner masks but the action is not given: the summary's escaping hides them from the runner's masker.
    ["curl -H 'Authorization: token ghs_16C7e42F292c6912E7710c838347Ae178B4a'", "curl -H 'Authorization: token ***'"],
    ["GH_TOKEN=ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "GH_TOKEN=***"],
    ["pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123 used", "pat *** used"],
    ["AZURE_CLIENT_SECRET=Xy98Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "AZURE_CLIENT_SECRET=***"],
    ["secret: abc1Q~DEFGHIJKLMNOPQRSTUVWXYZabcdefghij.", "secret: ***"],
    // 40 characters, and a character a secret may hold right after it.
    ["The client secret is Xy98Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567.", "The client secret is ***."],
    ["secret=Xy98Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567-old", "secret=***-old"],
    ["Xy98Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567_", "***_"],
    ["Xy98Q~AbCdEfGhIjKlMnOpQrStUvWxYz01234567~", "***~"],
    ["ghs_short and x1Q~short are no tokens", "ghs_short and x1Q~short are no tokens"],
    ["The Bearer token is invalid", "The Bearer token is invalid"],
    ["a signature=1 and design=2", "a signature=1 and design=2"],
    // A security audit (2026-12-06): YAML, Python and XML spellings of the same fields.
    ["access_token: opaque-value-1234", "access_token: ***"],
    ['refresh_token: "opaque-value-1234"', 'refresh_token: "***"'],
    ["{'access_token': 'opaque-value-1234'}", "{'access_token': '***'}"],
    ["<AccountKey>a1b2c3d4==</AccountKey>", "<AccountKey>***</AccountKey>"],
    // An audit (2026-12-06): a token wrapped at a fixed width (76 columns) was shown whole. Its line breaks stay; a word
    // of token characters starting the next line is taken for its end ("Done"); a blank line ends it.
    [`token ${JWT.slice(0, 30)}\n${JWT.slice(30, 60)}\n${JWT.slice(60)} seen`, "token ***\n\n seen"],
    [`id_token:\n${JWT.slice(0, 40)}\r\n${JWT.slice(40)}\nDone.`, "id_token:\n***\r\n\n."],
    [`${JWT.slice(0, 36)}\n${JWT.slice(36)}\n\nnext line`, "***\n\n\nnext line"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
    expect(redactText(redactText(input))).toBe(expected);
  });
});

describe("withoutUserinfo, and redactText on free text", () => {
  // Every spelling the URL parser reads a user:password@ from (WHATWG URL: special schemes ignore slashes), and free
  // text from Azure that quotes one (an extension's status message with a script's output, say).
  it.each([
    ["https://deploy:Hunter2pass@files.example.com/run.sh", "https://***@files.example.com/run.sh"],
    ["http:///deploy:Hunter2pass@files.example.com/run.sh", "http:///***@files.example.com/run.sh"],
    ["http:deploy:Hunter2pass@files.example.com/run.sh", "http:***@files.example.com/run.sh"],
    ["http:/deploy:Hunter2pass@files.example.com/run.sh", "http:/***@files.example.com/run.sh"],
    ["http:\\\\deploy:Hunter2pass@files.example.com/run.sh", "http:\\\\***@files.example.com/run.sh"],
    ["ftp://me:pw@host/x", "ftp://***@host/x"],
    // The URL parser reads quotes, `|`, backticks and `<>` into a password (a security review, 2026-12-05).
    ["https://deploy:s3cr'tPass@files.contoso.example/install.sh", "https://***@files.contoso.example/install.sh"],
    ["https://deploy:s3|cr`tP@files.contoso.example/install.sh", "https://***@files.contoso.example/install.sh"],
    ["proxy http://proxyuser:pa'ss@proxy.corp:3128/ used", "proxy http://***@proxy.corp:3128/ used"],
    // The last `@` before the host ends the userinfo, as the URL parser reads it.
    ["https://me@corp.com:Pw123@host/run.sh", "https://***@host/run.sh"],
    ["http:me@corp.com:Pw123@host/run.sh", "http:***@host/run.sh"],
    // Any number of slashes or backslashes after a special scheme.
    ["http:////deploy:pw@host/x", "http:////***@host/x"],
    ["https:\\\\\\deploy:pw@host/x", "https:\\\\\\***@host/x"],
    ["https://ghp_abcdefghijklmnop@github.com/org/repo.git", "https://***@github.com/org/repo.git"],
    ["https:\\/\\/user:pw@host\\/x", "https:\\/\\/***@host\\/x"],
    ["https%3A%2F%2Fuser:pw@host%2Fx", "https%3A%2F%2F***@host%2Fx"],
    [
      "fatal: unable to access 'https://oauth2:glpat-abc123xyz@gitlab.example.com/app.git/': 403",
      "fatal: unable to access 'https://***@gitlab.example.com/app.git/': 403",
    ],
    ["+ curl -fsS https://u:p@host/x -o /tmp/x", "+ curl -fsS https://***@host/x -o /tmp/x"],
    // Kept: no userinfo.
    ["mailto:me@example.com", "mailto:me@example.com"],
    ["git@github.com:org/repo.git", "git@github.com:org/repo.git"],
    [
      "https://portal.azure.com/#@contoso.onmicrosoft.com/resource/x",
      "https://portal.azure.com/#@contoso.onmicrosoft.com/resource/x",
    ],
    ["https://x/pkg@1.2.3/run.sh", "https://x/pkg@1.2.3/run.sh"],
    ["write to admin@example.com, see https://aka.ms/x", "write to admin@example.com, see https://aka.ms/x"],
    ["C:\\Users\\bob@corp\\x", "C:\\Users\\bob@corp\\x"],
    // Free text that starts with a URL, or has one before an e-mail address: `"`, `<`, `>` and blanks end the URL
    // (a review of the security mends, 2026-12-05, found these masked up to the address).
    [
      '{"endpoint":"https://login.microsoftonline.com","upn":"deploy@contoso.com"}',
      '{"endpoint":"https://login.microsoftonline.com","upn":"deploy@contoso.com"}',
    ],
    ['{"url":"https://example.com","@odata.type":"#x"}', '{"url":"https://example.com","@odata.type":"#x"}'],
    [
      "https://example.com is down\nplease mail ops@contoso.com",
      "https://example.com is down\nplease mail ops@contoso.com",
    ],
    [
      "https://status.contoso.com: degraded. Contact: oncall@contoso.com",
      "https://status.contoso.com: degraded. Contact: oncall@contoso.com",
    ],
    ["ftp: user deploy@files.contoso.com logged in", "ftp: user deploy@files.contoso.com logged in"],
    ["see <https://example.com>,<mailto:bob@contoso.com>", "see <https://example.com>,<mailto:bob@contoso.com>"],
  ])("%s", (input, expected) => {
    expect(withoutUserinfo(input)).toBe(expected);
    expect(withoutUserinfo(expected)).toBe(expected);
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ["http: repeated", "http:".repeat(20_000)],
    [";http: repeated", ";http:".repeat(20_000)],
    [",a:%2F repeated", ",a:%2F".repeat(20_000)],
    ["a:/ repeated", "a:/".repeat(40_000)],
    ["\\/ after a scheme, repeated", `https:${"\\/".repeat(40_000)}`],
    ["a long user name with no @", `https://${"a:".repeat(50_000)}`],
  ])("hostile text without userinfo (%s, 100 KB or more) comes back unchanged", (_, text) => {
    expect(withoutUserinfo(text)).toBe(text);
  });

  // A review (2026-12-05): `eyJ` after `-` could start a token, so each one scanned to the end (seconds at 100 KB).
  it.each([
    ["-eyJ repeated", "-eyJ".repeat(25_000)],
    ["-eyJa. repeated", "-eyJabcd.".repeat(10_000)],
    // A token may be wrapped across lines (2026-12-06): each `eyJ` at a line's start must not scan to the end.
    ["eyJ lines", "eyJabc\n".repeat(20_000)],
    ["eyJ. lines", "eyJab.cd\n".repeat(15_000)],
  ])("hostile text with no token (%s) comes back unchanged from redactText", (_, text) => {
    expect(redactText(text)).toBe(text);
  });

  it.each([
    ["a leading blank", " https://deploy:pa ss@files.example/x.sh", " https://***@files.example/x.sh"],
    ["a leading tab", '\thttps://deploy:pa"ss@files.example/x.sh', "\thttps://***@files.example/x.sh"],
  ])("a whole URI with %s, which the URL parser strips, has its userinfo masked", (_, uri, expected) => {
    expect(safeUri(uri)).toBe(expected);
  });

  it.each([
    ["a blank", "https://deploy:s3cr tPass@files.example/x.sh", "https://***@files.example/x.sh"],
    ["a double quote", 'https://deploy:s3cr"tPass@files.example/x.sh', "https://***@files.example/x.sh"],
    ["< and >", "https://deploy:s3<cr>t@files.example/x.sh", "https://***@files.example/x.sh"],
    [
      "a quote and a blank",
      "https://me:a' b@files.example/x.sh?sv=1",
      "https://***@files.example/x.sh?[query removed]",
    ],
    ["no slashes", "https:me:a b@files.example/x.sh", "https:***@files.example/x.sh"],
    ["a backslash", "https:\\me:a b@files.example/x.sh", "https:\\***@files.example/x.sh"],
    ["another scheme", "sftp://me:a b@files.example/x", "sftp://***@files.example/x"],
    ["none: an @ in the path", "https://files.example/a b@c/x.sh", "https://files.example/a b@c/x.sh"],
    ["none: mailto", "mailto:a b@example.com", "mailto:a b@example.com"],
  ])("safeUri, a whole URI: userinfo with %s is masked as the URL parser reads it", (_, uri, expected) => {
    expect(safeUri(uri)).toBe(expected);
    expect(safeUri(expected)).toBe(expected);
  });

  it("safeUri removes both the userinfo and the query", () => {
    expect(safeUri(`https://u:p@a.blob.core.windows.net/c/run.sh?${SAS}`)).toBe(
      "https://***@a.blob.core.windows.net/c/run.sh?[query removed]",
    );
  });
});

// A security review (2026-12-05): whoever can write the scale set's model chooses the file URIs the action reads there.
// Each secret becomes a mask (the runner's and the gate's, in every encoding), so only a signature counts from there.
describe("sasSecretsRead: the secrets of file URIs read from Azure", () => {
  // A signature as Azure Storage makes one: 43 base64 characters and `=`, URL-encoded in the URI.
  const SIGNATURE = "SeCrEtSiG0123456789abcdefghijklmnopqrst%2Bxyz%3D";
  const DECODED = decodeURIComponent(SIGNATURE);
  it.each([
    ["a query with no signature", "https://h/x.sh?failed", []],
    ["a query of several words", "https://h/x.sh?cancelled&rolled-back", []],
    ["a signature too short to be one", "https://h/x.sh?sv=1&sig=failed", []],
    // The runner masks more than it is given: the text after a value's last `&`, and each of its lines.
    ["a sig of 16 characters, and a word after it", "https://h/x.sh?sig=AAAAAAAAAAAAAAAA&failed", []],
    ["a sig with a line break", "https://h/x.sh?sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%0Afailed", []],
    ["no query", "https://h/x.sh", []],
    ["a SAS: its signature, never the query", `https://h/x.sh?sv=1&sig=${SIGNATURE}&sp=r`, [DECODED, SIGNATURE]],
    ["a SAS whose sig is spelled %73ig", `https://h/x.sh?sv=1&%73ig=${SIGNATURE}#frag`, [DECODED, SIGNATURE]],
  ])("%s", (_, uri, expected) => {
    expect(sasSecretsRead([uri])).toEqual(expected);
  });

  it("the workflow's own URIs (extension-file-uris) keep their whole query masked, and %73ig is a sig", () => {
    expect(sasSecrets([`https://h/x.sh?token=abcdef`])).toEqual(["token=abcdef"]);
    expect(sasSecrets([`https://h/x.sh?%73ig=${SIGNATURE}`])).toEqual([`%73ig=${SIGNATURE}`, SIGNATURE, DECODED]);
  });

  it("but never a user-delegation SAS's object and tenant IDs, nor its other SAS fields", () => {
    // A review (2026-12-06): the token rule made both GUIDs runner masks, blanking them in Azure's 403 text and in
    // every later step's log.
    const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const oid = "0b2e5c6a-1111-4222-8333-944455556666";
    const uri =
      `https://acct.blob.core.windows.net/c/run.sh?sp=r&st=2026-12-06T10:00:00Z&se=2026-12-07T10:00:00Z` +
      `&skoid=${oid}&sktid=${tenant}&skt=2026-12-06T10:00:00Z&ske=2026-12-07T10:00:00Z&sks=b&skv=2022-11-02` +
      `&spr=https&sv=2022-11-02&sr=b&scid=${"c".repeat(36)}&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg%3D`;
    const message = `The client 'app' with object id '${oid}' has no authorization here; tenant ${tenant}, ${"c".repeat(36)}.`;
    expect(new Gate(sasSecrets([uri])).line(message)).toBe(message);
    expect(queryTokensRead([uri]).every((token) => token.startsWith("AbCdEf"))).toBe(true); // its sig only
    // A GUID under another name may be a key: still a token.
    expect(queryTokensRead([`https://h/x.sh?api_key=${oid}`])).toEqual([oid]);
  });

  it("and their other tokens (a function key), which Azure may quote without the query", () => {
    // An audit (2026-12-06): a refused extension write quoted the key alone, and only the whole query was masked.
    const key = "FuncKeyS3cretValue0123456789abcdefXYZ";
    expect(sasSecrets([`https://fn.example/api/agent.sh?code=${key}&v=2`])).toEqual([`code=${key}&v=2`, key]);
    const gate = new Gate(sasSecrets([`https://fn.example/api/agent.sh?code=${key}&v=2`]));
    expect(gate.line(`The file URI parameter code '${key}' was rejected.`)).toBe(
      "The file URI parameter code '***' was rejected.",
    );
  });
});

// A review (2026-12-05): the other tokens of those queries (a function key, a token) were masked with the whole query
// before; now they are hidden by the gate alone (never a runner mask), when long enough to be tokens.
describe("queryTokensRead: token-like query values of file URIs read from Azure", () => {
  it.each([
    [
      "a function key",
      "https://fn.example/api/x.sh?code=FuncKeyS3cretValue0123456789abcdef",
      ["FuncKeyS3cretValue0123456789abcdef"],
    ],
    [
      "URL-encoded, both spellings",
      "https://h/x.sh?t=abcdefghijklmnopqrstuvwxyz012345%2B%3D",
      ["abcdefghijklmnopqrstuvwxyz012345%2B%3D", "abcdefghijklmnopqrstuvwxyz012345+="],
    ],
    ["short values", "https://h/x.sh?v=2&failed&code=short", []],
    ["a long value that is words", "https://h/x.sh?note=the%20rollout%20failed%20on%20every%20instance", []],
    ["words run together", "https://h/x.sh?note=the+rollout+failed+on+every+instance", []],
    ["no query", "https://h/x.sh", []],
  ])("%s", (_, uri, expected) => {
    expect(queryTokensRead([uri])).toEqual(expected);
  });
});
