/**
 * The Glue tables over the bucket's `processed/` and `rejected/` objects, as data: the stack's Glue
 * resources and the local query engine (tools/query) are both built from these, so the DuckDB
 * tables have exactly the columns, names and types Athena sees.
 *
 * Both layouts of the processing contract live under the same prefixes and are read by one table
 * each: `<seq>.json` objects (one JSON object) and `<first>-<last>.ndjson.gz` objects (gzip NDJSON, which
 * the text input format recognises by the `.gz` suffix). Columns a layout does not write (the
 * record layout has no sequenceNumber or shardId in its processed JSON) read as NULL; the queries
 * take the identity from the object key then (see queries.ts).
 */
import { PREFIXES } from "../schema";

/** A column as Glue stores it: Hive type names, lower-case column names (Athena lower-cases them). */
export interface GlueColumn {
    name: string;
    /** Hive type: `string`, `bigint`, `double` or `decimal(p,s)`. */
    type: string;
    comment: string;
}

export interface GlueTableDefinition {
    /** Table name in the stack's Glue database; the named queries use it unqualified. */
    name: string;
    /** Bucket prefix holding the table's objects, with its trailing slash. */
    prefix: string;
    /** Data columns, matched to JSON keys case-insensitively by the JSON SerDe. */
    columns: readonly GlueColumn[];
    /** The Hive-style partition in the key (`day=YYYY-MM-DD`), projected rather than crawled. */
    partitionKey: GlueColumn;
}

/** The JSON SerDe the tables use (Athena's "Hive JSON SerDe"); the text formats read both `.json` and `.json.gz`. */
export const JSON_STORAGE = {
    serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe",
    inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
    outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
} as const;

/**
 * Prices: 38 digits with 18 decimals. A price with more decimals reads rounded half-up to 18; one
 * with more than 20 integer digits does not fit (Athena fails the query or reads NULL, depending
 * on the reader's strictness; the local engine reports it).
 */
export const PRICE_TYPE = { precision: 38, scale: 18 } as const;

export const TICKS_TABLE: GlueTableDefinition = {
    name: "ticks",
    prefix: PREFIXES.processed,
    columns: [
        { name: "symbol", type: "string", comment: "ticker, as validated by the processor" },
        {
            name: "price",
            type: `decimal(${PRICE_TYPE.precision},${PRICE_TYPE.scale})`,
            comment: "exact price, rounded half-up to 18 decimals",
        },
        {
            name: "timestamp",
            type: "string",
            comment: "the tick's ISO 8601 timestamp as written (offset kept, never converted)",
        },
        {
            name: "sequencenumber",
            type: "string",
            comment: "Kinesis sequence number (batch layout; record layout: in the object key)",
        },
        { name: "subsequencenumber", type: "bigint", comment: "index in a KPL aggregate, NULL for plain records" },
        { name: "shardid", type: "string", comment: "Kinesis shard (batch layout only)" },
    ],
    partitionKey: { name: "day", type: "string", comment: "YYYY-MM-DD written in the timestamp (key prefix day=)" },
};

export const REJECTED_TABLE: GlueTableDefinition = {
    name: "rejected",
    prefix: PREFIXES.rejected,
    columns: [
        { name: "reason", type: "string", comment: "which field, and why" },
        { name: "sequencenumber", type: "string", comment: "Kinesis sequence number" },
        { name: "subsequencenumber", type: "bigint", comment: "index in a KPL aggregate, NULL for plain records" },
        { name: "partitionkey", type: "string", comment: "the record's partition key" },
        { name: "shardid", type: "string", comment: "Kinesis shard" },
        { name: "approximatearrivaltimestamp", type: "double", comment: "epoch seconds the record reached the stream" },
        { name: "data", type: "string", comment: "the record's bytes, base64" },
    ],
    partitionKey: {
        name: "arrival_day",
        type: "string",
        comment: "UTC day the record reached the stream (key prefix arrival_day=)",
    },
};

export const GLUE_TABLES: readonly GlueTableDefinition[] = [TICKS_TABLE, REJECTED_TABLE];

/**
 * Table parameters for partition projection on the day partition: no crawler, no MSCK REPAIR, and
 * a query filtered on the day reads only that day's prefix. `firstDay` bounds the projection
 * (YYYY-MM-DD); the range ends a day after today so ticks written in offsets ahead of UTC are in it.
 */
export function projectionParameters(
    table: GlueTableDefinition,
    bucketName: string,
    firstDay: string,
): Record<string, string> {
    const key = table.partitionKey.name;
    return {
        classification: "json",
        "projection.enabled": "true",
        [`projection.${key}.type`]: "date",
        [`projection.${key}.format`]: "yyyy-MM-dd",
        [`projection.${key}.range`]: `${firstDay},NOW+1DAYS`,
        [`projection.${key}.interval`]: "1",
        [`projection.${key}.interval.unit`]: "DAYS",
        "storage.location.template": `s3://${bucketName}/${table.prefix}${key}=\${${key}}/`,
    };
}
