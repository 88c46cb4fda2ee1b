/**
 * The producer shared by `npm run local` and `npm run produce`: ticks at a steady rate for a
 * duration, sent with PutRecords (up to 500 records a call), failed records retried with backoff.
 */
import { KinesisClient, PutRecordsCommand, PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { backoffMs, isTransient } from "../../pipeline/runtime/retry";
import type { StreamTarget } from "../../harness/aws/kinesis";
import { GeneratedTick, MalformedKind, SymbolSpec, TickGenerator } from "./ticks";

/** PutRecords' limit per call. */
export const MAX_RECORDS_PER_CALL = 500;
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
    random?: () => number;
    /** Stops the producer early (Ctrl-C). */
    signal?: AbortSignal;
    /** Called with every batch of records the stream accepted. */
    onPut?: (records: PutRecord[]) => void;
}

/** A record the stream accepted, with where it landed. */
export interface PutRecord extends GeneratedTick {
    sequenceNumber: string;
    shardId: string;
}

export interface ProducerStats {
    /** Records the stream accepted. */
    produced: number;
    valid: number;
    malformed: Record<MalformedKind, number>;
    /** Records still refused after every retry (not produced). */
    putFailed: number;
    putCalls: number;
    /** Records sent again after the stream refused them (throttling, internal errors). */
    retried: number;
    elapsedMs: number;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Errors that retrying cannot fix: a wrong stream, missing permissions, a bad request, and no
 * credentials or region at all (which have no HTTP status, like a network error).
 */
function isPermanent(error: unknown): boolean {
    const { name = "", message = "" } = error as Error;
    return !isTransient(error) || /CredentialsProviderError|Region is missing/.test(`${name} ${message}`);
}

/**
 * Sends records in calls of up to 500, retrying the ones the stream refused (per-record ErrorCode)
 * and whole calls that failed for a transient reason.
 */
export async function putRecords(
    client: KinesisClient,
    target: StreamTarget,
    records: GeneratedTick[],
    stats: ProducerStats,
): Promise<PutRecord[]> {
    const accepted: PutRecord[] = [];
    for (let start = 0; start < records.length; start += MAX_RECORDS_PER_CALL) {
        accepted.push(...(await putChunk(client, target, records.slice(start, start + MAX_RECORDS_PER_CALL), stats)));
    }
    return accepted;
}

async function putChunk(
    client: KinesisClient,
    target: StreamTarget,
    chunk: GeneratedTick[],
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
        const entries: PutRecordsRequestEntry[] = pending.map(record => ({
            Data: record.data,
            PartitionKey: record.partitionKey,
        }));
        try {
            const { Records: results = [] } = await client.send(new PutRecordsCommand({ ...target, Records: entries }));
            const refused: GeneratedTick[] = [];
            pending.forEach((record, i) => {
                const result = results[i];
                if (result?.SequenceNumber && !result.ErrorCode)
                    accepted.push({ ...record, sequenceNumber: result.SequenceNumber, shardId: result.ShardId! });
                else refused.push(record);
            });
            pending = refused;
        } catch (error) {
            if (isPermanent(error)) throw error;
        }
    }
    stats.putFailed += pending.length;
    return accepted;
}

export function emptyStats(): ProducerStats {
    const malformed = {
        "not-json": 0,
        "missing-price": 0,
        "negative-price": 0,
        "impossible-date": 0,
        "unsafe-symbol": 0,
    };
    return { produced: 0, valid: 0, malformed, putFailed: 0, putCalls: 0, retried: 0, elapsedMs: 0 };
}

function count(stats: ProducerStats, records: PutRecord[]): void {
    for (const record of records) {
        stats.produced++;
        if (record.malformed) stats.malformed[record.malformed]++;
        else stats.valid++;
    }
}

/**
 * Produces rate × duration records, paced in steps of 100 ms: each step sends what is due by then,
 * so a slow call is caught up by a larger next one. Calls are sequential, as one module 1 process.
 */
export async function runProducer(
    client: KinesisClient,
    target: StreamTarget,
    options: ProducerOptions,
    stats = emptyStats(),
): Promise<ProducerStats> {
    const generator = new TickGenerator(options.symbols, options.badRatio, options.random);
    const total = Math.round(options.rate * options.duration);
    const started = Date.now();
    let generated = 0;
    while (generated < total && !options.signal?.aborted) {
        await sleep(Math.max(0, started + (Math.floor((Date.now() - started) / TICK_MS) + 1) * TICK_MS - Date.now()));
        const due = Math.min(total, Math.floor((options.rate * (Date.now() - started)) / 1000));
        const now = Date.now();
        const batch = Array.from({ length: Math.max(0, due - generated) }, () => generator.next(now));
        generated += batch.length;
        const accepted = await putRecords(client, target, batch, stats);
        count(stats, accepted);
        options.onPut?.(accepted);
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
