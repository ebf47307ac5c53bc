// The HTTPS server: parses each request, dispatches it to GitHub's OIDC endpoint, Entra or ARM, applies ARM's
// gatekeeping (bearer token, api-version), injected request faults and throttling, and logs every exchange.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { authorizationFailed } from "./arm/authorization.ts";
import {
  GALLERY_API_VERSIONS,
  RESOURCES_LISTED_VERSIONS,
  resourcesVersionServed,
  resourceTypeOf,
  SUPPORTED_API_VERSIONS,
} from "./arm/api-versions.ts";
import { knownRegions } from "./arm/providers.ts";
import type { Arm, ArmRoute } from "./arm/routes.ts";
import type { Entra } from "./entra.ts";
import type { Faults } from "./faults.ts";
import { GITHUB_API_PREFIX, type GitHubApi } from "./github-api.ts";
import type { GitHubOidc } from "./github-oidc.ts";
import { ArmError, json, type Incoming, type Reply } from "./http.ts";
import { loggedBody, loggedHeaders, type RequestLog } from "./log.ts";
import { resourcePolicy, throttled, type Throttle } from "./throttle.ts";

export interface ServerParts {
  readonly key: string;
  readonly cert: string;
  readonly entra: Entra;
  readonly github: GitHubOidc;
  /** GitHub's REST API (Deployments); optional so that servers built without it keep working. */
  readonly githubApi?: GitHubApi;
  readonly arm: Arm;
  readonly faults: Faults;
  readonly throttle: Throttle;
  readonly log: RequestLog;
  /** The token audiences this ARM endpoint accepts, compared exactly (ARM: "It should exactly match …"). */
  readonly audiences: () => readonly string[];
  /** Simulated milliseconds to hold an ARM request before its handler runs (the `latencyMs` option). */
  readonly latency: (operation: string, req: Incoming) => number;
  /** The region named in `x-ms-routing-request-id` (ARM's, shown upper-case, e.g. `WESTEUROPE`). */
  readonly region: string;
  /** Resolves after `ms` simulated milliseconds (the emulator's speed-scaled clock). */
  readonly delay: (ms: number) => Promise<void>;
}

export function createEmulatorServer(parts: ServerParts): Server {
  return createServer({ key: parts.key, cert: parts.cert }, (req, res) => {
    void handle(parts, req, res).catch((error: unknown) => {
      // A bug in the emulator: make it visible to the test rather than hanging the client.
      res
        .writeHead(500, { "content-type": "text/plain" })
        .end(`emulator error: ${String(error instanceof Error ? error.stack : error)}`);
    });
  });
}

async function handle(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const seq = parts.log.nextSeq();
  const raw = await readBody(req);
  // Not `new URL(req.url, base)`: a path starting `//` (a client joining `<endpoint>/` and `/metadata/…`) would be read as a host.
  const url = new URL(`https://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`);
  const path = decodedPath(url.pathname);
  const incoming: Incoming = {
    method: (req.method ?? "GET").toUpperCase(),
    path: path ?? url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: parseBody(raw, req.headers["content-type"]),
    origin: url.origin,
  };

  const arm = path === undefined ? undefined : parts.arm.route(incoming);
  let reply: Reply | "drop";
  if (path === undefined) reply = malformedPath(url);
  else if (arm) reply = await armReply(parts, arm, incoming, raw, req);
  else {
    await parts.githubApi?.hold(incoming);
    reply =
      metadataEndpoints(incoming) ??
      parts.github.handle(incoming) ??
      parts.githubApi?.handle(incoming) ??
      parts.entra.handle(incoming) ??
      unrouted(parts, incoming);
  }

  const operation = arm?.operation ?? (reply === "drop" ? "Unknown" : reply.operation) ?? "Unknown";
  const status = reply === "drop" ? 0 : reply.status;
  parts.log.add({
    seq,
    method: incoming.method,
    path: incoming.path,
    query: Object.fromEntries(incoming.query),
    headers: loggedHeaders(req.headers),
    body: loggedBody(incoming.body),
    status,
    operation,
    ...(reply !== "drop" ? errorCode(reply) : {}),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  });

  if (reply === "drop") {
    req.socket.destroy();
    return;
  }
  send(res, reply, req.headers, parts.region, incoming.method === "HEAD");
}

/** The path with its percent-escapes decoded, or undefined when one is malformed (`%E0%A4%A`, `%zz`). */
function decodedPath(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
}

