/**
 * The processor's handler: plans the batch (pure), writes the items and objects in parallel,
 * reports exactly the records whose writes still failed, and logs and measures each invocation.
 *
 * Serialized into the Lambda by Pulumi (`callbackFactory: createHandlerFromEnvironment`): no
 * `@pulumi/*` imports here or in anything this file imports.
 */
import { setMaxListeners } from "events";
import * as http from "http";
import * as https from "https";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import {
    DEFAULT_OBJECT_LAYOUT,
    FUNCTION_NAME_DIMENSION,
    METRICS,
    METRICS_NAMESPACE,
    OBJECT_LAYOUTS,
    ObjectLayout,
    SERVICE,
} from "../schema";
import {
    expiresAt,
    failuresToReport,
    ingestLagMs,
    latestPerKey,
    planBatch,
    RecordPlan,
    tickKey,
    TickPlan,
} from "./batch";
import { TickItem, writeTicks } from "./dynamo";
import { ObjectPut, plannedObjects } from "./layouts";
import { putObjects } from "./s3";
import { createDynamoDBClient, createS3Client, FULL_TUNING, SdkTuning } from "./sdk-tuning";

export type ProcessorHandler = (
    event: KinesisStreamEvent,
    context?: Pick<Context, "getRemainingTimeInMillis">,
) => Promise<KinesisStreamBatchResponse>;

/** What one invocation did: logged as one JSON line and published as metrics. */
export interface BatchSummary {
    /** Kinesis records in the event. */
    received: number;
    /** Records processed: the received ones with KPL aggregates counted by their user records. */
    userRecords: number;
    /** S3 objects the batch leaves behind (requests, before retries). */
    objects: number;
    /** User records stored, quarantined, and left for redelivery. */
    stored: number;
    rejected: number;
    failed: number;
    durationMs: number;
    /** How far behind the stream the batch was: now minus its oldest record's arrival; absent for an empty batch. */
    ingestLagMs?: number;
    /** The first message of each kind of error the writes met, e.g. {"AccessDenied": "…"}; absent when none. */
    errors?: Record<string, string>;
}

export interface ProcessorDependencies {
    tableName: string;
    bucketName: string;
    dynamo: DynamoDBDocumentClient;
    s3: S3Client;
    /** Object puts in flight at once: the S3 client's connection pool size. */
    s3MaxInFlight: number;
    /** How records are written to S3 (the processing contract's two layouts); `record` by default. */
    objectLayout?: ObjectLayout;
    /** Days after its record's arrival an item expires (its `expiresAt`); no `expiresAt` when unset. */
    itemTtlDays?: number;
    /** Called once per invocation. */
    observe: (summary: BatchSummary) => void;
}

/** Per-request limits: a hung connection must not eat the invocation's time. */
const CONNECTION_TIMEOUT_MS = 2000;
export const REQUEST_TIMEOUT_MS = 5000;
/** Sockets per client: a batch of 100 ticks has 200 objects to put, all at once. */
const CONNECTION_POOL = 256;

/** The time an invocation is taken to have without a Lambda context (tests, other hosts). */
const DEFAULT_REMAINING_MS = 30_000;
/** At most this long, from the abort of the last requests to the response (summary, log line, EMF). */
const MAX_ANSWER_MS = 1000;

/** When an invocation's writes must end, in epoch ms. */
export interface InvocationLimits {
    /** No request starts and no retry is waited for after it. */
    deadline: number;
    /** Requests still in flight are aborted then, so that the handler answers before Lambda's timeout. */
    stopAt: number;
}

/**
 * The invocation's limits, from the function's remaining time. Requests start until the deadline:
 * the remaining time less room for one started just before to connect and time out (half the
 * remaining time at most, for short timeouts). Whatever is still in flight is aborted at `stopAt`:
 * the remaining time less a tenth of it (at most a second) to answer, so that the records
 * are reported rather than the invocation timing out, however short the function's timeout.
 */
export function invocationLimits(
    context: Pick<Context, "getRemainingTimeInMillis"> | undefined,
    now = Date.now(),
): InvocationLimits {
    const remaining = context?.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
    const end = now + remaining;
    return {
        deadline: end - Math.min(remaining / 2, CONNECTION_TIMEOUT_MS + REQUEST_TIMEOUT_MS + 1000),
        stopAt: end - Math.min(remaining / 10, MAX_ANSWER_MS),
    };
}

/** An abort signal that fires at `time` (epoch ms), for every request of one invocation; `cancel` when done. */
function abortAt(time: number): { signal: AbortSignal; cancel(): void } {
    const controller = new AbortController();
    // Hundreds of requests in flight listen to it at once: expected, not a leak.
    setMaxListeners(0, controller.signal);
    const timer = setTimeout(
        () => controller.abort(new Error("the invocation's time ran out")),
        Math.max(0, time - Date.now()),
    );
    return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}

