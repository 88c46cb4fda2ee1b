/**
 * The named queries over the Glue tables of tables.ts, as one SQL text each that runs unchanged on
 * Athena (Trino, engine v3) and on the local DuckDB engine (tools/query). The stack's Athena named
 * queries and `npm run query --named` read these; nothing else holds a copy.
 *
 * How one text stays honest on both engines:
 * - Record identity. A record can sit in two batch objects (a redelivery that starts elsewhere),
 *   so every query counts each (sequence number, subsequence number) once. Batch-layout lines carry
 *   both in the JSON; record-layout objects carry them only in their key, `<seq>[-<sub>].json`,
 *   read from Athena's `"$path"` column (the object's s3:// URI). The local engine gives its tables
 *   a `"$path"` column with the same URI, so the SQL does not know which engine it runs on.
 *   Kinesis sequence numbers are unique across a stream (PutRecord API reference), and the
 *   record layout's processed keys name no shard, so the shard is left out of the identity: a
 *   record written in both layouts around a layout switch still counts once.
 * - Latest wins, as in the table. Two records with the same symbol and timestamp (as written) are
 *   one DynamoDB item, the later record's; S3 keeps both. The ticks queries keep, per (symbol,
 *   "timestamp"), the record with the highest (sequence number as a number, subsequence number),
 *   so that no price the table replaced is counted, opens or closes a bar, or is the latest.
 * - Parameters are `?` placeholders in a WHERE clause, bound in order (Athena execution parameters,
 *   DuckDB prepared statements; the Athena console asks for them). No text substitution, so no
 *   quoting bugs and no injection.
 * - Timestamps stay strings, as written. `wall_time` rewrites one to a fixed width,
 *   `YYYY-MM-DDTHH:MM:SS.fffffffff` with its offset dropped, so that string order is time order
 *   whatever precision or separator was written; the minute is its first 16 characters. Like
 *   `day`, it is the clock as written in the tick's own offset, never converted to UTC.
 * - Open and close are the first and last tick by (wall_time, sequence number as a number,
 *   subsequence number); sequence numbers are compared by length first, then as text, because
 *   they are longer than any integer type.
 * - Only functions both engines define alike: regexp_extract (Trino returns NULL when nothing
 *   matches, DuckDB '', hence nullif), substr, rpad, lpad, length, coalesce, nullif, CAST, ||,
 *   %, row_number, count, min, max. No regexp_replace (the engines spell back-references
 *   differently), no date parsing (their formats differ) and no `/` (Trino divides integers
 *   exactly, DuckDB gives a double): a bucket start is the digits floored with `%`.
 *
 * Besides the named queries, the report's queries live here too (REPORT_QUERIES): candles at any
 * of CANDLE_INTERVALS, each symbol's span, and the rejected records by reason with samples. They
 * follow the same rules, so they would run on Athena as well.
 */
import { CANARY_SYMBOL_PREFIX } from "../schema";
import { REJECTED_TABLE, TICKS_TABLE } from "./tables";

/** A value a named query needs, bound to its `?` placeholders in order. */
export interface QueryParameter {
    name: string;
    description: string;
    /** What a value must look like; checked before binding. */
    pattern: RegExp;
    example: string;
}

export interface NamedQuery {
    /** Kebab-case name: the CLI's `--named` value and the Athena named query's name. */
    name: string;
    description: string;
    /** One entry per `?` in `sql`, in order. */
    parameters: readonly QueryParameter[];
    sql: string;
}

const DAY: QueryParameter = {
    name: "day",
    description: "tick day, YYYY-MM-DD as written in the timestamps",
    pattern: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
    example: "2026-11-28",
};

