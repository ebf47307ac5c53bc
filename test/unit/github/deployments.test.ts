// The Octokit adapter prints nothing around the gate: Octokit's own messages (a deprecation notice quoting the
// server's Sunset and Link headers) go through the run's gated logger, never to the console; a deployment ID that is
// not a positive integer is refused. GitHub is a local HTTP server answering what a hostile or broken one could.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import { octokitDeployments } from "../../../src/github/deployments.ts";
import type { Logger } from "../../../src/engine/ports.ts";
import { Gate } from "../../../src/shared/gate.ts";

const TOKEN = "ghs_token123456789abcdef";
let answer: { id: unknown; headers: Record<string, string> } = { id: 7, headers: {} };
let server: Server;
let apiUrl = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(201, { "content-type": "application/json", ...answer.headers });
      res.end(JSON.stringify({ id: answer.id, url: "x" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function config() {
  return parseConfig(
    (name) =>
      ({
        "subscription-id": "11111111-2222-3333-4444-555555555555",
        "resource-group": "rg-web",
        "scale-set": "vmss-web",
        "image-version": "1.4.0",
        "deployment-environment": "production",
        "github-token": TOKEN,
      })[name] ?? "",
    { GITHUB_REPOSITORY: "octo/app", GITHUB_RUN_ID: "1", GITHUB_API_URL: apiUrl, GITHUB_SHA: "8c1a3e0b5d2f" },
  );
}

/** The lines a reader of the job log sees: each message through the gate, as main's logger does. */
function gatedLogger() {
  const gate = new Gate([TOKEN]);
  const lines: string[] = [];
  const log: Logger = {
    debug: (m) => void lines.push(`debug ${gate.line(m)}`),
    info: (m) => void lines.push(gate.line(m)),
    warning: (m) => void lines.push(`warning ${gate.line(m)}`),
    error: (m) => void lines.push(`error ${gate.line(m)}`),
    notice: (m) => void lines.push(`notice ${gate.line(m)}`),
    startGroup: () => {},
    endGroup: () => {},
  };
  return { log, lines };
}

const REQUEST = {
  ref: "8c1a3e0b5d2f",
  environment: "production",
  description: "d",
  productionEnvironment: true,
  payload: {},
} as unknown as Parameters<ReturnType<typeof octokitDeployments>["createDeployment"]>[0];

describe("Octokit's deprecation notice quoting the server's headers", () => {
  it("is one gated log line, and nothing reaches the console", async () => {
    answer = {
      id: 7,
      headers: {
        deprecation: "true",
        sunset: `never ##[stop-commands]abc ${TOKEN}`,
        link: `<https://evil.example/##[add-mask]x>; rel="deprecation"`,
      },
    };
    const consoleCalls = ["warn", "error", "log", "info", "debug"].map((m) =>
      vi.spyOn(console, m as "warn").mockImplementation(() => {}),
    );
    const stderr = vi.spyOn(process.stderr, "write");
    try {
      const { log, lines } = gatedLogger();
      const id = await octokitDeployments(config(), undefined, log).createDeployment(REQUEST);
      expect(id).toBe(7);
      for (const spy of consoleCalls) expect(spy).not.toHaveBeenCalled();
      expect(stderr).not.toHaveBeenCalled();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^GitHub API: \[@octokit\/request\] "POST .*" is deprecated/);
      expect(lines[0]).not.toContain("##[");
      expect(lines[0]).not.toContain(TOKEN);
    } finally {
      for (const spy of consoleCalls) spy.mockRestore();
      stderr.mockRestore();
    }
  });
});

describe("the deployment ID GitHub answers", () => {
  it.each([
    { id: 7, ok: true },
    { id: 2 ** 40, ok: true },
    { id: "7", ok: false },
    { id: "<img src=https://evil.example/x>", ok: false },
    { id: 0, ok: false },
    { id: -3, ok: false },
    { id: 1.5, ok: false },
    { id: null, ok: false },
  ])("$id: accepted $ok", async ({ id, ok }) => {
    answer = { id, headers: {} };
    const { log } = gatedLogger();
    const created = octokitDeployments(config(), undefined, log).createDeployment(REQUEST);
    if (ok) await expect(created).resolves.toBe(id);
    else await expect(created).rejects.toThrow(/without a valid deployment ID/);
  });
});