/**
 * A path whose percent-escapes do not decode: 400 with an ARM error body, before any routing or sign-in check (a 500
 * would be retried by every SDK's retry policy). The code and message are assumed, patterned on ARM's gateway refusal
 * of a double-encoded URI (`InvalidDoubleEncodedRequestUri` "The request URI '<uri>' is not valid, because it contains
 * double encoding sequence '%25'.", Azure/azure-cli#25154); no capture of Azure's answer to a malformed escape was
 * found. Entra's and GitHub's paths get the same answer (assumed too).
 */
function malformedPath(url: URL): Reply {
  return json(400, {
    error: {
      code: "InvalidRequestUri",
      message: `The request URI '${url.origin}${url.pathname}' is not valid, because it contains a malformed percent-encoded sequence.`,
    },
  });
}

/** Until `seconds` (real) have passed (undefined: never) or the client closes the connection. */
async function hold(message: IncomingMessage, seconds: number | undefined): Promise<void> {
  const closed = new Promise<void>((resolve) => message.socket.once("close", () => resolve()));
  if (seconds === undefined) await closed;
  else await Promise.race([new Promise((resolve) => setTimeout(resolve, seconds * 1000)), closed]);
}

/** ARM's gatekeeping, then faults, throttling, the configured latency and the handler. */
async function armReply(
  parts: ServerParts,
  route: ArmRoute,
  req: Incoming,
  raw: string,
  message: IncomingMessage,
): Promise<Reply | "drop"> {
  try {
    const caller = authenticate(parts, req);
    const apiVersion = requireApiVersion(req);
    // Microsoft.Network (the NICs of Flexible VMs) is checked like Resource Manager's own routes: any well-formed
    // version (its list of published versions is not kept here; assumption, README "Flexible orchestration").
    // Compute's galleries have api-versions of their own (GALLERY_API_VERSIONS).
    const computeVersions =
      route.provider === "Microsoft.Compute/galleries" ? GALLERY_API_VERSIONS : SUPPORTED_API_VERSIONS;
    const compute = route.provider === "Microsoft.Compute" || route.provider === "Microsoft.Compute/galleries";
    const served = !compute ? resourcesVersionServed(apiVersion) : computeVersions.includes(apiVersion.toLowerCase());
    if (!served) throw unservedApiVersion(parts, route, req, apiVersion, compute ? computeVersions : undefined);
    if (raw.length > 0 && req.body === undefined) {
      throw new ArmError(400, {
        code: "InvalidRequestContent",
        message: "The request content was invalid and could not be deserialized.",
      });
    }
    // A scale-in due now happens before the request is answered, whatever the answer is.
    parts.faults.scaleInBefore(route.operation, route.scaleSet);
    parts.faults.runTriggers(route.operation, "before");
    const fault = parts.faults.takeRequestFault(route.operation, req.path);
    if (fault?.kind === "hang") {
      // Held unanswered; nothing is processed meanwhile. A client that gives up closes the socket: then nothing is.
      await hold(message, fault.holdSeconds);
      if (message.socket.destroyed) return "drop";
    }
    if (fault?.kind === "forbidden")
      throw authorizationFailed(route.operation, req.path, caller.objectId, fault.action);
    if (fault?.kind === "drop") return "drop";
    if (fault?.kind === "throttle") {
      const policy = resourcePolicy(route.operation);
      const waitMs = fault.retryAfterSeconds === null ? undefined : fault.retryAfterSeconds * 1000;
      throw throttled(policy, 30, waitMs, `Microsoft.Compute/${policy};0`);
    }
    if (fault?.kind === "serverError") {
      throw new ArmError(500, {
        code: "InternalServerError",
        message: "An internal server error occurred. Please retry later.",
      });
    }
    if (fault?.kind === "conflict") {
      throw new ArmError(409, {
        code: "Conflict",
        message:
          "The request failed due to conflict with a concurrent request. To resolve it, please refer to https://aka.ms/activitylog to get more details on the conflicting requests.",
      });
    }
    const limits = parts.throttle.take(route.operation, route.subscriptionId, route.resourceKey);
    // Latency before the handler: the answer reflects the state when Azure would have computed it, not at arrival.
    const latency = parts.latency(route.operation, req);
    if (latency > 0) await parts.delay(latency);
    let reply: Reply;
    try {
      reply = route.handle();
    } catch (error) {
      throw withRpCounters(error, route, () => ({ ...limits, ...armLimits(parts, req, route.subscriptionId) }));
    } finally {
      parts.faults.runTriggers(route.operation, "after");
    }
    // The write (if any) is applied; the answer is lost on the way back.
    if (fault?.kind === "dropAfter") return "drop";
    // The write (if any) is applied; its answer is held, and lost if the client gives up meanwhile.
    if (fault?.kind === "hangAfter") {
      await hold(message, fault.holdSeconds);
      if (message.socket.destroyed) return "drop";
    }
    return {
      ...reply,
      operation: route.operation,
      headers: { ...limits, ...armLimits(parts, req, route.subscriptionId), ...reply.headers },
    };
  } catch (error) {
    if (error instanceof ArmError) return { ...parts.faults.taintReply(error.toReply()), operation: route.operation };
    throw error;
  }
}

