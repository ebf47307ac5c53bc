// The GitHub deployment of a rollout: which ref it is for, what it carries, the state each result maps to, and the
// links of its statuses. Pure: src/github/ sends it.

import { stripQuery } from "../shared/redact.ts";
import type { ChangeRequest, Config, GitHubContext } from "../config/types.ts";
import type { DeploymentState, PreviousModel, RolloutResult } from "./record.ts";

export type { DeploymentState } from "./record.ts";

/** GitHub's limit on a status description. */
export const MAX_DESCRIPTION = 140;

/** What the deployment is created with (POST /repos/{owner}/{repo}/deployments). */
export interface DeploymentRequest {
  readonly ref: string;
  readonly environment: string;
  readonly description: string;
  readonly productionEnvironment: boolean;
  readonly payload: DeploymentPayload;
}

/** The deployment's payload: what was rolled out where, and what it replaced. No secrets (SAS queries removed). */
export interface DeploymentPayload {
  readonly scaleSet: {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly name: string;
    readonly resourceId: string;
    readonly cloud: string;
  };
  readonly change: {
    readonly imageVersion?: string;
    readonly imageId?: string;
    readonly extension?: {
      readonly name: string;
      readonly fileUris?: readonly string[];
      readonly forceUpdateTag?: string;
    };
  };
  /** The model before the rollout; null when the scale set was never read. */
  readonly previousModel: PreviousModel | null;
}

/** A status (POST …/deployments/{id}/statuses). */
export interface DeploymentStatus {
  readonly state: DeploymentState;
  readonly description: string;
  /** This workflow run (attempt). */
  readonly logUrl?: string;
  /** The scale set in the Azure portal of its cloud. */
  readonly environmentUrl: string;
}

/**
 * The final state of a run's deployment. A cancelled run is `error`, not `inactive`: GitHub reserves `inactive` for
 * deployments superseded by a newer one (it sets it itself), and the environment page would then show the release as
 * no longer there, while a cancelled rollout may have left part of the scale set on it. `error` says the deployment
 * did not finish; `failure` that it ran and failed (failed instances, a refusal, a rollback).
 */
export function finalState(result: RolloutResult): DeploymentState {
  switch (result) {
    case "succeeded":
    case "reverted":
    case "unchanged":
    case "planned":
      return "success";
    case "failed":
    case "rolled-back":
      return "failure";
    case "cancelled":
      return "error";
  }
}

/**
 * `production`, `prod`, `prod-eu`, `eu-production`…: GitHub's production_environment flag. Not when a word before it
 * says otherwise (`non-prod`, `pre-production`, `not_prod`) or one after it does (`prod-like`): those are staging
 * environments, whose earlier deployments GitHub makes inactive only when they are not production ones.
 */
export function isProductionEnvironment(name: string): boolean {
  return (
    /(^|[-_ ./])prod(uction)?($|[-_ ./])/i.test(name) &&
    !/(^|[-_ ./])(non|pre|not)[-_ ./]prod(uction)?($|[-_ ./])/i.test(name) &&
    !/(^|[-_ ./])prod(uction)?[-_ ./](like)($|[-_ ./])/i.test(name)
  );
}

/**
 * The tag when a tag was pushed (`refs/tags/v1.4.0` → `v1.4.0`); for a pull request, its head commit (GITHUB_SHA is the
 * merge commit GitHub made, which no branch holds: a deployment of it would not show on the pull request); else the
 * commit SHA (a branch may have moved on).
 */
export function deploymentRef(github: Pick<GitHubContext, "ref" | "sha" | "pullRequestHeadSha">): string {
  const tag = github.ref?.startsWith("refs/tags/") ? github.ref.slice("refs/tags/".length) : undefined;
  return tag || github.pullRequestHeadSha || github.sha || github.ref || "";
}

/** This workflow run (its attempt, when known), e.g. https://github.com/octo/app/actions/runs/42/attempts/2. */
export function runUrl(github: GitHubContext): string | undefined {
  if (!github.runId) return undefined;
  const attempt = github.runAttempt ? `/attempts/${github.runAttempt}` : "";
  return `${github.serverUrl}/${github.repository}/actions/runs/${github.runId}${attempt}`;
}

/** The scale set's ARM ID, from the inputs (Azure's own, as read, may differ in case). */
export function scaleSetResourceId(config: Pick<Config, "target">): string {
  const { subscriptionId, resourceGroup, scaleSet } = config.target;
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${scaleSet}`;
}

/**
 * The scale set in the Azure portal of the run's cloud; `resourceId`: Azure's ID as read (the record's
 * target.portalUrl), else the one the inputs name.
 */
export function scaleSetPortalUrl(
  config: Pick<Config, "target" | "cloud">,
  resourceId: string = scaleSetResourceId(config),
): string {
  return `${config.cloud.portalUrl}/#resource${resourceId}/overview`;
}

/**
 * At most 140 characters, on one line; a longer text ends with `…`. Counted and cut by code point (GitHub counts
 * characters), so a character outside the Basic Multilingual Plane is never split in two.
 */
export function statusDescription(text: string): string {
  const line = [...text.replace(/\s+/g, " ").trim()];
  return line.length <= MAX_DESCRIPTION
    ? line.join("")
    : `${line
        .slice(0, MAX_DESCRIPTION - 1)
        .join("")
        .trimEnd()}…`;
}

/**
 * `change`: what the run writes. A rollback run (rollback: true) has no change inputs: its values come from the record
 * on the scale set, and are known once it was read (empty when the run stopped before).
 */
export function deploymentRequest(
  config: Config,
  previousModel: PreviousModel | undefined,
  change: ChangeRequest = config.change,
): DeploymentRequest {
  const environment = config.deployment?.environment ?? "";
  const { imageVersion, imageId, extension } = change;
  const what = config.rollback
    ? "rollback of the last change"
    : (imageVersion ?? imageId?.split("/").at(-1) ?? `extension ${extension?.name ?? ""}`);
  return {
    ref: config.github ? deploymentRef(config.github) : "",
    environment,
    description: statusDescription(`${what} to scale set ${config.target.scaleSet}`),
    productionEnvironment: isProductionEnvironment(environment),
    payload: {
      scaleSet: {
        subscriptionId: config.target.subscriptionId,
        resourceGroup: config.target.resourceGroup,
        name: config.target.scaleSet,
        resourceId: scaleSetResourceId(config),
        cloud: config.cloud.name,
      },
      change: {
        ...(imageVersion !== undefined && { imageVersion }),
        ...(imageId !== undefined && { imageId }),
        ...(extension && {
          extension: {
            name: extension.name,
            ...(extension.fileUris && { fileUris: extension.fileUris.map(stripQuery) }),
            ...(extension.forceUpdateTag !== undefined && { forceUpdateTag: extension.forceUpdateTag }),
          },
        }),
      },
      previousModel: previousModel ?? null,
    },
  };
}

export function deploymentStatus(config: Config, state: DeploymentState, description: string): DeploymentStatus {
  const logUrl = config.github ? runUrl(config.github) : undefined;
  return {
    state,
    description: statusDescription(description),
    ...(logUrl !== undefined && { logUrl }),
    environmentUrl: scaleSetPortalUrl(config),
  };
}
