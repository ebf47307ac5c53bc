export const id = 514;
export const ids = [514];
export const modules = {

/***/ 514:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  CANCELLED_CALL_MIN_MS: () => (/* binding */ CANCELLED_CALL_MIN_MS),
  CANCELLED_GRACE_MS: () => (/* binding */ CANCELLED_GRACE_MS),
  CANCELLED_LAST_MS: () => (/* binding */ CANCELLED_LAST_MS),
  cancelCutoff: () => (/* binding */ cancelCutoff),
  octokitDeployments: () => (/* binding */ octokitDeployments),
  trackDeployment: () => (/* binding */ trackDeployment)
});

// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(7975);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 22 modules
var lib_github = __webpack_require__(2413);
// EXTERNAL MODULE: ./src/domain/error-text.ts
var error_text = __webpack_require__(6744);
// EXTERNAL MODULE: ./src/domain/deployment.ts
var deployment = __webpack_require__(6325);
;// CONCATENATED MODULE: ./src/github/tracker.ts
// The rollout as a GitHub deployment: created when the first write to Azure starts (so its payload holds the model it
// replaces), `in_progress` then, and a final status when the run ends. Every GitHub failure is one warning: recording
// the deployment never fails or delays the rollout. Talks to GitHub through the DeploymentsApi port (deployments.ts).


