/**
 * The processor against real emulators, behind fault proxies: each test gets its own table and
 * bucket and a handler built exactly as in Lambda (createHandlerFromEnvironment, from env vars).
 */
import type { KinesisStreamEvent } from "aws-lambda";
import { BatchSummary, createHandlerFromEnvironment, ProcessorHandler } from "../../pipeline/runtime/handler";
import type { StoredTick } from "../../pipeline/runtime/tick";
import type { ObjectLayout } from "../../pipeline/schema";
import {
    Emulator,
    EMULATOR_CREDENTIALS,
    EMULATOR_REGION,
    startDynalite,
    startS3rver,
} from "../../harness/aws/emulators";
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
export async function startEmulators(s3Directory?: string): Promise<Emulators> {
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
    handler: ProcessorHandler;
    summaries: BatchSummary[];
    /** Invokes with a context that leaves `remainingMs` to the deadline. */
    invoke(event: KinesisStreamEvent, remainingMs?: number): Promise<string[]>;
    items(): Promise<StoredTick[]>;
    keys(prefix?: string): Promise<string[]>;
    object(key: string): Promise<Buffer>;
    /** The record copies under a prefix, whichever layout wrote them (batch objects read line by line). */
    copies(prefix: string): Promise<PrefixContents>;
}

/** Environment the Lambda would have, pointing at the emulators (through the proxies). */
export function lambdaEnvironment(
    emulators: Emulators,
    tableName: string,
    bucketName: string,
    direct = false,
    objectLayout: ObjectLayout = "record",
): Record<string, string> {
    return {
        AWS_REGION: EMULATOR_REGION,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: direct ? emulators.dynamo.endpoint : emulators.dynamoProxy.endpoint,
        AWS_ENDPOINT_URL_S3: direct ? emulators.s3.endpoint : emulators.s3Proxy.endpoint,
        S3_FORCE_PATH_STYLE: "true",
        TABLE_NAME: tableName,
        BUCKET_NAME: bucketName,
        OBJECT_LAYOUT: objectLayout,
    };
}

/** A fresh table and bucket, and a handler configured for them (and the layout) from the environment. */
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

    Object.assign(process.env, lambdaEnvironment(emulators, tableName, bucketName, false, objectLayout));
    const summaries: BatchSummary[] = [];
    const handler = createHandlerFromEnvironment(summary => summaries.push(summary));
    return {
        tableName,
        bucketName,
        objectLayout,
        handler,
        summaries,
        invoke: async (event, remainingMs = 20_000) => {
            const response = await handler(event, { getRemainingTimeInMillis: () => remainingMs });
            return response.batchItemFailures.map(failure => failure.itemIdentifier);
        },
        items: () => scanTicks(dynamo, tableName),
        keys: prefix => listKeys(s3, bucketName, prefix),
        object: key => getObject(s3, bucketName, key),
        copies: prefix => readRecordCopies(s3, bucketName, prefix),
    };
}