/**
 * An api-version the route does not serve, refused as Azure words it (400 either way):
 * - Resource Manager's own routes (subscriptions, resource groups, providers, tags): `InvalidApiVersionParameter` "The
 *   api-version '<v>' is invalid. The supported versions are '<list>'." (Azure/azure-rest-api-specs#11711, a resource
 *   group's PUT; Azure/azure-sdk-for-python#975; Azure/azure-powershell#6031; the list: RESOURCES_LISTED_VERSIONS);
 * - a resource provider's (Compute, its galleries, Microsoft.Network): `NoRegisteredProviderFound` "No registered
 *   resource provider found for location '<region>' and API version '<v>' for type '<type>'. The supported
 *   api-versions are '<oldest, …, newest>'. The supported locations are '<regions>'." (Azure/azure-sdk-for-python#32029,
 *   Azure/azure-cli#956, Azure/AzureRMR#2: the region of the resource, its type without names, versions oldest first
 *   and `, `-separated, then Compute's regions). The region is the scale set's when the path names one the emulator
 *   has, else the one named in the path (`…/locations/<region>/…`), else the emulator's first; the locations listed
 *   are the regions the emulator knows (Azure lists every region Compute serves). Microsoft.Network's versions are
 *   not kept here (any well-formed one is served): its refusal lists none.
 */
function unservedApiVersion(
  parts: ServerParts,
  route: ArmRoute,
  req: Incoming,
  apiVersion: string,
  versions: readonly string[] | undefined,
): ArmError {
  if (route.provider === "Microsoft.Resources")
    return new ArmError(400, {
      code: "InvalidApiVersionParameter",
      message: `The api-version '${apiVersion}' is invalid. The supported versions are '${RESOURCES_LISTED_VERSIONS.join(",")}'.`,
    });
  const oldestFirst = [...(versions ?? [])].sort();
  const here = canonicalRegion(
    parts.arm.locationOf(req.path) ?? /\/locations\/([^/]+)/i.exec(req.path)?.[1] ?? parts.region,
  );
  const locations = [...new Set([here, ...knownRegions()])];
  return new ArmError(400, {
    code: "NoRegisteredProviderFound",
    message: `No registered resource provider found for location '${here}' and API version '${apiVersion}' for type '${resourceTypeOf(req.path)}'. The supported api-versions are '${oldestFirst.join(", ")}'. The supported locations are '${locations.join(", ")}'.`,
  });
}

const canonicalRegion = (region: string): string => region.replace(/\s+/g, "").toLowerCase();

/**
 * An error the resource provider itself answered carries the same counters as its successes: Compute's
 * `x-ms-ratelimit-remaining-resource` and ARM's `x-ms-ratelimit-remaining-subscription-writes` (recorded:
 * azure-cli_test_vmss_update_image.yaml #50 PUT …/virtualMachineScaleSets/vmss1 → 400 BadRequest, and
 * azure-cli-2020_test_vmss_rolling_upgrade.yaml #54 POST …/rollingUpgrades/cancel → 409 OperationNotAllowed, both with
 * the two headers). Refusals by ARM's gateway do not (…test_vmss_extension.yaml #9 GET of a missing set: 404 with
 * `x-ms-failure-cause: gateway` and neither), nor do the method and subscription checks made before the provider.
 */
