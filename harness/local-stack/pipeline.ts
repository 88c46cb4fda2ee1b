/**
 * The whole pipeline on this machine: emulators, the stream, table and bucket as the stack
 * defines them, the deployment package running as Lambda runs it, one poller per shard standing
 * in for the event source mapping, and the producer standing in for module 1. Returns the
 * reconciled summary once everything it started is closed.
 */
import { setTimeout as sleep } from "timers/promises";
import * as fs from "fs";
import * as path from "path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { parsePipelineConfig, PipelineSettings, SettingKey } from "../../pipeline/infra/config";
import type { ObjectLayout } from "../../pipeline/schema";
import { buildLambdaPackage, PACKAGE_DIR } from "../lambda/package";
import { EMULATOR_REGION, startDynalite, startKinesalite, startS3rver } from "../aws/emulators";
import { lambdaEnvironment } from "../lambda/environment";
import { createLambdaSandbox } from "../lambda/sandbox";
import { createRecordBucket, createTickTable, dynamoClient, s3Client } from "../aws/resources";
import { FunctionPool } from "../lambda/function-pool";
import { InitError } from "../lambda/process";
import { ensureLambdaRuntime } from "../lambda/runtime-install";
import { Ledger } from "./ledger";
import { FailureDestinationMessage, ShardPoller } from "../event-source-mapping/poller";
import { ProducerStats, PutRecord, runCsvProducer, runProducer } from "./producer";
import { csvTicks } from "./csv-ticks";
import { ProgressOutput, ProgressSnapshot, startProgress } from "./progress";
import { RunTimeline } from "./timeline";
import { ensureStream, localKinesisClient, openShardIds, STREAM_NAME } from "../aws/kinesis";
import { countStore, percentile, readStore, reconcile, RunSummary, StoreCounts } from "./summary";
import { tickKey } from "../../pipeline/runtime/batch";
import { badRowReporter, checkCsvHistory, describeCsvHistory, ProducerFlags } from "../cli/producer-flags";
import { newSeed, seededRandom } from "./ticks";
import { startChaos } from "./chaos";
import type { CrashPlan } from "../lambda/crashes";
import { displayPath, UserError } from "../cli/cli";
import { claimDataDir, inUse } from "./data-dir";

export const TABLE_NAME = "StockMarketData";
export const BUCKET_NAME = "stock-market-data-local";
const FUNCTION_NAME = "stock-processor-local";
/** A stream ARN for validating the settings; the real one comes from kinesalite. */
const LOCAL_STREAM_ARN = `arn:aws:kinesis:${EMULATOR_REGION}:000000000000:stream/${STREAM_NAME}`;

/** The producer's flags (rate, duration, symbols, shards, bad ratio, seed) and the pipeline's. */
export interface LocalPipelineOptions extends ProducerFlags {
    /** Keeps the emulators' data here between runs (a subfolder each); in memory when absent. */
    dataDir?: string;
    /** Overrides of the stack's settings (pipeline/infra/config.ts DEFAULTS otherwise). */
    startingPosition?: "LATEST" | "TRIM_HORIZON";
    batchSize?: number;
    /** How the function writes S3 objects (the stack's `objectLayout`). */
    objectLayout?: ObjectLayout;
    maximumRetryAttempts?: number;
    /** Seconds to wait, once the producer is done, for every record to be processed. */
    drainTimeoutSeconds?: number;
    /** Seconds to drain after an interruption (default 10). */
    interruptDrainSeconds?: number;
    /** Share of the function's requests to DynamoDB and S3 answered with a fault (0 to 1, default 0). */
    faults?: number;
    /** Share of invocations whose process is killed midway, as a timeout or OOM kill (0 to 1, default 0). */
    crashRate?: number;
    /** The function's package (default dist/processor, where the build writes it). */
    packageDir?: string;
    /** Rebuild dist/processor first (default); false reuses the package already there. */
    build?: boolean;
    /** Shows the function's own output (its JSON logs and metrics). */
    functionLogs?: boolean;
    /** Wait between polls of an idle shard, ms (Lambda: about a second). */
    idlePollMs?: number;
    progress?: ProgressOutput;
    log?: (line: string) => void;
    /** Aborting stops the producer, drains briefly and ends the run with a summary. */
    signal?: AbortSignal;
    /**
     * Called once the pipeline is up (pollers started), before producing: where its services
     * listen, the bucket to read the run's objects from, and the run's state as it goes.
     */
    onReady?: (ready: {
        endpoints: { kinesis: string; dynamodb: string; s3: string };
        streamArn: string;
        s3: S3Client;
        bucket: string;
        timeline: RunTimeline;
    }) => void;
    /** Called with the summary while the emulators still run, e.g. to write a report from the bucket. */
    afterRun?: (run: { s3: S3Client; bucket: string; summary: RunSummary }) => Promise<void>;
}

