/**
 * How the runner ends a cancelled step (actions/runner, src/Runner.Sdk/ProcessInvoker.cs, CancelAndKillProcessTree):
 * SIGINT, then SIGTERM 7.5 s later if the process still runs, then SIGKILL 2.5 s after that. A step stopped with
 * SIGTERM first (a container's stop, whose default grace is 10 s) is killed 10 s after it too. A run must be over by
 * then, or its summary and outputs are lost: the tests hold it to that; how soon it ends (issue #18 asks for 5 s) is
 * measured by `npm run bench:cancel`, not asserted.
 */
export const RUNNER_CANCEL = { sigtermAfterMs: 7_500, killAfterMs: 10_000 } as const;