/** Keeps the first message of each kind of error, so a failing invocation says why. */
function errorSampler() {
    const samples: Record<string, string> = {};
    const note = (error: unknown) => {
        const { name = "Error", message = String(error) } = error as { name?: string; message?: string };
        samples[name] ??= message;
    };
    return { note, samples };
}

/** The records with a write not done: a copy in an object not written, or their own (winning) item. */
function unstoredRecords(
    puts: ObjectPut[],
    failedObjects: Set<string>,
    itemWriters: TickPlan[],
    failedItems: Set<string>,
): Set<RecordPlan> {
    const unstored = new Set(puts.filter(put => failedObjects.has(put.key)).flatMap(put => put.records));
    for (const plan of itemWriters) if (failedItems.has(tickKey(plan.tick))) unstored.add(plan);
    return unstored;
}

/** The item a winning tick writes: with its `expiresAt` when items expire. */
function itemOf(plan: TickPlan, itemTtlDays: number | undefined): TickItem {
    return itemTtlDays === undefined
        ? plan.tick
        : { ...plan.tick, expiresAt: expiresAt(plan.approximateArrivalTimestamp, itemTtlDays) };
}

/**
 * ITEM_TTL_DAYS: undefined (items never expire) when unset or empty; else a whole number of days
 * from 1, and anything else stops the container at start, as a wrong OBJECT_LAYOUT does.
 */
export function itemTtlDaysFromEnvironment(value: string | undefined): number | undefined {
    if (value === undefined || value === "") return undefined;
    const days = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(days) || days < 1) {
        throw new Error(`ITEM_TTL_DAYS must be a whole number of days from 1, got "${value}"`);
    }
    return days;
}

/** OBJECT_LAYOUT: DEFAULT_OBJECT_LAYOUT (`record`) when unset; anything unknown stops the container at start. */
export function objectLayoutFromEnvironment(value: string | undefined): ObjectLayout {
    if (value === undefined || value === "") return DEFAULT_OBJECT_LAYOUT;
    if (!(OBJECT_LAYOUTS as readonly string[]).includes(value)) {
        throw new Error(`OBJECT_LAYOUT must be one of ${OBJECT_LAYOUTS.join(", ")}, got "${value}"`);
    }
    return value as ObjectLayout;
}

/**
 * The handler over explicit dependencies: clients, names and where each invocation's summary goes.
 * Lambda uses `createHandlerFromEnvironment`; this one is for tests, tools and other hosts.
 *
 * @example
 * const handler = createHandler({
 *     tableName: "StockMarketData",
 *     bucketName: "stock-market-data-dev",
 *     dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { unmarshallOptions: { wrapNumbers: true } }),
 *     s3: new S3Client({}),
 *     s3MaxInFlight: 64,
 *     observe: summary => console.log(JSON.stringify(summary)),
 * });
 * const { batchItemFailures } = await handler(kinesisEvent, context); // redeliver from the lowest
 */
export function createHandler(deps: ProcessorDependencies): ProcessorHandler {
    return async (event, context) => {
        const started = Date.now();
        const { deadline, stopAt } = invocationLimits(context, started);
        const layout = deps.objectLayout ?? DEFAULT_OBJECT_LAYOUT;
        const plans = planBatch(event.Records);
        const itemWriters = latestPerKey(plans);
        const puts = plannedObjects(layout, plans);
        const errors = errorSampler();
        const stop = abortAt(stopAt);
        const limit = { deadline, signal: stop.signal };
        const [failedItems, failedObjects] = await Promise.all([
            writeTicks(
                deps.dynamo,
                deps.tableName,
                itemWriters.map(plan => itemOf(plan, deps.itemTtlDays)),
                limit,
                errors.note,
            ),
            putObjects(deps.s3, deps.bucketName, puts, limit, deps.s3MaxInFlight, errors.note),
        ]).finally(stop.cancel);
        const unstored = unstoredRecords(puts, failedObjects, itemWriters, failedItems);
        const { redelivered, identifiers } = failuresToReport(layout, plans, unstored);
        const done = plans.filter(plan => !redelivered.has(plan));
        deps.observe({
            received: event.Records.length,
            userRecords: plans.length,
            objects: puts.length,
            stored: done.filter(plan => plan.tick).length,
            rejected: done.filter(plan => !plan.tick).length,
            failed: redelivered.size,
            durationMs: Date.now() - started,
            ingestLagMs: ingestLagMs(event.Records, started),
            ...(Object.keys(errors.samples).length ? { errors: errors.samples } : {}),
        });
        // The event source mapping retries from the lowest of these and never checkpoints past it.
        return { batchItemFailures: identifiers.map(itemIdentifier => ({ itemIdentifier })) };
    };
}

