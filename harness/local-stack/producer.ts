/**
 * The producer shared by `npm run local` and `npm run produce`: ticks at a steady rate for a
 * duration, sent with PutRecords (up to 500 records a call), failed records retried with backoff.
 * With `aggregate`, ticks go out as the Kinesis Producer Library sends them: N user records per
 * Kinesis record, in the KPL's aggregate format (MD5 included).
 */
import { setTimeout as sleep } from "timers/promises";
import { KinesisClient, PutRecordsCommand, PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { backoffMs, isTransient } from "../../pipeline/runtime/retry";
import type { StreamTarget } from "../aws/kinesis";
import { aggregateRecords } from "../aws/kpl";
import type { CsvTick } from "./csv-ticks";
import { GeneratedTick, RecordFault, SymbolSpec, TickGenerator } from "./ticks";

/** PutRecords' limits per call: records, and bytes of data and partition keys. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
/** Pacing step: records due are sent ten times a second. */
const TICK_MS = 100;
/** Calls per record before it counts as failed to put. */
const MAX_PUT_ATTEMPTS = 8;

export interface ProducerOptions {
    /** Records a second. */
    rate: number;
    /** Seconds. */
    duration: number;
    symbols: SymbolSpec[];
    /** Share of malformed records, 0 to 1. */
    badRatio: number;
    /** User records per Kinesis record, as KPL aggregates; plain records (one tick each) when absent. */
    aggregate?: number;
    random?: () => number;
    /** Stops the producer early (Ctrl-C). */
    signal?: AbortSignal;
    /** Called with every batch of records the stream accepted. */
    onPut?: (records: PutRecord[]) => void;
}

/** A tick the stream accepted, with where it landed. */
export interface PutRecord extends GeneratedTick {
    sequenceNumber: string;
    /** Its index in its KPL aggregate, when it was sent in one. */
    subSequenceNumber?: number;
    shardId: string;
}

/** One Kinesis record to put: a tick, or a KPL aggregate of ticks. */
export interface KinesisEntry {
    data: Buffer;
    partitionKey: string;
    ticks: GeneratedTick[];
    aggregated: boolean;
}

/**
 * The Kinesis records for some ticks: one each, or KPL aggregates of `aggregate` ticks keyed by
 * their first tick's partition key (as the KPL does), each tick keeping its own inside.
 */
export function kinesisEntries(ticks: GeneratedTick[], aggregate?: number): KinesisEntry[] {
    if (aggregate === undefined) {
        return ticks.map(tick => ({
            data: tick.data,
            partitionKey: tick.partitionKey,
            ticks: [tick],
            aggregated: false,
        }));
    }
    const entries: KinesisEntry[] = [];
    for (let start = 0; start < ticks.length; start += aggregate) {
        const group = ticks.slice(start, start + aggregate);
        entries.push({
            data: aggregateRecords(group.map(tick => ({ partitionKey: tick.partitionKey, data: tick.data }))),
            partitionKey: group[0].partitionKey,
            ticks: group,
            aggregated: true,
        });
    }
    return entries;
}

/** The ticks of an accepted entry, each with its coordinates in the stream. */
function accept(entry: KinesisEntry, sequenceNumber: string, shardId: string): PutRecord[] {
    return entry.ticks.map((tick, index) => ({
        ...tick,
        sequenceNumber,
        ...(entry.aggregated ? { subSequenceNumber: index } : {}),
        shardId,
    }));
}

/** Entries split into PutRecords calls: at most 500 records and 5 MiB each. */
function calls(entries: KinesisEntry[]): KinesisEntry[][] {
    const result: KinesisEntry[][] = [];
    let current: KinesisEntry[] = [];
    let bytes = 0;
    for (const entry of entries) {
        const size = entry.data.length + Buffer.byteLength(entry.partitionKey);
        if (current.length === MAX_RECORDS_PER_CALL || (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)) {
            result.push(current);
            current = [];
            bytes = 0;
        }
        current.push(entry);
        bytes += size;
    }
    if (current.length > 0) result.push(current);
    return result;
}

export interface ProducerStats {
    /** Ticks (user records) the stream accepted. */
    produced: number;
    /** Kinesis records they went in (fewer than the ticks with aggregates). */
    kinesisRecords: number;
    valid: number;
    malformed: Record<RecordFault, number>;
    /** Ticks whose Kinesis record was still refused after every retry (not produced). */
    putFailed: number;
    /** Why the last refused or failed call failed: an SDK error, or a record's ErrorCode and ErrorMessage. */
    lastPutError?: unknown;
    putCalls: number;
    /** Kinesis records sent again after the stream refused them (throttling, internal errors). */
    retried: number;
    elapsedMs: number;
}

/**
 * Errors that retrying cannot fix: a wrong stream, missing permissions, a bad request, and no
 * credentials or region at all (which have no HTTP status, like a network error).
 */
function isPermanent(error: unknown): boolean {
    const { name = "", message = "" } = error as Error;
    return !isTransient(error) || /CredentialsProviderError|Region is missing/.test(`${name} ${message}`);
}

/**
 * Sends Kinesis records in calls of up to 500 (and 5 MiB), retrying the ones the stream refused
 * (per-record ErrorCode) and whole calls that failed for a transient reason. Returns the ticks
 * accepted, with their sequence (and sub-sequence) numbers.
 */
export async function putRecords(
    client: KinesisClient,
    target: StreamTarget,
    entries: KinesisEntry[],
    stats: ProducerStats,
): Promise<PutRecord[]> {
    const accepted: PutRecord[] = [];
    for (const call of calls(entries)) accepted.push(...(await putChunk(client, target, call, stats)));
    return accepted;
}

async function putChunk(
    client: KinesisClient,
    target: StreamTarget,
    chunk: KinesisEntry[],
    stats: ProducerStats,
): Promise<PutRecord[]> {
    const accepted: PutRecord[] = [];
    let pending = chunk;
    for (let attempt = 0; pending.length > 0 && attempt < MAX_PUT_ATTEMPTS; attempt++) {
        if (attempt > 0) {
            stats.retried += pending.length;
            await sleep(backoffMs(attempt));
        }
        stats.putCalls++;
        const records: PutRecordsRequestEntry[] = pending.map(entry => ({
            Data: entry.data,
            PartitionKey: entry.partitionKey,
        }));
        try {
            const { Records: results = [] } = await client.send(new PutRecordsCommand({ ...target, Records: records }));
            const refused: KinesisEntry[] = [];
            pending.forEach((entry, i) => {
                const result = results[i];
                if (result?.SequenceNumber && !result.ErrorCode) {
                    accepted.push(...accept(entry, result.SequenceNumber, result.ShardId!));
                    stats.kinesisRecords++;
                } else {
                    refused.push(entry);
                    stats.lastPutError = `${result?.ErrorCode ?? "no result"}: ${result?.ErrorMessage ?? ""}`;
                }
            });
            pending = refused;
        } catch (error) {
            if (isPermanent(error)) throw error;
            stats.lastPutError = error;
        }
    }
    stats.putFailed += pending.reduce((sum, entry) => sum + entry.ticks.length, 0);
    return accepted;
}

export function emptyStats(): ProducerStats {
    const malformed = {
        "not-json": 0,
        "missing-price": 0,
        "negative-price": 0,
        "impossible-date": 0,
        "unsafe-symbol": 0,
        "bad-csv-row": 0,
    };
    return {
        produced: 0,
        kinesisRecords: 0,
        valid: 0,
        malformed,
        putFailed: 0,
        putCalls: 0,
        retried: 0,
        elapsedMs: 0,
    };
}

function count(stats: ProducerStats, records: PutRecord[]): void {
    for (const record of records) {
        stats.produced++;
        if (record.malformed) stats.malformed[record.malformed]++;
        else stats.valid++;
    }
}

/**
 * Produces rate × duration ticks, paced in steps of 100 ms: each step sends what is due by then,
 * so a slow call is caught up by a larger next one. Calls are sequential, as one module 1 process.
 * With `aggregate`, ticks wait until N of them fill an aggregate (the last one goes out partial).
 */
export async function runProducer(
    client: KinesisClient,
    target: StreamTarget,
    options: ProducerOptions,
    stats = emptyStats(),
): Promise<ProducerStats> {
    const generator = new TickGenerator(options.symbols, options.badRatio, options.random);
    const total = Math.round(options.rate * options.duration);
    const perEntry = options.aggregate ?? 1;
    const started = Date.now();
    let generated = 0;
    let waiting: GeneratedTick[] = [];
    while ((generated < total || waiting.length > 0) && !options.signal?.aborted) {
        await sleep(Math.max(0, started + (Math.floor((Date.now() - started) / TICK_MS) + 1) * TICK_MS - Date.now()));
        if (options.signal?.aborted) break; // Ctrl-C during the wait: not one more (possibly large) catch-up step
        const due = Math.min(total, Math.floor((options.rate * (Date.now() - started)) / 1000));
        const now = Date.now();
        waiting.push(...Array.from({ length: Math.max(0, due - generated) }, () => generator.next(now)));
        generated = Math.max(generated, due);
        // Whole aggregates only, until the last ticks are made.
        const ready = generated < total ? waiting.length - (waiting.length % perEntry) : waiting.length;
        const batch = waiting.slice(0, ready);
        waiting = waiting.slice(ready);
        if (batch.length === 0) continue;
        const accepted = await putRecords(client, target, kinesisEntries(batch, options.aggregate), stats);
        count(stats, accepted);
        options.onPut?.(accepted);
    }
    stats.elapsedMs = Date.now() - started;
    return stats;
}

export interface CsvProducerOptions {
    ticks: AsyncIterable<CsvTick>;
    /**
     * How many times faster than the rows' own timestamps: 1 replays their spacing; Infinity sends
     * them as fast as the stream takes them.
     */
    speed: number;
    /** User records per Kinesis record, as KPL aggregates; plain records when absent. */
    aggregate?: number;
    signal?: AbortSignal;
    /** Called with every batch of records the stream accepted. */
    onPut?: (records: PutRecord[]) => void;
    /** Called as a row the pipeline will reject is sent. */
    onBadRow?: (tick: CsvTick) => void;
}

/**
 * Sends CSV rows (csv-ticks.ts) in order, each when it is due: the first at once, the next after
 * the time between their timestamps divided by `speed` (never before an earlier row: a file
 * whose times go back sends those rows at once). Rows are pulled from the files only as they are
 * sent, so a file of any size streams; calls hold up to 500 Kinesis records.
 */
export async function runCsvProducer(
    client: KinesisClient,
    target: StreamTarget,
    options: CsvProducerOptions,
    stats = emptyStats(),
): Promise<ProducerStats> {
    const rows = options.ticks[Symbol.asyncIterator]();
    const perCall = MAX_RECORDS_PER_CALL * (options.aggregate ?? 1);
    const started = Date.now();
    let firstTime: number | undefined;
    let lastDue = started;
    const dueAt = (row: CsvTick) => {
        if (!Number.isFinite(options.speed) || row.time === undefined) return lastDue;
        firstTime ??= row.time;
        return Math.max(lastDue, started + (row.time - firstTime) / options.speed);
    };
    try {
        let next = await rows.next();
        while (!next.done && !options.signal?.aborted) {
            const wait = dueAt(next.value) - Date.now();
            if (wait > 0) {
                await sleep(Math.min(TICK_MS, wait));
                continue;
            }
            const batch: GeneratedTick[] = [];
            while (!next.done && batch.length < perCall && dueAt(next.value) <= Date.now()) {
                const row = next.value;
                lastDue = dueAt(row);
                batch.push({
                    data: row.data,
                    partitionKey: row.partitionKey,
                    producedAt: Date.now(),
                    ...(row.tick ? { tick: row.tick } : { malformed: "bad-csv-row" }),
                });
                if (!row.tick) options.onBadRow?.(row);
                next = await rows.next();
            }
            const accepted = await putRecords(client, target, kinesisEntries(batch, options.aggregate), stats);
            count(stats, accepted);
            options.onPut?.(accepted);
        }
    } finally {
        await rows.return?.(undefined); // closes the files when stopped early
    }
    stats.elapsedMs = Date.now() - started;
    return stats;
}

export function totalMalformed(stats: ProducerStats): number {
    return Object.values(stats.malformed).reduce((sum, n) => sum + n, 0);
}

/** "not-json 2, missing-price 3, …" (kinds with none left out). */
export function describeMalformed(stats: ProducerStats): string {
    const parts = Object.entries(stats.malformed)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${n}`);
    return parts.length ? parts.join(", ") : "none";
}
