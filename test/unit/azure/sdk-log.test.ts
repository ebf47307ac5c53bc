// The SDK's log through the gate: AzureLogger (AZURE_LOG_LEVEL) and the `debug` package (DEBUG) the SDK's proxy agents
// write to, which logs the proxy's URL with its user:password@.
import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AzureLogger, createClientLogger, getLogLevel, setLogLevel } from "@azure/logger";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import { routeSdkLog } from "../../../src/azure/sdk-log.ts";
import { Gate } from "../../../src/shared/gate.ts";

// `debug` as the proxy agents resolve it (require("debug") from their own folder).
const require = createRequire(import.meta.url);
const debug = createRequire(require.resolve("https-proxy-agent"))("debug");

const PROXY = "http://user:s3cret@proxy:3128";

describe("routeSdkLog", () => {
  const saved = { azureLog: AzureLogger.log, debugLog: debug.log, env: process.env.DEBUG, level: getLogLevel() };
  let lines: string[];
  let stderr: string[];

  beforeEach(() => {
    lines = [];
    stderr = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const gate = new Gate();
    routeSdkLog((line) => lines.push(gate.line(line)));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    AzureLogger.log = saved.azureLog;
    debug.log = saved.debugLog;
    debug.enable(saved.env ?? "");
    setLogLevel(saved.level);
    if (saved.env === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = saved.env;
  });

  it.each([
    { agent: "https-proxy-agent", create: () => new HttpsProxyAgent(PROXY) },
    { agent: "http-proxy-agent", create: () => new HttpProxyAgent(PROXY) },
  ])("sends $agent's debug lines (DEBUG=*) through the gate, not to stderr", ({ agent, create }) => {
    debug.enable("*");
    create();
    expect(stderr).toEqual([]);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`${agent} Creating new Http\\w*ProxyAgent instance`))]);
    expect(lines[0]).toContain("http://***@proxy:3128");
    expect(lines.join("\n")).not.toContain("s3cret");
  });

  it("sends a debug(namespace) line of the proxy agents' `debug` module through the gate", () => {
    debug.enable("https-proxy-agent");
    debug("https-proxy-agent")("connecting through %s", PROXY);
    expect(stderr).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/https-proxy-agent connecting through http:\/\/\*\*\*@proxy:3128/);
  });

  it("sends the Azure SDK's log lines (AZURE_LOG_LEVEL) through the gate, not to stderr", () => {
    setLogLevel("info");
    createClientLogger("compute").info("Azure said:\n::stop-commands::tok");
    expect(stderr).toEqual([]);
    expect(lines).toEqual([expect.stringMatching(/^azure:compute:info Azure said: ::stop-commands::tok$/)]);
  });
});
