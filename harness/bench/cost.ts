/**
 * What a batch's measurements mean in money and in throughput: cost per million ticks from the
 * requests the sink counted, at public on-demand prices (us-east-1), and the records per second one
 * shard gets at a given memory size. Pure: the bench measures, this computes.
 */
import { LIST_PRICES } from "../cost/prices";

/** The prices a batch costs (us-east-1, on demand), from the project's one table of prices. */
export const PRICES = {
    /** S3 Standard PUT, COPY, POST, LIST: $0.005 per 1,000 requests. */
    s3PutPerRequest: LIST_PRICES.s3.putPerRequest,
    /** DynamoDB on-demand: $0.625 per million write request units (one per KB of each item put). */
    dynamodbPerWriteUnit: LIST_PRICES.dynamodb.perWriteUnit,
    /** Lambda on arm64: $0.0000133334 per GB-second... */
    lambdaPerGbSecond: LIST_PRICES.lambda.perGbSecond,
    /** ...and $0.20 per million requests. */
    lambdaPerRequest: LIST_PRICES.lambda.perRequest,
} as const;

/** Lambda gives CPU in proportion to memory: 1,769 MB is one full vCPU (a single-threaded handler gets no more above it). */
export const FULL_VCPU_MB = 1769;
/** One shard's write limit, in records per second: what a consumer must keep up with. */
export const SHARD_RECORDS_PER_SECOND = 1000;
export const MILLION = 1_000_000;

/** The medians of one contender's batches, and its requests per batch as the sink counted them. */
export interface BatchMeasurement {
    batchSize: number;
    /** Wall time of a batch on this machine (one full core), ms. */
    wallMs: number;
    /** The handler's CPU per batch, ms. */
    cpuMs: number;
    s3PutsPerBatch: number;
    dynamodbWriteUnitsPerBatch: number;
}

/**
 * A batch's duration in Lambda at `memoryMb`: below 1,769 MB the function gets that share of a
 * vCPU, so its CPU work takes 1769/memory times longer; the time spent waiting for S3 and DynamoDB
 * does not change. Counts this machine's core as Lambda's one vCPU.
 */
export function lambdaDurationMs(measured: Pick<BatchMeasurement, "wallMs" | "cpuMs">, memoryMb: number): number {
    const slowdown = Math.max(1, FULL_VCPU_MB / memoryMb);
    return measured.wallMs + measured.cpuMs * (slowdown - 1);
}

export interface CostPerMillionTicks {
    s3: number;
    dynamodb: number;
    /** GB-seconds at the memory size, and the invocations. */
    lambda: number;
    total: number;
    /** The duration the Lambda share is computed from (lambdaDurationMs), ms per batch. */
    lambdaDurationMs: number;
}

export function costPerMillionTicks(measured: BatchMeasurement, memoryMb: number): CostPerMillionTicks {
    const batches = MILLION / measured.batchSize;
    const durationMs = lambdaDurationMs(measured, memoryMb);
    const s3 = batches * measured.s3PutsPerBatch * PRICES.s3PutPerRequest;
    const dynamodb = batches * measured.dynamodbWriteUnitsPerBatch * PRICES.dynamodbPerWriteUnit;
    // Lambda bills each invocation's duration rounded up to the millisecond.
    const gbSeconds = batches * (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);
    const lambda = gbSeconds * PRICES.lambdaPerGbSecond + batches * PRICES.lambdaPerRequest;
    return { s3, dynamodb, lambda, total: s3 + dynamodb + lambda, lambdaDurationMs: durationMs };
}

/**
 * Records per second one shard gets with one batch in flight at a time (parallelizationFactor 1):
 * a batch per Lambda duration. It keeps up with a full shard at SHARD_RECORDS_PER_SECOND or more.
 */
export function recordsPerSecondPerShard(measured: BatchMeasurement, memoryMb: number): number {
    return (measured.batchSize * 1000) / lambdaDurationMs(measured, memoryMb);
}
