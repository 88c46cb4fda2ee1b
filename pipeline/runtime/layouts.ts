/**
 * The S3 objects a batch leaves behind, in either layout of the processing contract. Pure: keys
 * come from the records alone (never the clock), so a redelivery overwrites the same objects.
 *
 *   record: one object per record under raw/, and under processed/ or rejected/:
 *       raw/arrival_day=D/shard=S/<id>.json, processed/day=D/symbol=X/<id>.json, rejected/arrival_day=D/shard=S/<id>.json
 *   batch:  gzip NDJSON, one line per record, keyed by the batch's whole range, first to last record:
 *       raw/arrival_day=D/shard=S/<first>-<last>.ndjson.gz, processed/day=D/shard=S/<first>-<last>.ndjson.gz
 *       (one per tick day), rejected/arrival_day=D/shard=S/<first>-<last>.ndjson.gz (only with invalid records)
 *
 * `<id>` is the sequence number, or `<sequenceNumber>-<subSequenceNumber>` for a user record of an aggregate.
 */
import { gzipSync } from "zlib";
import { ObjectLayout, PREFIXES } from "../schema";
import { RecordPlan, recordId, TickPlan, utcDay } from "./batch";
import { processedJson } from "./tick";

/** One S3 object to put. */
export interface ObjectPut {
    key: string;
    body: Uint8Array | string;
    contentType: string;
    /** The records it holds a copy of: those a failed put leaves unstored. */
    records: RecordPlan[];
}

export const JSON_CONTENT_TYPE = "application/json";
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";

/** The objects of a batch (plans in stream order, as planBatch returns them). */
export function plannedObjects(layout: ObjectLayout, plans: RecordPlan[]): ObjectPut[] {
    return layout === "batch" ? batchLayoutObjects(plans) : plans.flatMap(recordLayoutObjects);
}

/** Where a record's objects go in the record layout. */
export function recordObjectKeys(plan: RecordPlan): { raw: string; processed?: string; rejected?: string } {
    const name = `${recordId(plan)}.json`;
    const byArrival = `arrival_day=${utcDay(plan.approximateArrivalTimestamp)}/shard=${plan.shardId}/${name}`;
    return {
        raw: `${PREFIXES.raw}${byArrival}`,
        processed: plan.tick && `${PREFIXES.processed}day=${plan.tick.day}/symbol=${plan.tick.symbol}/${name}`,
        rejected: plan.tick ? undefined : `${PREFIXES.rejected}${byArrival}`,
    };
}

/** raw/ always, with the bytes as received; processed/ for a valid tick, rejected/ for an invalid one. */
export function recordLayoutObjects(plan: RecordPlan): ObjectPut[] {
    const keys = recordObjectKeys(plan);
    const put = (key: string, body: Uint8Array | string) => ({
        key,
        body,
        contentType: JSON_CONTENT_TYPE,
        records: [plan],
    });
    const copy = plan.tick ? put(keys.processed!, processedJson(plan.tick)) : put(keys.rejected!, rejectionJson(plan));
    return [put(keys.raw, plan.data), copy];
}

/**
 * The quarantine JSON: the reason and everything needed to find or replay the record.
 * `data` is the record's bytes in base64 (a user record's own bytes, for one of an aggregate).
 */
export function rejectionJson(plan: RecordPlan): string {
    return JSON.stringify({
        reason: plan.reason,
        sequenceNumber: plan.sequenceNumber,
        ...subSequence(plan),
        partitionKey: plan.partitionKey,
        shardId: plan.shardId,
        approximateArrivalTimestamp: plan.approximateArrivalTimestamp,
        data: plan.data.toString("base64"),
    });
}

/** A raw line: the record's coordinates and its bytes in base64, so that any bytes survive exactly. */
export function rawLine(plan: RecordPlan): string {
    return JSON.stringify({
        sequenceNumber: plan.sequenceNumber,
        ...subSequence(plan),
        partitionKey: plan.partitionKey,
        approximateArrivalTimestamp: plan.approximateArrivalTimestamp,
        data: plan.data.toString("base64"),
    });
}

/** A processed line: the tick (price a JSON number with the exact digits) and the record's coordinates. */
export function processedLine(plan: TickPlan): string {
    const coordinates = JSON.stringify({
        sequenceNumber: plan.sequenceNumber,
        ...subSequence(plan),
        shardId: plan.shardId,
    });
    // Splice the two objects: processedJson writes the exact price, which JSON.stringify cannot.
    return `${processedJson(plan.tick).slice(0, -1)},${coordinates.slice(1)}`;
}

/**
 * The name of a batch's objects: `<first>-<last>.ndjson.gz`, the sequence numbers of its first and
 * last records. No write ever removes a record: the same records always make the same name, and
 * another composition (a bisected or shorter retry, a replay) writes objects of its own beside
 * the earlier ones instead of replacing one that holds records it lacks.
 */
export function batchObjectName(plans: RecordPlan[]): string {
    return `${plans[0].sequenceNumber}-${plans[plans.length - 1].sequenceNumber}.ndjson.gz`;
}

/**
 * The range a batch object's name (the last part of its key) covers: `<first>-<last>.ndjson.gz`,
 * or `<first>.ndjson.gz` as objects written before the range was named are keyed (last unknown);
 * undefined for any other name.
 */
export function batchObjectRange(name: string): { first: string; last?: string } | undefined {
    const match = /^(\d+)(?:-(\d+))?\.ndjson\.gz$/.exec(name);
    return match ? { first: match[1], ...(match[2] ? { last: match[2] } : {}) } : undefined;
}

/**
 * The batch layout: raw/ (every record), processed/ (one object per tick day) and rejected/
 * (only when some record is invalid), all keyed by the shard and the batch's range.
 */
export function batchLayoutObjects(plans: RecordPlan[]): ObjectPut[] {
    if (plans.length === 0) return [];
    const first = plans[0];
    const name = batchObjectName(plans);
    const byArrival = `arrival_day=${utcDay(first.approximateArrivalTimestamp)}/shard=${first.shardId}/${name}`;
    const puts = [ndjsonObject(`${PREFIXES.raw}${byArrival}`, plans, rawLine)];
    for (const [day, ticks] of byTickDay(plans)) {
        puts.push(ndjsonObject(`${PREFIXES.processed}day=${day}/shard=${first.shardId}/${name}`, ticks, processedLine));
    }
    const invalid = plans.filter(plan => !plan.tick);
    if (invalid.length > 0) puts.push(ndjsonObject(`${PREFIXES.rejected}${byArrival}`, invalid, rejectionJson));
    return puts;
}

/** The valid ticks grouped by their day, days in ascending order, ticks in stream order. */
function byTickDay(plans: RecordPlan[]): [string, TickPlan[]][] {
    const days = new Map<string, TickPlan[]>();
    for (const plan of plans) {
        if (!plan.tick) continue;
        const list = days.get(plan.tick.day) ?? [];
        list.push(plan);
        days.set(plan.tick.day, list);
    }
    return [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Gzip-compressed NDJSON, one line per record; readers see the compression by the .gz suffix. */
function ndjsonObject<P extends RecordPlan>(key: string, records: P[], line: (plan: P) => string): ObjectPut {
    const text = records.map(plan => `${line(plan)}\n`).join("");
    return { key, body: gzipSync(text), contentType: NDJSON_CONTENT_TYPE, records };
}

function subSequence(plan: RecordPlan): { subSequenceNumber?: number } {
    return plan.subSequenceNumber === undefined ? {} : { subSequenceNumber: plan.subSequenceNumber };
}
