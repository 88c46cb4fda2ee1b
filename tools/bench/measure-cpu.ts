/**
 * The handler's own CPU per batch, against the sink (harness/sink/sink-process.ts), for SDK tuning
 * variants side by side:
 *
 *   npx ts-node --transpile-only harness/sink/measure-cpu.ts [--variants baseline,tuned]
 *       [--warm-ups 40] [--batches 90] [--batch-size 100] [--s3-latency 0] [--dynamo-latency 0] [--seed N]
 *       [--processes 1] [--cpu-prof DIR]
 *
 * `--processes N` runs each variant in N processes and pools their batches: between processes the
 * median varies by several ms (heap layout, JIT), more than between batches of one process.
 * `--cpu-prof DIR` writes V8 CPU profiles of the handler processes (for Chrome DevTools).
 *
 * A variant is `baseline` (no tuning), `tuned` (every tuning of pipeline/runtime/sdk-tuning.ts),
 * `+name` (that tuning alone), `-name` (all but that one), or `package`: the deployment package as
 * `npm run build:lambda` left it in dist/processor/ (the code Pulumi serialized, all tunings on; its
 * process loads no TypeScript compiler, so its heap is smaller than the others').
 *
 * Each handler is built by createHandlerFromEnvironment, as in Lambda, in a Node.js process of its
 * own (one "container": no JIT state, heap or sockets shared), the sink in another. Every process
 * makes the same seeded batches of valid ticks; each round gives every process one batch, in a new
 * seeded order, so that drifts of this shared machine hit all variants alike. Only the handler call
 * is timed, with process.cpuUsage of its process (every thread, GC included); the run fails if the
 * sink saw an invalid signature or a missing header, or a record was reported failed.
 */
import { fork } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { createHandlerFromEnvironment, ProcessorHandler } from "../../pipeline/runtime/handler";
import { FULL_TUNING, SdkTuning } from "../../pipeline/runtime/sdk-tuning";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../../harness/aws/emulators";
import { percentile } from "../local/summary";
import { startSinkProcess } from "../../harness/sink/sink-process";

interface Options {
    variants: string[];
    warmUps: number;
    batches: number;
    batchSize: number;
    latencyMs: { s3: number; dynamodb: number };
    seed: number;
    /** Processes per variant: the spread between processes is larger than within one. */
    processes: number;
    cpuProfileDir?: string;
}

/** Lambda's credentials are temporary: a session token is signed into every request. */
const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEOz//////////wEaCXVzLWVhc3QtMSJHMEUCIQD-measure-cpu-session-token";

/** Where `npm run build:lambda` unpacks the deployment package. */
const PACKAGE_HANDLER = path.resolve(__dirname, "..", "..", "dist", "processor", "__index.js");

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
    const { values } = parseArgs({
        args: argv,
        options: {
            variants: { type: "string", default: "baseline,tuned" },
            "warm-ups": { type: "string", default: "40" },
            batches: { type: "string", default: "90" },
            "batch-size": { type: "string", default: "100" },
            "s3-latency": { type: "string", default: "0" },
            "dynamo-latency": { type: "string", default: "0" },
            seed: { type: "string" },
            processes: { type: "string", default: "1" },
            "cpu-prof": { type: "string" },
        },
    });
    const number = (name: keyof typeof values, min: number): number => {
        const value = Number(values[name]);
        if (!Number.isInteger(value) || value < min)
            throw new UsageError(`--${name} must be an integer >= ${min}, got ${values[name]}`);
        return value;
    };
    const variants = String(values.variants).split(",").filter(Boolean);
    variants.filter(variant => variant !== "package").forEach(tuningOf); // fails early on an unknown name
    if (variants.includes("package") && !fs.existsSync(PACKAGE_HANDLER))
        throw new UsageError(
            `variant package: no ${path.relative(process.cwd(), PACKAGE_HANDLER)}, run npm run build:lambda first`,
        );
    return {
        variants,
        warmUps: number("warm-ups", 0),
        batches: number("batches", 1),
        batchSize: number("batch-size", 1),
        latencyMs: { s3: number("s3-latency", 0), dynamodb: number("dynamo-latency", 0) },
        seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number("seed", 0),
        processes: number("processes", 1),
        cpuProfileDir: values["cpu-prof"],
    };
}

