/**
 * The processor's deployment package running in its own Node.js process, as the Lambda runtime
 * runs it (see host.cjs): configured only through environment variables, invoked per batch.
 */
import { ChildProcess, fork } from "child_process";
import * as path from "path";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";

const HOST = path.join(__dirname, "host.cjs");

export interface LambdaProcessOptions {
    /** The unpacked package (LAMBDA_TASK_ROOT). */
    taskRoot: string;
    /** Where the runtime's AWS SDK lives (NODE_PATH). */
    nodePath: string;
    /** The function's environment: TABLE_NAME, BUCKET_NAME, AWS_REGION, endpoints, credentials. */
    environment: Record<string, string>;
    /** Lets the process print to the parent's stdout/stderr (default: discarded). */
    inheritOutput?: boolean;
}

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

type Reply = { id: number; result?: KinesisStreamBatchResponse; error?: { name: string; message: string } };

export class LambdaProcess {
    private nextId = 1;
    private readonly pending = new Map<
        number,
        { resolve: (r: KinesisStreamBatchResponse) => void; reject: (e: Error) => void }
    >();

    private constructor(private readonly child: ChildProcess) {
        child.on("message", (reply: Reply) => {
            const waiting = this.pending.get(reply.id);
            if (!waiting) return;
            this.pending.delete(reply.id);
            if (reply.error) waiting.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
            else waiting.resolve(reply.result!);
        });
        child.on("exit", (code, signal) => {
            for (const waiting of this.pending.values()) waiting.reject(new RuntimeExitError(code, signal));
            this.pending.clear();
        });
        // A send racing the process's death reports through the send callback; never crash the parent.
        child.on("error", () => undefined);
    }

    /** False once the process has exited or its IPC channel closed (then it cannot be invoked). */
    get alive(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
    }

    static start(options: LambdaProcessOptions): Promise<LambdaProcess> {
        const child = fork(HOST, [], {
            cwd: options.taskRoot,
            execArgv: [],
            // Its own process group: Ctrl-C in a terminal signals the foreground group, and the
            // function must not die of it while the run drains and reconciles (the host exits
            // when its parent's IPC channel closes instead).
            detached: true,
            // Nothing of this process's environment leaks in but PATH: the function sees what Lambda would give it.
            env: {
                PATH: process.env.PATH ?? "",
                TZ: "UTC",
                LAMBDA_TASK_ROOT: options.taskRoot,
                NODE_PATH: options.nodePath,
                ...options.environment,
            },
            stdio: options.inheritOutput
                ? ["ignore", "inherit", "inherit", "ipc"]
                : ["ignore", "ignore", "pipe", "ipc"],
        });
        let stderr = "";
        const collect = (chunk: Buffer) => {
            stderr += chunk;
        };
        child.stderr?.on("data", collect);
        return new Promise((resolve, reject) => {
            child.once("message", (ready: { ready: boolean; error?: { name: string; message: string } }) => {
                // Only the start-up errors are worth keeping; afterwards the output is discarded.
                child.stderr?.off("data", collect).resume();
                if (ready.ready) return resolve(new LambdaProcess(child));
                const { name, message } = ready.error!;
                reject(
                    Object.assign(new Error(`the function's package failed to load: ${name}: ${message}`), {
                        name: "InitError",
                    }),
                );
            });
            child.once("exit", code =>
                reject(new Error(`the function's process exited (${code}) before it was ready: ${stderr}`)),
            );
        });
    }

    /** Invokes the handler with one event; rejects when the handler throws (a function error). */
    invoke(event: KinesisStreamEvent, timeoutMs = 60_000): Promise<KinesisStreamBatchResponse> {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            this.child.send({ id, event, timeoutMs }, error => {
                if (!error) return;
                this.pending.delete(id);
                reject(new RuntimeExitError(this.child.exitCode, this.child.signalCode));
            });
        });
    }

    /** Ends the process (SIGTERM); `kill` with SIGKILL gives it no chance, as an out-of-memory kill. */
    stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
        return new Promise(resolve => {
            this.child.once("exit", () => resolve());
            this.child.kill(signal);
        });
    }
}
