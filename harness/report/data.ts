/**
 * What the report shows, built with the query layer's SQL (the named queries and REPORT_QUERIES,
 * the same SQL as Athena's): each symbol's ticks, span and last price, its candles at every
 * interval the page offers, and the rejected records by reason. Prices stay exact text here; only
 * the chart turns them into numbers to draw.
 */
import {
    bindParameters,
    CANDLE_INTERVALS,
    CandleInterval,
    findNamedQuery,
    REPORT_QUERIES,
} from "../../pipeline/analytics/queries";
import { trimDecimalZeros } from "../query/decimal";
import type { LocalEngine, QueryResult } from "../query/engine";

export interface Candle {
    /** The candle's start in the wall time as written in the ticks, YYYY-MM-DDTHH:MM:SS. */
    time: string;
    open: string;
    high: string;
    low: string;
    close: string;
    ticks: number;
}

export interface SymbolReport {
    symbol: string;
    /** Ticks over all days read, each record once, one per symbol and timestamp (as the table keeps them). */
    ticks: number;
    /** First and last tick in the wall time as written, YYYY-MM-DDTHH:MM:SS.fffffffff. */
    firstTime: string;
    lastTime: string;
    /** The last price and the timestamp it was written with (latest-price). */
    lastPrice: string;
    lastTimestamp: string;
    /** Candles by interval name (CANDLE_INTERVALS), for each interval the page offers. */
    candles: Record<string, Candle[]>;
}

/** A rejected record as the page shows it. */
export interface RejectedSample {
    reason: string;
    /** The record's bytes as text, or in base64 when they are not UTF-8. */
    data: string;
    encoding: "utf8" | "base64";
    partitionKey: string | null;
    sequenceNumber: string;
    subSequenceNumber?: number;
}

/** Rejections of one kind: the reason with its quoted values and details left out. */
export interface RejectedReason {
    reason: string;
    count: number;
    /** The first two, by sequence number. */
    samples: RejectedSample[];
}

/** An interval the page offers, as it names it. */
export interface OfferedInterval {
    name: string;
    label: string;
    seconds: number;
}

export interface ReportData {
    /**
     * The first and the last day of the ticks, as written in their timestamps (the tables' `day`):
     * one when they are the same, none without ticks. The page names the span with them.
     */
    days: string[];
    /** The intervals whose candles are embedded, shortest first. */
    intervals: OfferedInterval[];
    /** The one the page opens with: 30 to 120 candles where the span allows. */
    interval: string;
    symbols: SymbolReport[];
    rejected: { total: number; reasons: RejectedReason[] };
}

/** An interval is offered only when a symbol would get at most this many candles (1 day always is). */
export const MAX_CANDLES = 2000;
/** The candle count the page aims at. */
export const AIM = { min: 30, max: 120 } as const;

/** Seconds since the epoch of a wall time (read as UTC: only differences matter). */
export function wallSeconds(wallTime: string): number {
    return Date.parse(`${wallTime.slice(0, 23)}Z`) / 1000;
}

/**
 * The intervals worth embedding for ticks from `first` to `last` (wall times): the shortest with
 * at most MAX_CANDLES candles, up to the first that holds everything in one candle (1 day is the
 * last resort). Counts are upper bounds: candles with no tick are not drawn.
 */
export function offeredIntervals(first: string, last: string): CandleInterval[] {
    const [from, to] = [wallSeconds(first), wallSeconds(last)];
    const offered: CandleInterval[] = [];
    for (const interval of CANDLE_INTERVALS) {
        const candles = Math.floor(to / interval.seconds) - Math.floor(from / interval.seconds) + 1;
        const lastResort = interval === CANDLE_INTERVALS[CANDLE_INTERVALS.length - 1];
        if (candles > MAX_CANDLES && !(lastResort && offered.length === 0)) continue;
        offered.push(interval);
        if (candles <= 1) break;
    }
    return offered;
}

/**
 * The interval to open with, from the most candles a symbol gets at each (shortest first): within
 * 30 to 120 if one is (the shortest such), else the nearest to that range by ratio; of intervals
 * that give the same candles (sparse ticks, one per candle), the longest.
 */
export function chooseInterval(candleCounts: { name: string; candles: number }[]): string {
    const distance = (n: number) =>
        n < AIM.min ? Math.log(AIM.min / Math.max(n, 1)) : n > AIM.max ? Math.log(n / AIM.max) : 0;
    let best = candleCounts[0];
    for (const count of candleCounts) {
        const [d, bestD] = [distance(count.candles), distance(best.candles)];
        if (d < bestD || (d === bestD && d > 0 && count.candles === best.candles)) best = count;
    }
    return best?.name ?? CANDLE_INTERVALS[0].name;
}

/**
 * A reason with what varies from record to record left out, so that one kind of mistake is one
 * row: quoted values as "…", parenthesised details as (…).
 */
export function reasonKind(reason: string): string {
    return reason.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/\([^()]*\)/g, "(…)");
}

