/**
 * One contender of the bench in an execution environment of its own, as one warm Lambda
 * container: the function's runtime (AWS's runtime interface client on Node.js 22, as deployed;
 * harness/lambda/process.ts) loads a handler that builds the contender once, in the init phase,
 * then is invoked batch after batch. Nothing else runs in that process (the sink and the
 * emulators have their own), so its CPU is the handler's and the runtime's.
 *
 * Each invocation's event is only the batch's index: the handler makes the batch first
 * (harness/bench/events.ts, from the seed and the index) and then times only the contender's call:
 * wall time, and CPU of the whole process (every thread: V8's garbage collector included) with
 * process.cpuUsage, measured in the function's own process.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaProcess } from "../lambda/process";
import { createHandlerFromEnvironment } from "../../pipeline/runtime/handler";
import { FULL_TUNING, NO_TUNING, SdkTuning } from "../../pipeline/runtime/sdk-tuning";
import { displayPath, UsageError } from "../cli/cli";
import { benchBatch } from "./events";
import { createOriginalPortHandler } from "./original-port";

/**
 * `original`: the original Lambda's algorithm (original-port.ts). `processor`: the processor as
 * Lambda's callbackFactory builds it (createHandlerFromEnvironment, OBJECT_LAYOUT from the
 * environment), with the SDK tuning given. `package`: the deployment package in dist/processor/, as
 * `npm run build:lambda` left it (the code Pulumi serialized).
 */
export type ContenderKind = "original" | "processor" | "package";

export interface ContenderOptions {
    kind: ContenderKind;
    /** For `processor`: `tuned` (what Lambda runs), `baseline` (no tuning), `+name` or `-name` (see tuningOf). */
    tuning?: string;
    seed: number;
    batchSize: number;
    /** The function's environment: names, layout, region, credentials, endpoints. */
    environment: Record<string, string>;
    /** Writes a V8 CPU profile of the process (for Chrome DevTools) into this folder when it stops. */
    cpuProfileDir?: string;
}

export interface InvocationResult {
    /** CPU of the process during the handler call, ms. */
    cpuMs: number;
    /**
     * CPU from the start of the previous call to the start of this one, less making this batch: the
     * previous batch's cost including what it left to do after returning (garbage collection,
     * mostly), which in Lambda, frozen between invocations, lands in the next one. Null on the first.
     */
    previousInclusiveCpuMs: number | null;
    wallMs: number;
    /** Why the batch failed (a function error, records reported for redelivery, a 500), or null. */
    problem: string | null;
    /** Whether the clients' resolved configs are in V8's fast mode (diagnostic; null when unknown). */
    fastConfig: boolean[] | null;
}

/** Where `npm run build:lambda` unpacks the deployment package. */
export const PACKAGE_HANDLER = path.resolve(__dirname, "..", "..", "dist", "processor", "__index.js");

/** `tuned`, `baseline`, `+name` (that tuning alone) or `-name` (all but that one) → which tunings are on. */
export function tuningOf(variant: string): SdkTuning {
    const names = Object.keys(FULL_TUNING) as (keyof SdkTuning)[];
    if (variant === "baseline") return { ...NO_TUNING };
    if (variant === "tuned") return { ...FULL_TUNING };
    const name = variant.slice(1) as keyof SdkTuning;
    if (!names.includes(name) || !"+-".includes(variant[0])) {
        throw new UsageError(
            `unknown variant ${variant}: use baseline, tuned, package, or +name / -name with a name among ${names.join(", ")}`,
        );
    }
    return variant[0] === "+" ? { ...NO_TUNING, [name]: true } : { ...FULL_TUNING, [name]: false };
}

// ---- Inside the function's process -------------------------------------------------------------

type Invoke = (batch: ReturnType<typeof benchBatch>) => Promise<string | null>;

async function buildHandler(options: ContenderOptions): Promise<Invoke> {
    const context = { getRemainingTimeInMillis: () => 60_000 };
    if (options.kind === "original") {
        const original = createOriginalPortHandler(process.env);
        return async ({ event }) => {
            const response = await original(event);
            return response.statusCode === 200 ? null : `statusCode ${response.statusCode}: ${response.body}`;
        };
    }
    const processor =
        options.kind === "package"
            ? (await import(PACKAGE_HANDLER)).handler
            : createHandlerFromEnvironment(undefined, tuningOf(options.tuning ?? "tuned"));
    return async ({ event }) => {
        const { batchItemFailures } = await processor(event, context);
        return batchItemFailures.length ? `${batchItemFailures.length} records reported for redelivery` : null;
    };
}

/** `%HasFastProperties`, when the process runs with --allow-natives-syntax (it is started so); null otherwise. */
function fastPropertiesProbe(): ((object: object) => boolean) | null {
    try {
        return new Function("object", "return %HasFastProperties(object)") as (object: object) => boolean;
    } catch {
        return null;
    }
}

