/**
 * The processor against real emulators, behind fault proxies: each test gets its own table and
 * bucket and a handler built exactly as in Lambda (createHandlerFromEnvironment, from env vars,
 * set only while it is built and while it runs).
 */
import type { KinesisStreamEvent } from "aws-lambda";
import { BatchSummary, createHandlerFromEnvironment } from "../../pipeline/runtime/handler";
import type { StoredTick } from "../../pipeline/runtime/tick";
import type { ObjectLayout } from "../../pipeline/schema";
import { Emulator, startDynalite, startS3rver } from "../../harness/aws/emulators";
import { lambdaEnvironment } from "../../harness/lambda/environment";
import { FaultProxy, startFaultProxy } from "../../harness/aws/fault-proxy";
import {
    createRecordBucket,
    createTickTable,
    dynamoClient,
    getObject,
    listKeys,
    s3Client,
    scanTicks,
} from "../../harness/aws/resources";
import { PrefixContents, readRecordCopies } from "../../harness/aws/stored-records";

export interface Emulators {
    dynamo: Emulator;
    s3: Emulator;
    dynamoProxy: FaultProxy;
    s3Proxy: FaultProxy;
    close(): Promise<void>;
}

/** `s3Directory`: where s3rver keeps its files (a temporary folder, removed on close, when absent). */
export async function startEmulatorsBehindProxies(s3Directory?: string): Promise<Emulators> {
    const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver(s3Directory)]);
    const [dynamoProxy, s3Proxy] = await Promise.all([
        startFaultProxy({ target: dynamo.endpoint, service: "dynamodb" }),
        startFaultProxy({ target: s3.endpoint, service: "s3" }),
    ]);
    return {
        dynamo,
        s3,
        dynamoProxy,
        s3Proxy,
        close: async () => {
            await Promise.all([dynamoProxy.close(), s3Proxy.close()]);
            await Promise.all([dynamo.close(), s3.close()]);
        },
    };
}

let counter = 0;

export interface TestPipeline {
    tableName: string;
    bucketName: string;
    objectLayout: ObjectLayout;
    summaries: BatchSummary[];
    /** Invokes with a context that leaves `remainingMs` to the deadline. */
    invoke(event: KinesisStreamEvent, remainingMs?: number): Promise<string[]>;
    items(): Promise<StoredTick[]>;
    keys(prefix?: string): Promise<string[]>;
    object(key: string): Promise<Buffer>;
    /** The record copies under a prefix, whichever layout wrote them (batch objects read line by line). */
    copies(prefix: string): Promise<PrefixContents>;
}

/** Where the function's requests go: through the fault proxies, or `direct` to the emulators. */
export function endpointsOf(emulators: Emulators, direct = false): { dynamodb: string; s3: string } {
    return direct
        ? { dynamodb: emulators.dynamo.endpoint, s3: emulators.s3.endpoint }
        : { dynamodb: emulators.dynamoProxy.endpoint, s3: emulators.s3Proxy.endpoint };
}

/**
 * Runs `work` with the variables set in process.env, then puts back what was there: the handler
 * reads its configuration (and the SDK its credentials, region and endpoints) from process.env,
 * and one test's settings must not leak into the next.
 */
export async function withEnvironment<T>(environment: Record<string, string>, work: () => T | Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(environment).map(name => [name, process.env[name]]));
    Object.assign(process.env, environment);
    try {
        return await work();
    } finally {
        for (const [name, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
        }
    }
}

/**
 * A fresh table and bucket, and a handler configured for them (and the layout) from the
 * environment, as in Lambda; the environment is set only while the handler is built and while it
 * runs.
 */
export async function freshPipeline(
    emulators: Emulators,
    objectLayout: ObjectLayout = "record",
): Promise<TestPipeline> {
    counter++;
    const tableName = `ticks-${counter}`;
    const bucketName = `records-${counter}`;
    const dynamo = dynamoClient(emulators.dynamo.endpoint);
    const s3 = s3Client(emulators.s3.endpoint);
    await createTickTable(dynamo, tableName);
    await createRecordBucket(s3, bucketName);

    const environment = lambdaEnvironment({ endpoints: endpointsOf(emulators), tableName, bucketName, objectLayout });
    const summaries: BatchSummary[] = [];
    const handler = await withEnvironment(environment, () =>
        createHandlerFromEnvironment(summary => summaries.push(summary)),
    );
    return {
        tableName,
        bucketName,
        objectLayout,
        summaries,
        invoke: (event, remainingMs = 20_000) =>
            withEnvironment(environment, async () => {
                const response = await handler(event, { getRemainingTimeInMillis: () => remainingMs });
                return response.batchItemFailures.map(failure => failure.itemIdentifier);
            }),
        items: () => scanTicks(dynamo, tableName),
        keys: prefix => listKeys(s3, bucketName, prefix),
        object: key => getObject(s3, bucketName, key),
        copies: prefix => readRecordCopies(s3, bucketName, prefix),
    };
}