export type Closer = () => Promise<void> | void;

/**
 * The stack's settings, validated by the same code as `pulumi up`, with the run's overrides: typed
 * (a run's options) or as the stack's config writes them (a command's flags).
 */
export function localSettings(
    overrides:
        | Pick<LocalPipelineOptions, "startingPosition" | "batchSize" | "maximumRetryAttempts" | "objectLayout">
        | Partial<Record<SettingKey, string>>,
): PipelineSettings {
    const given: Record<string, unknown> = { ...overrides, streamArn: LOCAL_STREAM_ARN };
    return parsePipelineConfig(key => (given[key] === undefined ? undefined : String(given[key])));
}

export async function runLocalPipeline(options: LocalPipelineOptions): Promise<RunSummary> {
    const closers: Closer[] = [];
    try {
        return await run(options, closers);
    } finally {
        for (const close of closers.reverse()) {
            try {
                await close();
            } catch (error) {
                options.log?.(`warning: while shutting down: ${(error as Error).message}`);
            }
        }
    }
}

function throwIfAborted(signal?: AbortSignal): void {
    if (signal?.aborted)
        throw Object.assign(new Error("interrupted before the producer started"), { name: "AbortError" });
}

async function startEmulators(dataDir: string | undefined, closers: Closer[]) {
    const dir = (name: string) => {
        if (!dataDir) return undefined;
        const folder = path.join(dataDir, name);
        fs.mkdirSync(folder, { recursive: true });
        return folder;
    };
    // LevelDB's own lock, should a run not using our lock file hold the folder.
    const busy = (error: Error): never => {
        throw /IO error: lock/.test(error.message) ? inUse(dataDir!) : error;
    };
    const kinesis = await startKinesalite(dir("kinesis")).catch(busy);
    closers.push(kinesis.close);
    const dynamodb = await startDynalite(dir("dynamodb")).catch(busy);
    closers.push(dynamodb.close);
    const s3 = await startS3rver(dir("s3"));
    closers.push(s3.close);
    return { kinesis, dynamodb, s3 };
}

/** The table and bucket; with a kept data folder they may exist already. */
export async function ensureStorage(dynamo: DynamoDBClient, s3: S3Client, withDayIndex: boolean): Promise<void> {
    await createTickTable(dynamo, TABLE_NAME, withDayIndex).catch(error => {
        if (error.name !== "ResourceInUseException") throw error;
    });
    await createRecordBucket(s3, BUCKET_NAME).catch(error => {
        if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
    });
}

/**
 * The function as Lambda configures it: the package alone, settings from the environment only,
 * under Lambda's runtime (installed first when missing). `packageDir` (default dist/processor)
 * is for tests.
 */
export async function startFunction(
    options: Pick<LocalPipelineOptions, "build" | "functionLogs" | "log" | "packageDir">,
    settings: PipelineSettings,
    endpoints: { dynamodb: string; s3: string },
    closers: Closer[],
    crashPlan?: CrashPlan,
): Promise<FunctionPool> {
    const log = options.log ?? (() => undefined);
    if (options.build !== false) {
        const built = await buildLambdaPackage().catch(error => {
            throw new Error(`building the deployment package failed: ${(error as Error).stack ?? error}`);
        });
        log(
            `function package: ${displayPath(PACKAGE_DIR)}/ (${built.files} files, ${(built.bytes / 1024 / 1024).toFixed(2)} MiB)`,
        );
    }
    const runtime = await ensureLambdaRuntime({ log });
    log(`function runtime: ${runtime.description}`);
    const sandbox = createLambdaSandbox(options.packageDir ?? PACKAGE_DIR);
    closers.push(() => sandbox.remove());
    const environment = lambdaEnvironment({
        endpoints,
        tableName: TABLE_NAME,
        bucketName: BUCKET_NAME,
        objectLayout: settings.objectLayout,
        itemTtlDays: settings.itemTtlDays,
        functionName: FUNCTION_NAME,
        memorySize: settings.memorySize,
    });
    const pool = new FunctionPool(
        { taskRoot: sandbox.taskRoot, nodePath: sandbox.nodePath, environment, inheritOutput: options.functionLogs },
        settings.timeout * 1000,
        crashPlan,
    );
    closers.push(() => pool.close());
    // A package that cannot load fails here, once, rather than as retries of every batch: in one line.
    await pool.warmUp().catch(error => {
        throw error instanceof InitError ? new UserError(error.message) : error;
    });
    return pool;
}

