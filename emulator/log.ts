// The request log and per-operation counters tests and benchmarks read (Emulator.requests / counters() / writes()).
import type { IncomingHttpHeaders } from "node:http";
import type { RequestLogEntry } from "./types.ts";

/** Form fields that carry credentials; the log keeps their presence, not their value. */
const SECRET_FIELDS = ["client_secret", "client_assertion"];

export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  private readonly counts = new Map<string, number>();
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    this.count(entry.operation);
    if (entry.status === 429) this.count("Throttled");
  }

  counters(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.entries.length = 0;
    this.counts.clear();
  }

  private count(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
}

export function loggedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === "authorization" || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function loggedBody(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of SECRET_FIELDS) if (field in copy) copy[field] = "***";
  return copy;
}
