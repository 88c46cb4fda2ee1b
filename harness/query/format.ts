/**
 * Query results as an aligned table, CSV or JSON. Decimals are their exact text with the digits
 * that carry value (189.29, not DECIMAL(38,18)'s 189.290000000000000000), strings in JSON.
 */
import { trimDecimalZeros } from "./decimal";
import type { QueryResult, ValueKind } from "./engine";

export const FORMATS = ["table", "csv", "json"] as const;
export type OutputFormat = (typeof FORMATS)[number];

export function formatResult(result: QueryResult, format: OutputFormat): string {
    result = withTrimmedDecimals(result);
    switch (format) {
        case "table":
            return formatTable(result);
        case "csv":
            return formatCsv(result);
        case "json":
            return formatJson(result);
    }
}

/** Both engines print DECIMAL(38,18) with all 18 decimals: the zeros past the value are dropped. */
function withTrimmedDecimals({ columns, rows }: QueryResult): QueryResult {
    const decimal = columns.map(column => column.kind === "decimal");
    return {
        columns,
        rows: rows.map(row => row.map((value, i) => (decimal[i] && value !== null ? trimDecimalZeros(value) : value))),
    };
}

const NUMERIC: ReadonlySet<ValueKind> = new Set(["integer", "double", "decimal"]);

/** Columns padded to their widest value, numbers right-aligned, NULL spelled out; then the row count. */
function formatTable({ columns, rows }: QueryResult): string {
    const cells = rows.map(row => row.map(value => value ?? "NULL"));
    const widths = columns.map((column, i) => Math.max(column.name.length, ...cells.map(row => row[i].length)));
    const line = (values: string[], numeric: (i: number) => boolean) =>
        values
            .map((value, i) => (numeric(i) ? value.padStart(widths[i]) : value.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    const isNumeric = (i: number) => NUMERIC.has(columns[i].kind);
    return [
        line(
            columns.map(column => column.name),
            isNumeric,
        ),
        widths.map(width => "-".repeat(width)).join("  "),
        ...cells.map(row => line(row, isNumeric)),
        `(${rows.length} ${rows.length === 1 ? "row" : "rows"})`,
    ].join("\n");
}

/** RFC 4180: a header line, fields quoted when they hold a comma, quote or line break; NULL is an empty field. */
function formatCsv({ columns, rows }: QueryResult): string {
    const field = (value: string | null) =>
        value === null ? "" : /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
    return [columns.map(column => field(column.name)), ...rows.map(row => row.map(field))]
        .map(fields => fields.join(","))
        .join("\r\n");
}

/** An array of row objects: decimals and strings as strings, integers and doubles as numbers when exact. */
function formatJson({ columns, rows }: QueryResult): string {
    const objects = rows.map(row =>
        Object.fromEntries(columns.map((column, i) => [column.name, jsonValue(row[i], column.kind)])),
    );
    return JSON.stringify(objects, null, 2);
}

function jsonValue(value: string | null, kind: ValueKind): string | number | boolean | null {
    if (value === null) return null;
    if (kind === "integer") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
    if (kind === "double") return Number.isFinite(Number(value)) ? Number(value) : value;
    if (kind === "boolean") return value === "true";
    return value;
}