function withRpCounters(error: unknown, route: ArmRoute, counters: () => Record<string, string>): unknown {
  if (!(error instanceof ArmError) || route.provider !== "Microsoft.Compute") return error;
  if (error.status === 405 || error.body.code === "SubscriptionNotFound") return error;
  if (Object.keys(error.headers).some((h) => h.toLowerCase() === "x-ms-failure-cause")) return error;
  return new ArmError(error.status, error.body, { ...counters(), ...error.headers });
}

/**
 * ARM's own per-subscription request counters (recorded on every ARM answer: `x-ms-ratelimit-remaining-subscription-reads`
 * on GETs, `-writes` on PUT/PATCH/POST, `-deletes` on DELETE; e.g. `11926`, `1198`). Counted per hour of wall-clock
 * time from ARM's classic limits (12,000 reads, 1,200 writes, 15,000 deletes per hour); informational, never enforced.
 */
const ARM_HOURLY: Readonly<Record<string, number>> = { reads: 12_000, writes: 1_200, deletes: 15_000 };
const armCounters = new WeakMap<ServerParts, Map<string, { hour: number; used: number }>>();

function armLimits(parts: ServerParts, req: Incoming, subscriptionId: string): Record<string, string> {
  const kind = req.method === "GET" || req.method === "HEAD" ? "reads" : req.method === "DELETE" ? "deletes" : "writes";
  let counters = armCounters.get(parts);
  if (!counters) armCounters.set(parts, (counters = new Map()));
  const key = `${subscriptionId.toLowerCase()}/${kind}`;
  const hour = Math.floor(Date.now() / 3_600_000);
  const counter = counters.get(key);
  const used = counter && counter.hour === hour ? counter.used + 1 : 1;
  counters.set(key, { hour, used });
  return { [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(Math.max(0, (ARM_HOURLY[kind] ?? 0) - used)) };
}

/** The caller's object ID once ARM accepted the bearer token. */
function authenticate(parts: ServerParts, req: Incoming): { objectId: string } {
  const authorization = req.headers.authorization;
  const challenge = (description: string): Record<string, string> => ({
    "WWW-Authenticate": `Bearer authorization_uri="${req.origin}/${parts.entra.config.tenantId}", error="invalid_token", error_description="${description}"`,
  });
  if (!authorization) {
    throw new ArmError(
      401,
      { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." },
      challenge("The authentication failed because of missing 'Authorization' header."),
    );
  }
  const [scheme, token] = authorization.split(" ");
  if (scheme?.toLowerCase() !== "bearer" || !token) {
    throw new ArmError(
      401,
      {
        code: "AuthenticationFailedInvalidHeader",
        message: "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      },
      challenge("The authentication failed because of invalid 'Authorization' header."),
    );
  }
  const checked = parts.entra.checkAccessToken(token);
  if (!checked.ok && checked.reason === "expired") {
    throw new ArmError(
      401,
      {
        code: "ExpiredAuthenticationToken",
        message: `The access token expiry UTC time '${usTime(checked.expiredAt ?? new Date())}' is earlier than current UTC time '${usTime(new Date())}'.`,
      },
      challenge("The access token has expired."),
    );
  }
  if (!checked.ok) {
    throw new ArmError(
      401,
      { code: "InvalidAuthenticationToken", message: "The access token is invalid." },
      challenge("The access token is invalid."),
    );
  }
  // Each ARM endpoint has its own audiences (public cloud: management.core.windows.net and management.azure.com, each
  // with and without the trailing slash; US Gov: the usgovcloudapi.net pair). A token for another cloud is refused.
  const allowed = parts.audiences();
  if (!allowed.includes(checked.audience)) {
    throw new ArmError(
      401,
      {
        code: "InvalidAuthenticationTokenAudience",
        message: `The access token has been obtained for wrong audience or resource '${checked.audience}'. It should exactly match with one of the allowed audiences ${allowed.map((a) => `'${a}'`).join(",")}.`,
      },
      challenge("The access token has been obtained for wrong audience or resource."),
    );
  }
  return { objectId: checked.objectId };
}

/** ARM prints token times as `11/26/2025 1:05:09 AM`. */
function usTime(date: Date): string {
  return date.toLocaleString("en-US", { timeZone: "UTC" }).replace(",", "");
}

/**
 * `GET /metadata/endpoints?api-version=…` (no token): the cloud's endpoints, as Azure's ARM and Azure Stack Hub's serve
 * them, in the shape the api-version asks for. `2015-01-01` (what az 2.45 asks, msrestazure `_populate_from_metadata_endpoint`:
 * `loginEndpoint`, `audiences[0]`, `graphEndpoint`, `galleryEndpoint`) is the flat document of
 * `https://management.azure.com/metadata/endpoints?api-version=2015-01-01`; `2019-05-01` an array of clouds and
 * `2022-09-01` (newer az: azure-cli `_populate_from_metadata_endpoint` → `_arm_to_cli_mapper`: `name`,
 * `resourceManager`, `authentication`, `suffixes`, `graphAudience`, …) one cloud object. The login endpoint is the
 * AD FS form `<arm>/adfs`, the authority MSAL Python signs in through without asking Microsoft's public host for
 * instance discovery (Azure Stack Hub with AD FS publishes the same form). Other endpoints and suffixes point back at
 * the emulator or at the reserved `.invalid` domain: nothing serves them.
 */
function metadataEndpoints(req: Incoming): Reply | undefined {
  if (req.method !== "GET" || !/^\/+metadata\/endpoints\/?$/i.test(req.path)) return undefined;
  const origin = req.origin;
  const authentication = { loginEndpoint: `${origin}/adfs`, audiences: [`${origin}/`, origin] };
  const apiVersion = req.query.get("api-version") ?? "2015-01-01";
  if (apiVersion < "2019-05-01") {
    return {
      ...json(200, {
        galleryEndpoint: `${origin}/gallery/`,
        graphEndpoint: `${origin}/graph/`,
        portalEndpoint: `${origin}/portal/`,
        authentication,
      }),
      operation: "Metadata.Endpoints",
    };
  }
  const cloud = {
    name: "Emulator",
    resourceManager: `${origin}/`,
    portal: `${origin}/portal/`,
    gallery: `${origin}/gallery/`,
    graph: `${origin}/graph/`,
    graphAudience: `${origin}/graph/`,
    microsoftGraphResourceId: `${origin}/msgraph/`,
    authentication: { ...authentication, tenant: "adfs", identityProvider: "ADFS" },
    suffixes: {
      storage: "storage.emulator.invalid",
      keyVaultDns: "vault.emulator.invalid",
      acrLoginServer: "acr.emulator.invalid",
      sqlServerHostname: "database.emulator.invalid",
    },
  };
  return { ...json(200, apiVersion < "2020-06-01" ? [cloud] : cloud), operation: "Metadata.Endpoints" };
}

function requireApiVersion(req: Incoming): string {
  const apiVersion = req.query.get("api-version");
  if (!apiVersion) {
    throw new ArmError(400, {
      code: "MissingApiVersionParameter",
      message: "The api-version query parameter (?api-version=) is required for all requests.",
    });
  }
  return apiVersion;
}

/**
 * A path no handler serves. ARM's unless it is the sign-in's or GitHub's (see `isArmPath`): ARM authenticates before it
 * looks at the path (no or a bad token → 401 whatever the path), then wants an api-version (400
 * MissingApiVersionParameter), and only then answers 404 with its error shape `{"error": {"code", "message"}}`.
 * Which versions a type the emulator does not know would take cannot be told, so the version itself is not checked.
 * Faults and throttling do not apply (nothing was routed).
 */
function unrouted(parts: ServerParts, req: Incoming): Reply {
  if (isArmPath(req.path)) {
    try {
      authenticate(parts, req);
      requireApiVersion(req);
    } catch (error) {
      if (error instanceof ArmError) return parts.faults.taintReply(error.toReply());
      throw error;
    }
  }
  return notFound(req);
}

/**
 * Whether an unserved path is ARM's. The emulator's origin also serves Entra (`/{tenant}/oauth2/…`,
 * `/{tenant}/v2.0/…`, `/{tenant}/discovery/…`, `/adfs/…`, `/common/…`, `/organizations/…`) and GitHub (its REST API
 * under `/api/v3/`, the runner's token endpoint under `/_apis/`), which answer in their own shapes; every other path
 * is ARM's (management.azure.com serves nothing else but `/metadata/endpoints`).
 */
function isArmPath(path: string): boolean {
  const [first = "", second = ""] = path
    .split("/")
    .filter(Boolean)
    .map((s) => s.toLowerCase());
  if (["adfs", "common", "organizations", "consumers", "_apis"].includes(first)) return false;
  if (path.startsWith(`${GITHUB_API_PREFIX}/`) || path === GITHUB_API_PREFIX) return false;
  if (["oauth2", "v2.0", "discovery", ".well-known"].includes(second)) return false;
  return true;
}

/**
 * ARM's 404 for a path it does not route. Under a provider namespace (`…/providers/{namespace}/{type}…`, at a
 * subscription or at the tenant) ARM words it "The resource type '{type}' could not be found in the namespace
 * '{namespace}' for api version '{version}'." (InvalidResourceType; Azure/azure-rest-api-specs#14807 for
 * `/providers/Microsoft.Resources/operations`); elsewhere the emulator keeps its generic InvalidResourceType text
 * (ARM's text for other paths unconfirmed). Entra's and GitHub's unknown paths keep an OAuth-style body.
 */
function notFound(req: Incoming): Reply {
  if (isArmPath(req.path)) {
    // The type after the last `providers/{namespace}`: its segments alternate type and name (`a/x/b` → `a/b`).
    const segments = req.path.split("/").filter(Boolean);
    const at = segments.map((s) => s.toLowerCase()).lastIndexOf("providers");
    const namespace = at >= 0 ? segments[at + 1] : undefined;
    const type = segments.slice(at + 2).filter((_, i) => i % 2 === 0);
    const message =
      namespace !== undefined && type.length > 0
        ? `The resource type '${type.join("/")}' could not be found in the namespace '${namespace}' for api version '${req.query.get("api-version") ?? ""}'.`
        : `The resource type could not be found for the request path '${req.path}'.`;
    return json(404, { error: { code: "InvalidResourceType", message } });
  }
  return json(404, { error: "not_found", error_description: `The emulator does not serve ${req.method} ${req.path}.` });
}

function errorCode(reply: Reply): { errorCode?: string } {
  const body = reply.body as { error?: unknown } | undefined;
  if (reply.status < 400 || typeof body !== "object" || body === null) return {};
  const error = body.error;
  if (typeof error === "string") return { errorCode: error };
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string") {
    return { errorCode: (error as { code: string }).code };
  }
  return {};
}

/** Headers in the order Azure's recorded ARM answers carry them (azure-cli 2023 recordings): caching, then the rate
 *  limits, request ids, `x-ms-routing-request-id` (`<REGION>:<yyyymmddThhmmssZ>:<id>`, recorded by the Java SDK).
 *  `x-ms-request-id` of an answer that starts an operation is the operation's ID (the GUID of its
 *  Azure-AsyncOperation URL: azure-libraries-for-java_canCreateVirtualMachineScaleSetWithCustomScriptExtension.json
 *  #28, manualupgrade), else a new one. `x-ms-correlation-request-id` echoes the caller's (ARM's correlation header,
 *  kept across the calls of one client operation); without one, the caller's `x-ms-client-request-id` (the emulator's
 *  choice since the start, so a client's request and its answer can be matched in the log), else the request ID. */
function send(
  res: ServerResponse,
  reply: Reply,
  headers: IncomingMessage["headers"],
  region: string,
  head: boolean,
): void {
  // A HEAD is answered with no body (RFC 9110 §9.3.2), errors too: no content-type, content-length 0, as Azure's
  // answers to `az group exists`.
  const withBody = !head && reply.body !== undefined;
  const body = !withBody ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const requestId = operationIdOf(reply.headers) ?? randomUUID();
  const correlation = headers["x-ms-correlation-request-id"];
  const clientRequestId = headers["x-ms-client-request-id"];
  const correlationId =
    typeof correlation === "string" && correlation !== ""
      ? correlation
      : typeof clientRequestId === "string"
        ? clientRequestId
        : requestId;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  res.writeHead(reply.status, {
    "cache-control": "no-cache",
    pragma: "no-cache",
    expires: "-1",
    ...reply.headers,
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": correlationId,
    "x-ms-routing-request-id": `${region.toUpperCase()}:${stamp}:${correlationId}`,
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    ...(withBody ? { "content-type": "application/json; charset=utf-8" } : {}),
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** The operation an answer starts: the GUID in its Azure-AsyncOperation URL (`…/operations/{id}?…`). */
function operationIdOf(headers: Reply["headers"]): string | undefined {
  const url = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === "azure-asyncoperation")?.[1];
  return typeof url === "string" ? /\/operations\/([^/?]+)/i.exec(url)?.[1] : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType?.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
