/**
 * Reads exactly one range of a shard back from the stream: GetShardIterator AT_SEQUENCE_NUMBER
 * on its first record, then GetRecords until past its last. The records the stream no longer
 * holds (trimmed: older than its retention) are reported, never skipped silently.
 */
import { setTimeout as sleep } from "timers/promises";
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, _Record } from "@aws-sdk/client-kinesis";
import type { StreamTarget } from "../aws/kinesis";
import { compareSequenceNumbers } from "../../pipeline/runtime/batch";
import { backoffMs, isTransient } from "../../pipeline/runtime/retry";
import type { BatchRange } from "./messages";

/** What the stream still holds of a range. */
export interface RangeRead {
    /** The range's records the stream still holds, in stream order. */
    records: _Record[];
    /** The records it no longer holds; absent when none is missing. */
    gone?: GoneRecords;
}

export interface GoneRecords {
    count: number;
    /** The first missing record, and the last one when it is known (the one before the first still held). */
    from: string;
    to?: string;
    why: string;
}

/** GetRecords' largest page. */
const PAGE_LIMIT = 10_000;
/** Throttled or failing GetRecords calls are retried this many times before the range counts as unreadable. */
const MAX_TRANSIENT_RETRIES = 8;

/** Retries throttling (5 GetRecords a second per shard) and other transient errors with backoff. */
async function withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
        try {
            return await call();
        } catch (error) {
            if (!isTransient(error) || retry >= MAX_TRANSIENT_RETRIES) throw error;
            await sleep(200 + backoffMs(retry, 100, 2000));
        }
    }
}

/** The shard or the range's start no longer exists: everything in the range is gone. */
function isGoneError(error: unknown): boolean {
    const name = (error as Error).name;
    return name === "ResourceNotFoundException" || name === "InvalidArgumentException";
}

function allGone(range: BatchRange, why: string): RangeRead {
    return {
        records: [],
        gone: { count: range.batchSize, from: range.startSequenceNumber, to: range.endSequenceNumber, why },
    };
}

/**
 * Which of the range's records are missing. A range given up by the event source mapping holds
 * `batchSize` records (with parallelizationFactor above 1, the shard holds other lanes' records
 * between them too); Kinesis trims a shard from its oldest record on, so what is missing is the
 * start of the range, up to the first record still held.
 */
export function missingRecords(range: BatchRange, found: _Record[]): GoneRecords | undefined {
    if (found.length >= range.batchSize) return undefined;
    const why = "no longer in the stream: older than its retention period (trimmed)";
    if (found.length === 0)
        return { count: range.batchSize, from: range.startSequenceNumber, to: range.endSequenceNumber, why };
    const first = found[0].SequenceNumber!;
    if (first !== range.startSequenceNumber)
        return {
            count: range.batchSize - found.length,
            from: range.startSequenceNumber,
            why: `${why}; the first record still held is ${first}`,
        };
    return {
        count: range.batchSize - found.length,
        from: range.startSequenceNumber,
        to: range.endSequenceNumber,
        why: `${range.batchSize - found.length} of the range's ${range.batchSize} records not found in the stream`,
    };
}

export async function readRange(client: KinesisClient, target: StreamTarget, range: BatchRange): Promise<RangeRead> {
    let iterator: string | undefined;
    try {
        iterator = await withRetries(() =>
            client.send(
                new GetShardIteratorCommand({
                    ...target,
                    ShardId: range.shardId,
                    ShardIteratorType: "AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber: range.startSequenceNumber,
                }),
            ),
        ).then(answer => answer.ShardIterator);
    } catch (error) {
        if (!isGoneError(error)) throw error;
        return allGone(range, `the stream cannot read from it: ${(error as Error).name}: ${(error as Error).message}`);
    }

    const records: _Record[] = [];
    while (iterator) {
        const page = await withRetries(() =>
            client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE_LIMIT })),
        );
        const pageRecords = page.Records ?? [];
        const inRange = pageRecords.filter(
            record => compareSequenceNumbers(record.SequenceNumber!, range.endSequenceNumber) <= 0,
        );
        records.push(...inRange);
        const pastTheEnd = inRange.length < pageRecords.length;
        // An empty page at the tip of the shard: nothing more to read (a page can be empty before it).
        const atTheTip = pageRecords.length === 0 && (page.MillisBehindLatest ?? 0) === 0;
        if (pastTheEnd || atTheTip) break;
        iterator = page.NextShardIterator; // none once a closed shard is read to its end
    }
    return { records, gone: missingRecords(range, records) };
}