/** Waits until no record is in flight, the deadline passes, or an interruption shortens it. */
async function drain(ledger: Ledger, options: LocalPipelineOptions): Promise<void> {
    const interruptMs = (options.interruptDrainSeconds ?? 10) * 1000;
    let deadline = Date.now() + (options.signal?.aborted ? interruptMs : (options.drainTimeoutSeconds ?? 60) * 1000);
    const shorten = () => {
        deadline = Math.min(deadline, Date.now() + interruptMs);
    };
    options.signal?.addEventListener("abort", shorten, { once: true });
    try {
        while (ledger.inFlight > 0 && Date.now() < deadline) await sleep(100);
    } finally {
        options.signal?.removeEventListener("abort", shorten);
    }
}

/** What the pollers counted. */
interface PollerStats {
    invocations: number;
    functionErrors: number;
    /** Invocations that were retries of records already invoked. */
    retries: number;
    /** Parts of batches split in two after a function error. */
    bisections: number;
}

interface Destination {
    messages: FailureDestinationMessage[];
    file?: string;
}

/** What the pollers share: where they report, and the function they invoke. */
interface PollerContext {
    kinesis: KinesisClient;
    streamArn: string;
    settings: PipelineSettings;
    pool: FunctionPool;
    ledger: Ledger;
    destination: Destination;
    stats: PollerStats;
    log: (line: string) => void;
    idlePollMs: number;
}

function startPollers(shardIds: string[], context: PollerContext): ShardPoller[] {
    const { settings, ledger, destination, stats, log } = context;
    const pollerSettings = {
        batchSize: settings.batchSize,
        startingPosition: settings.startingPosition as "LATEST" | "TRIM_HORIZON",
        maximumRetryAttempts: settings.maximumRetryAttempts,
        maximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
        // As the stack's event source mapping (pipeline/infra/processor.ts).
        bisectBatchOnFunctionError: true,
        idlePollMs: context.idlePollMs,
    };
    const functionArn = `arn:aws:lambda:${EMULATOR_REGION}:000000000000:function:${FUNCTION_NAME}`;
    const where = (shardId: string) => ({
        streamName: STREAM_NAME,
        streamArn: context.streamArn,
        shardId,
        region: EMULATOR_REGION,
        functionArn,
    });
    return shardIds.map(
        shardId =>
            new ShardPoller(context.kinesis, where(shardId), pollerSettings, {
                invoke: event => context.pool.invoke(event),
                acknowledged: (sequenceNumbers, at) => ledger.acknowledge(sequenceNumbers, at),
                gaveUp: (message, sequenceNumbers) => {
                    ledger.giveUp(sequenceNumbers);
                    destination.messages.push(message);
                    if (destination.file) fs.appendFileSync(destination.file, `${JSON.stringify(message)}\n`);
                },
                invoked: (_records, error, retry) => {
                    stats.invocations++;
                    if (retry > 0) stats.retries++;
                    if (error) {
                        stats.functionErrors++;
                        log(`function error on ${shardId}: ${error.name}: ${error.message}`);
                    }
                },
                bisected: () => {
                    stats.bisections++;
                },
                warn: message => log(`warning: ${message}`),
            }),
    );
}

/** The emulators' endpoints, and clients for them. */
export interface LocalStack {
    endpoints: { kinesis: string; dynamodb: string; s3: string };
    kinesis: KinesisClient;
    dynamo: DynamoDBClient;
    s3: S3Client;
}

/**
 * The emulators, on `dataDir` (in memory without one), and clients for them; `closers` gets what
 * stops them. Used by the local run and by the replay of a local run's data folder.
 */
export async function openLocalStack(dataDir: string | undefined, closers: Closer[]): Promise<LocalStack> {
    const emulators = await startEmulators(dataDir, closers);
    const endpoints = {
        kinesis: emulators.kinesis.endpoint,
        dynamodb: emulators.dynamodb.endpoint,
        s3: emulators.s3.endpoint,
    };
    const kinesis = localKinesisClient(endpoints.kinesis);
    const dynamo = dynamoClient(endpoints.dynamodb);
    const s3 = s3Client(endpoints.s3);
    closers.push(() => {
        kinesis.destroy();
        dynamo.destroy();
        s3.destroy();
    });
    return { endpoints, kinesis, dynamo, s3 };
}