/** The SDK clients are reachable only through the handler's closure: note their configs as they send. */
async function watchClientConfigs(): Promise<object[]> {
    const configs: object[] = [];
    const { S3Client } = await import("@aws-sdk/client-s3");
    const smithyClient = Object.getPrototypeOf(S3Client.prototype) as {
        send: (this: { config: object }, ...args: unknown[]) => unknown;
    };
    const send = smithyClient.send;
    smithyClient.send = function (...args) {
        if (!configs.includes(this.config)) configs.push(this.config);
        return send.apply(this, args);
    };
    return configs;
}

const cpuMsNow = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
};

/** What the runtime invokes: `{index}` runs that batch, `{index: null}` only closes the last one's inclusive CPU. */
export type ContenderEvent = { index: number | null };
type ContenderHandler = (
    event: ContenderEvent,
) => Promise<InvocationResult | Pick<InvocationResult, "previousInclusiveCpuMs">>;

/** The contender's Lambda handler, built once (the init phase), as CONTENDER_HANDLER exports it. */
export async function contenderHandler(options: ContenderOptions): Promise<ContenderHandler> {
    const invoke = await buildHandler(options);
    const configs = await watchClientConfigs();
    const probe = fastPropertiesProbe();
    // Exiting normally (not killed) is what writes a --cpu-prof profile: stop() sends SIGTERM.
    process.once("SIGTERM", () => process.exit(0));
    let previousStart: number | null = null;
    return async ({ index }) => {
        const received = cpuMsNow();
        const previousInclusiveCpuMs = previousStart === null ? null : received - previousStart;
        if (index === null) {
            previousStart = null;
            return { previousInclusiveCpuMs };
        }
        const batch = benchBatch(options.seed, index, options.batchSize);
        const start = cpuMsNow();
        const started = performance.now();
        let problem: string | null;
        try {
            problem = await invoke(batch);
        } catch (error) {
            problem = `function error: ${error instanceof Error ? error.message : String(error)}`;
        }
        const result: InvocationResult = {
            cpuMs: cpuMsNow() - start,
            previousInclusiveCpuMs,
            wallMs: performance.now() - started,
            problem,
            fastConfig: probe && configs.length ? configs.map(probe) : null,
        };
        previousStart = start;
        return result;
    };
}

// ---- The parent's handle ------------------------------------------------------------------------

export interface ContenderProcess {
    /** Runs batch `index` and waits for its result. */
    run(index: number): Promise<InvocationResult>;
    /** The CPU since the last batch started: its inclusive CPU when it is the last one. */
    closeLast(): Promise<number | null>;
    stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The task root's handler: TypeScript, compiled as it loads (as the bench always ran it), the
 * contender built before the handler is exported, so that the runtime's init phase builds it.
 */
function handlerModule(): string {
    const tsNode = require.resolve("ts-node");
    return [
        "// The bench's contender as the function's handler: harness/bench/contender-process.ts.",
        'import { createRequire } from "module";',
        "const require = createRequire(import.meta.url);",
        `require(${JSON.stringify(tsNode)}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, "tsconfig.json"))} });`,
        `const { contenderHandler } = require(${JSON.stringify(__filename)});`,
        "export const handler = await contenderHandler(JSON.parse(process.env.BENCH_CONTENDER));",
        "",
    ].join("\n");
}

export async function startContender(options: ContenderOptions): Promise<ContenderProcess> {
    if (options.kind === "package" && !fs.existsSync(PACKAGE_HANDLER)) {
        throw new UsageError(`no ${displayPath(PACKAGE_HANDLER)}: run npm run build:lambda first to time the package`);
    }
    if (options.cpuProfileDir) fs.mkdirSync(options.cpuProfileDir, { recursive: true });
    const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${options.kind}-`));
    fs.writeFileSync(path.join(taskRoot, "__index.mjs"), handlerModule());
    let lambda: LambdaProcess;
    try {
        lambda = await LambdaProcess.start({
            taskRoot,
            nodePath: path.join(ROOT, "node_modules"),
            // Only what Lambda would give the function, and the contender's settings.
            environment: { ...options.environment, BENCH_CONTENDER: JSON.stringify(options) },
            nodeArgs: [
                "--allow-natives-syntax",
                ...(options.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir] : []),
            ],
        });
    } catch (error) {
        fs.rmSync(taskRoot, { recursive: true, force: true });
        throw new Error(`the ${options.kind} contender failed to start: ${(error as Error).message}`, {
            cause: error,
        });
    }
    const invoke = <T>(index: number | null) => lambda.invoke({ index } as never, 600_000) as unknown as Promise<T>;
    return {
        run: index => invoke<InvocationResult>(index),
        closeLast: async () =>
            (await invoke<Pick<InvocationResult, "previousInclusiveCpuMs">>(null)).previousInclusiveCpuMs,
        stop: async () => {
            await lambda.stop();
            fs.rmSync(taskRoot, { recursive: true, force: true });
        },
    };
}