/** `baseline`, `tuned`, `+name` or `-name` → which tunings are on. */
export function tuningOf(variant: string): SdkTuning {
    const names = Object.keys(FULL_TUNING) as (keyof SdkTuning)[];
    const none = Object.fromEntries(names.map(name => [name, false])) as unknown as SdkTuning;
    if (variant === "baseline") return none;
    if (variant === "tuned") return { ...FULL_TUNING };
    const name = variant.slice(1) as keyof SdkTuning;
    if (!names.includes(name) || !"+-".includes(variant[0])) {
        throw new UsageError(
            `unknown variant ${variant}: use baseline, tuned, package, or +name / -name with a name among ${names.join(", ")}`,
        );
    }
    return variant[0] === "+" ? { ...none, [name]: true } : { ...FULL_TUNING, [name]: false };
}

// ---- Events ---------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so that a run can be repeated exactly. */
function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const SYMBOLS = [
    "AAPL",
    "MSFT",
    "GOOGL",
    "AMZN",
    "NVDA",
    "META",
    "TSLA",
    "BRK.B",
    "JPM",
    "V",
    "^GSPC",
    "BTC-USD",
    "EURUSD=X",
];

/** Batches of valid ticks as an event source mapping delivers them; every (symbol, timestamp) unique. */
function eventFactory(seed: number) {
    const next = random(seed);
    let sequence = 49_658_236_129_436_911_870_164_734_012_893_445_376_122_049_872_034_332_674n;
    let micros = BigInt(Date.UTC(2026, 10, 28, 14, 30, 0)) * 1000n;
    let count = 0;
    return (batchSize: number): KinesisStreamEvent => {
        const records: KinesisStreamRecord[] = [];
        for (let i = 0; i < batchSize; i++, count++) {
            sequence += 1_000_000_000_000_000_000n + BigInt(Math.floor(next() * 1e9));
            micros += 1n;
            const time = new Date(Number(micros / 1000n)).toISOString().slice(0, 19);
            const price = `${1 + Math.floor(next() * 999)}.${String(Math.floor(next() * 100)).padStart(2, "0")}${1 + Math.floor(next() * 9)}`;
            const data = `{"symbol": "${SYMBOLS[count % SYMBOLS.length]}", "price": ${price}, "timestamp": "${time}.${String(micros % 1_000_000n).padStart(6, "0")}"}`;
            const sequenceNumber = sequence.toString();
            records.push({
                kinesis: {
                    kinesisSchemaVersion: "1.0",
                    partitionKey: SYMBOLS[count % SYMBOLS.length],
                    sequenceNumber,
                    data: Buffer.from(data).toString("base64"),
                    approximateArrivalTimestamp: 1795876200.123,
                },
                eventSource: "aws:kinesis",
                eventVersion: "1.0",
                eventID: `shardId-000000000000:${sequenceNumber}`,
                eventName: "aws:kinesis:record",
                invokeIdentityArn: "arn:aws:iam::123456789012:role/measure-cpu",
                awsRegion: EMULATOR_REGION,
                eventSourceARN: `arn:aws:kinesis:${EMULATOR_REGION}:123456789012:stream/stock-market-stream`,
            });
        }
        return { Records: records };
    };
}

// ---- The handler's process ------------------------------------------------------------------

type InvocationResult = {
    /** CPU of the handler call alone. */
    cpuMs: number;
    /**
     * CPU from the start of the previous call to the start of this one, less making this event:
     * the previous batch's cost including what it left to do after returning (GC on V8's helper
     * threads, mostly), which in Lambda, frozen between invocations, lands in the next one.
     */
    previousInclusiveCpuMs: number | null;
    wallMs: number;
    failed: number;
    fastConfig: boolean[] | null;
};

/**
 * Whether the clients' resolved configs are in V8's fast mode, when the process runs with
 * --allow-natives-syntax (the parent forks it so); null otherwise. Diagnostic only.
 */
function fastPropertiesProbe(): ((object: object) => boolean) | null {
    try {
        return new Function("object", "return %HasFastProperties(object)") as (object: object) => boolean;
    } catch {
        return null;
    }
}

const cpuMsNow = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
};

/**
 * Runs in the forked process: builds the handler as Lambda would, makes each batch itself (the
 * same events for every variant, and no event to deserialize from IPC) and times its CPU.
 */
