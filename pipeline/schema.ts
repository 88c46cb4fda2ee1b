/**
 * The storage layout and the processor's metric names, in one place: the Pulumi components, the
 * processor's runtime code and the local pipeline (`npm run local`) all build the table, the
 * object keys and the metrics from these, so what runs on a laptop is what runs in AWS, and the
 * dashboard charts what the handler publishes.
 *
 * No imports: the processor's runtime code uses this file, and it is serialized into the Lambda;
 * the deploy-time components use it without pulling in the SDK or Powertools.
 */

/** The table's primary key: one item per symbol and tick timestamp. */
export const TABLE_KEY = { partitionKey: "symbol", sortKey: "timestamp" } as const;

/**
 * The optional index for "all ticks of a day" queries. Its partition key is the day, so every
 * write of a day lands on one partition of the index: fine for a few hundred writes a second, a
 * hot partition (throttled index writes, which throttle the table) beyond that.
 */
export const DAY_INDEX = { name: "byDay", partitionKey: "day", sortKey: "timestamp" } as const;

/**
 * The item attribute DynamoDB's TTL deletes items by (epoch seconds), set when the stack sets
 * itemTtlDays (the function's ITEM_TTL_DAYS): the table's TTL is enabled on exactly this name.
 */
export const TTL_ATTRIBUTE = "expiresAt";

/** The table's attribute definitions (only key attributes are declared in DynamoDB). */
export function tableAttributes(withDayIndex: boolean): { name: string; type: "S" }[] {
    const names: string[] = [TABLE_KEY.partitionKey, TABLE_KEY.sortKey];
    if (withDayIndex) names.push(DAY_INDEX.partitionKey);
    return names.map(name => ({ name, type: "S" as const }));
}

/**
 * Canary ticks (`npm run verify`) are valid ticks under the symbol `ZZCANARY-<run id>`: no real
 * ticker starts so. Verify deletes them where it can, but a batch-layout object that also holds
 * real records keeps its canary lines, so the project's own analytics (the named queries, the
 * local query engine's tables, the report) leave every symbol with this prefix out.
 */
export const CANARY_SYMBOL_PREFIX = "ZZCANARY-";

/** True for a canary tick's symbol (see CANARY_SYMBOL_PREFIX). */
export function isCanarySymbol(symbol: string): boolean {
    return symbol.startsWith(CANARY_SYMBOL_PREFIX);
}

/** Top-level prefixes of the bucket; the processor writes under these and nowhere else. */
export const PREFIXES = { raw: "raw/", processed: "processed/", rejected: "rejected/" } as const;

/**
 * How the processor lays records out in S3 (the processing contract): `record` writes one object
 * per record under each prefix (the original design); `batch` writes a few gzip NDJSON objects
 * per invocation: 2 PUTs instead of 200 for a batch of 100 ticks of one day. DynamoDB items are
 * the same in both.
 */
export const OBJECT_LAYOUTS = ["record", "batch"] as const;
export type ObjectLayout = (typeof OBJECT_LAYOUTS)[number];
/** The layout when none is set: the stack's objectLayout default, and OBJECT_LAYOUT's when unset. */
export const DEFAULT_OBJECT_LAYOUT: ObjectLayout = "record";

/** The function's own settings, as its environment carries them. */
export interface FunctionSettings<Name> {
    /** TABLE_NAME */
    tableName: Name;
    /** BUCKET_NAME */
    bucketName: Name;
    /** OBJECT_LAYOUT */
    objectLayout: ObjectLayout;
    /** ITEM_TTL_DAYS, left out when items never expire. */
    itemTtlDays?: number;
}

/**
 * The environment variables the handler reads its settings from (createHandlerFromEnvironment),
 * in one place for the deployed function and the local ones. `Name` is a string, or a Pulumi
 * input for a table or bucket name not known before the deployment.
 */
export function functionVariables<Name>(settings: FunctionSettings<Name>): Record<string, Name | string> {
    const { tableName, bucketName, objectLayout, itemTtlDays } = settings;
    return {
        TABLE_NAME: tableName,
        BUCKET_NAME: bucketName,
        OBJECT_LAYOUT: objectLayout,
        ...(itemTtlDays === undefined ? {} : { ITEM_TTL_DAYS: String(itemTtlDays) }),
    };
}

/** Where the processor's logs and metrics are found: Powertools' service dimension and namespace. */
export const SERVICE = "stock-processor";
export const METRICS_NAMESPACE = "StockMarketPipeline";
/**
 * The metrics' second dimension, the function's name (Lambda's own name for it): the namespace and
 * service are the same in every stack, so without it two stacks in one account and region would
 * add up each other's counts.
 */
export const FUNCTION_NAME_DIMENSION = "FunctionName";
/** The processor's own metrics, per invocation (EMF). */
export const METRICS = {
    stored: "RecordsStored",
    rejected: "RecordsRejected",
    failed: "RecordsFailed",
    ingestLag: "IngestLag",
} as const;
