/**
 * The end of a run: what DynamoDB and S3 hold, reconciled record by record with what the producer
 * put, and the report. Both object layouts are read (record: a key per record; batch: gzip NDJSON
 * lines), and KPL aggregates' ticks by their sub-sequence numbers. Prices are compared as exact
 * decimals, never as doubles.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { StoredTick } from "../../pipeline/runtime/tick";
import { PREFIXES } from "../../pipeline/schema";
import { scanTicks } from "../aws/resources";
import { PrefixContents, readRecordCopies, RecordCopy } from "../aws/stored-records";
import type { FailureDestinationMessage } from "../event-source-mapping/poller";
import { compareRecords, compareSequenceNumbers, tickKey } from "../../pipeline/runtime/batch";
import { table } from "../cli/text-table";
import { ChaosReport, describeFaults } from "./chaos";
import { putRecordId } from "./ledger";
import type { PutRecord, ProducerStats } from "./producer";
import type { RunState } from "./timeline";

/** Compares two non-negative plain decimals ("189.10", "189.1", "0.0850") exactly. */
export function compareDecimals(a: string, b: string): number {
    const [aWhole, aFraction = ""] = a.split(".");
    const [bWhole, bFraction = ""] = b.split(".");
    const aInt = aWhole.replace(/^0+(?=\d)/, "");
    const bInt = bWhole.replace(/^0+(?=\d)/, "");
    if (aInt.length !== bInt.length) return Math.sign(aInt.length - bInt.length);
    const width = Math.max(aFraction.length, bFraction.length);
    const aDigits = aInt + aFraction.padEnd(width, "0");
    const bDigits = bInt + bFraction.padEnd(width, "0");
    return aDigits < bDigits ? -1 : aDigits > bDigits ? 1 : 0;
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: number[], p: number): number | null {
    if (sorted.length === 0) return null;
    return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

type Prefix = "raw" | "processed" | "rejected";
const PREFIX_NAMES: Prefix[] = ["raw", "processed", "rejected"];

export interface StoreContents {
    ticks: StoredTick[];
    /** Every record copy under each prefix, whichever layout wrote it. */
    copies: Record<Prefix, PrefixContents>;
}

/** Items, and records under each prefix (each counted once, however many copies it has). */
export interface StoreCounts {
    tableItems: number;
    raw: number;
    processed: number;
    rejected: number;
    /** S3 objects under each prefix: as many as records in the record layout, far fewer in the batch layout. */
    objects: Record<Prefix, number>;
}

/** The counts of stores that hold nothing yet: what a run on fresh storage starts from. */
export const EMPTY_STORE: StoreCounts = Object.freeze({
    tableItems: 0,
    raw: 0,
    processed: 0,
    rejected: 0,
    objects: Object.freeze({ raw: 0, processed: 0, rejected: 0 }),
});

export async function readStore(
    dynamo: DynamoDBClient,
    s3: S3Client,
    tableName: string,
    bucket: string,
): Promise<StoreContents> {
    const [ticks, raw, processed, rejected] = await Promise.all([
        scanTicks(dynamo, tableName),
        readRecordCopies(s3, bucket, PREFIXES.raw),
        readRecordCopies(s3, bucket, PREFIXES.processed),
        readRecordCopies(s3, bucket, PREFIXES.rejected),
    ]);
    return { ticks, copies: { raw, processed, rejected } };
}

export function countStore(contents: StoreContents): StoreCounts {
    const { ticks, copies } = contents;
    const records = (prefix: Prefix) => new Set(copies[prefix].copies.map(copy => copy.id)).size;
    return {
        tableItems: ticks.length,
        raw: records("raw"),
        processed: records("processed"),
        rejected: records("rejected"),
        objects: { raw: copies.raw.objects, processed: copies.processed.objects, rejected: copies.rejected.objects },
    };
}

/**
 * Records copied more than once under a prefix. The contract allows a record to have lines in
 * several batch objects (a redelivery of another composition writes objects of its own; readers
 * deduplicate on shard, sequenceNumber and subSequenceNumber); two copies in one object are a
 * real duplicate.
 */
export function duplicates(copies: RecordCopy[]): { real: number; redelivered: number } {
    const keysById = new Map<string, string[]>();
    for (const copy of copies) {
        const keys = keysById.get(copy.id);
        if (keys) keys.push(copy.key);
        else keysById.set(copy.id, [copy.key]);
    }
    let real = 0;
    let redelivered = 0;
    for (const keys of keysById.values()) {
        if (keys.length < 2) continue;
        if (new Set(keys).size < keys.length) real++;
        else redelivered++;
    }
    return { real, redelivered };
}

export interface SymbolSummary {
    symbol: string;
    count: number;
    /** Most digits after the point among the symbol's prices (DynamoDB drops trailing zeros). */
    decimals: number;
    first: string;
    last: string;
    min: string;
    max: string;
}

export interface Reconciliation {
    produced: number;
    /** Valid records with their item (exact price) in the table and their raw/ and processed/ copies. */
    stored: number;
    /** Malformed records with their raw/ and rejected/ copies. */
    rejected: number;
    /**
     * Records neither stored nor rejected whose range the failure destination holds: not lost,
     * `npm run replay` brings them back.
     */
    inFailureDestination: number;
    /** Records neither stored, rejected nor in the failure destination. */
    lost: number;
    /** Every mismatch between what was produced and what DynamoDB and S3 hold; empty when all is well. */
    problems: string[];
    /** Allowed by the contract but worth knowing: records copied twice by a redelivery that started elsewhere. */
    notes: string[];
    symbols: SymbolSummary[];
}

/** The copies under a prefix by record id (the first one, when there are several). */
function copiesById(contents: PrefixContents): Map<string, RecordCopy> {
    const byId = new Map<string, RecordCopy>();
    for (const copy of contents.copies) if (!byId.has(copy.id)) byId.set(copy.id, copy);
    return byId;
}

/** A batch-layout processed/ line must carry the tick as produced; a record-layout object is not read. */
function processedLineMatches(copy: RecordCopy, tick: NonNullable<PutRecord["tick"]>): boolean {
    const line = copy.line;
    if (!line) return true;
    return (
        line.symbol === tick.symbol &&
        line.timestamp === tick.timestamp &&
        compareDecimals(String(line.price), tick.price) === 0
    );
}

/** A batch-layout raw/ line must carry the bytes as produced. */
function rawLineMatches(copy: RecordCopy, record: PutRecord): boolean {
    return !copy.line || Buffer.from(String(copy.line.data), "base64").equals(record.data);
}

/** Whether a record lies in a range the failure destination holds (same shard, between first and last). */
export function inFailureDestination(
    messages: FailureDestinationMessage[],
): (record: { shardId: string; sequenceNumber: string }) => boolean {
    return ({ shardId, sequenceNumber }) =>
        messages.some(
            ({ KinesisBatchInfo: range }) =>
                range.shardId === shardId &&
                compareSequenceNumbers(range.startSequenceNumber, sequenceNumber) <= 0 &&
                compareSequenceNumbers(sequenceNumber, range.endSequenceNumber) <= 0,
        );
}

/**
 * Checks every produced record (a tick, by its sequence number and, in an aggregate, its
 * sub-sequence number) against the store. `before` is the store as it was before the run (not
 * empty with a kept data folder): what the run added must be exactly what its records left (an
 * item and two copies for each stored or rejected record, whatever part of them a record in the
 * failure destination left), so a duplicate copy or a stray item shows up even when every record
 * is found. A record neither stored nor rejected is in the failure destination when one of
 * `failures`' ranges holds it, lost otherwise.
 *
 * Two valid records with the same symbol and timestamp (a CSV file may hold them) are one item,
 * the later record's (the contract: latest wins): a record's item is right when it holds its
 * price or a later record's with the same key. An item whose key was in the table before the run
 * (`keysBefore`: a file sent again into a kept data folder) is overwritten, not added.
 */
export function reconcile(
    records: PutRecord[],
    contents: StoreContents,
    before: StoreCounts,
    failures: FailureDestinationMessage[] = [],
    keysBefore: ReadonlySet<string> = new Set(),
): Reconciliation {
    const inDestination = inFailureDestination(failures);
    const items = new Map(contents.ticks.map(tick => [tickKey(tick), tick]));
    const sameKey = new Map<string, PutRecord[]>();
    for (const record of records) {
        if (!record.tick) continue;
        const key = tickKey(record.tick);
        const same = sameKey.get(key);
        if (same) same.push(record);
        else sameKey.set(key, [record]);
    }
    /** The item holds this record's price or that of a later record with the same key. */
    const itemHolds = (record: PutRecord, item: StoredTick | undefined) =>
        item !== undefined &&
        sameKey
            .get(tickKey(record.tick!))!
            .some(other => compareRecords(other, record) >= 0 && compareDecimals(item.price, other.tick!.price) === 0);
    const itemsStored = new Set<string>();
    const itemsLeft = new Set<string>();
    const raw = copiesById(contents.copies.raw);
    const processed = copiesById(contents.copies.processed);
    const rejectedCopies = copiesById(contents.copies.rejected);
    const problems = new Map<string, number>();
    const note = (problem: string) => problems.set(problem, (problems.get(problem) ?? 0) + 1);

    const storedTicks: StoredTick[] = [];
    let stored = 0;
    let rejected = 0;
    let parked = 0;
    // What the records left in the store, piece by piece: the store must have grown by exactly this.
    const left = { tableItems: 0, raw: 0, processed: 0, rejected: 0 };
    for (const record of records) {
        const id = putRecordId(record);
        const rawCopy = raw.get(id);
        // Missing pieces are problems unless the record is in the failure destination (then it is not stored yet).
        const missing: string[] = [];
        if (!rawCopy) missing.push("records without their raw/ copy");
        else if (!rawLineMatches(rawCopy, record)) note("records whose raw/ line differs from the bytes produced");
        let complete: boolean;
        if (record.tick) {
            const key = tickKey(record.tick);
            const item = items.get(key);
            const itemOk = itemHolds(record, item);
            const processedCopy = processed.get(id);
            const processedOk = processedCopy !== undefined && processedLineMatches(processedCopy, record.tick);
            if (!itemOk) missing.push("valid records without their item (with the exact price) in the table");
            if (!processedCopy) missing.push("valid records without their processed/ copy");
            else if (!processedOk) note("valid records whose processed/ line differs from the tick produced");
            if (rejectedCopies.has(id)) note("valid records rejected");
            complete = itemOk && processedOk && rawCopy !== undefined;
            if (complete) stored++;
            if (complete && !itemsStored.has(key)) {
                itemsStored.add(key);
                storedTicks.push(item!);
            }
            if (itemOk && !keysBefore.has(key)) itemsLeft.add(key);
        } else {
            if (!rejectedCopies.has(id)) missing.push("malformed records without their rejected/ copy");
            if (processed.has(id)) note("malformed records stored as ticks");
            complete = rejectedCopies.has(id) && rawCopy !== undefined;
            if (complete) rejected++;
        }
        left.raw += Number(raw.has(id));
        left.processed += Number(processed.has(id));
        left.rejected += Number(rejectedCopies.has(id));
        if (!complete && inDestination(record)) parked++;
        else missing.forEach(note);
    }
    left.tableItems = itemsLeft.size;
    const list = [...problems].map(([problem, n]) => `${n} ${problem}`);
    const notes: string[] = [];
    for (const prefix of PREFIX_NAMES) {
        const { real, redelivered } = duplicates(contents.copies[prefix].copies);
        if (real > 0) list.push(`${real} records copied twice under ${prefix}/ in one object`);
        if (redelivered > 0) {
            notes.push(
                `${redelivered} records copied twice under ${prefix}/ by redeliveries of another composition (readers deduplicate)`,
            );
        }
    }
    list.push(...growthProblems(countStore(contents), before, left));
    return {
        produced: records.length,
        stored,
        rejected,
        inFailureDestination: parked,
        lost: records.length - stored - rejected - parked,
        problems: list,
        notes,
        symbols: summarizeSymbols(storedTicks),
    };
}

type Growth = Omit<StoreCounts, "objects">;

/** What the store gained must be exactly what this run's records left: no duplicate, no stray. */
function growthProblems(after: StoreCounts, before: StoreCounts, left: Growth): string[] {
    const expected: [keyof Growth, number, string][] = [
        ["tableItems", left.tableItems, "table items"],
        ["processed", left.processed, "processed/ records"],
        ["rejected", left.rejected, "rejected/ records"],
        ["raw", left.raw, "raw/ records"],
    ];
    return expected
        .filter(([field, n]) => after[field] - before[field] !== n)
        .map(([field, n, what]) => `the store gained ${after[field] - before[field]} ${what}, expected ${n}`);
}

export function summarizeSymbols(ticks: StoredTick[]): SymbolSummary[] {
    const bySymbol = new Map<string, StoredTick[]>();
    for (const tick of ticks) {
        const list = bySymbol.get(tick.symbol) ?? [];
        list.push(tick);
        bySymbol.set(tick.symbol, list);
    }
    return [...bySymbol.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([symbol, list]) => {
            // Timestamps of one symbol share a format, so text order is time order.
            const inTime = [...list].sort((a, b) =>
                a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0,
            );
            const byPrice = [...list].sort((a, b) => compareDecimals(a.price, b.price));
            const decimals = Math.max(...list.map(tick => tick.price.split(".")[1]?.length ?? 0));
            return {
                symbol,
                count: list.length,
                decimals,
                first: inTime[0].price,
                last: inTime[inTime.length - 1].price,
                min: byPrice[0].price,
                max: byPrice[byPrice.length - 1].price,
            };
        });
}

export interface RunSummary extends Reconciliation {
    producer: ProducerStats;
    /** Totals in the store after the run (including earlier runs' data in a kept folder). */
    store: StoreCounts;
    /** The same, before the run: not zero with a kept data folder. */
    storeBefore: StoreCounts;
    /** End-to-end latency over `samples` ticks: one per tick acknowledged by the function (stored or rejected). */
    latencyMs: { samples: number; p50: number | null; p90: number | null; p99: number | null };
    /** The seed of the ticks, the faults and the crashes: --seed with it repeats the run. */
    seed?: number;
    invocations: number;
    functionErrors: number;
    /** Invocations that retried records (after a partial failure, a function error or a bisection). */
    retries: number;
    /** Parts of batches the mapping split in two after a function error. */
    bisections: number;
    /** Invocations whose process was killed midway (--crash-rate). */
    crashes: number;
    /** Faults the proxies injected (--faults); absent without faults. */
    faults?: ChaosReport["faults"];
    coldStarts: number;
    /** Records given up to the on-failure destination (some may have been stored all the same). */
    failedToDestination: number;
    /** What the on-failure destination received (one message per batch given up). */
    failures: FailureDestinationMessage[];
    /** Where those messages were also written, with a kept data folder. */
    failuresFile?: string;
    /** The kept data folder, if any. */
    dataDir?: string;
    interrupted: boolean;
    /** False when the drain timeout passed with records still in flight. */
    drained: boolean;
    elapsedSeconds: number;
    /** Endpoints the run used (closed by the time the summary is returned). */
    endpoints: { kinesis: string; dynamodb: string; s3: string };
    /** True when nothing was lost and the store holds exactly what the run produced. */
    ok: boolean;
    /** The run's totals and what it recorded each second (throughput, latency, iterator age). */
    run: RunState;
}

/** "185.2" shown with 2 decimals → "185.20": display only, the value is unchanged. */
function padDecimals(price: string, decimals: number): string {
    const [whole, fraction = ""] = price.split(".");
    return decimals === 0 ? whole : `${whole}.${fraction.padEnd(decimals, "0")}`;
}

const ms = (value: number | null) => (value === null ? "n/a" : `${value} ms`);

export function formatSummary(summary: RunSummary): string[] {
    const lines: string[] = [];
    if (summary.symbols.length > 0) {
        lines.push(
            ...table([
                ["symbol", "count", "first", "last", "min", "max"],
                ...summary.symbols.map(s => [
                    s.symbol,
                    String(s.count),
                    ...[s.first, s.last, s.min, s.max].map(price => padDecimals(price, s.decimals)),
                ]),
            ]),
        );
        lines.push("");
    }
    const { store, storeBefore: before, latencyMs: latency } = summary;
    const kept = before.tableItems + before.raw + before.processed + before.rejected > 0;
    const total = (field: Exclude<keyof StoreCounts, "objects">) =>
        `${store[field]}${kept ? ` (+${store[field] - before[field]} this run)` : ""}`;
    const batched = PREFIX_NAMES.some(prefix => store.objects[prefix] !== store[prefix]);
    if (batched) {
        const objects = (prefix: Prefix) => `${prefix}/ ${store.objects[prefix]} (${total(prefix)} records)`;
        lines.push(`objects: ${PREFIX_NAMES.map(objects).join(", ")}`);
    } else {
        lines.push(`objects: raw/ ${total("raw")}, processed/ ${total("processed")}, rejected/ ${total("rejected")}`);
    }
    lines.push(`items in the table: ${total("tableItems")}`);
    if (summary.faults) lines.push(`faults injected: ${describeFaults(summary.faults)}`);
    lines.push(
        `invocations: ${summary.invocations} (${summary.functionErrors} function errors, ${summary.crashes} crashes, ${summary.coldStarts} cold starts), ` +
            `retries ${summary.retries}, bisections ${summary.bisections}`,
    );
    lines.push(describeDestination(summary));
    lines.push(`end-to-end latency: p50 ${ms(latency.p50)}, p90 ${ms(latency.p90)}, p99 ${ms(latency.p99)}`);
    if (summary.seed !== undefined) lines.push(`seed ${summary.seed} (--seed ${summary.seed} repeats this run)`);
    if (summary.interrupted) lines.push("interrupted: the producer was stopped early");
    if (!summary.drained) lines.push("drain timeout: records were still in flight when the run stopped");
    for (const note of summary.notes) lines.push(`note: ${note}`);
    for (const problem of summary.problems) lines.push(`problem: ${problem}`);
    if (summary.inFailureDestination > 0) lines.push(replayAdvice(summary));
    lines.push(
        `produced ${summary.produced}, stored ${summary.stored}, rejected ${summary.rejected}, ` +
            `in failure destination ${summary.inFailureDestination}, lost ${summary.lost}`,
    );
    return lines;
}

/**
 * "sent to the failure destination: 210 records in 5 batches (…/failures.jsonl), 196 of them
 * stored all the same": the mapping gives up from the lowest failed record on, also the records
 * after it that the function had written.
 */
function describeDestination(summary: RunSummary): string {
    const batches = summary.failures.length;
    const where = summary.failuresFile ? ` (${summary.failuresFile})` : "";
    const written = summary.failedToDestination - summary.inFailureDestination;
    const storedAnyway = written > 0 ? `, ${written} of them stored all the same` : "";
    return `sent to the failure destination: ${summary.failedToDestination} records in ${batches} batch${batches === 1 ? "" : "es"}${where}${storedAnyway}`;
}

/** What to do about records in the failure destination. */
function replayAdvice(summary: RunSummary): string {
    const n = summary.inFailureDestination;
    if (summary.dataDir)
        return `to store the ${n} records in the failure destination: npm run replay -- --data ${summary.dataDir}`;
    return (
        `the ${n} records in the failure destination were in memory with the rest of this run: ` +
        "run with --data DIR to keep them, then npm run replay -- --data DIR"
    );
}
