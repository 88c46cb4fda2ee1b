/**
 * `npm run query`: SQL over the ticks a bucket holds, on a local DuckDB or on Athena, with the same
 * SQL as the stack's Athena named queries (pipeline/analytics/queries.ts).
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import { bindParameters, findNamedQuery, NAMED_QUERIES } from "../../pipeline/analytics/queries";
import {
    asUsage,
    Command,
    FlagValues,
    interruptOnSigint,
    parseFlags,
    suggestion,
    UsageError,
    UserError,
} from "../../harness/cli/cli";
import { AthenaQueryFailed, runAthenaQuery } from "../../harness/query/athena";
import { parseDays } from "../../harness/query/days";
import type { QueryResult } from "../../harness/query/engine";
import { FORMATS, formatResult, OutputFormat } from "../../harness/query/format";
import { InvalidSql, loadSummary, openLoadedEngine, problemLines } from "../../harness/query/load";
import { awsErrorsAsUserErrors, openSource, SOURCE_HELP, SourceFlags, sourceFlags } from "../../harness/query/sources";

const HELP = `Usage: npm run query -- SOURCE QUERY [--days DAYS] [--format table|csv|json]

Loads the bucket's processed/ and rejected/ objects (both layouts) into the Glue tables' local
twins, "ticks" and "rejected" (prices exact, DECIMAL(38,18)), one row per record, and runs SQL;
or runs the SQL on Athena, over the stack's tables.

Source (one):
${SOURCE_HELP}
  --athena-workgroup NAME   run on Athena in this workgroup (pulumi stack output athenaWorkgroup),
  --athena-database NAME    over this Glue database (pulumi stack output analyticsDatabase);
                       credentials and AWS_REGION as the AWS SDK finds them
Query (one):
  --sql "SELECT ..."   any SQL over ticks and rejected
  --named NAME         a named query, the same SQL the stack gives Athena;
  --param NAME=VALUE   its parameters (repeatable), e.g. --param day=2026-11-28
  --list               the named queries and their parameters
Options:
  --days DAYS          local sources only: read only these days' prefixes, 2026-11-28,2026-11-29
                       or 2026-11-28..2026-11-30 (day= for ticks, arrival_day= for rejected)
  --format FORMAT      table (default), csv, or json; decimals are their exact digits without
                       padding (189.29), strings in JSON; rejected.data stays the record's
                       bytes in base64, as Athena reads it
  -h, --help           this text`;

const OPTIONS = {
    bucket: { type: "string" },
    data: { type: "string" },
    "athena-workgroup": { type: "string" },
    "athena-database": { type: "string" },
    sql: { type: "string" },
    named: { type: "string" },
    param: { type: "string", multiple: true },
    list: { type: "boolean" },
    days: { type: "string" },
    format: { type: "string", default: "table" },
} as const;

interface SqlToRun {
    sql: string;
    values: string[];
    /** The user's own SQL: its errors are usage errors. */
    userSql: boolean;
}

export type QueryOptions =
    | { kind: "list" }
    | {
          kind: "run";
          source: SourceFlags | { workgroup: string; database: string };
          query: SqlToRun;
          days?: string[];
          format: OutputFormat;
      };

export function parseQueryOptions(argv: string[]): QueryOptions {
    const values = parseFlags(argv, OPTIONS);
    const format = values.format as OutputFormat;
    if (!FORMATS.includes(format))
        throw new UsageError(`--format: expected ${FORMATS.join(", ")}, got "${values.format}"`);
    const chosen = (["sql", "named", "list"] as const).filter(name => values[name] !== undefined);
    if (chosen.length === 0) throw new UsageError("give one of --sql, --named or --list");
    if (chosen.length > 1)
        throw new UsageError(
            `give only one of --sql, --named or --list, not ${chosen.map(name => `--${name}`).join(" and ")}`,
        );
    if (values.param && !values.named) throw new UsageError("--param goes with --named");
    if (values.list) return { kind: "list" };
    const query =
        values.sql !== undefined
            ? { sql: values.sql as string, values: [], userSql: true }
            : namedQuery(values.named as string, (values.param as unknown as string[] | undefined) ?? []);
    return {
        kind: "run",
        source: athenaSource(values) ?? localSource(values),
        query,
        days: values.days === undefined ? undefined : asUsage(() => parseDays(values.days as string)),
        format,
    };
}

function athenaSource(values: FlagValues): { workgroup: string; database: string } | undefined {
    const workgroup = values["athena-workgroup"] as string | undefined;
    const database = values["athena-database"] as string | undefined;
    if (workgroup === undefined && database === undefined) return undefined;
    if (workgroup === undefined || database === undefined)
        throw new UsageError("--athena-workgroup and --athena-database go together");
    if (values.bucket !== undefined || values.data !== undefined)
        throw new UsageError("give --bucket/--data (read here) or --athena-workgroup (run on Athena), not both");
    if (values.days !== undefined)
        throw new UsageError("--days is for local sources; on Athena, filter on day in the SQL");
    return { workgroup, database };
}

