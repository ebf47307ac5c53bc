// The SAS tokens of extension-file-uris, checked before the first write (survey.ts checkSasTokens): real SDK against
// the emulator.

import { describe, expect, it } from "vitest";
import { configFor, rollout, useEmulator, writesOf } from "./harness.ts";

const emulator = useEmulator();
const BLOB = "https://acct.blob.core.windows.net/scripts/install.sh";
const SIG = "sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("SAS tokens of extension-file-uris", () => {
  it("one expired: refused, nothing written, the token not shown", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const uri = `${BLOB}?sp=r&se=${iso(Date.now() - 60_000)}&${SIG}`;
    const { record, log } = await rollout(
      configFor(emu, { change: { extension: { name: "customScript", fileUris: [uri] } } }),
    );
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^extension-file-uris entry 1 of 1 \(https:\/\/acct\.blob\.core\.windows\.net\/scripts\/install\.sh: its SAS token expired at .*Nothing was written\. Give a SAS token that is valid until the rollout ends/,
    );
    expect(emu.writes()).toEqual([]);
    expect(`${record.reason ?? ""}\n${log.text()}`).not.toContain("c2VjcmV0");
  });

  it("one that runs out before timeout: a warning, and the rollout goes on", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const uri = `${BLOB}?sp=r&se=${iso(Date.now() + 10_000)}&${SIG}`;
    const { record, log } = await rollout(
      configFor(emu, {
        change: { extension: { name: "customScript", fileUris: [uri] } },
        rollout: { timeoutMs: 3_600_000 },
      }),
    );
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)[0]).toBe("PATCH VirtualMachineScaleSetExtensions.Update");
    expect(log.lines.filter((l) => l.startsWith("warning: extension-file-uris entry 1 of 1"))).toHaveLength(1);
  });
});
