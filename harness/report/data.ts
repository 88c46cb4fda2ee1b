/**
 * What the report shows, built from the named queries (the same SQL as Athena's): the days from
 * `ticks-per-day`, one `ohlc-minute` per day, and `latest-price`. Prices stay exact text here;
 * only the chart turns them into numbers to draw.
 */
import { bindParameters, findNamedQuery } from "../../pipeline/analytics/queries";
import type { LocalEngine, QueryResult } from "../query/engine";

export interface Candle {
    /** The minute as written in the ticks' timestamps, e.g. 2026-11-28T14:30. */
    minute: string;
    open: string;
    high: string;
    low: string;
    close: string;
    ticks: number;
}

export interface SymbolReport {
    symbol: string;
    /** The last price and the timestamp it was written with (latest-price). */
    lastPrice: string;
    lastTimestamp: string;
    /** Ticks over all days read, each record once. */
    ticks: number;
    candles: Candle[];
}

export interface ReportData {
    days: string[];
    symbols: SymbolReport[];
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

export async function buildReportData(engine: LocalEngine): Promise<ReportData> {
    const perDay = records(await named(engine, "ticks-per-day"));
    const days = [...new Set(perDay.map(row => row.day!))].sort();
    const bySymbol = new Map<string, SymbolReport>();
    for (const row of records(await named(engine, "latest-price"))) {
        bySymbol.set(row.symbol!, {
            symbol: row.symbol!,
            lastPrice: trimDecimal(row.price!),
            lastTimestamp: row.timestamp!,
            ticks: 0,
            candles: [],
        });
    }
    for (const row of perDay) bySymbol.get(row.symbol!)!.ticks += Number(row.tick_count);
    for (const day of days) {
        for (const row of records(await named(engine, "ohlc-minute", { day }))) {
            bySymbol.get(row.symbol!)!.candles.push({
                minute: row.minute!,
                open: trimDecimal(row.open!),
                high: trimDecimal(row.high!),
                low: trimDecimal(row.low!),
                close: trimDecimal(row.close!),
                ticks: Number(row.tick_count),
            });
        }
    }
    const symbols = [...bySymbol.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    for (const symbol of symbols) symbol.candles.sort((a, b) => (a.minute < b.minute ? -1 : 1));
    return { days, symbols };
}

/** 189.120000000000000000 as 189.12, 190.000000000000000000 as 190.00: the digits that carry value, at least two decimals. */
export function trimDecimal(text: string): string {
    const [whole, fraction = ""] = text.split(".");
    return `${whole}.${fraction.replace(/0+$/, "").padEnd(2, "0")}`;
}