const PATH = `"$path"`;
/** The sequence number: the line's (batch layout), else the key's `<seq>[-<sub>].json` (record layout), else the object. */
const SEQUENCE_NUMBER = `coalesce(sequencenumber, nullif(regexp_extract(${PATH}, '/([0-9]+)(-[0-9]+)?[.]json$', 1), ''), ${PATH})`;
/** The subsequence number, -1 for a plain record (so identities compare without NULLs). */
const SUBSEQUENCE_NUMBER = `coalesce(subsequencenumber, CAST(nullif(regexp_extract(${PATH}, '/[0-9]+-([0-9]+)[.]json$', 1), '') AS BIGINT), -1)`;
/** A record's identity as SQL expressions over a tables.ts table (and "$path"): what "written twice" means. */
export const RECORD_IDENTITY = { sequenceNumber: SEQUENCE_NUMBER, subsequenceNumber: SUBSEQUENCE_NUMBER } as const;
/** The timestamp as written, fixed width and without its offset: string order is time order. */
const WALL_TIME = [
    `substr("timestamp", 1, 10) || 'T'`,
    `coalesce(nullif(regexp_extract("timestamp", '^.{11}([0-9]{2}:[0-9]{2})', 1), ''), '00:00') || ':'`,
    `coalesce(nullif(regexp_extract("timestamp", '^.{16}:([0-9]{2})', 1), ''), '00') || '.'`,
    `rpad(coalesce(regexp_extract("timestamp", '[.]([0-9]+)', 1), ''), 9, '0')`,
].join("\n            || ");
const FIRST_TO_LAST = "wall_time, length(sequence_number), sequence_number, subsequence_number";
const LAST_TO_FIRST = "wall_time DESC, length(sequence_number) DESC, sequence_number DESC, subsequence_number DESC";

/** The latest record first: by sequence number as a number (length, then text), then subsequence number. */
const LATEST_RECORD_FIRST = "length(sequence_number) DESC, sequence_number DESC, subsequence_number DESC";

/** The columns `uniqueRows` adds to a table's, name to expression: the identity and the `extra` ones. */
function derivedColumns(extra: Record<string, string>): Record<string, string> {
    return { sequence_number: SEQUENCE_NUMBER, subsequence_number: SUBSEQUENCE_NUMBER, ...extra };
}

/**
 * CTEs ending in `name` (`unique_<table>` by default): the table's rows with their identity (and
 * `extra` columns, name to expression), one row per record however many objects hold it.
 */
function uniqueRows(
    table: string,
    columns: string[],
    extra: Record<string, string>,
    where?: string,
    name = `unique_${table}`,
): string {
    const derived = derivedColumns(extra);
    const selected = [
        ...columns,
        ...Object.entries(derived).map(([column, expression]) => `${expression} AS ${column}`),
    ];
    const kept = [...columns, ...Object.keys(derived)];
    return `WITH identified AS (
    SELECT
        ${[...selected, `${PATH} AS object_path`].join(",\n        ")}
    FROM ${table}${where ? `\n    WHERE ${where}` : ""}
),
numbered AS (
    SELECT identified.*, row_number() OVER (PARTITION BY sequence_number, subsequence_number ORDER BY object_path) AS copy_number
    FROM identified
),
${name} AS (
    SELECT ${kept.join(", ")}
    FROM numbered
    WHERE copy_number = 1
)`;
}

/** Leaves out canary ticks (schema.ts, CANARY_SYMBOL_PREFIX): the prefix holds no LIKE wildcard. */
const NOT_A_CANARY = `symbol NOT LIKE '${CANARY_SYMBOL_PREFIX}%'`;

/**
 * CTEs ending in `unique_ticks`: one row per (symbol, "timestamp"), the latest record's, as the
 * table keeps one item per key (see "Latest wins" above); canary ticks left out.
 */
function uniqueTicks(where?: string): string {
    const columns = ["symbol", "price", `"timestamp"`, "day"];
    const extra = { wall_time: WALL_TIME };
    const kept = [...columns, ...Object.keys(derivedColumns(extra))];
    const filter = where ? `${NOT_A_CANARY} AND ${where}` : NOT_A_CANARY;
    return `${uniqueRows(TICKS_TABLE.name, columns, extra, filter, "unique_records")},
versions AS (
    SELECT unique_records.*, row_number() OVER (PARTITION BY symbol, "timestamp" ORDER BY ${LATEST_RECORD_FIRST}) AS version_rank
    FROM unique_records
),
unique_ticks AS (
    SELECT ${kept.join(", ")}
    FROM versions
    WHERE version_rank = 1
)`;
}

