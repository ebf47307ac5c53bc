// The SDK pipeline's types, as @azure/arm-compute's client options expose them (no direct core-rest-pipeline import).

import type { ComputeManagementClient, ComputeManagementClientOptionalParams } from "@azure/arm-compute";

export type PipelinePolicy = NonNullable<ComputeManagementClientOptionalParams["additionalPolicies"]>[number]["policy"];
export type PipelineRequest = Parameters<PipelinePolicy["sendRequest"]>[0];
export type PipelineResponse = Awaited<ReturnType<PipelinePolicy["sendRequest"]>>;
export type Pipeline = ComputeManagementClient["pipeline"];
