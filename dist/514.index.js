export const id = 514;
export const ids = [514];
export const modules = {
514:
((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
CANCELLED_GRACE_MS: () => (  CANCELLED_GRACE_MS),
cancelCutoff: () => (  cancelCutoff),
octokitDeployments: () => (  octokitDeployments),
trackDeployment: () => (  trackDeployment)
});
var external_node_util_ = __webpack_require__(7975);
var lib_github = __webpack_require__(2413);
var error_text = __webpack_require__(6744);
var deployment = __webpack_require__(6325);
;
class GitHubApiError extends Error {
status;
constructor(status, message) {
super(message);
this.name = "GitHubApiError";
this.status = status;
}
}
class DeploymentTracker {
config;
api;
log;
environment;
id;
statuses = [];
warning;
chain = Promise.resolve();
created = false;
writing = false;
ended = false;
constructor(config, api, log) {
this.config = config;
this.api = api;
this.log = log;
this.environment = config.deployment?.environment ?? "";
}
writeStarted(previousModel, change = this.config.change) {
if (this.writing)
return;
this.writing = true;
this.enqueue(async () => {
await this.create(previousModel, change);
if (!this.ended)
await this.status("in_progress", `Rolling out to scale set ${this.config.target.scaleSet}`);
});
}
async finish(state, description, previousModel) {
this.ended = true;
this.enqueue(async () => {
await this.create(previousModel);
await this.status(state, description);
});
await this.chain;
return {
environment: this.environment,
...(this.id !== undefined && { id: this.id }),
statuses: [...this.statuses],
...(this.warning !== undefined && { warning: this.warning }),
};
}
enqueue(step) {
this.chain = this.chain.then(step).catch((err) => this.warn(err));
}
async create(previousModel, change = this.config.change) {
if (this.created)
return;
this.created = true;
const request = (0,deployment .f_)(this.config, previousModel, change);
this.id = await this.api.createDeployment(request);
this.log.info(`GitHub deployment ${this.id} created in environment '${this.environment}' for ${request.ref}.`);
}
async status(state, description) {
if (this.id === undefined)
return;
await this.api.createStatus(this.id, (0,deployment .I1)(this.config, state, description));
this.statuses.push(state);
this.log.info(`GitHub deployment ${this.id}: ${state}.`);
}
warn(err) {
const status = err instanceof GitHubApiError ? err.status : 0;
const what = `${status ? `${status} ` : ""}${(0,error_text .BP)(err)}`;
if (this.warning !== undefined) {
this.log.info(`GitHub deployment: ${what}`);
return;
}
const rateLimited = status === 429 || (status === 403 && /rate limit/i.test(what));
const hint = rateLimited
? " GitHub's API rate limit was reached: the deployment's later statuses may be missing."
: status === 403
? " The token cannot write deployments: add `permissions: deployments: write` to the job (pull requests from forks and Dependabot runs only get a read-only token)."
: status === 401
? " Check github-token."
: "";
this.warning =
`Could not record the rollout as a GitHub deployment in environment '${this.environment}' (${what}).${hint} ` +
"The rollout itself is not affected.";
this.log.warning(this.warning, "GitHub deployment not recorded");
}
}
;
const REQUEST_TIMEOUT_MS = 15_000;
const CANCELLED_GRACE_MS = 4_500;
function trackDeployment(config, log, cancelled) {
if (!config.deployment || !config.github || config.rollout.dryRun)
return undefined;
return new DeploymentTracker(config, octokitDeployments(config, cancelled, log), log);
}
function octokitLog(log) {
const line = (args) => `GitHub API: ${(0,external_node_util_.format)(...args)}`;
return {
debug: () => { },
info: () => { },
warn: (...args) => log?.info(line(args)),
error: (...args) => log?.warning(line(args)),
};
}
function octokitDeployments(config, cancelled, log) {
const github = config.github;
const octokitLogger = octokitLog(log);
const octokit = (0,lib_github .Q)(config.deployment.token, { baseUrl: github.apiUrl, log: octokitLogger });
const [owner = "", repo = ""] = github.repository.split("/");
const cutoff = cancelled && cancelCutoff(cancelled);
const call = async (request) => {
const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
try {
return await request(cutoff ? AbortSignal.any([timeout, cutoff]) : timeout);
}
catch (err) {
const { status, response } = err;
const answered = typeof status === "number" && response !== undefined && !(0,error_text .rV)(err);
throw new GitHubApiError(answered ? status : 0, (0,error_text .BP)(err));
}
};
return {
async createDeployment(request) {
const response = await call((signal) => octokit.rest.repos.createDeployment({
owner,
repo,
ref: request.ref,
environment: request.environment,
description: request.description,
auto_merge: false,
required_contexts: [],
production_environment: request.productionEnvironment,
transient_environment: false,
payload: request.payload,
request: { signal, log: octokitLogger },
}));
const data = response.data;
if ("id" in data) {
const id = data.id;
if (typeof id === "number" && Number.isSafeInteger(id) && id > 0)
return id;
throw new GitHubApiError(response.status, "GitHub answered without a valid deployment ID");
}
throw new GitHubApiError(response.status, `no deployment created: ${data.message ?? ""}`);
},
async createStatus(deploymentId, status) {
await call((signal) => octokit.rest.repos.createDeploymentStatus({
owner,
repo,
deployment_id: deploymentId,
state: status.state,
description: status.description,
environment_url: status.environmentUrl,
...(status.logUrl !== undefined && { log_url: status.logUrl }),
request: { signal, log: octokitLogger },
}));
},
};
}
function cancelCutoff(cancelled) {
const ends = new AbortController();
const arm = () => {
setTimeout(() => ends.abort(cancelled.reason), CANCELLED_GRACE_MS).unref?.();
};
if (cancelled.aborted)
arm();
else
cancelled.addEventListener("abort", arm, { once: true });
return ends.signal;
}
})
};
