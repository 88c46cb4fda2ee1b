/**
 * Every key of the stack's config, declared once: its kind (and so its default and its check), the
 * component that takes it, what it does, and what changing it replaces. A new key is one entry here
 * plus its entry in Pulumi.yaml (a test compares the two); the components take their settings
 * from this table's types, and docs/config.md is generated from it (`npm run config-docs`).
 *
 * Pure: no Pulumi. The defaults here are the ones Pulumi.yaml declares, because under mocks and in
 * `npm run local` nobody applies Pulumi.yaml's defaults for us.
 */
import { DEFAULT_OBJECT_LAYOUT, OBJECT_LAYOUTS } from "../../schema";
import { boolean, bucketName, day, instant, integer, Kind, oneOf, optional, optionalInteger, required } from "./kinds";

export const PROJECT = "stock-market-pipeline";

const STARTING_POSITIONS = ["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];

/** Storage classes that make sense for raw copies kept for replay and audit. */
const RAW_STORAGE_CLASSES = [
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
] as const;
export type RawStorageClass = (typeof RAW_STORAGE_CLASSES)[number];

/** The most days a retention setting takes: a hundred years. */
const MAX_DAYS = 36500;

/** Retention values CloudWatch Logs accepts (days). */
const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const KINESIS_STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z]{2}(-[a-z]+)+-\d:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;
// A key ARN, not an alias ARN: IAM does not authorize kms:Decrypt on a key through its alias.
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Which part of the stack a setting configures: the component it is handed to. */
export type Component = "storage" | "processor" | "analytics" | "stack";

/** One key: its kind, the component that takes it, and what the config reference says of it. */
export interface Setting<T, D, C extends Component> extends Kind<T, D> {
    component: C;
    /** What it does; Pulumi.yaml's description says exactly the same. */
    description: string;
    /** What changing it on a deployed stack replaces (and loses); absent when it changes in place. */
    replaces?: string;
}

function setting<T, D, C extends Component>(
    component: C,
    kind: Kind<T, D>,
    description: string,
    replaces?: string,
): Setting<T, D, C> {
    return { ...kind, component, description, ...(replaces ? { replaces } : {}) };
}

const MAPPING_REPLACED =
    "the event source mapping: the new one starts at startingPosition, not where the old one was (LATEST skips what arrives in between, TRIM_HORIZON reprocesses the stream's retention; writes are idempotent)";

