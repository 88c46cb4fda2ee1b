/** How an execution environment fails, named as Lambda names it. */

/**
 * The function's process died during an invocation (killed for running out of memory or time,
 * or crashed): Lambda reports it as `Runtime.ExitError`, a function error.
 */
export class RuntimeExitError extends Error {
    constructor(code: number | null, signal: NodeJS.Signals | null) {
        const how = signal ? `signal: ${signal === "SIGKILL" ? "killed" : signal}` : `exit status ${code}`;
        super(`Runtime exited with error: ${how}`);
        this.name = "Runtime.ExitError";
    }
}

/**
 * The handler could not be loaded: Lambda's init phase failed (the runtime's /runtime/init/error).
 * The message is one line (a missing module's require stack stays in `errorMessage`).
 */
export class InitError extends Error {
    constructor(
        readonly errorType: string,
        readonly errorMessage: string,
    ) {
        super(`the function's package failed to load: ${errorType}: ${errorMessage.split("\n")[0]}`);
        this.name = "InitError";
    }
}

/** The runtime's process exited before its init phase was over, without saying why through the Runtime API. */
export function exitedBeforeReady(code: number | null, signal: NodeJS.Signals | null, stderr: string): Error {
    const output = stderr.trim();
    return new Error(
        `the function's process exited (${signal ?? code}) before it was ready${output ? `: ${output}` : ""}`,
    );
}
