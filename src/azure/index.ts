// Builds the ScaleSetApi of a run: the sign-in of its auth mode, the Compute client of its cloud.

import type { Config, Logger, ScaleSetApi } from "../types.ts";
import { createComputeScaleSetApi } from "./compute.ts";
import { createCredential, describeAuthError } from "./credentials.ts";

/** Sent as the User-Agent prefix so Azure activity logs and support can tell the action's requests apart. */
const USER_AGENT = "vmss-rollout-action";

export interface ScaleSetApiDeps {
  readonly logger: Logger;
  getIDToken(audience: string): Promise<string>;
}

export function createScaleSetApi(config: Config, deps: ScaleSetApiDeps): ScaleSetApi {
  const credential = createCredential(config.auth, config.cloud, { logger: deps.logger, getIDToken: (audience) => deps.getIDToken(audience) });
  return createComputeScaleSetApi({
    credential,
    target: config.target,
    cloud: config.cloud,
    pollIntervalMs: config.rollout.pollIntervalMs,
    // The run's timeout starts about now: no Retry-After wait may run past it.
    deadline: Date.now() + config.rollout.timeoutMs,
    userAgent: USER_AGENT,
    describeAuthError,
  });
}
