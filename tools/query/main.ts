/**
 * `npm run query`: SQL over the ticks a bucket holds, on a local DuckDB, with the same SQL as the
 * stack's Athena named queries (pipeline/analytics/queries.ts). This file is the CLI only.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { bindParameters, findNamedQuery, NAMED_QUERIES } from "../../pipeline/analytics/queries";
import { GLUE_TABLES } from "../../pipeline/analytics/tables";
import { parseDays } from "./days";
import { LocalEngine } from "./engine";
import { FORMATS, formatResult, OutputFormat } from "./format";
import { loadTables, LoadReport } from "./load";
import { bucketStore, directoryBuckets, directoryStore, ObjectStore, s3ClientFromEnvironment } from "./sources";

const HELP = `Usage: npm run query -- SOURCE QUERY [--days DAYS] [--format table|csv|json]

Loads the bucket's processed/ and rejected/ objects (both layouts) into the Glue tables' local
twins, "ticks" and "rejected" (prices exact, DECIMAL(38,18)), one row per record, and runs SQL.

Source (one):
  --bucket NAME        a bucket through the S3 API: the AWS SDK's credentials, AWS_REGION,
                       AWS_ENDPOINT_URL_S3, S3_FORCE_PATH_STYLE=true for emulators
  --data DIR           a local run's data directory (npm run local -- --data DIR): reads the
                       files s3rver keeps in DIR/s3 (or DIR itself when it is s3rver's); with
                       several buckets there, add --bucket NAME
Query (one):
  --sql "SELECT ..."   any SQL over ticks and rejected
  --named NAME         a named query, the same SQL the stack gives Athena;
  --param NAME=VALUE   its parameters (repeatable), e.g. --param day=2026-11-28
  --list               the named queries and their parameters
Options:
  --days DAYS          only these days' prefixes: 2026-11-28,2026-11-29 or 2026-11-28..2026-11-30
                       (day= for ticks, arrival_day= for rejected)
  --format FORMAT      table (default), csv, or json (decimals as exact strings)
  -h, --help           this text`;

class UsageError extends Error {}

interface Options {
    source?: { bucket: string } | { data: string; bucket?: string };
    query: { sql: string; values: string[]; userSql: boolean } | "list";
    days?: string[];
    format: OutputFormat;
}

function parseOptions(argv: string[]): Options | "help" {
    let values;
    try {
        values = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                bucket: { type: "string" },
                data: { type: "string" },
                sql: { type: "string" },
                named: { type: "string" },
                param: { type: "string", multiple: true },
                list: { type: "boolean" },
                days: { type: "string" },
                format: { type: "string", default: "table" },
                help: { type: "boolean", short: "h" },
            },
        }).values;
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    if (values.help) return "help";
    const format = values.format as OutputFormat;
    if (!FORMATS.includes(format))
        throw new UsageError(`--format: expected ${FORMATS.join(", ")}, got "${values.format}"`);
    const chosen = (["sql", "named", "list"] as const).filter(name => values[name] !== undefined);
    if (chosen.length !== 1) throw new UsageError("give one of --sql, --named or --list");
    if (values.param && !values.named) throw new UsageError("--param goes with --named");
    if (values.list) return { query: "list", format };
    if (values.bucket === undefined && values.data === undefined)
        throw new UsageError("give a source: --bucket NAME or --data DIR");
    return {
        source: values.data !== undefined ? { data: values.data, bucket: values.bucket } : { bucket: values.bucket! },
        query:
            values.sql !== undefined
                ? { sql: values.sql, values: [], userSql: true }
                : namedQuery(values.named!, values.param ?? []),
        days: values.days === undefined ? undefined : usage(() => parseDays(values.days!)),
        format,
    };
}

function namedQuery(name: string, params: string[]): Options["query"] {
    const query = findNamedQuery(name);
    if (!query) throw new UsageError(`--named: no query "${name}" (npm run query -- --list shows them)`);
    const given: Record<string, string> = {};
    for (const param of params) {
        const equals = param.indexOf("=");
        if (equals <= 0) throw new UsageError(`--param: expected NAME=VALUE, got "${param}"`);
        given[param.slice(0, equals)] = param.slice(equals + 1);
    }
    return { sql: query.sql, values: usage(() => bindParameters(query, given)), userSql: false };
}

/** Runs `parse`, turning its Error into a UsageError. */
function usage<T>(parse: () => T): T {
    try {
        return parse();
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

function openStore(source: NonNullable<Options["source"]>): { store: ObjectStore; where: string } {
    if (!("data" in source))
        return {
            store: bucketStore(s3ClientFromEnvironment(), source.bucket),
            where: `s3://${source.bucket} (S3 API)`,
        };
    const nested = path.join(source.data, "s3");
    const root = fs.statSync(nested, { throwIfNoEntry: false })?.isDirectory() ? nested : source.data;
    const buckets = usage(() => directoryBuckets(root));
    const bucket = source.bucket ?? (buckets.length === 1 ? buckets[0] : undefined);
    if (bucket === undefined) {
        throw new UsageError(
            buckets.length === 0
                ? `no bucket in ${root}`
                : `${root} holds buckets ${buckets.join(", ")}: pick one with --bucket`,
        );
    }
    return { store: usage(() => directoryStore(root, bucket)), where: `${path.join(root, bucket)} (s3rver files)` };
}

function listQueries(): string {
    return NAMED_QUERIES.map(query => {
        const params = query.parameters.map(p => ` --param ${p.name}=${p.example}`).join("");
        return `${query.name}${params}\n    ${query.description}`;
    }).join("\n");
}

function loadSummary(where: string, days: string[] | undefined, report: LoadReport): string {
    const tables = Object.entries(report.rows).map(([name, rows]) => {
        const copies = report.duplicates[name];
        const dropped = copies ? `, ${copies} duplicate ${copies === 1 ? "copy" : "copies"} dropped` : "";
        return `${name} ${rows} rows${dropped}`;
    });
    const scope = days
        ? ` for ${days.length === 1 ? days[0] : `${days.length} days (${days[0]}..${days[days.length - 1]})`}`
        : "";
    return `read ${report.objects} objects from ${where}${scope}: ${tables.join(", ")}`;
}

const MAX_PROBLEMS_SHOWN = 20;

async function main(argv: string[]): Promise<number> {
    const options = parseOptions(argv);
    if (options === "help") return print(HELP);
    if (options.query === "list") return print(listQueries());
    const { sql, values, userSql } = options.query;
    const asUsage = (error: unknown) => (userSql ? new UsageError(`--sql: ${firstLine(error)}`) : error);
    const engine = await LocalEngine.open(GLUE_TABLES);
    try {
        // A mistake in the SQL or the source shows before any object is read.
        await engine.check(sql).catch(error => {
            throw asUsage(error);
        });
        const { store, where } = openStore(options.source!);
        let lastProgress = Date.now();
        const report = await loadTables(engine, {
            store,
            tables: GLUE_TABLES,
            days: options.days,
            onProgress: (done, total) => {
                if (Date.now() - lastProgress < 1000) return;
                lastProgress = Date.now();
                console.error(`reading objects: ${done}/${total}`);
            },
        });
        console.error(loadSummary(where, options.days, report));
        for (const problem of report.problems.slice(0, MAX_PROBLEMS_SHOWN)) console.error(`warning: ${problem}`);
        if (report.problems.length > MAX_PROBLEMS_SHOWN)
            console.error(`warning: ... and ${report.problems.length - MAX_PROBLEMS_SHOWN} more`);
        const result = await engine.query(sql, values).catch(error => {
            throw asUsage(error);
        });
        return print(formatResult(result, options.format));
    } finally {
        engine.close();
    }
}

function print(text: string): number {
    console.log(text);
    return 0;
}

function firstLine(error: unknown): string {
    return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

main(process.argv.slice(2)).then(
    code => {
        process.exitCode = code;
    },
    error => {
        console.error(`query: ${firstLine(error)}${error instanceof UsageError ? " (npm run query -- --help)" : ""}`);
        process.exitCode = error instanceof UsageError ? 2 : 1;
    },
);
