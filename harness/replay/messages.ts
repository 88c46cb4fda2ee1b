/**
 * The failure destination's messages as `npm run replay` reads them: Lambda's on-failure record
 * for a Kinesis batch (the same shape in the SQS queue and in a local run's failures.jsonl), of
 * which only `KinesisBatchInfo` matters: which records of which shard were given up.
 */
import { compareSequenceNumbers } from "../../pipeline/runtime/batch";

/** The records a message stands for: a contiguous range of one shard. */
export interface BatchRange {
    streamArn: string;
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    /** How many records the range holds (Lambda's batchSize for it). */
    batchSize: number;
}

/** Why the records were given up, for the report (absent when the message does not say). */
export interface GiveUpContext {
    condition?: string;
    approximateInvokeCount?: number;
    functionError?: string;
}

export type ParsedMessage = { range: BatchRange; context: GiveUpContext } | { error: string };

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream\/([A-Za-z0-9_.-]{1,128})$/;
const SEQUENCE_NUMBER = /^\d{1,128}$/;
const SHARD_ID = /^shardId-\d{12}$/;

/** Region, account and name of a stream ARN; throws on anything else. */
export function parseStreamArn(arn: string): { region: string; account: string; name: string } {
    const match = STREAM_ARN.exec(arn);
    if (!match) throw new Error(`not a Kinesis stream ARN: "${arn}"`);
    return { region: match[1], account: match[2], name: match[3] };
}

/** Reads one message body; says what is wrong rather than throwing. */
export function parseFailureMessage(body: string): ParsedMessage {
    let message: Record<string, any>;
    try {
        message = JSON.parse(body);
    } catch {
        return { error: "not JSON" };
    }
    const info = message?.KinesisBatchInfo;
    if (!info || typeof info !== "object") return { error: "no KinesisBatchInfo: not a Kinesis on-failure record" };
    const { streamArn, shardId, startSequenceNumber: start, endSequenceNumber: end, batchSize } = info;
    if (typeof streamArn !== "string" || !STREAM_ARN.test(streamArn))
        return { error: `KinesisBatchInfo.streamArn is not a stream ARN: ${JSON.stringify(streamArn)}` };
    if (typeof shardId !== "string" || !SHARD_ID.test(shardId))
        return { error: `KinesisBatchInfo.shardId is not a shard id: ${JSON.stringify(shardId)}` };
    for (const [name, value] of [
        ["startSequenceNumber", start],
        ["endSequenceNumber", end],
    ])
        if (typeof value !== "string" || !SEQUENCE_NUMBER.test(value))
            return { error: `KinesisBatchInfo.${name} is not a sequence number: ${JSON.stringify(value)}` };
    if (compareSequenceNumbers(start, end) > 0)
        return { error: "KinesisBatchInfo.startSequenceNumber comes after endSequenceNumber" };
    if (!Number.isInteger(batchSize) || batchSize < 1)
        return { error: `KinesisBatchInfo.batchSize is not a positive integer: ${JSON.stringify(batchSize)}` };
    return {
        range: { streamArn, shardId, startSequenceNumber: start, endSequenceNumber: end, batchSize },
        context: {
            condition: message.requestContext?.condition,
            approximateInvokeCount: message.requestContext?.approximateInvokeCount,
            functionError: message.responseContext?.functionError,
        },
    };
}

/** One string per range: how a replayed message is recognised again. */
export function rangeKey(range: BatchRange): string {
    return `${range.streamArn} ${range.shardId} ${range.startSequenceNumber} ${range.endSequenceNumber}`;
}

/** "shardId-000000000001 4965…0012 to 4965…0098 (37 records)". */
export function describeRange(range: BatchRange): string {
    const records = `${range.batchSize} record${range.batchSize === 1 ? "" : "s"}`;
    return range.startSequenceNumber === range.endSequenceNumber
        ? `${range.shardId} ${range.startSequenceNumber} (${records})`
        : `${range.shardId} ${range.startSequenceNumber} to ${range.endSequenceNumber} (${records})`;
}
