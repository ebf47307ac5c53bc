// Issue 11: nothing Azure says and nothing an input holds can unmask a secret or command the runner.
//
// dist/index.js runs against an emulator whose error messages and Custom Script output carry workflow commands
// (`##[stop-commands]`, `::add-mask::`, `::set-env`), the client secret, a SAS query without its URL, Markdown links,
// HTML and a Mermaid directive; sign-in issues short-lived tokens, so several are issued and masked during the run;
// AZURE_LOG_LEVEL is set. The log (stdout and stderr) is read the way the runner reads it (test/support/runner-log.ts).
// Every scenario runs over every orchestration mode: a Flexible set's instance view and extension statuses reach the
// action through the standalone VM list, its failures name VMs (`<set>_<8 hex>`), not numbers.
import { marked } from "marked";
import { beforeAll, describe, expect, it } from "vitest";
import { start } from "../../emulator/index.ts";
import type { Emulator } from "../../emulator/types.ts";
import { readLikeRunner, type RunnerView } from "../support/runner-log.ts";
import { describeRun, readable, runAction, type RunResult } from "./harness.ts";
import {
  emulator,
  expectExit,
  expectNoSecrets,
  FAST,
  instanceIds,
  ORCHESTRATIONS,
  record,
  tagWrites,
} from "./fixtures.ts";

const NEW_VERSION = "24.04.202502210";
const SIG = "hostileSig0123456789abcdefXYZ%2Bq%3D";
const SAS_QUERY = `sv=2024-08-04&sr=b&sp=r&se=2030-01-01T00%3A00%3A00Z&sig=${SIG}`;
const STOP_TOKEN = "pwn3d";

/** What a hostile (or compromised) Azure, or a user's script quoted by the Custom Script extension, can say. */
function hostileText(clientSecret: string): string {
  return [
    `Enable failed: ##[stop-commands]${STOP_TOKEN} and ##[set-output name=result]succeeded ##[add-path]/tmp/evil`,
    "::add-mask::nothing-to-hide",
    "::set-env name=NODE_OPTIONS::--require /tmp/evil.js",
    "  ::warning title=forged::looks like the action's own",
    `::stop-commands::${STOP_TOKEN}2`,
    // Invisible characters the runner's culture-sensitive matching skips.
    `\u200B::add-mask::zero-width and #\u00AD#[stop-commands]${STOP_TOKEN}3`,
    `script echoed the secret: ${clientSecret} and a SAS query: ${SAS_QUERY}`,
    "[docs](https://evil.example/phish) ![x](https://evil.example/pixel.png) https://evil.example/bare www.evil.example",
    "<img src=x onerror=alert(1)><a href=https://evil.example/html>click</a>",
    "```mermaid",
    "%%{init: {'securityLevel': 'loose'}}%%",
    'graph TD; A-->B; click A href "https://evil.example/mermaid"',
    "```",
  ].join("\n");
}

/** Commands the action itself writes: annotations, debug, groups, and masks for the secrets it learns. */
const OWN_COMMANDS = new Set(["add-mask", "debug", "notice", "warning", "error", "group", "endgroup"]);

function runnerView(result: RunResult): RunnerView {
  return readLikeRunner({ stdout: result.stdout, stderr: result.stderr });
}

/** Every spelling of a secret a reader could meet (the report's Markdown escaping included). */
function spellings(secret: string): string[] {
  const entities = secret.replace(/[&<>"'|`*_[\]~\\$]/g, (c) => `&#${c.codePointAt(0)};`);
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), entities])];
}

