/**
 * The end of a run: what DynamoDB and S3 hold, reconciled record by record with what the producer
 * put, and the report. Prices are compared as exact decimals, never as doubles.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { StoredTick } from "../../pipeline/runtime/tick";
import { PREFIXES } from "../../pipeline/schema";
import { listKeys, scanTicks } from "../../harness/aws/resources";
import type { FailureDestinationMessage } from "../../harness/event-source-mapping/poller";
import type { PutRecord, ProducerStats } from "./producer";

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

export interface StoreContents {
    ticks: StoredTick[];
    keys: { raw: string[]; processed: string[]; rejected: string[] };
}

export interface StoreCounts {
    tableItems: number;
    raw: number;
    processed: number;
    rejected: number;
}

export async function readStore(
    dynamo: DynamoDBClient,
    s3: S3Client,
    tableName: string,
    bucket: string,
): Promise<StoreContents> {
    const [ticks, raw, processed, rejected] = await Promise.all([
        scanTicks(dynamo, tableName),
        listKeys(s3, bucket, PREFIXES.raw),
        listKeys(s3, bucket, PREFIXES.processed),
        listKeys(s3, bucket, PREFIXES.rejected),
    ]);
    return { ticks, keys: { raw, processed, rejected } };
}

export function countStore(contents: StoreContents): StoreCounts {
    const { ticks, keys } = contents;
    return {
        tableItems: ticks.length,
        raw: keys.raw.length,
        processed: keys.processed.length,
        rejected: keys.rejected.length,
    };
}

/** Object keys end in `<sequenceNumber>.json` (the processing contract): the set of those numbers. */
function sequenceNumbersOf(keys: string[]): Set<string> {
    return new Set(keys.map(key => /\/(\d+)\.json$/.exec(key)?.[1]).filter((n): n is string => n !== undefined));
}

const tickKey = (tick: { symbol: string; timestamp: string }) => `${tick.symbol}\u0000${tick.timestamp}`;

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
    /** Valid records with their item (exact price) in the table and their raw/ and processed/ objects. */
    stored: number;
    /** Malformed records with their raw/ and rejected/ objects. */
    rejected: number;
    lost: number;
    /** Every mismatch between what was produced and what DynamoDB and S3 hold; empty when all is well. */
    problems: string[];
    symbols: SymbolSummary[];
}

/**
 * Checks every produced record against the store. `before` is the store as it was before the run
 * (not empty with a kept data folder): what the run added must be exactly what it produced, so
 * a duplicate object or a stray item shows up even when every record is found.
 */
export function reconcile(records: PutRecord[], contents: StoreContents, before: StoreCounts): Reconciliation {
    const items = new Map(contents.ticks.map(tick => [tickKey(tick), tick]));
    const raw = sequenceNumbersOf(contents.keys.raw);
    const processed = sequenceNumbersOf(contents.keys.processed);
    const rejectedObjects = sequenceNumbersOf(contents.keys.rejected);
    const problems = new Map<string, number>();
    const note = (problem: string) => problems.set(problem, (problems.get(problem) ?? 0) + 1);

    const storedTicks: StoredTick[] = [];
    let rejected = 0;
    for (const record of records) {
        const seq = record.sequenceNumber;
        if (!raw.has(seq)) note("records without their raw/ object");
        if (record.tick) {
            const item = items.get(tickKey(record.tick));
            const itemOk = item !== undefined && compareDecimals(item.price, record.tick.price) === 0;
            if (!itemOk) note("valid records without their item (with the exact price) in the table");
            if (!processed.has(seq)) note("valid records without their processed/ object");
            if (rejectedObjects.has(seq)) note("valid records rejected");
            if (itemOk && processed.has(seq) && raw.has(seq)) storedTicks.push(item);
        } else {
            if (!rejectedObjects.has(seq)) note("malformed records without their rejected/ object");
            if (processed.has(seq)) note("malformed records stored as ticks");
            if (rejectedObjects.has(seq) && raw.has(seq)) rejected++;
        }
    }
    const stored = storedTicks.length;
    const list = [...problems].map(([problem, n]) => `${n} ${problem}`);
    list.push(...growthProblems(countStore(contents), before, { stored, rejected, produced: records.length }));
    return {
        produced: records.length,
        stored,
        rejected,
        lost: records.length - stored - rejected,
        problems: list,
        symbols: summarizeSymbols(storedTicks),
    };
}

/** What the store gained must be exactly this run's records: one item and two objects each. */
function growthProblems(
    after: StoreCounts,
    before: StoreCounts,
    run: { stored: number; rejected: number; produced: number },
): string[] {
    const expected: [keyof StoreCounts, number, string][] = [
        ["tableItems", run.stored, "table items"],
        ["processed", run.stored, "processed/ objects"],
        ["rejected", run.rejected, "rejected/ objects"],
        ["raw", run.produced, "raw/ objects"],
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
    latencyMs: { p50: number | null; p90: number | null; p99: number | null };
    invocations: number;
    functionErrors: number;
    coldStarts: number;
    /** Records given up to the on-failure destination. */
    failedToDestination: number;
    /** What the on-failure destination received (one message per batch given up). */
    failures: FailureDestinationMessage[];
    /** Where those messages were also written, with a kept data folder. */
    failuresFile?: string;
    interrupted: boolean;
    /** False when the drain timeout passed with records still in flight. */
    drained: boolean;
    elapsedSeconds: number;
    /** Endpoints the run used (closed by the time the summary is returned). */
    endpoints: { kinesis: string; dynamodb: string; s3: string };
    /** True when nothing was lost and the store holds exactly what the run produced. */
    ok: boolean;
}

function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, column) => Math.max(...rows.map(row => row[column].length)));
    return rows.map(row =>
        row
            .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
            .join("  ")
            .trimEnd(),
    );
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
    const kept = Object.values(before).some(n => n > 0);
    const total = (field: keyof StoreCounts) =>
        `${store[field]}${kept ? ` (+${store[field] - before[field]} this run)` : ""}`;
    lines.push(`objects: raw/ ${total("raw")}, processed/ ${total("processed")}, rejected/ ${total("rejected")}`);
    lines.push(`items in the table: ${total("tableItems")}`);
    lines.push(
        `invocations: ${summary.invocations} (${summary.functionErrors} function errors, ${summary.coldStarts} cold starts)`,
    );
    lines.push(
        `failed to destination: ${summary.failedToDestination}${summary.failuresFile ? ` (${summary.failuresFile})` : ""}`,
    );
    lines.push(`end-to-end latency: p50 ${ms(latency.p50)}, p90 ${ms(latency.p90)}, p99 ${ms(latency.p99)}`);
    if (summary.interrupted) lines.push("interrupted: the producer was stopped early");
    if (!summary.drained) lines.push("drain timeout: records were still in flight when the run stopped");
    for (const problem of summary.problems) lines.push(`problem: ${problem}`);
    lines.push(
        `produced ${summary.produced}, stored ${summary.stored}, rejected ${summary.rejected}, lost ${summary.lost}`,
    );
    return lines;
}
