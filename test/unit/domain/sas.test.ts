import { describe, expect, it } from "vitest";
import { sasFindings } from "../../../src/domain/sas.ts";

const NOW = Date.parse("2026-12-05T12:00:00Z");
const HOUR = 3_600_000;
const BLOB = "https://acct.blob.core.windows.net/scripts/install.sh";
const SIG = "sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";

describe("the SAS tokens of extension-file-uris", () => {
  it.each([
    { name: "valid through the run", query: `sp=r&se=2026-12-06T00:00:00Z&${SIG}`, kinds: [] },
    { name: "no SAS (no sig)", query: "se=2020-01-01", kinds: [] },
    { name: "expired", query: `sp=r&se=2026-12-05T11:59:59Z&${SIG}`, kinds: ["expired"] },
    { name: "expired, a date only", query: `sp=rl&se=2026-12-01&${SIG}`, kinds: ["expired"] },
    { name: "expired, minutes only", query: `sp=r&se=2026-12-05T11:00Z&${SIG}`, kinds: ["expired"] },
    { name: "not yet valid", query: `sp=r&st=2026-12-05T13:00:00Z&se=2026-12-06&${SIG}`, kinds: ["not-yet"] },
    { name: "runs out during the run", query: `sp=r&se=2026-12-05T12:30:00Z&${SIG}`, kinds: ["ends-early"] },
    { name: "no read", query: `sp=w&se=2026-12-06&${SIG}`, kinds: ["no-read"] },
    { name: "expired and no read", query: `sp=wd&se=2020-01-01&${SIG}`, kinds: ["expired", "no-read"] },
    { name: "a stored access policy gives the permissions", query: `si=policy1&sp=w&se=2026-12-06&${SIG}`, kinds: [] },
    { name: "a stored access policy alone", query: `si=policy1&${SIG}`, kinds: [] },
    { name: "no permissions at all (neither sp nor si)", query: `se=2026-12-06&${SIG}`, kinds: ["no-read"] },
    { name: "a date Azure would not read", query: `sp=r&se=tomorrow&${SIG}`, kinds: [] },
    { name: "a day that does not exist, not rolled over", query: `sp=r&se=2026-02-30&${SIG}`, kinds: [] },
    { name: "no read, sp with other characters", query: `sp=%0A%3A%3Aw&se=2026-12-06&${SIG}`, kinds: ["no-read"] },
  ])("$name", ({ query, kinds }) => {
    const findings = sasFindings([`${BLOB}?${query}`], NOW, NOW + HOUR);
    expect(findings.map((f) => f.kind)).toEqual(kinds);
    for (const f of findings) {
      expect(f.text).toMatch(/^entry 1 of 1 \(https:\/\/acct\.blob\.core\.windows\.net\/scripts\/install\.sh: /);
      // The signature is never named.
      expect(f.text).not.toContain("c2VjcmV0");
      expect(f.text).not.toContain("sig=");
      expect(f.text).not.toMatch(/[\n:]{2}/);
    }
  });

  it("names the entry and the time, never the token", () => {
    const uris = ["https://example.com/a.sh", `${BLOB}?sp=r&se=2026-12-05T12:30:00Z&${SIG}`];
    expect(sasFindings(uris, NOW, NOW + HOUR)).toEqual([
      {
        kind: "ends-early",
        text: `entry 2 of 2 (${BLOB}: its SAS token expires at 2026-12-05T12:30:00.000Z, 30m 00s from now)`,
      },
    ]);
  });
});
