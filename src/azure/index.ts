// Builds the ScaleSetApi of a run: the sign-in of its auth mode, the Compute client of its cloud.

import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { Config } from "../config/types.ts";
import type { Logger, ScaleSetApi } from "../engine/ports.ts";
import { createComputeScaleSetApi } from "./compute.ts";
import { createCredential, describeAuthError } from "./credentials.ts";
import { abortError } from "./errors.ts";
import type { RetryTiming } from "./retry.ts";

/** Sign-in errors in words (what to fix), for main's failure message. */
export { describeAuthError };

/** Sent as the User-Agent prefix so Azure activity logs and support can tell the action's requests apart. */
const USER_AGENT = "vmss-rollout-action";

/**
 * Operation status reads (GetOperation: 45 in the bucket, 15 more a minute) are cheap next to an instance list
 * (HighCostGetVMScaleSet: 30, 10 pages a minute). When an operation's end may be near, its status is read three times
 * per poll-interval, and at least every 5 s: the end of a model update or of a batch is noticed within seconds (5 s
 * at the default poll-interval of 15 s). Otherwise once per poll-interval (OperationPolls in operation-pace.ts).
 */
export function fastOperationPollMs(pollIntervalMs: number): number {
  return Math.max(1, Math.min(5_000, Math.round(pollIntervalMs / 3)));
}

export interface ScaleSetApiDeps {
  readonly logger: Logger;
  getIDToken(audience: string): Promise<string>;
  /** Masks a secret in the job log (main passes core.setSecret): every access token goes through it. */
  mask(secret: string): void;
  /**
   * Hides a value from what the action prints, without telling the runner (no `::add-mask::`): for text chosen by
   * whoever can write the scale set's model, which must never become a runner mask (main passes the gate's addSecret).
   */
  hide?(secret: string): void;
  /** The job's cancel: a sign-in still waiting then is given up (see masking). */
  readonly cancel?: AbortSignal;
  /** The backoff of reads and its clock (tests make it fast); the defaults of retry.ts otherwise. */
  readonly retry?: Partial<RetryTiming>;
  /** For tests against an emulator whose clock runs faster: see ComputeApiOptions.listRefillPerMinute. */
  readonly listRefillPerMinute?: number;
}

export function createScaleSetApi(config: Config, deps: ScaleSetApiDeps): ScaleSetApi {
  const credential = createCredential(config.auth, config.cloud, {
    logger: deps.logger,
    getIDToken: (audience) => deps.getIDToken(audience),
  });
  return createComputeScaleSetApi({
    credential: masking(credential, (secret) => deps.mask(secret), deps.cancel),
    target: config.target,
    cloud: config.cloud,
    fastOperationPollMs: fastOperationPollMs(config.rollout.pollIntervalMs),
    slowOperationPollMs: config.rollout.pollIntervalMs,
    userAgent: USER_AGENT,
    logger: deps.logger,
    describeAuthError,
    mask: (secret) => deps.mask(secret),
    hide: (secret) => deps.hide?.(secret),
    ...(deps.retry && { retry: deps.retry }),
    ...(deps.listRefillPerMinute !== undefined && { listRefillPerMinute: deps.listRefillPerMinute }),
  });
}

/**
 * The credential, with every access token it hands out masked first (once per token), and given up when the job is
 * cancelled and, until a first token came, when the request's signal aborts (the run's timeout): MSAL, GitHub's
 * ID-token request and `az` take no signal, and a sign-in that never answered kept a cancelled job running until the
 * runner killed it, with no summary (an audit, 2026-12-06). Not on the request's signal once a token came: the SDK's
 * token cycler refreshes it in the background with the signal of the request that started the refresh and retries
 * with that signal until the old token expires, so every later request failed with an AbortError (a review).
 */
function masking(credential: TokenCredential, mask: (secret: string) => void, cancel?: AbortSignal): TokenCredential {
  const masked = new Set<string>();
  let signedIn = false;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const giveUpOn = signedIn ? [cancel] : [cancel, options?.abortSignal];
      const token = await untilAborted(credential.getToken(scopes, options), giveUpOn);
      if (token) signedIn = true;
      if (token && !masked.has(token.token)) {
        masked.add(token.token);
        mask(token.token);
      }
      return token;
    },
  };
}

/** `work`, or an AbortError as soon as one of `signals` aborts (what `work` does after that is ignored). */
function untilAborted<T>(work: Promise<T>, signals: readonly GetTokenOptions["abortSignal"][]): Promise<T> {
  const watched = signals.filter((s) => s !== undefined);
  if (watched.some((s) => s.aborted)) {
    work.catch(() => undefined);
    return Promise.reject(abortError());
  }
  if (watched.length === 0) return work;
  let onAbort = (): void => undefined;
  const abort = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError());
    for (const s of watched) s.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, abort]).finally(() => {
    for (const s of watched) s.removeEventListener("abort", onAbort);
  });
}

export { routeSdkLog } from "./sdk-log.ts";
