/**
 * One of the function's execution environments: the processor's deployment package in a process
 * of its own, run as Lambda's nodejs22.x runs it (ric.ts: AWS's runtime interface client on
 * Node.js 22, behind Lambda's Runtime API), configured only through environment variables and
 * invoked one event at a time.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { RicInstance } from "./ric";
import { installedLambdaRuntime, LambdaRuntime, LambdaRuntimeUnavailable, RUNTIME_DIR } from "./runtime-install";

export { InitError, RuntimeExitError } from "./errors";

export interface LambdaProcessOptions {
    /** The unpacked package (LAMBDA_TASK_ROOT). */
    taskRoot: string;
    /** Where the runtime's AWS SDK lives (NODE_PATH). */
    nodePath: string;
    /** The function's environment: TABLE_NAME, BUCKET_NAME, AWS_REGION, endpoints, credentials. */
    environment: Record<string, string>;
    /** Lets the process print to the parent's stdout/stderr (default: discarded). */
    inheritOutput?: boolean;
    /** Node.js flags after the runtime's own (the bench's --cpu-prof). */
    nodeArgs?: string[];
}

/** The installed runtime (npm run ensure:lambda-runtime installs it; the commands that need it do too). */
export function lambdaRuntime(): LambdaRuntime {
    const runtime = installedLambdaRuntime();
    if (!runtime)
        throw new LambdaRuntimeUnavailable(
            `the Lambda runtime is not installed in ${RUNTIME_DIR}: run npm run ensure:lambda-runtime`,
        );
    return runtime;
}

export class LambdaProcess {
    private constructor(private readonly instance: RicInstance) {}

    /** Starts the process and waits for its init phase: a package that cannot load rejects with an InitError. */
    static async start(options: LambdaProcessOptions): Promise<LambdaProcess> {
        return new LambdaProcess(await RicInstance.start({ ...options, runtime: lambdaRuntime() }));
    }

    get pid(): number {
        return this.instance.pid;
    }

    /** False once the process has exited (then it cannot be invoked). */
    get alive(): boolean {
        return this.instance.alive;
    }

    /**
     * Invokes the handler with one event, its deadline `timeoutMs` away: rejects with the
     * handler's error (a function error), a limit the event or the answer broke, or a
     * RuntimeExitError when the process dies meanwhile.
     */
    invoke(event: KinesisStreamEvent, timeoutMs = 60_000): Promise<KinesisStreamBatchResponse> {
        return this.instance.invoke(event, timeoutMs) as Promise<KinesisStreamBatchResponse>;
    }

    /** Ends the process (SIGTERM); SIGKILL gives it no chance, as an out-of-memory kill. */
    stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        return this.instance.stop(signal);
    }
}