/** Emulators, stream, table and bucket, as the stack defines them. */
async function setUp(options: LocalPipelineOptions, settings: PipelineSettings, closers: Closer[]) {
    const log = options.log ?? (() => undefined);
    const { endpoints, kinesis, dynamo, s3 } = await openLocalStack(options.dataDir, closers);
    log(
        `emulators: kinesalite ${endpoints.kinesis}, dynalite ${endpoints.dynamodb}, s3rver ${endpoints.s3}${options.dataDir ? ` (data in ${options.dataDir})` : " (in memory)"}`,
    );
    const stream = await ensureStream(kinesis, STREAM_NAME, options.shards);
    await ensureStorage(dynamo, s3, settings.dayIndex);
    const shardIds = await openShardIds(kinesis, STREAM_NAME);
    if (!stream.created && shardIds.length !== options.shards)
        log(`note: the kept stream has ${shardIds.length} shards; --shards applies to a new stream only`);
    log(
        `stream ${STREAM_NAME} (${shardIds.length} shard${shardIds.length === 1 ? "" : "s"}), table ${TABLE_NAME}, bucket ${BUCKET_NAME}`,
    );
    return { endpoints, kinesis, dynamo, s3, streamArn: stream.streamArn, shardIds };
}

/** Runs the producer with live progress, recording the run each second, then waits for the pollers to catch up. */
async function produceAndDrain(
    kinesis: KinesisClient,
    ledger: Ledger,
    pollers: ShardPoller[],
    timeline: RunTimeline,
    options: LocalPipelineOptions,
): Promise<ProducerStats> {
    const log = options.log ?? (() => undefined);
    const aggregates = options.aggregate ? `, ${options.aggregate} per KPL aggregate` : "";
    if (options.csv) log(`sending ${describeCsvHistory(options.csv)}${aggregates}`);
    else
        log(
            `producing ${options.rate} records/s for ${options.duration} s, ${options.symbols.length} symbols, bad-ratio ${options.badRatio}` +
                `${aggregates}, seed ${options.seed}`,
        );
    const snapshot = (): ProgressSnapshot => ({
        produced: ledger.produced,
        stored: ledger.acknowledgedValid,
        rejected: ledger.acknowledgedMalformed,
        inFlight: ledger.inFlight,
        failedToDestination: ledger.gaveUp,
        iteratorAgeMs: Math.max(0, ...pollers.map(poller => poller.iteratorAgeMs)),
    });
    const stopProgress = options.progress ? startProgress(options.progress, snapshot) : () => undefined;
    timeline.start({ snapshot, latenciesFrom: start => ledger.latenciesFrom(start) });
    try {
        const target = { StreamName: STREAM_NAME };
        const onPut = (records: PutRecord[]) => ledger.register(records);
        const producer = options.csv
            ? await runCsvProducer(kinesis, target, {
                  ticks: csvTicks(options.csv.files!),
                  speed: options.csv.speed,
                  aggregate: options.aggregate,
                  signal: options.signal,
                  onPut,
                  onBadRow: badRowReporter(log),
              })
            : await runProducer(kinesis, target, {
                  rate: options.rate,
                  duration: options.duration,
                  symbols: options.symbols,
                  badRatio: options.badRatio,
                  aggregate: options.aggregate,
                  random: seededRandom(options.seed!),
                  signal: options.signal,
                  onPut,
              });
        timeline.draining();
        await drain(ledger, options);
        return producer;
    } finally {
        timeline.stop();
        stopProgress();
    }
}

/**
 * With --skip-build, the package must be there: the local run and the local replay say so before
 * starting anything.
 */
export function checkPackageBuilt(packageDir = PACKAGE_DIR): void {
    if (!fs.existsSync(path.join(packageDir, "__index.js")))
        throw new UserError(
            `--skip-build: there is no package in ${displayPath(packageDir)}/ yet: run npm run build:lambda once, or leave out --skip-build`,
        );
}

