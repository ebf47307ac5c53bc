// The Octokit adapter prints nothing around the gate: Octokit's own messages (a deprecation notice quoting the
// server's Sunset and Link headers) go through the run's gated logger, never to the console; a deployment ID that is
// not a positive integer is refused. GitHub is a local HTTP server answering what a hostile or broken one could.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import { CANCELLED_GRACE_MS, cancelCutoff, octokitDeployments } from "../../../src/github/deployments.ts";
import type { Logger } from "../../../src/engine/ports.ts";
import { GitHubApiError } from "../../../src/github/tracker.ts";
import { Gate } from "../../../src/shared/gate.ts";

const TOKEN = "ghs_token123456789abcdef";
let answer: { id: unknown; headers: Record<string, string>; status?: number; reset?: boolean } = {
  id: 7,
  headers: {},
};
let server: Server;
let apiUrl = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (answer.reset) return void req.socket.destroy();
      res.writeHead(answer.status ?? 201, { "content-type": "application/json", ...answer.headers });
      res.end(
        JSON.stringify(
          answer.status ? { message: "Resource not accessible by integration" } : { id: answer.id, url: "x" },
        ),
      );
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

// After a cancel every GitHub call ends CANCELLED_GRACE_MS after it at the latest (one started later at once). Before
// the first fix every call ended 2 s after the cancel, so a final status sent after a slow last listing and tag write
// failed at once and the deployment stayed in_progress; since the run's final steps end 4 s after the cancel, 4.5 s
// leaves that status half a second.
describe("cancelCutoff", () => {
  it.each([
    { name: "a call waiting when the job is cancelled", startsAt: 0, cancelAt: 1_000, endsAt: 5_500 },
    { name: "a call started soon after the cancel", startsAt: 2_000, cancelAt: 1_000, endsAt: 5_500 },
    { name: "a call started 4 s after the cancel", startsAt: 5_000, cancelAt: 1_000, endsAt: 5_500 },
    { name: "a call started 4.5 s after the cancel", startsAt: 5_500, cancelAt: 1_000, endsAt: 5_500 },
    { name: "a call started 6 s after the cancel", startsAt: 7_000, cancelAt: 1_000, endsAt: 7_000 },
  ])("$name ends at $endsAt ms", ({ startsAt, cancelAt, endsAt }) => {
    vi.useFakeTimers({ now: 0 });
    try {
      const cancel = new AbortController();
      const cutoff = cancelCutoff(cancel.signal);
      let endedAt: number | undefined;
      // A call takes the cutoff's signal when it starts: ended then if it is already aborted.
      const start = (): void => {
        if (cutoff.aborted) endedAt = Date.now();
        cutoff.addEventListener("abort", () => (endedAt = Date.now()));
      };
      setTimeout(start, startsAt);
      setTimeout(() => cancel.abort(), cancelAt);
      vi.advanceTimersByTime(20_000);
      expect(endedAt).toBe(endsAt);
    } finally {
      vi.useRealTimers();
    }
  });

  // A review (2026-12-07): each call after the cancel got its own second, so calls sent one after the other (the
  // tracker's chain: a pending in_progress then the final status, or the creation then its status) went on to 5.8 s
  // after the cancel, past issue #18's 5 s.
  it("calls sent one after the other, none answered, all end by CANCELLED_GRACE_MS after the cancel", () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const cancel = new AbortController();
      const cutoff = cancelCutoff(cancel.signal);
      const ended: number[] = [];
      const next = (): void => {
        const end = (): void => {
          ended.push(Date.now());
          if (ended.length < 4) next();
        };
        if (cutoff.aborted) end();
        else cutoff.addEventListener("abort", end, { once: true });
      };
      setTimeout(next, 3_000); // the first starts 2 s before the cancel: it waits on a GitHub that does not answer
      setTimeout(() => cancel.abort(), 5_000);
      vi.advanceTimersByTime(20_000);
      expect(ended).toEqual(Array(4).fill(5_000 + CANCELLED_GRACE_MS));
    } finally {
      vi.useRealTimers();
    }
  });

  it("never ends a call when the job is not cancelled", () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const cancel = new AbortController();
      const open = cancelCutoff(cancel.signal);
      vi.advanceTimersByTime(60_000);
      expect(open.aborted).toBe(false);
      cancel.abort();
      vi.advanceTimersByTime(60_000);
      expect(open.aborted).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

// GitHub's status only when GitHub answered: @octokit/request gives a request with no answer (a connection lost, the
// timeout) status 500, and before, the warning then read as a GitHub server error.
describe("octokitDeployments: the status of a failed call", () => {
  it.each([
    { name: "GitHub answered 403", set: { status: 403 }, status: 403 },
    { name: "the connection was lost, no answer", set: { reset: true }, status: 0 },
  ])("$name: status $status", async ({ set, status }) => {
    const saved = answer;
    answer = { ...answer, ...set };
    try {
      const api = octokitDeployments(config());
      const failure = await api.createDeployment(REQUEST).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(GitHubApiError);
      expect((failure as GitHubApiError).status).toBe(status);
    } finally {
      answer = saved;
    }
  });
});