interface Scenario {
  readonly name: string;
  /** Makes the emulator hostile; `ids` are the instance IDs in the action's order. */
  readonly arm: (emu: Emulator, hostile: string, ids: readonly string[]) => void;
  /** The hostile text did reach the action: what the run reports. */
  readonly reached: (result: RunResult, ids: readonly string[]) => void;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: "an upgrade fails with a Custom Script error quoting the script's output",
    arm: (emu, hostile, ids) => {
      emu.faults.failUpgrade(ids[1] ?? "", { scaleSet: "vmss-evil", message: hostile });
      // An extension status in the instance view (Flexible: the standalone VM's) carries it too.
      emu.setInstance("vmss-evil", ids[2] ?? "", {
        extensions: { customScript: { state: "failed", message: hostile } },
      });
    },
    reached: (result, ids) => {
      expect(record(result).instances.find((i) => i.instanceId === ids[1])?.outcome).toBe("failed");
      // The instance view was read (Flexible: from the standalone VM list) and its extension status reported.
      expect(record(result).instances.find((i) => i.instanceId === ids[2])?.error?.message).toContain(STOP_TOKEN);
    },
  },
  {
    name: "Azure refuses the upgrade, and every ARM error message carries the text",
    arm: (emu, hostile) => {
      emu.faults.hostileMessages(hostile);
      emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    },
    reached: (result) => {
      expect(record(result).result).toBe("failed");
      expect(result.stdout).toContain("AuthorizationFailed");
    },
  },
];

const CASES = ORCHESTRATIONS.flatMap(({ mode, seed }) => SCENARIOS.map((scenario) => ({ mode, seed, scenario })));