async function serveHandler(variant: string, seed: number, batchSize: number): Promise<void> {
    const handler: ProcessorHandler =
        variant === "package"
            ? (await import(PACKAGE_HANDLER)).handler
            : createHandlerFromEnvironment(undefined, tuningOf(variant));
    const nextEvent = eventFactory(seed);
    const probe = fastPropertiesProbe();
    const configs: object[] = [];
    // The clients are reachable through the handler's closure only: note their configs on first use.
    const { S3Client } = await import("@aws-sdk/client-s3");
    const smithyClient = Object.getPrototypeOf(S3Client.prototype) as {
        send: (this: { config: object }, ...args: unknown[]) => unknown;
    };
    const send = smithyClient.send;
    smithyClient.send = function (...args) {
        if (!configs.includes(this.config)) configs.push(this.config);
        return send.apply(this, args);
    };
    let previousStart: number | null = null;
    process.on("message", async () => {
        const received = cpuMsNow();
        const event = nextEvent(batchSize);
        const start = cpuMsNow();
        const started = performance.now();
        const response = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
        const wallMs = performance.now() - started;
        const result: InvocationResult = {
            cpuMs: cpuMsNow() - start,
            previousInclusiveCpuMs: previousStart === null ? null : received - previousStart,
            wallMs,
            failed: response.batchItemFailures.length,
            fastConfig: probe && configs.map(probe),
        };
        previousStart = start;
        process.send!(result);
    });
    process.once("disconnect", () => process.exit(0));
    process.send!({ ready: true });
}

function startHandlerProcess(variant: string, options: Options, environment: Record<string, string>) {
    const child = fork(__filename, ["--handler-process", variant, String(options.seed), String(options.batchSize)], {
        execArgv: [
            "-r",
            "ts-node/register/transpile-only",
            "--allow-natives-syntax",
            ...(options.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir] : []),
        ],
        env: { PATH: process.env.PATH ?? "", TZ: "UTC", ...environment },
        // Powertools' log line and EMF document are part of the handler's work; where they go is not.
        stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const ready = new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", code =>
            reject(new Error(`the ${variant} handler process exited (${code}) before it was ready`)),
        );
    });
    const invoke = () =>
        new Promise<InvocationResult>((resolve, reject) => {
            child.once("message", result => resolve(result as InvocationResult));
            child.send({}, error => error && reject(error));
        });
    // The child exits by itself when disconnected: a normal exit writes its --cpu-prof profile.
    const stop = () =>
        new Promise<void>(resolve => {
            if (child.exitCode !== null || !child.connected) return resolve();
            child.once("exit", () => resolve());
            child.disconnect();
        });
    return { ready, invoke, stop };
}

// ---- The run ----------------------------------------------------------------------------------

const median = (values: number[]) =>
    percentile(
        [...values].sort((a, b) => a - b),
        50,
    )!;
const p90 = (values: number[]) =>
    percentile(
        [...values].sort((a, b) => a - b),
        90,
    )!;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

interface HandlerResults {
    variant: string;
    cpuMs: number[];
    inclusiveCpuMs: number[];
    wallMs: number[];
    failed: number;
    fastConfig: boolean[] | null;
}

/** One line per variant, its processes' batches pooled, and each process's own median. */
function report(options: Options, handlers: HandlerResults[]): void {
    console.log(
        "CPU ms per batch of the handler's process: in the call, and including what the batch left for after it (GC)",
    );
    console.log(
        "variant            call median   p90  mean | incl. median   p90  mean | wall median | failed | fast configs | per process: call median",
    );
    const cell = (values: number[]) =>
        `${median(values).toFixed(1).padStart(6)} ${p90(values).toFixed(1).padStart(5)} ${mean(values).toFixed(1).padStart(5)}`;
    for (const variant of options.variants) {
        const own = handlers.filter(handler => handler.variant === variant);
        const pooled = (pick: (handler: HandlerResults) => number[]) => own.flatMap(pick);
        const fast = own.map(handler => handler.fastConfig?.every(Boolean) ?? "?").join(",");
        console.log(
            `${variant.padEnd(18)} ${cell(pooled(h => h.cpuMs)).padStart(22)} | ${cell(pooled(h => h.inclusiveCpuMs)).padStart(23)} | ${median(
                pooled(h => h.wallMs),
            )
                .toFixed(1)
                .padStart(
                    11,
                )} | ${String(own.reduce((sum, h) => sum + h.failed, 0)).padStart(6)} | ${fast.padEnd(12)} | ${own.map(h => median(h.cpuMs).toFixed(1)).join(" ")}`,
        );
    }
}

