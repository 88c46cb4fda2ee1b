/**
 * The local engine: an in-memory DuckDB holding the Glue tables (same columns, names and types,
 * plus the `"$path"` column Athena exposes as a pseudo-column), and a way to run SQL on it.
 * Decimals go in as DuckDB DECIMAL values built from their exact unscaled integer and come out
 * formatted from it, so no price passes through a double.
 */
import {
    DuckDBAppender,
    DuckDBConnection,
    DuckDBDecimalValue,
    DuckDBInstance,
    DuckDBTypeId,
    DuckDBValue,
} from "@duckdb/node-api";
import { RECORD_IDENTITY } from "../../pipeline/analytics/queries";
import type { GlueTableDefinition } from "../../pipeline/analytics/tables";
import { formatDecimal } from "./decimal";
import { Cell, ColumnKind, columnKind, PATH_COLUMN } from "./rows";

/** How a result column is written out: decimals stay exact text, integers and doubles may become JSON numbers. */
export type ValueKind = "string" | "integer" | "double" | "decimal" | "boolean" | "other";

export interface QueryResult {
    columns: { name: string; kind: ValueKind }[];
    /** Each value as text (decimals with every digit of their scale), or null. */
    rows: (string | null)[][];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function duckdbType(kind: ColumnKind): string {
    switch (kind.kind) {
        case "string":
            return "VARCHAR";
        case "bigint":
            return "BIGINT";
        case "double":
            return "DOUBLE";
        case "decimal":
            return `DECIMAL(${kind.precision},${kind.scale})`;
    }
}

/** The CREATE TABLE mirroring a Glue table: data columns, the partition column, `"$path"`. */
function createTableSql(table: GlueTableDefinition): string {
    const columns = [...table.columns, table.partitionKey].map(
        column => `${quote(column.name)} ${duckdbType(columnKind(column))}`,
    );
    return `CREATE TABLE ${quote(table.name)} (${[...columns, `${quote(PATH_COLUMN)} VARCHAR`].join(", ")})`;
}

export class LocalEngine {
    private readonly appenders = new Map<string, { appender: DuckDBAppender; kinds: ColumnKind[] }>();

    private constructor(
        private readonly instance: DuckDBInstance,
        private readonly connection: DuckDBConnection,
    ) {}

    private tables: readonly GlueTableDefinition[] = [];

    /** An empty in-memory database with the given tables, ready to load. */
    static async open(tables: readonly GlueTableDefinition[]): Promise<LocalEngine> {
        const instance = await DuckDBInstance.create(":memory:");
        const engine = new LocalEngine(instance, await instance.connect());
        engine.tables = tables;
        for (const table of tables) await engine.connection.run(createTableSql(table));
        await engine.startLoading();
        return engine;
    }

    /** Opens the tables for appending (again, after finishLoading: to add what came since). */
    async startLoading(): Promise<void> {
        for (const table of this.tables) {
            if (this.appenders.has(table.name)) continue;
            const kinds = [...table.columns, table.partitionKey].map(columnKind);
            this.appenders.set(table.name, {
                appender: await this.connection.createAppender(table.name),
                kinds: [...kinds, { kind: "string" }],
            });
        }
    }

    /** Appends rows in table order (data columns, partition, "$path"), as objectRows makes them. */
    append(tableName: string, rows: readonly Cell[][]): void {
        const target = this.appenders.get(tableName);
        if (!target) throw new Error(`no table ${tableName}`);
        for (const row of rows) {
            row.forEach((cell, i) => appendCell(target.appender, target.kinds[i], cell));
            target.appender.endRow();
        }
    }

    /** Flushes the appenders; call once all rows are in, before querying. */
    finishLoading(): void {
        for (const { appender } of this.appenders.values()) appender.closeSync();
        this.appenders.clear();
    }

    /**
     * Drops every copy of a record but one (the same identity as the named queries use), so ad-hoc
     * SQL over the local table sees each record once. Returns how many copies were dropped.
     */
    async deduplicate(table: GlueTableDefinition): Promise<number> {
        const result = await this.connection.run(`DELETE FROM ${quote(table.name)} WHERE rowid IN (
    SELECT rowid FROM (
        SELECT rowid, row_number() OVER (PARTITION BY ${RECORD_IDENTITY.sequenceNumber}, ${RECORD_IDENTITY.subsequenceNumber} ORDER BY "$path") AS copy_number
        FROM ${quote(table.name)}
    ) WHERE copy_number > 1
)`);
        return result.rowsChanged;
    }

    /** Throws DuckDB's parser or binder error for SQL that cannot run, without running it. */
    async check(sql: string): Promise<void> {
        const prepared = await this.connection.prepare(sql);
        prepared.destroySync();
    }

    /** Runs one statement; `values` bind its `?` placeholders in order, as VARCHARs. */
    async query(sql: string, values: readonly string[] = []): Promise<QueryResult> {
        const reader = await this.connection.runAndReadAll(sql, values.length > 0 ? [...values] : undefined);
        const types = reader.columnTypes();
        return {
            columns: reader.columnNames().map((name, i) => ({ name, kind: valueKind(types[i].typeId) })),
            rows: reader.getRows().map(row => row.map(valueText)),
        };
    }

    close(): void {
        this.connection.closeSync();
        this.instance.closeSync();
    }
}

function appendCell(appender: DuckDBAppender, kind: ColumnKind, cell: Cell): void {
    if (cell === null) return appender.appendNull();
    switch (kind.kind) {
        case "string":
            return appender.appendVarchar(String(cell));
        case "bigint":
            return appender.appendBigInt(cell as bigint);
        case "double":
            return appender.appendDouble(cell as number);
        case "decimal": {
            const { unscaled, scale } = cell as { unscaled: bigint; scale: number };
            return appender.appendDecimal(new DuckDBDecimalValue(unscaled, kind.precision, scale));
        }
    }
}

function valueKind(typeId: DuckDBTypeId): ValueKind {
    switch (typeId) {
        case DuckDBTypeId.DECIMAL:
            return "decimal";
        case DuckDBTypeId.TINYINT:
        case DuckDBTypeId.SMALLINT:
        case DuckDBTypeId.INTEGER:
        case DuckDBTypeId.BIGINT:
        case DuckDBTypeId.HUGEINT:
        case DuckDBTypeId.UTINYINT:
        case DuckDBTypeId.USMALLINT:
        case DuckDBTypeId.UINTEGER:
        case DuckDBTypeId.UBIGINT:
        case DuckDBTypeId.UHUGEINT:
            return "integer";
        case DuckDBTypeId.FLOAT:
        case DuckDBTypeId.DOUBLE:
            return "double";
        case DuckDBTypeId.BOOLEAN:
            return "boolean";
        case DuckDBTypeId.VARCHAR:
            return "string";
        default:
            return "other";
    }
}

function valueText(value: DuckDBValue): string | null {
    if (value === null) return null;
    if (value instanceof DuckDBDecimalValue) return formatDecimal({ unscaled: value.value, scale: value.scale });
    return String(value);
}