/** A keep-alive pool per client, and retries left to us (they know the deadline, the SDK's do not). */
function clientConfig() {
    const agent = { keepAlive: true, maxSockets: CONNECTION_POOL };
    return {
        maxAttempts: 1,
        requestHandler: {
            requestTimeout: REQUEST_TIMEOUT_MS,
            // Without it, the SDK's handler (since @smithy/node-http-handler 4.x) only logs a
            // warning when requestTimeout passes, and a request nobody answers holds the batch
            // until the function times out. Older handlers ignore the option and throw anyway.
            throwOnRequestTimeout: true,
            connectionTimeout: CONNECTION_TIMEOUT_MS,
            httpAgent: new http.Agent(agent),
            httpsAgent: new https.Agent(agent),
        },
    };
}

/**
 * The dimensions every metric carries besides the service: the function's name, which Lambda sets
 * in AWS_LAMBDA_FUNCTION_NAME; none where it is unset (tests, a local host).
 */
export function metricDimensions(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const functionName = env.AWS_LAMBDA_FUNCTION_NAME;
    return functionName ? { [FUNCTION_NAME_DIMENSION]: functionName } : {};
}

/** One structured JSON log line and the EMF metrics per invocation, through Powertools. */
export function powertoolsObserver(): (summary: BatchSummary) => void {
    const logger = new Logger({ serviceName: SERVICE });
    const metrics = new Metrics({
        namespace: METRICS_NAMESPACE,
        serviceName: SERVICE,
        defaultDimensions: metricDimensions(),
    });
    return summary => {
        // A batch with records left for redelivery is worth a look: log it as a warning.
        (summary.failed > 0 ? logger.warn : logger.info).call(logger, "batch processed", { ...summary });
        metrics.addMetric(METRICS.stored, MetricUnit.Count, summary.stored);
        metrics.addMetric(METRICS.rejected, MetricUnit.Count, summary.rejected);
        metrics.addMetric(METRICS.failed, MetricUnit.Count, summary.failed);
        if (summary.ingestLagMs !== undefined) {
            metrics.addMetric(METRICS.ingestLag, MetricUnit.Milliseconds, summary.ingestLagMs);
        }
        metrics.publishStoredMetrics();
    };
}

/**
 * The handler as Lambda runs it, built once per container (the CallbackFunction's
 * `callbackFactory`): clients and connection pools are created here and reused by every batch.
 * Configured from the environment only: TABLE_NAME, BUCKET_NAME, OBJECT_LAYOUT, ITEM_TTL_DAYS, the AWS SDK's own variables
 * (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3), S3_FORCE_PATH_STYLE, and Lambda's
 * AWS_LAMBDA_FUNCTION_NAME for the metrics' FunctionName dimension.
 * `tuning` (all on in Lambda) cuts the SDK's per-request CPU; see sdk-tuning.ts.
 *
 * @example
 * // As StockProcessor deploys it (pipeline/infra/processor.ts):
 * new aws.lambda.CallbackFunction("processor-fn", { callbackFactory: createHandlerFromEnvironment, ... });
 */
export function createHandlerFromEnvironment(
    observe: (summary: BatchSummary) => void = powertoolsObserver(),
    tuning: SdkTuning = FULL_TUNING,
): ProcessorHandler {
    const env = process.env;
    const tableName = env.TABLE_NAME;
    const bucketName = env.BUCKET_NAME;
    if (!tableName || !bucketName) throw new Error("TABLE_NAME and BUCKET_NAME must be set");
    const objectLayout = objectLayoutFromEnvironment(env.OBJECT_LAYOUT);
    const itemTtlDays = itemTtlDaysFromEnvironment(env.ITEM_TTL_DAYS);

    // wrapNumbers: unprocessed items come back unmarshalled, and a price beyond a double must not throw.
    const dynamo = DynamoDBDocumentClient.from(createDynamoDBClient(clientConfig(), tuning), {
        unmarshallOptions: { wrapNumbers: true },
    });
    const s3 = createS3Client(
        {
            ...clientConfig(),
            forcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
            // Per-request CPU is what limits a batch of 200 small puts: reuse the resolved middleware
            // stack, and skip the optional CRC32 of each body (TLS already protects it in transit).
            cacheMiddleware: true,
            requestChecksumCalculation: "WHEN_REQUIRED",
        },
        tuning,
    );
    return createHandler({
        tableName,
        bucketName,
        dynamo,
        s3,
        s3MaxInFlight: CONNECTION_POOL,
        objectLayout,
        itemTtlDays,
        observe,
    });
}