/** Every key of the project's namespace. Pulumi.yaml declares the same keys, defaults and descriptions. */
export const SETTINGS = {
    streamArn: setting(
        "processor",
        required(
            KINESIS_STREAM_ARN,
            "expected a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
            "required: the ARN of the existing Kinesis stream (pulumi config set streamArn arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
            "Kinesis stream ARN",
        ),
        "ARN of the existing Kinesis stream module 1 writes ticks to (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME). Required.",
        MAPPING_REPLACED,
    ),
    streamKmsKeyArn: setting(
        "processor",
        optional(
            KMS_KEY_ARN,
            "expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, not an alias)",
            "KMS key ARN",
        ),
        "ARN of the KMS key (key/ID, not an alias) the stream is encrypted with, when it uses a customer managed key; empty otherwise.",
    ),
    tableName: setting(
        "storage",
        optional(TABLE_NAME, "expected 3-255 characters of A-Z a-z 0-9 _ . -", "DynamoDB table name"),
        "Physical name of the DynamoDB table (e.g. StockMarketData); empty lets Pulumi name it.",
        "the table: a new, empty one (with protectData, pulumi up refuses instead)",
    ),
    bucketName: setting(
        "storage",
        bucketName,
        "Physical name of the S3 bucket (globally unique); empty lets Pulumi name it.",
        "the bucket: a new, empty one (with protectData, pulumi up refuses instead)",
    ),
    dayIndex: setting(
        "storage",
        boolean(false),
        "Adds the byDay global secondary index (partition key day) for queries by day. One partition per day, so a hot partition above a few hundred ticks per second.",
    ),
    batchSize: setting("processor", integer(100, 1, 10000), "Records per Lambda invocation, 1 to 10000."),
    maximumBatchingWindowInSeconds: setting(
        "processor",
        integer(0, 0, 300),
        "Seconds the event source mapping may wait to fill a batch, 0 to 300.",
    ),
    startingPosition: setting(
        "processor",
        oneOf(STARTING_POSITIONS, "LATEST"),
        "Where a new subscription starts reading: LATEST, TRIM_HORIZON or AT_TIMESTAMP, in upper case as written here.",
        MAPPING_REPLACED,
    ),
    startingPositionTimestamp: setting(
        "processor",
        instant("expected an RFC 3339 instant that exists, such as 2026-11-28T00:00:00Z"),
        "RFC 3339 instant to start from, with startingPosition AT_TIMESTAMP only (e.g. 2026-11-28T00:00:00Z).",
        MAPPING_REPLACED,
    ),
    parallelizationFactor: setting(
        "processor",
        integer(1, 1, 10),
        "Concurrent batches per shard, 1 to 10 (order is kept per partition key).",
    ),
    // Finite on purpose: -1 (forever) would let one poisoned batch block its shard until the
    // records expire from the stream.
    maximumRetryAttempts: setting(
        "processor",
        integer(10, 0, 10000),
        "Retries of a failing batch before its records go to the failure queue, 0 to 10000 (never infinite).",
    ),
    // Well inside the stream's retention (24 h by default): a record given up on for its age
    // can still be read again from the stream, using the coordinates in the failure queue.
    maximumRecordAgeInSeconds: setting(
        "processor",
        integer(21600, 60, 604800),
        "Age after which a failing record goes to the failure queue instead of being retried, 60 to 604800 (never infinite). Keep it well inside the stream's retention so the record can still be replayed.",
    ),
    memorySize: setting(
        "processor",
        integer(512, 128, 10240),
        "Lambda memory in MB, 128 to 10240 (also buys CPU and network).",
    ),
    timeout: setting(
        "processor",
        integer(60, 1, 900),
        "Lambda timeout in seconds, 1 to 900; transient errors are retried within it.",
    ),
    logRetentionDays: setting(
        "processor",
        oneOf(LOG_RETENTION_DAYS, 30),
        "Days to keep the function's logs (a value CloudWatch Logs accepts, e.g. 7, 14, 30, 90, 365).",
    ),
    alarmEmail: setting(
        "processor",
        optional(EMAIL, "expected an email address", "email address"),
        "Email address that receives the alarms (confirm the subscription email); empty for none.",
    ),
    iteratorAgeAlarmSeconds: setting(
        "processor",
        integer(60, 1, 604800),
        "Iterator age in seconds above which the falling-behind alarm fires.",
    ),
    // Off by default: S3 transitions no object under 128 KiB, so the rule moved nothing in the
    // record layout (about 100 bytes an object) nor in the batch layout at the default batch size.
    rawArchiveAfterDays: setting(
        "storage",
        integer(0, 0, MAX_DAYS),
        "Days after which raw/ objects move to rawArchiveStorageClass; 0 (the default) keeps them in STANDARD. S3 moves only objects of 128 KiB or more: none in the record layout, and batch-layout objects only with large batches (npm run plan warns when the rule cannot act).",
    ),
    rawArchiveStorageClass: setting(
        "storage",
        oneOf(RAW_STORAGE_CLASSES, "STANDARD_IA"),
        "Storage class for old raw/ objects, in upper case as written here (STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE).",
    ),
    rawExpireAfterDays: setting(
        "storage",
        optionalInteger(1, MAX_DAYS),
        "Days after which raw/ objects expire (the bucket keeps the old version noncurrentVersionDays more); empty keeps them for good.",
    ),
    processedExpireAfterDays: setting(
        "storage",
        optionalInteger(1, MAX_DAYS),
        "Days after which processed/ objects expire (the bucket keeps the old version noncurrentVersionDays more); empty keeps them for good.",
    ),
    rejectedExpireAfterDays: setting(
        "storage",
        optionalInteger(1, MAX_DAYS),
        "Days after which rejected/ objects expire (the bucket keeps the old version noncurrentVersionDays more); empty keeps them for good.",
    ),
    noncurrentVersionDays: setting(
        "storage",
        integer(30, 1, MAX_DAYS),
        "Days the records bucket (always versioned) keeps an overwritten or deleted object's old version before it expires.",
    ),
    itemTtlDays: setting(
        "storage",
        optionalInteger(1, MAX_DAYS),
        "Days after its record reached the stream that a DynamoDB item expires (TTL on expiresAt; the function's ITEM_TTL_DAYS); empty keeps items for good.",
    ),
    protectData: setting(
        "storage",
        boolean(false),
        "Keeps the table and the bucket on pulumi destroy (Pulumi protect and retain, the bucket's settings retained with it, DynamoDB deletion protection, no forced bucket emptying). Turn on for production.",
    ),
    reservedConcurrency: setting(
        "processor",
        optionalInteger(1, 10000),
        "Most concurrent executions of the function (reserved concurrency): a cap that keeps a surge or a forged invocation from taking the account's concurrency. Keep it at least shards × parallelizationFactor; empty for no cap.",
    ),
    alarmTopicEncryption: setting(
        "processor",
        boolean(false),
        "Encrypts the alarm topic with a KMS key of the stack's (rotated yearly; CloudWatch cannot publish to a topic under the AWS managed aws/sns key), under a topic policy that lets only this stack's alarms publish, over TLS. The key costs $1 a month.",
    ),
    objectLayout: setting(
        "processor",
        oneOf(OBJECT_LAYOUTS, DEFAULT_OBJECT_LAYOUT),
        "How records are written to S3: record (one object per record and prefix, the original layout) or batch (a few gzip NDJSON objects per invocation, about a fifteenth of the cost: $0.73 instead of $10.64 per million ticks, see docs/processing.md).",
    ),
    analytics: setting(
        "stack",
        boolean(true),
        "Adds the Athena analytics (Glue database and tables over processed/ and rejected/, a workgroup with its results bucket, the named queries). False leaves them out.",
        "nothing when turned on; turned off, it deletes the Glue tables, the workgroup and the results bucket (never the ticks)",
    ),
    accessLogsBucket: setting(
        "stack",
        bucketName,
        "Name of an existing bucket, in the stack's region, that receives S3 server access logs of the records bucket and the Athena results bucket, each under a prefix of its own; empty for none. Its policy must let logging.s3.amazonaws.com write (see docs/security.md).",
    ),
    analyticsFirstDay: setting(
        "analytics",
        day("2026-01-01"),
        "First tick day (YYYY-MM-DD) the Athena tables see; partition projection covers it to tomorrow. Set it to your stream's first day.",
    ),
    athenaBytesScannedCutoffGiB: setting(
        "analytics",
        integer(10, 1, 1048576),
        "Most GiB one Athena query in the workgroup may scan before Athena cancels it, 1 to 1048576.",
    ),
    athenaResultsExpirationDays: setting(
        "analytics",
        integer(7, 1, 3650),
        "Days Athena query results are kept in the results bucket before they expire, 1 to 3650.",
    ),
};

