/**
 * Pure planning of a batch: what each record is (a tick or a rejection, KPL aggregates unpacked
 * into their user records), which item each key gets, and which records to report when writes
 * fail. No I/O: the handler carries the plan out. The S3 objects are planned in layouts.ts.
 */
import type { KinesisStreamRecord } from "aws-lambda";
import type { ObjectLayout } from "../schema";
import { deaggregate, isAggregate } from "./kpl";
import { decodeTick, StoredTick } from "./tick";

/** Where a record comes from, for every record as processed. */
export interface RecordSource {
    /** The Kinesis record's (for a user record, its aggregate's): the only id the mapping knows. */
    sequenceNumber: string;
    /** The user record's 0-based index in its aggregate; absent for a record that is not one. */
    subSequenceNumber?: number;
    /** The Kinesis record's, or the user record's own. */
    partitionKey: string;
    shardId: string;
    /** Epoch seconds, as in the event. */
    approximateArrivalTimestamp: number;
    /** The bytes its raw copy keeps: the record's data, or the user record's. */
    data: Buffer;
}

/** A valid tick, with its DynamoDB item. */
export interface TickPlan extends RecordSource {
    tick: StoredTick;
    reason?: undefined;
}

/** An invalid record, with why it was quarantined. */
export interface RejectedPlan extends RecordSource {
    tick?: undefined;
    reason: string;
}

/** One record as processed: a Kinesis record, or one user record of a KPL aggregate; `tick` tells which. */
export type RecordPlan = TickPlan | RejectedPlan;

/** `shardId-000000000000:4959…` → `shardId-000000000000`. */
export function shardIdOf(record: KinesisStreamRecord): string {
    const colon = record.eventID.lastIndexOf(":");
    return colon > 0 ? record.eventID.slice(0, colon) : "unknown-shard";
}

/** The UTC day of an arrival time in epoch seconds: raw/ and rejected/ are partitioned by it. */
export function utcDay(epochSeconds: number): string {
    return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

const SECONDS_PER_DAY = 86_400;

/**
 * When an item expires (DynamoDB TTL, epoch seconds): `days` after the record reached the stream.
 * From the record, not the clock, so that a redelivery writes the same item; from its arrival, not
 * the tick's own timestamp, so that replayed or back-filled history is not deleted the day it lands.
 */
export function expiresAt(approximateArrivalTimestamp: number, days: number): number {
    return Math.floor(approximateArrivalTimestamp) + days * SECONDS_PER_DAY;
}

/** `<sequenceNumber>`, or `<sequenceNumber>-<subSequenceNumber>` for a user record: what its keys end in. */
export function recordId(plan: Pick<RecordPlan, "sequenceNumber" | "subSequenceNumber">): string {
    return plan.subSequenceNumber === undefined
        ? plan.sequenceNumber
        : `${plan.sequenceNumber}-${plan.subSequenceNumber}`;
}

/**
 * What one Kinesis record is: one plan, or one per user record of a KPL aggregate. An aggregate
 * that cannot be trusted (wrong MD5, protobuf that does not decode) is one invalid record.
 */
export function planRecord(record: KinesisStreamRecord): RecordPlan[] {
    const data = Buffer.from(record.kinesis.data, "base64");
    const parent = {
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        shardId: shardIdOf(record),
        approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
    };
    if (!isAggregate(data)) return [classify({ ...parent, data })];
    const aggregate = deaggregate(data);
    if (!aggregate.ok) return [{ ...parent, data, reason: aggregate.reason }];
    return aggregate.records.map((user, index) =>
        classify({ ...parent, subSequenceNumber: index, partitionKey: user.partitionKey, data: user.data }),
    );
}

function classify(record: RecordSource): RecordPlan {
    const decoded = decodeTick(record.data);
    return decoded.valid ? { ...record, tick: decoded.tick } : { ...record, reason: decoded.reason };
}

/** Every record of the batch, aggregates unpacked, in (sequenceNumber, subSequenceNumber) order. */
export function planBatch(records: KinesisStreamRecord[]): RecordPlan[] {
    return records.flatMap(planRecord).sort(compareRecords);
}

/** Kinesis sequence numbers are decimal strings too long for a double. */
export function compareSequenceNumbers(a: string, b: string): number {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** Stream order: by sequence number, then by sub-sequence number (a plain record before none). */
export function compareRecords(
    a: Pick<RecordPlan, "sequenceNumber" | "subSequenceNumber">,
    b: Pick<RecordPlan, "sequenceNumber" | "subSequenceNumber">,
): number {
    return (
        compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) ||
        (a.subSequenceNumber ?? -1) - (b.subSequenceNumber ?? -1)
    );
}

/** The DynamoDB item's key, as one string. */
export function tickKey(tick: Pick<StoredTick, "symbol" | "timestamp">): string {
    return `${tick.symbol}\u0000${tick.timestamp}`;
}

/**
 * The items to write, one per key: for two ticks with the same symbol and timestamp the later
 * record (higher sequence number, then sub-sequence number) wins. BatchWriteItem refuses
 * duplicate keys in one request. Returns each winning plan; the others need no item write.
 */
export function latestPerKey(plans: RecordPlan[]): TickPlan[] {
    const winners = new Map<string, TickPlan>();
    for (const plan of plans) {
        if (!plan.tick) continue;
        const key = tickKey(plan.tick);
        const current = winners.get(key);
        if (!current || compareRecords(plan, current) > 0) winners.set(key, plan);
    }
    return [...winners.values()];
}

/**
 * The records left for redelivery by the failed writes, and the response's identifiers.
 *
 * Record layout: each record with a write still failed, reported by its sequence number (a user
 * record by its aggregate's, so the whole aggregate comes again). Batch layout: the objects hold
 * the whole batch and are keyed by its first record, so any failure reports that first record and
 * the redelivery overwrites the same keys; every record of the batch is then left for redelivery.
 */
export function failuresToReport(
    layout: ObjectLayout,
    plans: RecordPlan[],
    failed: Set<RecordPlan>,
): { redelivered: Set<RecordPlan>; identifiers: string[] } {
    if (failed.size === 0) return { redelivered: new Set(), identifiers: [] };
    if (layout === "batch") return { redelivered: new Set(plans), identifiers: [plans[0].sequenceNumber] };
    const identifiers = [...new Set(plans.filter(plan => failed.has(plan)).map(plan => plan.sequenceNumber))];
    const reported = new Set(identifiers);
    return { redelivered: new Set(plans.filter(plan => reported.has(plan.sequenceNumber))), identifiers };
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
