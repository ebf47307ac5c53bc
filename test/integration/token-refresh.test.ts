// The sign-in given up on an aborted signal (812fc71) must not reach the SDK's background token refresh: its token
// cycler refreshes in the last two minutes of a token with the signal of the request that started the refresh, and
// retries with that same signal every 3 s until the old token expires. Given up on that signal, the refresh never
// landed and every later request failed with an AbortError though nothing aborted it (a review, 2026-12-06).
import { readFileSync } from "node:fs";
import { createServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it, vi } from "vitest";
import { adapterFor, configFor, useEmulator } from "./harness.ts";

const emulator = useEmulator();
afterEach(() => void vi.useRealTimers());

/** An HTTPS proxy in front of the emulator's Entra that holds each answer `delay.ms` before passing it on. */
async function slowEntra(target: string) {
  const delay = { ms: 0 };
  const server = createServer(
    { key: readFileSync("emulator/tls/key.pem"), cert: readFileSync("emulator/tls/cert.pem") },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", target);
        const wait = delay.ms;
        const out = httpsRequest(url, { method: req.method, headers: { ...req.headers } }, (up) => {
          const body: Buffer[] = [];
          up.on("data", (c: Buffer) => body.push(c));
          up.on("end", () =>
            setTimeout(() => {
              const headers = { ...up.headers };
              delete headers["transfer-encoding"];
              delete headers["content-length"];
              delete headers["connection"];
              res.writeHead(up.statusCode ?? 500, headers);
              res.end(Buffer.concat(body));
            }, wait),
          );
        });
        out.end(Buffer.concat(chunks));
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, delay, close: () => (server.closeAllConnections(), server.close()) };
}

it("a request of the run, never aborted, does not fail with an AbortError because an earlier request's signal aborted during a background token refresh", async () => {
  const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 1 }], tokenLifetimeSeconds: 60 });
  const entra = await slowEntra(emu.authorityHost);
  try {
    vi.useFakeTimers({ toFake: ["Date"] });
    const base = configFor(emu);
    const api = adapterFor({ ...base, cloud: { ...base.cloud, authorityHost: entra.url } });
    const t0 = Date.now();
    await api.getScaleSet(new AbortController().signal); // token 1, expires t0 + 60 s (inside the 2 min refresh window)

    // The next request starts a background refresh with its own signal; Entra takes 1.5 s; that signal aborts meanwhile
    // (a step's budget, the run's work signal on a timeout before a rollback, ...). The request itself got its answer.
    entra.delay.ms = 1_500;
    const step = new AbortController();
    await api.getScaleSet(step.signal);
    step.abort();
    entra.delay.ms = 0;
    await new Promise((r) => setTimeout(r, 2_000)); // Entra has answered the refresh by now

    // Later (token 1 about to expire), a request with a live signal.
    vi.setSystemTime(t0 + 59_500);
    const later = api.getScaleSet(new AbortController().signal);
    setTimeout(() => vi.setSystemTime(t0 + 60_100), 500);
    const outcome = await later.then(
      () => "read",
      (err: unknown) => `failed: ${(err as Error).name}: ${(err as Error).message}`,
    );
    expect(outcome).toBe("read");
  } finally {
    entra.close();
  }
}, 30_000);
