/**
 * Pure planning of a batch: what each Kinesis record must leave behind (see the processing
 * contract's table). No I/O: the handler carries the plan out and maps failures back to records.
 */
import type { KinesisStreamRecord } from "aws-lambda";
import { PREFIXES } from "../schema";
import { decodeTick, processedJson, StoredTick } from "./tick";

/** One S3 object a record must leave behind. */
export interface ObjectPut {
    key: string;
    body: Uint8Array | string;
}

/** Everything one record must leave behind, and where it came from. */
export interface RecordPlan {
    sequenceNumber: string;
    shardId: string;
    /** The DynamoDB item, for a valid tick. */
    tick?: StoredTick;
    /** Why the record was quarantined, for an invalid one. */
    reason?: string;
    /** raw/ always; processed/ for a valid tick, rejected/ for an invalid one. */
    puts: ObjectPut[];
}

/** `shardId-000000000000:4959…` → `shardId-000000000000`. */
export function shardIdOf(record: KinesisStreamRecord): string {
    const colon = record.eventID.lastIndexOf(":");
    return colon > 0 ? record.eventID.slice(0, colon) : "unknown-shard";
}

/** The UTC day a record reached the stream: raw/ and rejected/ are partitioned by it. */
export function arrivalDay(record: KinesisStreamRecord): string {
    return new Date(record.kinesis.approximateArrivalTimestamp * 1000).toISOString().slice(0, 10);
}

/**
 * Object keys come from the record alone (never the clock) and end in the sequence number, so a
 * redelivered record overwrites its own objects.
 */
export function objectKeys(
    record: KinesisStreamRecord,
    tick?: StoredTick,
): { raw: string; processed?: string; rejected?: string } {
    const { sequenceNumber } = record.kinesis;
    const byArrival = `arrival_day=${arrivalDay(record)}/shard=${shardIdOf(record)}/${sequenceNumber}.json`;
    return {
        raw: `${PREFIXES.raw}${byArrival}`,
        processed: tick && `${PREFIXES.processed}day=${tick.day}/symbol=${tick.symbol}/${sequenceNumber}.json`,
        rejected: tick ? undefined : `${PREFIXES.rejected}${byArrival}`,
    };
}

/** The quarantine object: the reason and everything needed to find or replay the record. */
export function rejectionJson(record: KinesisStreamRecord, reason: string): string {
    return JSON.stringify({
        reason,
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        shardId: shardIdOf(record),
        approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
        data: record.kinesis.data,
    });
}

export function planRecord(record: KinesisStreamRecord): RecordPlan {
    const data = Buffer.from(record.kinesis.data, "base64");
    const decoded = decodeTick(data);
    const base = { sequenceNumber: record.kinesis.sequenceNumber, shardId: shardIdOf(record) };
    if (decoded.valid) {
        const keys = objectKeys(record, decoded.tick);
        return {
            ...base,
            tick: decoded.tick,
            puts: [
                { key: keys.raw, body: data },
                { key: keys.processed!, body: processedJson(decoded.tick) },
            ],
        };
    }
    const keys = objectKeys(record);
    return {
        ...base,
        reason: decoded.reason,
        puts: [
            { key: keys.raw, body: data },
            { key: keys.rejected!, body: rejectionJson(record, decoded.reason) },
        ],
    };
}

/** Kinesis sequence numbers are decimal strings too long for a double. */
export function compareSequenceNumbers(a: string, b: string): number {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** The DynamoDB item's key, as one string. */
export function tickKey(tick: StoredTick): string {
    return `${tick.symbol}\u0000${tick.timestamp}`;
}

/**
 * The items to write, one per key: for two ticks with the same symbol and timestamp the later
 * record (higher sequence number) wins. BatchWriteItem refuses duplicate keys in one request.
 * Returns each winning plan; the plans it superseded need no item write of their own.
 */
export function latestPerKey(plans: RecordPlan[]): RecordPlan[] {
    const winners = new Map<string, RecordPlan>();
    for (const plan of plans) {
        if (!plan.tick) continue;
        const key = tickKey(plan.tick);
        const current = winners.get(key);
        if (!current || compareSequenceNumbers(plan.sequenceNumber, current.sequenceNumber) > 0) winners.set(key, plan);
    }
    return [...winners.values()];
}

/**
 * Milliseconds from the oldest record's arrival on the stream to `now`: how far behind the
 * processor is. Undefined for an empty batch, which says nothing about lag.
 */
export function ingestLagMs(records: KinesisStreamRecord[], now: number): number | undefined {
    if (records.length === 0) return undefined;
    const oldest = Math.min(...records.map(record => record.kinesis.approximateArrivalTimestamp));
    return Math.max(0, Math.round(now - oldest * 1000));
}
