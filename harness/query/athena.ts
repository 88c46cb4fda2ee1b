/**
 * Running a query on Athena instead of here: StartQueryExecution in the stack's workgroup (whose
 * enforced settings choose the results location, encryption and scan cutoff), the `?` values as
 * execution parameters, polling until the query ends, then every page of GetQueryResults. The
 * result has the same shape as the local engine's, so it prints in the same formats.
 */
import { setTimeout as sleep } from "timers/promises";
import {
    AthenaClient,
    ColumnInfo,
    GetQueryExecutionCommand,
    GetQueryResultsCommand,
    QueryExecution,
    StartQueryExecutionCommand,
    StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { athenaExecutionParameters } from "../../pipeline/analytics/queries";
import type { QueryResult, ValueKind } from "./engine";

export interface AthenaQuery {
    sql: string;
    /** Values of the `?` placeholders, in order (plain text; quoted here as Athena wants). */
    values: readonly string[];
    workgroup: string;
    /** The Glue database the unqualified table names refer to. */
    database: string;
}

export interface AthenaProgress {
    queryExecutionId: string;
    state: string;
    elapsedMs: number;
    bytesScanned?: number;
}

export interface AthenaRunOptions {
    /** First and longest wait between polls, ms (default 200 and 2000: short queries end fast). */
    pollMs?: { first: number; max: number };
    onProgress?: (progress: AthenaProgress) => void;
    /** Aborting stops the query on Athena (StopQueryExecution) and rejects with an AbortError. */
    signal?: AbortSignal;
}

/** A query Athena ran and refused or cancelled: its reason, in one line. */
export class AthenaQueryFailed extends Error {
    constructor(
        readonly queryExecutionId: string,
        readonly state: string,
        reason: string,
    ) {
        super(`Athena query ${queryExecutionId} ${state.toLowerCase()}: ${reason}`);
        this.name = "AthenaQueryFailed";
    }
}

export interface AthenaResult extends QueryResult {
    queryExecutionId: string;
    bytesScanned?: number;
    outputLocation?: string;
}

export async function runAthenaQuery(
    client: AthenaClient,
    query: AthenaQuery,
    options: AthenaRunOptions = {},
): Promise<AthenaResult> {
    const started = Date.now();
    const { QueryExecutionId: id } = await client.send(
        new StartQueryExecutionCommand({
            QueryString: query.sql,
            WorkGroup: query.workgroup,
            QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: query.database },
            ExecutionParameters: query.values.length > 0 ? athenaExecutionParameters(query.values) : undefined,
        }),
    );
    if (!id) throw new Error("Athena started a query but returned no QueryExecutionId");
    const execution = await waitForEnd(client, id, started, options);
    return {
        ...(await readResults(client, id, execution.StatementType)),
        queryExecutionId: id,
        bytesScanned: execution.Statistics?.DataScannedInBytes,
        outputLocation: execution.ResultConfiguration?.OutputLocation,
    };
}

/** Polls until the query leaves QUEUED and RUNNING; throws for FAILED and CANCELLED. */
async function waitForEnd(
    client: AthenaClient,
    id: string,
    started: number,
    options: AthenaRunOptions,
): Promise<QueryExecution> {
    const { first, max } = options.pollMs ?? { first: 200, max: 2000 };
    for (let wait = first; ; wait = Math.min(max, wait * 2)) {
        if (options.signal?.aborted) {
            await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
            throw Object.assign(new Error(`Athena query ${id} stopped`), { name: "AbortError" });
        }
        const { QueryExecution: execution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
        const state = execution?.Status?.State ?? "UNKNOWN";
        options.onProgress?.({
            queryExecutionId: id,
            state,
            elapsedMs: Date.now() - started,
            bytesScanned: execution?.Statistics?.DataScannedInBytes,
        });
        if (state === "SUCCEEDED") return execution!;
        if (state === "FAILED" || state === "CANCELLED")
            throw new AthenaQueryFailed(id, state, execution?.Status?.StateChangeReason ?? "no reason given");
        await sleep(wait);
    }
}

/** Every page of results. A SELECT's first row is its header, which Athena sends as data: dropped. */
async function readResults(client: AthenaClient, id: string, statementType?: string): Promise<QueryResult> {
    let columns: QueryResult["columns"] = [];
    const rows: QueryResult["rows"] = [];
    let nextToken: string | undefined;
    let firstPage = true;
    do {
        const page = await client.send(
            new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: nextToken, MaxResults: 1000 }),
        );
        if (firstPage) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map(resultColumn);
        const pageRows = (page.ResultSet?.Rows ?? []).map(row =>
            columns.map((_, i) => row.Data?.[i]?.VarCharValue ?? null),
        );
        rows.push(
            ...(firstPage && statementType !== "DDL" && statementType !== "UTILITY" ? pageRows.slice(1) : pageRows),
        );
        firstPage = false;
        nextToken = page.NextToken;
    } while (nextToken);
    return { columns, rows };
}

function resultColumn(column: ColumnInfo): QueryResult["columns"][number] {
    return { name: column.Label ?? column.Name ?? "", kind: athenaKind(column.Type ?? "") };
}

/** Athena's (Trino's) type names, as the output formats need them. */
export function athenaKind(type: string): ValueKind {
    const base = type.toLowerCase().replace(/\(.*$/, "");
    if (base === "decimal") return "decimal";
    if (["tinyint", "smallint", "integer", "int", "bigint"].includes(base)) return "integer";
    if (["real", "float", "double"].includes(base)) return "double";
    if (base === "boolean") return "boolean";
    if (["varchar", "char", "string"].includes(base)) return "string";
    return "other";
}