/** Open, high, low, close and tick count per symbol and `bucket` (an expression over unique_ticks, named `bucketName`). */
function ohlc(bucket: string, bucketName: string, where?: string): string {
    return `${uniqueTicks(where)},
ordered AS (
    SELECT
        symbol,
        ${bucket} AS ${bucketName},
        price,
        row_number() OVER (PARTITION BY symbol, ${bucket} ORDER BY ${FIRST_TO_LAST}) AS from_first,
        row_number() OVER (PARTITION BY symbol, ${bucket} ORDER BY ${LAST_TO_FIRST}) AS from_last
    FROM unique_ticks
)
SELECT
    symbol,
    ${bucketName},
    max(CASE WHEN from_first = 1 THEN price END) AS open,
    max(price) AS high,
    min(price) AS low,
    max(CASE WHEN from_last = 1 THEN price END) AS close,
    count(*) AS tick_count
FROM ordered
GROUP BY symbol, ${bucketName}
ORDER BY symbol, ${bucketName}`;
}

/** A candle length the report offers, and the SQL that puts a tick in its candle. */
export interface CandleInterval {
    /** Short name: 1s, 5s, 15s, 1min, 5min, 15min, 1h, 1d. */
    name: string;
    seconds: number;
    /** As the page names it, before "candles": "5-second", "1-hour". */
    label: string;
    /** SQL over unique_ticks: the start of the tick's candle, YYYY-MM-DDTHH:MM:SS in the wall time as written. */
    bucketStart: string;
}

/** wall_time's two digits at `position` (1-based), floored to a multiple of `step`, as two digits. */
function flooredDigits(position: number, step: number): string {
    const value = `CAST(substr(wall_time, ${position}, 2) AS INTEGER)`;
    return `lpad(CAST(${value} - ${value} % ${step} AS VARCHAR), 2, '0')`;
}

/** From 1 second to 1 day; wall_time is YYYY-MM-DDTHH:MM:SS.fffffffff (see WALL_TIME). */
export const CANDLE_INTERVALS: readonly CandleInterval[] = [
    { name: "1s", seconds: 1, label: "1-second", bucketStart: "substr(wall_time, 1, 19)" },
    { name: "5s", seconds: 5, label: "5-second", bucketStart: `substr(wall_time, 1, 17) || ${flooredDigits(18, 5)}` },
    {
        name: "15s",
        seconds: 15,
        label: "15-second",
        bucketStart: `substr(wall_time, 1, 17) || ${flooredDigits(18, 15)}`,
    },
    { name: "1min", seconds: 60, label: "1-minute", bucketStart: "substr(wall_time, 1, 16) || ':00'" },
    {
        name: "5min",
        seconds: 300,
        label: "5-minute",
        bucketStart: `substr(wall_time, 1, 14) || ${flooredDigits(15, 5)} || ':00'`,
    },
    {
        name: "15min",
        seconds: 900,
        label: "15-minute",
        bucketStart: `substr(wall_time, 1, 14) || ${flooredDigits(15, 15)} || ':00'`,
    },
    { name: "1h", seconds: 3600, label: "1-hour", bucketStart: "substr(wall_time, 1, 13) || ':00:00'" },
    { name: "1d", seconds: 86400, label: "1-day", bucketStart: "substr(wall_time, 1, 10) || 'T00:00:00'" },
];

/**
 * The report's queries, with no parameters: candles at an interval (symbol, bucket_start, open,
 * high, low, close, tick_count), each symbol's ticks and first and last wall time, and the rejected
 * records per reason (reason_count) with their first two (sample_number 1 and 2, by sequence number).
 */
export const REPORT_QUERIES = {
    candles: (interval: CandleInterval): string => ohlc(interval.bucketStart, "bucket_start"),
    symbolSpans: `${uniqueTicks()}
SELECT symbol, count(*) AS tick_count, min(wall_time) AS first_time, max(wall_time) AS last_time
FROM unique_ticks
GROUP BY symbol
ORDER BY symbol`,
    rejectedSamples: `${uniqueRows(REJECTED_TABLE.name, ["reason", "data", "partitionkey"], {})},
ranked AS (
    SELECT
        reason,
        data,
        partitionkey,
        sequence_number,
        subsequence_number,
        count(*) OVER (PARTITION BY reason) AS reason_count,
        row_number() OVER (PARTITION BY reason ORDER BY length(sequence_number), sequence_number, subsequence_number) AS sample_number
    FROM unique_rejected
)
SELECT reason, reason_count, sample_number, data, partitionkey, sequence_number, subsequence_number
FROM ranked
WHERE sample_number <= 2
ORDER BY reason, sample_number`,
} as const;

