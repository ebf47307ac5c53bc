// The emulator's request/response vocabulary, shared by the Entra, GitHub and ARM handlers.
import type { IncomingHttpHeaders } from "node:http";

export interface Incoming {
  readonly method: string;
  /** Decoded path as sent (case kept). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON, parsed form (as a plain object), raw text, or undefined when empty. */
  readonly body: unknown;
  /** `https://127.0.0.1:<port>`, from the Host header: absolute URLs the emulator returns point back at itself. */
  readonly origin: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Objects are sent as JSON; undefined sends an empty body (content-length: 0). */
  readonly body?: unknown;
  /** Filled by the router: the operation name used in logs and counters, e.g. `VirtualMachineScaleSets.Get`. */
  readonly operation?: string;
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});

export interface ArmErrorBody {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
  readonly details?: readonly ArmErrorBody[];
  readonly innererror?: Readonly<Record<string, unknown>>;
}

/** An ARM error response: `{"error":{"code","message",…}}` with its status (and extra headers). Thrown by handlers. */
export class ArmError extends Error {
  readonly status: number;
  readonly body: ArmErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, body: ArmErrorBody, headers: Record<string, string> = {}) {
    super(`${status} ${body.code}: ${body.message}`);
    this.name = "ArmError";
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
  toReply(): Reply {
    return { status: this.status, body: { error: this.body }, headers: { ...this.headers } };
  }
}