describe.each(CASES)("a hostile Azure: $scenario.name ($mode)", ({ seed, scenario }) => {
  let emu: Emulator;
  let ids: string[];
  let result: RunResult;
  let view: RunnerView;

  beforeAll(async () => {
    // Short-lived tokens: the SDK asks for a new one on (nearly) every request, and each is masked as it is issued.
    emu = await start({
      speed: 0.001,
      tokenLifetimeSeconds: 60,
      scaleSets: [{ name: "vmss-evil", instances: 4, ...seed }],
    });
    ids = instanceIds(emu, "vmss-evil");
    scenario.arm(emu, hostileText(emu.clientSecret), ids);
    result = await runAction({
      emu,
      scaleSet: "vmss-evil",
      inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "2", "max-unhealthy": "100%" },
      env: { AZURE_LOG_LEVEL: "warning" },
    });
    view = runnerView(result);
    return async () => emu.stop();
  }, 120_000);

  it("the run reports the failure it met (the hostile text did reach the action)", () => {
    expectExit(result, 1);
    scenario.reached(result, ids);
    expect(result.stdout).toContain("stop-commands");
    expect(emu.counters()["Entra.Token"] ?? 0, "several access tokens issued").toBeGreaterThanOrEqual(2);
  });

  // Finding 1: `##[stop-commands]` inside an info line switched command processing off, and tokens masked later
  // showed in clear.
  it("the runner sees no command but the action's own, and never stops processing commands", () => {
    const foreign = view.commands.filter((c) => !OWN_COMMANDS.has(c.name));
    expect(foreign, describeRun(result)).toEqual([]);
    expect(view.readWhileStopped).toEqual([]);
    const forged = view.commands.filter((c) => /forged|nothing-to-hide|evil/.test(c.data) && c.name === "add-mask");
    expect(forged).toEqual([]);
    // The legacy form is inert wherever it stands.
    for (const line of [...result.stdout.split("\n"), ...result.stderr.split("\n")]) expect(line).not.toContain("##[");
  });

  it("every access token issued was masked by a command the runner obeyed, and none is shown", () => {
    // The tokens the action asked the runner to mask, whether or not the runner obeyed.
    const issued = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("::add-mask::eyJ"))
      .map((line) => line.slice("::add-mask::".length));
    expect(issued.length, "access tokens masked as issued").toBeGreaterThanOrEqual(2);
    const shown = view.shown.join("\n");
    for (const token of issued) {
      expect(view.masks, "masked by a command the runner obeyed").toContain(token);
      for (const form of spellings(token)) expect(shown).not.toContain(form);
    }
    // Not even where the runner would mask it: no JWT appears outside its own add-mask line.
    const raw = [...result.stdout.split("\n"), ...result.stderr.split("\n")].filter(
      (l) => !l.startsWith("::add-mask::"),
    );
    expect(raw.join("\n")).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./);
  });

  // Finding 2: the summary escaped `~` and `_` before the runner's masker could see the secret.
  it("the client secret shows nowhere, in no spelling: log, annotations, summary, outputs", () => {
    const places: Array<[string, string]> = [
      ["stdout (add-mask lines aside)", result.stdout.replace(/^::add-mask::.*$/gm, "")],
      ["stderr", result.stderr],
      ["summary", result.summary],
      ...Object.entries(result.outputs).map(([name, value]): [string, string] => [`output ${name}`, value]),
    ];
    for (const [where, text] of places)
      for (const form of spellings(emu.clientSecret)) expect(text, `${where}: ${form}`).not.toContain(form);
  });

  // Finding 3: with AZURE_LOG_LEVEL the SDK wrote raw, multi-line Azure errors to stderr.
  it("AZURE_LOG_LEVEL: the SDK's log goes through the gate, nothing raw on stderr", () => {
    const commandsOnStderr = readLikeRunner({ stderr: result.stderr }).commands;
    expect(commandsOnStderr).toEqual([]);
    expect(result.stderr).not.toMatch(/^azure:/m);
  });

  // Finding 5: a SAS query quoted without its URL was not redacted and reached summary-json.
  it("the SAS signature quoted without its URL shows nowhere", () => {
    const texts = [result.stdout, result.stderr, result.summary, ...Object.values(result.outputs)];
    for (const text of texts) {
      for (const form of spellings(SIG)) expect(text).not.toContain(form);
      expect(text).not.toContain(decodeURIComponent(SIG));
    }
    expect(result.outputs["summary-json"]).toContain("sig=***");
  });

  // Finding 6: bare URLs in Azure text autolinked in the summary.
  it("the summary links only to the action's own pages, with no image, HTML or Mermaid from Azure", () => {
    expect(result.summary).toContain("evil.example"); // Azure's text is shown, as text
    const html = marked.parse(result.summary, { gfm: true, async: false });
    const targets = [...html.matchAll(/<[a-z][^>]*?\s(?:href|src)\s*=\s*["']?([^"' >]+)/gi)].map((m) => m[1]);
    for (const target of targets)
      // The action's own: Microsoft's docs, the portal, the emulator, and the run's GitHub server (the release's links).
      expect(target).toMatch(
        /^https:\/\/(learn\.microsoft\.com|portal\.azure\.com|aka\.ms|127\.0\.0\.1)[:/]|^https:\/\/github\.com\/octo\/app(\/|$)/,
      );
    expect(html).not.toMatch(/<(img|script|iframe|svg)\b/i);
    const mermaid = [...result.summary.matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m) => m[1]).join("\n");
    expect(mermaid).not.toMatch(/evil|%%\{/);
  });

  it("annotations carry Azure's text as data only, on the action's own commands", () => {
    const annotations = view.commands.filter((c) => ["error", "warning", "notice"].includes(c.name));
    expect(annotations.length).toBeGreaterThan(0);
    for (const a of annotations) {
      expect(a.data).not.toContain(emu.clientSecret);
      expect(a.data).not.toMatch(/^\s*::|##\[/m);
    }
    expect(view.commands.filter((c) => c.name === "warning" && /forged/.test(c.source))).toEqual([]);
  });
});

// Finding 4: a line break in force-update-tag or extension-name reached the log raw and became a real command.
describe("inputs that are one line by nature", () => {
  it.each([
    ["force-update-tag", { "extension-name": "customScript", "force-update-tag": "v2\n::error::forged by an input" }],
    ["extension-name", { "extension-name": "customScript\n::warning::forged by an input", "force-update-tag": "v2" }],
  ])("%s with a line break: refused before any request, no forged command", async (input, inputs) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss-in", instances: 2 }] });
    const result = await runAction({ emu, scaleSet: "vmss-in", inputs: { ...FAST, ...inputs } });
    expectExit(result, 1);
    expect(emu.requests.filter((r) => !r.operation.startsWith("Entra"))).toEqual([]);
    const view = runnerView(result);
    expect(view.commands.filter((c) => /forged/.test(c.data))).toEqual([]);
    const failure = view.commands.find((c) => c.name === "error");
    expect(failure?.data).toContain(`Input '${input}'`);
    expect(failure?.data).toMatch(/line break/);
  });
});

// Finding 7: arm-endpoint accepted `;` and `$(` in its path, stopped only by the SDK's scope check before the `az`
// shell call in azure-cli mode.
describe("arm-endpoint with shell syntax in its path", () => {
  it.each([["https://127.0.0.1:1/x;touch${IFS}pwned"], ["https://127.0.0.1:1/$(touch pwned)"]])(
    "%s: refused as an input error before any sign-in",
    async (armEndpoint) => {
      const result = await runAction({
        inputs: {
          ...FAST,
          auth: "azure-cli",
          "subscription-id": "11111111-2222-3333-4444-555555555555",
          "resource-group": "rg",
          "scale-set": "vmss",
          "image-version": NEW_VERSION,
          "arm-endpoint": armEndpoint,
        },
        // No az on PATH either: if anything tried to run it, the failure would be a sign-in error, not an input error.
        env: { PATH: "/nonexistent" },
      });
      expectExit(result, 1);
      const failure = runnerView(result).commands.find((c) => c.name === "error");
      expect(failure?.data).toMatch(/Input 'arm-endpoint'.*path holds only/);
    },
  );
});

// A security review's findings (2026-12-05): whoever can write the scale set's model chooses the file URIs the action
// reads there, of every extension. Their queries were masked whole (`::add-mask::failed` from `?failed`): the record's
// result became `***`, the job passed and its `result` output said `***`. A password with a quote in a file URI the
// run changes was shown, and written to the rollout record.
describe("file URIs another writer put in the model", () => {
  const monitor = (uri: string) => ({
    name: "monitorAgent",
    publisher: "Contoso.Monitoring",
    type: "Agent",
    typeHandlerVersion: "1.0",
    settings: { fileUris: [uri] },
  });
  it.each([
    ["a query of a word the action writes", "https://downloads.contoso.example/agent.sh?failed"],
    ["a short sig", "https://downloads.contoso.example/agent.sh?sig=failed"],
    ["a query of another result", "https://downloads.contoso.example/agent.sh?cancelled&rolled"],
    // The runner masks more than it is given: the text after the last `&` of a value, and each line of it.
    ["a sig, then a word after &", "https://downloads.contoso.example/agent.sh?sig=AAAAAAAAAAAAAAAA&failed"],
    ["a sig with a line break", "https://downloads.contoso.example/agent.sh?sig=AAAAAAAAAAAAAAAAAAAA%0Afailed"],
  ])(
    "%s masks nothing: a failed rollout still fails the job, and says so",
    async (_, uri) => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss-b", instances: 2, extensions: [monitor(uri)] }],
      });
      try {
        const ids = instanceIds(emu, "vmss-b");
        emu.faults.failUpgrade(ids[1] ?? "", { scaleSet: "vmss-b" });
        const result = await runAction({
          emu,
          scaleSet: "vmss-b",
          inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "1" },
        });
        expectExit(result, 1);
        expect(result.outputs["result"]).toBe("failed");
        expect(record(result).result).toBe("failed");
        expect(JSON.parse(result.outputs["failed-instances"] ?? "[]")).toEqual([ids[1]]);
        expect(readable(result.summary)).toContain("Rollout failed");
        expect(
          runnerView(result)
            .commands.filter((c) => c.name === "add-mask")
            .map((c) => c.data),
        ).not.toContainEqual(expect.stringMatching(/failed|cancelled|rolled/));
      } finally {
        await emu.stop();
      }
    },
    120_000,
  );

  // A review (2026-12-05): a token that is no SAS signature (a function key) was no longer masked at all, and showed
  // where Azure's text quotes its URL after a blank. It is hidden by the gate alone: no runner mask is made of it.
  it("a function key in a file URI there, quoted by Azure after a blank, shows nowhere and is no runner mask", async () => {
    const key = "FuncKeyS3cretValue0123456789abcdefXYZ";
    const uri = `https://fn.contoso.example/api/get agent.sh?code=${key}`;
    const emu = await emulator({ scaleSets: [{ name: "vmss-b", instances: 2, extensions: [monitor(uri)] }] });
    try {
      const ids = instanceIds(emu, "vmss-b");
      emu.faults.failUpgrade(ids[1] ?? "", { scaleSet: "vmss-b", message: `Failed to download ${uri}: 403` });
      const result = await runAction({
        emu,
        scaleSet: "vmss-b",
        inputs: { ...FAST, "image-version": NEW_VERSION, "batch-size": "1" },
      });
      expectExit(result, 1);
      expect(result.stdout).toContain("Failed to download");
      expectNoSecrets(result, emu, { "function key": key });
      const masks = runnerView(result)
        .commands.filter((c) => c.name === "add-mask")
        .map((c) => c.data);
      expect(masks.filter((m) => m.includes(key))).toEqual([]);
    } finally {
      await emu.stop();
    }
  }, 120_000);

  it("a signed SAS URL there is masked, its signature in every spelling", async () => {
    const sig = "plantedSig0123456789abcdefXYZ0123456789ab%2Bq%3D"; // 43 base64 characters and `=`, URL-encoded
    const emu = await emulator({
      scaleSets: [
        {
          name: "vmss-b",
          instances: 2,
          extensions: [monitor(`https://st.blob.core.windows.net/c/agent.sh?sv=2024-08-04&sp=r&%73ig=${sig}`)],
        },
      ],
    });
    try {
      const result = await runAction({ emu, scaleSet: "vmss-b", inputs: { ...FAST, "image-version": NEW_VERSION } });
      expectExit(result, 0);
      const masks = runnerView(result)
        .commands.filter((c) => c.name === "add-mask")
        .map((c) => c.data);
      expect(masks).toContain(decodeURIComponent(sig));
      expectNoSecrets(result, emu, { signature: decodeURIComponent(sig), "signature as written": sig });
    } finally {
      await emu.stop();
    }
  }, 120_000);

  it.each([["'"], ['"'], ["|"], ["`"], ["<"]])(
    "a password holding %s in the file URI the run changes shows nowhere, and is not written to the record",
    async (c) => {
      const password = `s3cr${c}tPassw0rd`;
      const emu = await emulator({
        scaleSets: [
          {
            name: "vmss-b",
            instances: 2,
            extensions: [
              {
                name: "customScript",
                publisher: "Microsoft.Azure.Extensions",
                type: "CustomScript",
                typeHandlerVersion: "2.1",
                settings: { fileUris: [`https://deploy:${password}@files.contoso.example/install.sh`] },
              },
            ],
          },
        ],
      });
      try {
        const result = await runAction({
          emu,
          scaleSet: "vmss-b",
          inputs: {
            ...FAST,
            "image-version": "",
            "extension-name": "customScript",
            "extension-file-uris": "https://st.blob.core.windows.net/s/install-v2.sh",
          },
        });
        expectExit(result, 0);
        expectNoSecrets(result, emu, { password, "password, escaped": password.replace(c, `&#${c.codePointAt(0)};`) });
        // The rollout record (tags on the scale set, which every VM reads through IMDS) holds no part of it.
        expect(tagWrites(emu).length).toBeGreaterThan(0);
        expect(JSON.stringify(tagWrites(emu).map((w) => w.body))).not.toContain(password.slice(5));
        expect(readable(result.summary)).toContain("https://***@files.contoso.example/install.sh");
      } finally {
        await emu.stop();
      }
    },
    120_000,
  );
});
