// What a run released and where it ran, from the run's GitHub context: the repository, the tag or branch, the commit
// and the workflow run, each with its link on the run's GitHub server. Pure.

import { runUrl } from "./deployment.ts";
import type { GitHubContext } from "../config/types.ts";
import type { ReleaseRecord } from "./record.ts";

export function releaseOf(github: GitHubContext): ReleaseRecord {
  const repositoryUrl = `${github.serverUrl}/${github.repository}`;
  const ref = github.ref;
  const tag = ref?.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined;
  const branch = ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
  const refName = tag ?? branch;
  const run = runUrl(github);
  const path = (name: string) => name.split("/").map(encodeURIComponent).join("/");
  return {
    repository: github.repository,
    ...(ref !== undefined && { ref }),
    ...(refName !== undefined && { refName, refType: tag !== undefined ? "tag" : "branch" }),
    ...(github.sha !== undefined && { sha: github.sha, shortSha: github.sha.slice(0, 7) }),
    ...(github.workflow !== undefined && { workflow: github.workflow }),
    ...(github.runId !== undefined && { runId: github.runId }),
    ...(github.runAttempt !== undefined && { runAttempt: github.runAttempt }),
    links: {
      repository: repositoryUrl,
      ...(refName !== undefined && { ref: `${repositoryUrl}/tree/${path(refName)}` }),
      ...(github.sha !== undefined && { commit: `${repositoryUrl}/commit/${github.sha}` }),
      ...(run !== undefined && { run }),
    },
  };
}
