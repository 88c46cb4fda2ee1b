/**
 * What a batch's measurements mean in money and in throughput: cost per million ticks from the
 * requests the sink counted, at public on-demand prices (us-east-1), and the records per second one
 * shard gets at a given memory size. Pure: the bench measures, this computes.
 */
import { lambdaDurationMs } from "../cost/model";
import { LIST_PRICES } from "../cost/prices";

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
    const s3 = batches * measured.s3PutsPerBatch * LIST_PRICES.s3.putPerRequest;
    const dynamodb = batches * measured.dynamodbWriteUnitsPerBatch * LIST_PRICES.dynamodb.perWriteUnit;
    // Lambda bills each invocation's duration rounded up to the millisecond.
    const gbSeconds = batches * (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);
    const lambda = gbSeconds * LIST_PRICES.lambda.perGbSecond + batches * LIST_PRICES.lambda.perRequest;
    return { s3, dynamodb, lambda, total: s3 + dynamodb + lambda, lambdaDurationMs: durationMs };
}

/**
 * Records per second one shard gets with one batch in flight at a time (parallelizationFactor 1):
 * a batch per Lambda duration. It keeps up with a full shard at SHARD_RECORDS_PER_SECOND (cost/model.ts) or more.
 */
export function recordsPerSecondPerShard(measured: BatchMeasurement, memoryMb: number): number {
    return (measured.batchSize * 1000) / lambdaDurationMs(measured, memoryMb);
}