async function run(options: LocalPipelineOptions, closers: Closer[]): Promise<RunSummary> {
    const started = Date.now();
    const log = options.log ?? (() => undefined);
    // A wrong flag (--data naming a file) is told before a missing build: fix the command first.
    if (options.dataDir) closers.push(claimDataDir(options.dataDir));
    if (options.build === false) checkPackageBuilt(options.packageDir);
    if (options.csv && !options.csv.files) options = await checkCsvHistory(options);
    // One seed for the ticks, the faults and the crashes: printed first, so that a run can be repeated.
    const seed = options.seed ?? newSeed();
    options = { ...options, seed };
    log(`local run: seed ${seed} (--seed ${seed} with the same flags repeats this run)`);
    const settings = localSettings(options);
    const { endpoints, kinesis, dynamo, s3, streamArn, shardIds } = await setUp(options, settings, closers);
    throwIfAborted(options.signal);

    const chaos = await startChaos(
        { seed, faults: options.faults ?? 0, crashRate: options.crashRate ?? 0 },
        endpoints,
        closers,
    );
    if (options.faults) log(`faults: ${options.faults} of the function's requests to DynamoDB and S3, through proxies`);
    if (options.crashRate) log(`crashes: the function's process killed during ${options.crashRate} of invocations`);
    const pool = await startFunction(options, settings, chaos.functionEndpoints, closers, chaos.crashPlan);
    log(
        `event source mapping: batchSize ${settings.batchSize}, startingPosition ${settings.startingPosition}, maximumRetryAttempts ${settings.maximumRetryAttempts}, ` +
            `maximumRecordAgeInSeconds ${settings.maximumRecordAgeInSeconds}, timeout ${settings.timeout} s, partial batch responses; ` +
            `objectLayout ${settings.objectLayout}`,
    );
    const storeBefore = await readStore(dynamo, s3, TABLE_NAME, BUCKET_NAME);
    const before: StoreCounts = countStore(storeBefore);
    const keysBefore = new Set(storeBefore.ticks.map(tickKey));
    throwIfAborted(options.signal);

    const ledger = new Ledger();
    const destination: Destination = {
        messages: [],
        file: options.dataDir && path.join(options.dataDir, "failures.jsonl"),
    };
    const stats: PollerStats = { invocations: 0, functionErrors: 0, retries: 0, bisections: 0 };
    const pollers = startPollers(shardIds, {
        kinesis,
        streamArn,
        settings,
        pool,
        ledger,
        destination,
        stats,
        log,
        idlePollMs: options.idlePollMs ?? 1000,
    });
    // With LATEST, a poller sees only what is put after it took its iterator: all of them first.
    await Promise.all(pollers.map(poller => poller.start()));
    closers.push(() => Promise.all(pollers.map(poller => poller.stop())).then(() => undefined));
    const timeline = new RunTimeline();
    options.onReady?.({ endpoints, streamArn, s3, bucket: BUCKET_NAME, timeline });

    const producer = await produceAndDrain(kinesis, ledger, pollers, timeline, options);
    // Stopping lets each poller finish its invocation in progress: count what is left after that.
    await Promise.all(pollers.map(poller => poller.stop()));

    const contents = await readStore(dynamo, s3, TABLE_NAME, BUCKET_NAME);
    const reconciliation = reconcile(ledger.entries(), contents, before, destination.messages, keysBefore);
    if (producer.putFailed > 0)
        reconciliation.problems.push(`${producer.putFailed} records could not be put to the stream`);
    const latencies = ledger.latencies().sort((a, b) => a - b);
    const summary: RunSummary = {
        ...reconciliation,
        producer,
        store: countStore(contents),
        storeBefore: before,
        latencyMs: {
            samples: latencies.length,
            p50: percentile(latencies, 50),
            p90: percentile(latencies, 90),
            p99: percentile(latencies, 99),
        },
        seed,
        invocations: stats.invocations,
        functionErrors: stats.functionErrors,
        retries: stats.retries,
        bisections: stats.bisections,
        crashes: pool.crashes,
        faults: options.faults ? chaos.report().faults : undefined,
        coldStarts: pool.coldStarts,
        failedToDestination: ledger.gaveUp,
        failures: destination.messages,
        failuresFile: destination.file && destination.messages.length > 0 ? destination.file : undefined,
        dataDir: options.dataDir,
        interrupted: options.signal?.aborted ?? false,
        drained: ledger.inFlight === 0,
        elapsedSeconds: (Date.now() - started) / 1000,
        endpoints,
        ok: reconciliation.lost === 0 && reconciliation.problems.length === 0,
        // Finished as far as the summary goes; the timeline says so once afterRun is done too (a live page's last refresh).
        run: { ...timeline.state(), status: "finished" },
    };
    await options.afterRun?.({ s3, bucket: BUCKET_NAME, summary });
    timeline.finished();
    return summary;
}
