// A stand-in for the Azure Instance Metadata Service token endpoint, so ManagedIdentityCredential can be tested
// against the emulator. @azure/identity (through msal-node) asks
//   GET {AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]
// with `Metadata: true`, as on an Azure VM. The stand-in gets the token from the emulator's Entra with the emulator's
// service principal, and answers like IMDS: 400 "Identity not found" for a client_id it does not know.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeImdsIdentity {
  /** The emulator's Entra (`emu.authorityHost`) and its service principal, which plays the machine's identity. */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface FakeImds {
  /** Value for AZURE_POD_IDENTITY_AUTHORITY_HOST (plain http, as IMDS is). */
  readonly endpoint: string;
  /** Query strings of the token requests received. */
  readonly requests: ReadonlyArray<Readonly<Record<string, string>>>;
  stop(): Promise<void>;
}

export async function startFakeImds(identity: FakeImdsIdentity): Promise<FakeImds> {
  const requests: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://imds");
    const query = Object.fromEntries(url.searchParams);
    requests.push(query);
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (!/^\/metadata\/identity\/oauth2\/token\/?$/.test(url.pathname) || req.headers["metadata"] !== "true") {
      answer(400, { error: "invalid_request", error_description: "Required metadata header not specified" });
      return;
    }
    const clientId = query["client_id"];
    if (clientId !== undefined && clientId.toLowerCase() !== identity.clientId.toLowerCase()) {
      answer(400, { error: "invalid_request", error_description: "Identity not found" });
      return;
    }
    const resource = query["resource"] ?? "";
    tokenFromEntra(identity, resource).then(
      ({ accessToken, expiresIn }) => {
        const expiresOn = Math.floor(Date.now() / 1000) + expiresIn;
        answer(200, {
          access_token: accessToken,
          client_id: identity.clientId,
          expires_in: String(expiresIn),
          expires_on: String(expiresOn),
          ext_expires_in: String(expiresIn),
          not_before: String(expiresOn - expiresIn),
          resource,
          token_type: "Bearer",
        });
      },
      (err: unknown) =>
        answer(500, { error: "unknown", error_description: err instanceof Error ? err.message : String(err) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function tokenFromEntra(
  identity: FakeImdsIdentity,
  resource: string,
): Promise<{ accessToken: string; expiresIn: number }> {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: identity.clientId,
    client_secret: identity.clientSecret,
    scope: `${resource}/.default`,
  });
  const response = await fetch(`${identity.authorityHost.replace(/\/+$/, "")}/${identity.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body: form,
  });
  const body = (await response.json()) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!response.ok || !body.access_token)
    throw new Error(body.error_description ?? `Entra answered ${response.status}`);
  return { accessToken: body.access_token, expiresIn: Number(body.expires_in) };
}
