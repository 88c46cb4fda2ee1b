/**
 * Stored objects → rows of a Glue table, read as Athena reads them: every object is text lines
 * (gunzipped first when its key ends in `.gz`), each line one JSON object whose keys match the
 * columns case-insensitively; keys that are no column are ignored, missing ones read as NULL; the
 * partition column comes from the key, not the JSON; `"$path"` is the object's s3:// URI. Numbers
 * are parsed losslessly: a price keeps every digit until it is scaled to the column's decimals.
 *
 * A value that does not convert is loaded as NULL and reported, never dropped silently.
 */
import { gunzipSync } from "zlib";
import { isLosslessNumber, parse } from "lossless-json";
import type { GlueColumn, GlueTableDefinition } from "../../pipeline/analytics/tables";
import { isCanarySymbol } from "../../pipeline/schema";
import { Decimal, formatDecimal, toDecimal } from "./decimal";

/** One column value: string (string), bigint (bigint), number (double), Decimal (decimal), or NULL. */
export type Cell = string | bigint | number | Decimal | null;

/** The columns' kinds, from their Glue types. */
export type ColumnKind =
    | { kind: "string" }
    | { kind: "bigint" }
    | { kind: "double" }
    | { kind: "decimal"; precision: number; scale: number };

export interface ObjectRows {
    /** Cells in table order: the data columns, the partition column, then `"$path"`. */
    rows: Cell[][];
    /** One line per value or line that could not be read as the table declares. */
    problems: string[];
}

/** The pseudo-column Athena's Hive tables expose; the local tables have it as a real column. */
export const PATH_COLUMN = "$path";

export function columnKind(column: GlueColumn): ColumnKind {
    if (column.type === "string") return { kind: "string" };
    if (column.type === "bigint") return { kind: "bigint" };
    if (column.type === "double") return { kind: "double" };
    const decimal = /^decimal\((\d+),(\d+)\)$/.exec(column.type);
    if (decimal) return { kind: "decimal", precision: Number(decimal[1]), scale: Number(decimal[2]) };
    throw new Error(`column ${column.name}: unsupported Glue type ${column.type}`);
}

/** The partition value (`day=2026-11-28/` → 2026-11-28) of a key under the table's prefix, or null when the key is in no partition. */
export function partitionOf(table: GlueTableDefinition, key: string): string | null {
    const head = `${table.prefix}${table.partitionKey.name}=`;
    if (!key.startsWith(head)) return null;
    const value = /^(\d{4}-\d{2}-\d{2})\//.exec(key.slice(head.length));
    return value ? value[1] : null;
}

/** The rows one object holds, canary ticks left out. `uri` is its s3://bucket/key. */
export function objectRows(table: GlueTableDefinition, key: string, uri: string, body: Buffer): ObjectRows {
    const partition = partitionOf(table, key);
    if (partition === null)
        return {
            rows: [],
            problems: [`${uri}: not under ${table.prefix}${table.partitionKey.name}=YYYY-MM-DD/, skipped`],
        };
    let text: string;
    try {
        text = (key.endsWith(".gz") ? gunzipSync(body) : body).toString("utf8");
    } catch (error) {
        return { rows: [], problems: [`${uri}: not gzip data (${(error as Error).message}), skipped`] };
    }
    const kinds = table.columns.map(columnKind);
    const rows: Cell[][] = [];
    const problems: string[] = [];
    text.split("\n").forEach((line, index) => {
        if (line.trim() === "") return;
        const where = `${uri}:${index + 1}`;
        const fields = parseLine(line);
        if (typeof fields === "string") {
            problems.push(`${where}: ${fields}, line skipped`);
            return;
        }
        // Canary ticks of npm run verify are not market data: the tables leave them out, as the named queries do.
        const symbol = fields.get("symbol");
        if (typeof symbol === "string" && isCanarySymbol(symbol)) return;
        const cells = table.columns.map((column, i) => {
            const converted = convert(fields.get(column.name), kinds[i]);
            if (typeof converted === "object" && converted !== null && "problem" in converted) {
                problems.push(`${where}: ${column.name} ${converted.problem}, loaded as NULL`);
                return null;
            }
            return converted;
        });
        rows.push([...cells, partition, uri]);
    });
    return { rows, problems };
}

/** A line's fields by lower-cased key (the last of duplicate keys wins, as in Athena), or why it is not a JSON object. */
function parseLine(line: string): Map<string, unknown> | string {
    let value: unknown;
    try {
        value = parse(line);
    } catch (error) {
        return `not JSON (${(error as Error).message})`;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value) || isLosslessNumber(value))
        return "not a JSON object";
    return new Map(
        Object.entries(value as Record<string, unknown>).map(([name, field]) => [name.toLowerCase(), field]),
    );
}

function convert(value: unknown, kind: ColumnKind): Cell | { problem: string } {
    if (value === undefined || value === null) return null;
    const scalar = isLosslessNumber(value) ? value.value : value;
    if (typeof scalar === "object") return { problem: "is not a scalar" };
    const text = String(scalar);
    switch (kind.kind) {
        case "string":
            return text;
        case "bigint":
            return /^-?\d+$/.test(text) && isLosslessNumber(value)
                ? BigInt(text)
                : { problem: `is not an integer: ${JSON.stringify(text)}` };
        case "double":
            return isLosslessNumber(value) ? Number(text) : { problem: `is not a number: ${JSON.stringify(text)}` };
        case "decimal": {
            const decimal = toDecimal(text, kind.precision, kind.scale);
            return decimal.ok ? decimal.value : { problem: decimal.reason };
        }
    }
}

/** A cell as text, for messages and tests. */
export function cellText(cell: Cell): string | null {
    if (cell === null) return null;
    if (typeof cell === "object") return formatDecimal(cell);
    return String(cell);
}