async function named(engine: LocalEngine, name: string, params: Record<string, string> = {}): Promise<QueryResult> {
    const query = findNamedQuery(name);
    if (!query) throw new Error(`no named query ${name}`);
    return engine.query(query.sql, bindParameters(query, params));
}

/** Result rows as objects by column name. */
function records(result: QueryResult): Record<string, string | null>[] {
    return result.rows.map(row => Object.fromEntries(result.columns.map((column, i) => [column.name, row[i]])));
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function buildReportData(engine: LocalEngine): Promise<ReportData> {
    const bySymbol = new Map<string, SymbolReport>();
    for (const row of records(await engine.query(REPORT_QUERIES.symbolSpans))) {
        bySymbol.set(row.symbol!, {
            symbol: row.symbol!,
            ticks: Number(row.tick_count),
            firstTime: row.first_time!,
            lastTime: row.last_time!,
            lastPrice: "",
            lastTimestamp: "",
            candles: {},
        });
    }
    for (const row of records(await named(engine, "latest-price"))) {
        const symbol = bySymbol.get(row.symbol!);
        if (symbol) Object.assign(symbol, { lastPrice: priceText(row.price!), lastTimestamp: row.timestamp! });
    }
    const symbols = [...bySymbol.values()].sort((a, b) => byText(a.symbol, b.symbol));
    const first = symbols.map(s => s.firstTime).sort(byText)[0];
    const last = symbols.map(s => s.lastTime).sort(byText)[symbols.length - 1];
    const intervals = symbols.length === 0 ? [] : offeredIntervals(first, last);
    for (const interval of intervals) {
        for (const symbol of symbols) symbol.candles[interval.name] = [];
        for (const row of records(await engine.query(REPORT_QUERIES.candles(interval)))) {
            bySymbol.get(row.symbol!)?.candles[interval.name].push({
                time: row.bucket_start!,
                open: priceText(row.open!),
                high: priceText(row.high!),
                low: priceText(row.low!),
                close: priceText(row.close!),
                ticks: Number(row.tick_count),
            });
        }
    }
    const counts = intervals.map(interval => ({
        name: interval.name,
        candles: Math.max(0, ...symbols.map(s => s.candles[interval.name].length)),
    }));
    return {
        days: symbols.length === 0 ? [] : [...new Set([first.slice(0, 10), last.slice(0, 10)])],
        intervals: intervals.map(({ name, label, seconds }) => ({ name, label, seconds })),
        interval: chooseInterval(counts),
        symbols,
        rejected: rejectedReasons(records(await engine.query(REPORT_QUERIES.rejectedSamples))),
    };
}

/** The rejectedSamples rows (per exact reason, up to two samples) as kinds of reasons, the most frequent first. */
function rejectedReasons(rows: Record<string, string | null>[]): ReportData["rejected"] {
    const kinds = new Map<string, RejectedReason & { counted: Set<string> }>();
    for (const row of rows) {
        const kind = reasonKind(row.reason ?? "");
        const entry = kinds.get(kind) ?? { reason: kind, count: 0, samples: [], counted: new Set<string>() };
        kinds.set(kind, entry);
        if (!entry.counted.has(row.reason ?? "")) {
            entry.counted.add(row.reason ?? "");
            entry.count += Number(row.reason_count);
        }
        entry.samples.push(sample(row));
    }
    const reasons = [...kinds.values()].map(({ reason, count, samples }) => ({
        reason,
        count,
        samples: samples.sort(bySequence).slice(0, 2),
    }));
    reasons.sort((a, b) => b.count - a.count || byText(a.reason, b.reason));
    return { total: reasons.reduce((sum, r) => sum + r.count, 0), reasons };
}

function sample(row: Record<string, string | null>): RejectedSample {
    const bytes = Buffer.from(row.data ?? "", "base64");
    let text: string | undefined;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        text = undefined;
    }
    const sub = Number(row.subsequence_number);
    return {
        reason: row.reason ?? "",
        data: text ?? row.data ?? "",
        encoding: text === undefined ? "base64" : "utf8",
        partitionKey: row.partitionkey,
        sequenceNumber: row.sequence_number ?? "",
        ...(sub >= 0 ? { subSequenceNumber: sub } : {}),
    };
}

/** By sequence number as a number (length, then text), then sub-sequence number. */
function bySequence(a: RejectedSample, b: RejectedSample): number {
    return (
        a.sequenceNumber.length - b.sequenceNumber.length ||
        byText(a.sequenceNumber, b.sequenceNumber) ||
        (a.subSequenceNumber ?? -1) - (b.subSequenceNumber ?? -1)
    );
}

/**
 * A price as the page shows it: the exact digits that carry value, with at least two decimals
 * (189.120000000000000000 as 189.12, 190.000000000000000000 as 190.00).
 */
export function priceText(text: string): string {
    const [whole, fraction = ""] = trimDecimalZeros(text).split(".");
    return `${whole}.${fraction.padEnd(2, "0")}`;
}
