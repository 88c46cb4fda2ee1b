/**
 * One execution environment as Lambda's nodejs22.x runs it: Node.js 22 running AWS's runtime
 * interface client (aws-lambda-ric), which loads `__index.handler` from LAMBDA_TASK_ROOT in its
 * init phase and then polls its own Runtime API (runtime-api.ts) for invocations, with the
 * environment and Node.js flags the managed runtime sets.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as path from "path";
import { DEFAULTS } from "../../pipeline/infra/config";
import { EMULATOR_REGION } from "../aws/emulators";
import { exitedBeforeReady, RuntimeExitError } from "./errors";
import type { LambdaRuntime } from "./runtime-install";
import { RuntimeApi } from "./runtime-api";

/** The handler Pulumi's CallbackFunction deploys. */
const HANDLER = "__index.handler";

export interface RicInstanceOptions {
    runtime: LambdaRuntime;
    /** The unpacked package (LAMBDA_TASK_ROOT). */
    taskRoot: string;
    /** The runtime's AWS SDK, where Lambda has /var/runtime/node_modules. */
    nodePath: string;
    /** The function's environment: its settings, region, credentials, endpoints. */
    environment: Record<string, string>;
    inheritOutput?: boolean;
    /** Node.js flags added after the runtime's own (the bench's --cpu-prof). */
    nodeArgs?: string[];
}

/** `2026/11/28/[$LATEST]0f3c…`: Lambda names an environment's log stream by day, version and a random id. */
function logStreamName(version: string): string {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
    return `${day}/[${version}]${randomBytes(16).toString("hex")}`;
}

/**
 * What Lambda sets for the function, around its own variables: the reserved ones win, as Lambda
 * does not let a function set them.
 */
export function ricEnvironment(options: RicInstanceOptions, runtimeApi: string): Record<string, string> {
    const own = options.environment;
    const functionName = own.AWS_LAMBDA_FUNCTION_NAME ?? "stock-processor";
    const version = own.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST";
    return {
        AWS_REGION: EMULATOR_REGION,
        AWS_DEFAULT_REGION: EMULATOR_REGION,
        ...own,
        PATH: [path.dirname(options.runtime.node), process.env.PATH].filter(Boolean).join(path.delimiter),
        LANG: "en_US.UTF-8",
        TZ: ":UTC",
        LAMBDA_TASK_ROOT: options.taskRoot,
        LAMBDA_RUNTIME_DIR: path.dirname(options.runtime.ric),
        _HANDLER: HANDLER,
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        AWS_LAMBDA_RUNTIME_API: runtimeApi,
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: version,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: own.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? String(DEFAULTS.memorySize),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(version),
        // The stack's loggingConfig (pipeline/infra/processor.ts): JSON, application logs from INFO.
        AWS_LAMBDA_LOG_FORMAT: "JSON",
        AWS_LAMBDA_LOG_LEVEL: "INFO",
        // nodejs22.x: /opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task,
        // with no layers and the runtime's own files left out.
        NODE_PATH: [options.nodePath, options.taskRoot].join(path.delimiter),
    };
}

/**
 * The managed runtime's Node.js flags: its bootstrap sizes V8's heap from the function's memory,
 * a tenth of it for the young generation (two semi-spaces) and the rest for the old one.
 */
export function runtimeNodeArgs(memoryMb: number): string[] {
    const newSpace = Math.floor(memoryMb / 10);
    return [
        "--expose-gc",
        "--max-http-header-size",
        "81920",
        `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
        `--max-old-space-size=${memoryMb - newSpace}`,
    ];
}

export class RicInstance {
    private constructor(
        private readonly child: ChildProcess,
        private readonly api: RuntimeApi,
    ) {}

    get pid(): number {
        return this.child.pid!;
    }

    get alive(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null;
    }

    /**
     * Starts the runtime and waits for its init phase to end (its first GET …/next). Rejects with
     * an InitError when the handler cannot be loaded (reported through /runtime/init/error), or
     * with the exit when the process exits first.
     */
    static async start(options: RicInstanceOptions): Promise<RicInstance> {
        const functionName = options.environment.AWS_LAMBDA_FUNCTION_NAME ?? "stock-processor";
        const api = await RuntimeApi.start({
            functionArn: `arn:aws:lambda:${options.environment.AWS_REGION ?? EMULATOR_REGION}:000000000000:function:${functionName}`,
        });
        const environment = ricEnvironment(options, api.address);
        const child = spawn(
            options.runtime.node,
            [
                ...runtimeNodeArgs(Number(environment.AWS_LAMBDA_FUNCTION_MEMORY_SIZE)),
                ...(options.nodeArgs ?? []),
                options.runtime.ric,
            ],
            {
                cwd: options.taskRoot,
                // Its own process group: Ctrl-C in a terminal signals the foreground group, and the
                // function must not die of it while the run drains and reconciles. Should this
                // process die, the runtime's connection to its Runtime API breaks and it exits.
                detached: true,
                env: environment,
                stdio: options.inheritOutput ? ["ignore", "inherit", "inherit"] : ["ignore", "ignore", "pipe"],
            },
        );
        let stderr = "";
        const collect = (chunk: Buffer) => {
            stderr = (stderr + chunk).slice(-4000);
        };
        child.stderr?.on("data", collect);
        child.on("exit", (code, signal) => {
            api.fail(api.initialized ? new RuntimeExitError(code, signal) : exitedBeforeReady(code, signal, stderr));
            void api.close();
        });
        child.on("error", error => {
            api.fail(error);
            void api.close();
        });
        try {
            await api.ready();
        } catch (error) {
            await new Promise<void>(resolve => {
                if (child.exitCode !== null || child.signalCode !== null) return resolve();
                child.once("exit", () => resolve());
                child.kill("SIGKILL");
            });
            throw error;
        } finally {
            // Only what it printed while starting is worth keeping; afterwards it is discarded.
            child.stderr?.off("data", collect).resume();
        }
        return new RicInstance(child, api);
    }

    /** The handler's result; rejects with its error, a limit broken, or the process's exit. */
    invoke(event: unknown, timeoutMs: number): Promise<unknown> {
        return this.api.invoke(event, Date.now() + timeoutMs);
    }

    /** Ends the process with `signal`; one that handles SIGTERM by exiting may, and does not hang on its wait for …/next. */
    stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        if (!this.alive) return this.api.close();
        return new Promise(resolve => {
            this.child.once("exit", () => resolve());
            this.child.kill(signal);
            this.api.disconnect();
        });
    }
}