export const NAMED_QUERIES: readonly NamedQuery[] = [
    {
        name: "latest-price",
        description:
            "Last price per symbol and the timestamp it was written with (latest by the timestamp as written, then by sequence number).",
        parameters: [],
        sql: `${uniqueTicks()},
ranked AS (
    SELECT symbol, price, "timestamp", row_number() OVER (PARTITION BY symbol ORDER BY ${LAST_TO_FIRST}) AS from_last
    FROM unique_ticks
)
SELECT symbol, price, "timestamp"
FROM ranked
WHERE from_last = 1
ORDER BY symbol`,
    },
    {
        name: "ohlc-minute",
        description:
            "Open, high, low, close and tick count per symbol per minute (as written in the timestamps) of one day.",
        parameters: [DAY],
        sql: ohlc("substr(wall_time, 1, 16)", "minute", "day = ?"),
    },
    {
        name: "ohlc-day",
        description: "Open, high, low, close and tick count per symbol per day.",
        parameters: [],
        sql: ohlc("day", "day"),
    },
    {
        name: "ticks-per-day",
        description:
            "Ticks per day and symbol, each record counted once and one tick per symbol and timestamp, as the table keeps them.",
        parameters: [],
        sql: `${uniqueTicks()}
SELECT day, symbol, count(*) AS tick_count
FROM unique_ticks
GROUP BY day, symbol
ORDER BY day, symbol`,
    },
    {
        name: "rejected-per-day",
        description: "Rejected records per arrival day (UTC) and reason, each record counted once.",
        parameters: [],
        sql: `${uniqueRows(REJECTED_TABLE.name, ["arrival_day", "reason"], {})}
SELECT arrival_day, reason, count(*) AS rejected_count
FROM unique_rejected
GROUP BY arrival_day, reason
ORDER BY arrival_day, reason`,
    },
];

export function findNamedQuery(name: string): NamedQuery | undefined {
    return NAMED_QUERIES.find(query => query.name === name);
}

/**
 * The values for a query's `?` placeholders, in order, from `name=value` pairs. Throws an Error
 * naming the problem for a missing, unknown or malformed parameter.
 */
export function bindParameters(query: NamedQuery, given: Readonly<Record<string, string>>): string[] {
    const known = new Set(query.parameters.map(parameter => parameter.name));
    const unknown = Object.keys(given).filter(name => !known.has(name));
    if (unknown.length > 0) {
        const expected =
            query.parameters.length > 0 ? `it takes ${query.parameters.map(p => p.name).join(", ")}` : "it takes none";
        throw new Error(`${query.name}: unknown parameter ${unknown.join(", ")} (${expected})`);
    }
    return query.parameters.map(parameter => {
        const value = given[parameter.name];
        if (value === undefined)
            throw new Error(
                `${query.name}: missing parameter ${parameter.name} (${parameter.description}, e.g. ${parameter.name}=${parameter.example})`,
            );
        if (!parameter.pattern.test(value))
            throw new Error(`${query.name}: ${parameter.name} must be ${parameter.description}, got "${value}"`);
        return value;
    });
}

/** Athena execution parameters are SQL literals: strings go in single quotes, quotes doubled. */
export function athenaExecutionParameters(values: readonly string[]): string[] {
    return values.map(value => `'${value.replace(/'/g, "''")}'`);
}

/** The named query's description as the Athena console shows it, with what to type for each `?`. */
export function athenaDescription(query: NamedQuery): string {
    if (query.parameters.length === 0) return query.description;
    const parameters = query.parameters.map(p => `${p.name} ('${p.example}': ${p.description})`).join(", ");
    return `${query.description} Parameters, in order: ${parameters}.`;
}