function localSource(values: FlagValues): SourceFlags {
    const source = sourceFlags(values);
    if (!source) throw new UsageError("give a source: --bucket NAME, --data DIR or --athena-workgroup NAME");
    return source;
}

function namedQuery(name: string, params: string[]): SqlToRun {
    const query = findNamedQuery(name);
    if (!query) {
        const mean = suggestion(
            name,
            NAMED_QUERIES.map(known => known.name),
        );
        throw new UsageError(`--named: no query "${name}"${mean}; npm run query -- --list shows them`);
    }
    const given: Record<string, string> = {};
    for (const param of params) {
        const equals = param.indexOf("=");
        if (equals <= 0) throw new UsageError(`--param: expected NAME=VALUE, got "${param}"`);
        given[param.slice(0, equals)] = param.slice(equals + 1);
    }
    return { sql: query.sql, values: asUsage(() => bindParameters(query, given)), userSql: false };
}

function listQueries(): string {
    return NAMED_QUERIES.map(query => {
        const params = query.parameters.map(p => ` --param ${p.name}=${p.example}`).join("");
        return `${query.name}${params}\n    ${query.description}`;
    }).join("\n");
}

/** What the command talks to; tests give stand-ins. */
export interface QueryIo {
    athenaClient(): AthenaClient;
    /** The result (stdout). */
    print(text: string): void;
    /** Progress and warnings (stderr). */
    note(line: string): void;
    signal?: AbortSignal;
}

/**
 * The command's world as main.ts runs it: stdout, stderr, the SDK's own credentials and region,
 * and Ctrl-C, which stops reading objects, or stops the query on Athena too (StopQueryExecution).
 * interruptOnSigint takes npm's forwarded copy of the keypress for the same one, not a second.
 */
export function consoleQueryIo(): QueryIo {
    const controller = new AbortController();
    interruptOnSigint(controller, {
        first: "interrupted: stopping the query (Ctrl-C again to exit now)",
        again: "interrupted again: exiting now",
    });
    return {
        athenaClient: () => new AthenaClient({}),
        print: text => console.log(text),
        note: line => console.error(line),
        signal: controller.signal,
    };
}

export function queryCommand(io: QueryIo): Command {
    return {
        name: "npm run query",
        help: HELP,
        run: async argv => {
            const options = parseQueryOptions(argv);
            if (options.kind === "list") {
                io.print(listQueries());
                return 0;
            }
            const result = await awsErrorsAsUserErrors(() =>
                "workgroup" in options.source
                    ? onAthena(io, options.query, options.source)
                    : onLocalEngine(io, options.query, options.source, options.days),
            );
            io.print(formatResult(result, options.format));
            return 0;
        },
    };
}

async function onLocalEngine(
    io: QueryIo,
    query: SqlToRun,
    source: SourceFlags,
    days: string[] | undefined,
): Promise<QueryResult> {
    const sqlMistake = (error: unknown) => (query.userSql ? new UsageError(`--sql: ${firstLine(error)}`) : error);
    const { store, where } = openSource(source);
    const { engine, report } = await openLoadedEngine(store, {
        days,
        progress: io.note,
        signal: io.signal,
        sql: query.sql,
    }).catch(error => {
        throw error instanceof InvalidSql ? sqlMistake(error) : error;
    });
    try {
        io.note(loadSummary(where, days, report));
        for (const line of problemLines(report)) io.note(line);
        return await engine.query(query.sql, query.values).catch(error => {
            throw sqlMistake(error);
        });
    } finally {
        engine.close();
    }
}

async function onAthena(
    io: QueryIo,
    query: SqlToRun,
    target: { workgroup: string; database: string },
): Promise<QueryResult> {
    const client = io.athenaClient();
    let lastState = "";
    try {
        const result = await runAthenaQuery(
            client,
            { ...query, ...target },
            {
                signal: io.signal,
                onProgress: progress => {
                    if (progress.state === lastState) return;
                    lastState = progress.state;
                    io.note(`athena: query ${progress.queryExecutionId} ${progress.state.toLowerCase()}`);
                },
            },
        ).catch(error => {
            if (error instanceof AthenaQueryFailed) throw new UserError(error.message);
            throw error;
        });
        io.note(
            `athena: ${result.rows.length} rows, ${formatBytes(result.bytesScanned ?? 0)} scanned` +
                (result.outputLocation ? `, results in ${result.outputLocation}` : ""),
        );
        return result;
    } finally {
        client.destroy();
    }
}

function formatBytes(bytes: number): string {
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
    return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function firstLine(error: unknown): string {
    return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