/** An error from GitHub's API: its HTTP status (0: no answer) and message. */
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
    /** The GitHub calls so far, one after the other; never rejects. */
    chain = Promise.resolve();
    created = false;
    writing = false;
    constructor(config, api, log) {
        this.config = config;
        this.api = api;
        this.log = log;
        this.environment = config.deployment?.environment ?? "";
    }
    /** The first write to Azure starts: create the deployment and set it in_progress, without holding the rollout up. */
    writeStarted(previousModel, change = this.config.change) {
        if (this.writing)
            return;
        this.writing = true;
        this.enqueue(async () => {
            await this.create(previousModel, change);
            await this.status("in_progress", `Rolling out to scale set ${this.config.target.scaleSet}`);
        });
    }
    /**
     * The run ended: its final status (created first when no write ever started: a refusal, nothing to change).
     * Resolves with what was recorded, once GitHub answered (or failed).
     */
    async finish(state, description, previousModel) {
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
    /** `change`: what the run writes; the change inputs when no write started (for `rollback: true`, none). */
    async create(previousModel, change = this.config.change) {
        if (this.created)
            return;
        this.created = true;
        const request = (0,deployment/* deploymentRequest */.f_)(this.config, previousModel, change);
        this.id = await this.api.createDeployment(request);
        this.log.info(`GitHub deployment ${this.id} created in environment '${this.environment}' for ${request.ref}.`);
    }
    async status(state, description) {
        if (this.id === undefined)
            return; // creating it failed: warned already
        await this.api.createStatus(this.id, (0,deployment/* deploymentStatus */.I1)(this.config, state, description));
        this.statuses.push(state);
        this.log.info(`GitHub deployment ${this.id}: ${state}.`);
    }
    /** One warning per run: the first failure says what and how to fix it; later ones are logged only. */
    warn(err) {
        const status = err instanceof GitHubApiError ? err.status : 0;
        const what = `${status ? `${status} ` : ""}${(0,error_text/* errorLine */.BP)(err)}`;
        if (this.warning !== undefined) {
            this.log.info(`GitHub deployment: ${what}`);
            return;
        }
        // A 403 is a missing permission unless GitHub says it is a rate limit (docs.github.com, "Rate limits for the REST
        // API": 403 or 429 with "rate limit" in the message).
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

;// CONCATENATED MODULE: ./src/github/deployments.ts
// The only module that imports @actions/github (Octokit): GitHub's Deployments API behind the DeploymentsApi port.
// The API URL comes from the run (GITHUB_API_URL), so GitHub Enterprise Server works as github.com does.




/** A GitHub call that gets no answer in this time fails (as a warning): it must never hold the job up. */
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Once the job is cancelled, a GitHub call still waiting ends this long after the cancel: the run's own final steps
 * are over 4 s after it (engine/run.ts CANCELLED_FINAL_MS), and the process should end within 5 s (issue #18).
 */
const CANCELLED_GRACE_MS = 4_500;
/**
 * A call started after the cancel (the deployment's final status, sent once the run's final steps are done) gets at
 * least this long, so that it is tried at all however long those steps took\u2026
 */
const CANCELLED_CALL_MIN_MS = 1_000;
/**
 * \u2026but never past this long after the cancel: the runner sends SIGTERM 7.5 s after SIGINT (docs.github.com,
 * "Cancellation of workflows and jobs"), and the job summary and outputs, written after the final status, must be out
 * by then.
 */
const CANCELLED_LAST_MS = 6_500;
/** The tracker for this run; undefined when no deployment is asked for, or for a dry run (which writes nothing). */
function trackDeployment(config, log, cancelled) {
    if (!config.deployment || !config.github || config.rollout.dryRun)
        return undefined;
    return new DeploymentTracker(config, octokitDeployments(config, cancelled, log), log);
}
/**
 * Octokit's own log, through the run's gated logger. Without one, Octokit writes `warn` and `error` with console.warn
 * and console.error: to stderr, where the runner reads workflow commands, and unredacted. @octokit/request's
 * deprecation notice quotes the response's `Sunset` and `Link` headers, which the server chooses (`##[stop-commands]\u2026`).
 * `debug` and `info` go nowhere (Octokit's defaults too). `warn` (deprecations) becomes a log line, not an annotation:
 * nothing the user could act on; `error` a warning: a GitHub failure never fails the run (see tracker.ts).
 * @octokit/request does not read Octokit's `log` but its request options' `request.log` (else `console`), so each call
 * passes it there too; it is not set in getOctokit's `request`, which would replace @actions/github's proxy settings.
 */
function octokitLog(log) {
    const line = (args) => `GitHub API: ${(0,external_node_util_.format)(...args)}`;
    return {
        debug: () => { },
        info: () => { },
        warn: (...args) => log?.info(line(args)),
        error: (...args) => log?.warning(line(args)),
    };
}
/**
 * `cancelled`: the job's cancellation; GitHub calls end after it as cancelCutoff says. `log`: the run's gated logger
 * (none: Octokit's own messages are dropped, never written to the console).
 */
function octokitDeployments(config, cancelled, log) {
    const github = config.github;
    const octokitLogger = octokitLog(log);
    const octokit = (0,lib_github/* getOctokit */.Q)(config.deployment.token, { baseUrl: github.apiUrl, log: octokitLogger });
    const [owner = "", repo = ""] = github.repository.split("/");
    const cutoff = cancelled && cancelCutoff(cancelled);
    const call = async (request) => {
        const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
        const ends = cutoff?.();
        try {
            return await request(ends ? AbortSignal.any([timeout, ends.signal]) : timeout);
        }
        catch (err) {
            // @octokit/request gives a request that got no answer (the timeout's TimeoutError, a network failure) status
            // 500, as if GitHub had failed; only an error with GitHub's response carries GitHub's status. No response: 0.
            const { status, response } = err;
            const answered = typeof status === "number" && response !== undefined && !(0,error_text/* isAbort */.rV)(err);
            throw new GitHubApiError(answered ? status : 0, (0,error_text/* errorLine */.BP)(err));
        }
        finally {
            ends?.done();
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
            // 202 is GitHub's answer when it merged the default branch into the ref instead (auto_merge, off here).
            const data = response.data;
            if ("id" in data) {
                // The ID is printed (log, summary link label) and sent back in a URL path: a positive integer or refused.
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
/**
 * For each GitHub call, the signal that ends it once the job is cancelled: CANCELLED_GRACE_MS after the cancel, or
 * CANCELLED_CALL_MIN_MS after the call starts when that is later, never past CANCELLED_LAST_MS after the cancel.
 * `done()` when the call is over (its timer and listener go).
 */
function cancelCutoff(cancelled, now = Date.now) {
    let cancelledAt = cancelled.aborted ? now() : undefined;
    cancelled.addEventListener("abort", () => (cancelledAt ??= now()), { once: true });
    return () => {
        const started = now();
        const ends = new AbortController();
        let timer;
        const arm = () => {
            const at = cancelledAt ?? now();
            const deadline = Math.min(at + CANCELLED_LAST_MS, Math.max(at + CANCELLED_GRACE_MS, started + CANCELLED_CALL_MIN_MS));
            if (deadline <= now()) {
                ends.abort(cancelled.reason);
                return;
            }
            timer = setTimeout(() => ends.abort(cancelled.reason), deadline - now());
            timer.unref?.();
        };
        if (cancelled.aborted)
            arm();
        else
            cancelled.addEventListener("abort", arm, { once: true });
        return {
            signal: ends.signal,
            done: () => {
                clearTimeout(timer);
                cancelled.removeEventListener("abort", arm);
            },
        };
    };
}


/***/ })

};