async function measure(options: Options): Promise<boolean> {
    console.log(
        `measure-cpu: variants ${options.variants.join(", ")}, ${options.processes} process(es) each; ${options.warmUps} warm-up + ${options.batches} timed batches of ${options.batchSize} ticks each; latency s3 ${options.latencyMs.s3} ms, dynamodb ${options.latencyMs.dynamodb} ms; seed ${options.seed}`,
    );
    const sink = await startSinkProcess({ latencyMs: options.latencyMs, signing: { sessionToken: SESSION_TOKEN } });
    const environment = {
        AWS_REGION: EMULATOR_REGION,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: SESSION_TOKEN,
        AWS_ENDPOINT_URL_S3: sink.endpoints.s3,
        AWS_ENDPOINT_URL_DYNAMODB: sink.endpoints.dynamodb,
        S3_FORCE_PATH_STYLE: "true",
        TABLE_NAME: "StockMarketData",
        BUCKET_NAME: "stock-market-data",
        // As in Lambda: the SDK's recursion detection copies the trace header into every request.
        AWS_LAMBDA_FUNCTION_NAME: "measure-cpu",
        _X_AMZN_TRACE_ID: "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=0",
    };
    const handlers = options.variants.flatMap(variant =>
        Array.from({ length: options.processes }, () => ({
            variant,
            process: startHandlerProcess(variant, options, environment),
            cpuMs: [] as number[],
            inclusiveCpuMs: [] as number[],
            wallMs: [] as number[],
            failed: 0,
            fastConfig: null as boolean[] | null,
        })),
    );
    try {
        await Promise.all(handlers.map(handler => handler.process.ready));
        // One more round than timed: its start closes the last timed batch's inclusive CPU.
        const rounds = options.warmUps + options.batches + 1;
        const shuffle = random(options.seed ^ 0x5eed);
        for (let round = 0; round < rounds; round++) {
            // A new order every round: no process is always first after the sink's idle time.
            const order = handlers.map(handler => ({ handler, key: shuffle() })).sort((a, b) => a.key - b.key);
            for (const { handler } of order) {
                const result = await handler.process.invoke();
                handler.failed += result.failed;
                handler.fastConfig = result.fastConfig;
                const timed = round >= options.warmUps && round < rounds - 1;
                if (timed) {
                    handler.cpuMs.push(result.cpuMs);
                    handler.wallMs.push(result.wallMs);
                }
                if (round > options.warmUps) handler.inclusiveCpuMs.push(result.previousInclusiveCpuMs!);
            }
            if ((round + 1) % 10 === 0 || round + 1 === rounds) process.stderr.write(`\r${round + 1}/${rounds} rounds`);
        }
        process.stderr.write("\n");
        const stats = await sink.stats();
        report(options, handlers);
        console.log(
            `sink: ${JSON.stringify(stats.requests)} for ${rounds * handlers.length} batches; invalid signatures ${stats.invalidSignatures}, header problems ${stats.headerProblems}`,
        );
        for (const problem of stats.problemSamples) console.log(`  ${problem}`);
        return (
            stats.invalidSignatures === 0 &&
            stats.headerProblems === 0 &&
            handlers.every(handler => handler.failed === 0)
        );
    } finally {
        await Promise.all(handlers.map(handler => handler.process.stop()));
        await sink.close();
    }
}

if (require.main === module) {
    if (process.argv[2] === "--handler-process") {
        serveHandler(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).catch(error => {
            console.error(error);
            process.exit(1);
        });
    } else {
        let options: Options;
        try {
            options = parseOptions(process.argv.slice(2));
        } catch (error) {
            console.error(`measure-cpu: ${error instanceof Error ? error.message : error}`);
            process.exit(2);
        }
        measure(options).then(
            ok => process.exit(ok ? 0 : 1),
            error => {
                console.error(`measure-cpu: ${error instanceof Error ? error.message : error}`);
                process.exit(1);
            },
        );
    }
}