type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;
/** The stack's settings, each parsed to its own type. */
export type PipelineSettings = { -readonly [K in SettingKey]: ReturnType<Settings[K]["parse"]> };
type OptionalKey = { [K in SettingKey]: Settings[K]["fallback"] extends undefined ? never : K }[SettingKey];
type KeysOf<C extends Component> = { [K in SettingKey]: Settings[K]["component"] extends C ? K : never }[SettingKey];

/** The settings StockStorage takes. */
export type StorageSettings = Pick<PipelineSettings, KeysOf<"storage">>;
/** The settings StockProcessor takes. */
export type ProcessorSettings = Pick<PipelineSettings, KeysOf<"processor">>;
/** The settings StockAnalytics takes. */
export type AnalyticsSettings = Pick<PipelineSettings, KeysOf<"analytics">>;

/** Every optional setting's default; the same values stand in Pulumi.yaml. */
export const DEFAULTS = Object.fromEntries(
    Object.entries(SETTINGS)
        .filter(([, entry]) => entry.fallback !== undefined)
        .map(([key, entry]) => [key, entry.fallback]),
) as { readonly [K in OptionalKey]: Settings[K]["fallback"] };

/** The settings one component takes, from the whole stack's. */
export function settingsOf(settings: PipelineSettings, component: "storage"): StorageSettings;
export function settingsOf(settings: PipelineSettings, component: "processor"): ProcessorSettings;
export function settingsOf(settings: PipelineSettings, component: "analytics"): AnalyticsSettings;
export function settingsOf(settings: PipelineSettings, component: Component): Partial<PipelineSettings> {
    const keys = (Object.keys(SETTINGS) as SettingKey[]).filter(key => SETTINGS[key].component === component);
    return Object.fromEntries(keys.map(key => [key, settings[key]]));
}
