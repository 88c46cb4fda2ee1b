/**
 * The stack's settings: parsed and validated up front, so that a wrong value fails `pulumi up`
 * (and `pulumi preview`) before any resource is touched, with a message that names the key.
 *
 * Pure: it reads values through a callback, so tests can feed it without a Pulumi engine.
 * The defaults here must equal those in Pulumi.yaml (a test checks), because under mocks and in
 * `npm run local` nobody applies Pulumi.yaml's defaults for us.
 */

import { OBJECT_LAYOUTS, ObjectLayout } from "../schema";

export type StartingPosition = "LATEST" | "TRIM_HORIZON" | "AT_TIMESTAMP";

/** Storage classes that make sense for raw copies kept for replay and audit. */
export const RAW_STORAGE_CLASSES = [
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
] as const;
export type RawStorageClass = (typeof RAW_STORAGE_CLASSES)[number];

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface PipelineSettings {
    streamArn: string;
    streamKmsKeyArn?: string;
    tableName?: string;
    bucketName?: string;
    dayIndex: boolean;
    batchSize: number;
    maximumBatchingWindowInSeconds: number;
    startingPosition: StartingPosition;
    startingPositionTimestamp?: string;
    parallelizationFactor: number;
    maximumRetryAttempts: number;
    maximumRecordAgeInSeconds: number;
    memorySize: number;
    timeout: number;
    logRetentionDays: number;
    alarmEmail?: string;
    iteratorAgeAlarmSeconds: number;
    rawArchiveAfterDays: number;
    rawArchiveStorageClass: RawStorageClass;
    protectData: boolean;
    objectLayout: ObjectLayout;
    analytics: boolean;
    analyticsFirstDay: string;
    athenaBytesScannedCutoffGiB: number;
    athenaResultsExpirationDays: number;
}

/** Every optional setting's default; the same values stand in Pulumi.yaml. */
export const DEFAULTS = {
    streamKmsKeyArn: "",
    tableName: "",
    bucketName: "",
    dayIndex: false,
    batchSize: 100,
    maximumBatchingWindowInSeconds: 0,
    startingPosition: "LATEST",
    startingPositionTimestamp: "",
    parallelizationFactor: 1,
    maximumRetryAttempts: 10,
    maximumRecordAgeInSeconds: 21600,
    memorySize: 512,
    timeout: 60,
    logRetentionDays: 30,
    alarmEmail: "",
    iteratorAgeAlarmSeconds: 60,
    rawArchiveAfterDays: 30,
    rawArchiveStorageClass: "STANDARD_IA",
    protectData: false,
    objectLayout: "record",
    analytics: true,
    analyticsFirstDay: "2026-01-01",
    athenaBytesScannedCutoffGiB: 10,
    athenaResultsExpirationDays: 7,
} as const;

/** Thrown for a bad setting; the message starts with the config key. */
export class ConfigError extends Error {
    constructor(namespace: string, key: string, problem: string) {
        super(`config ${namespace}:${key}: ${problem}`);
        this.name = "ConfigError";
    }
}

const KINESIS_STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z]{2}(-[a-z]+)+-\d:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;
// A key ARN, not an alias ARN: IAM does not authorize kms:Decrypt on a key through its alias.
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
// S3's rules for general purpose buckets: 3-63 of a-z 0-9 . -, starting and ending alphanumeric.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads one raw setting; undefined when the stack does not set it. */
export type ConfigReader = (key: string) => string | undefined;

/**
 * Parses and validates every setting.
 * @param read returns the raw string for a key (e.g. `key => new pulumi.Config().get(key)`).
 * @param namespace the config namespace, for error messages (the Pulumi project name).
 */
export function parsePipelineConfig(read: ConfigReader, namespace = "stock-market-pipeline"): PipelineSettings {
    const fail = (key: string, problem: string): never => {
        throw new ConfigError(namespace, key, problem);
    };
    const text = (key: keyof typeof DEFAULTS | "streamArn"): string =>
        (read(key) ?? (DEFAULTS as Record<string, unknown>)[key] ?? "").toString().trim();
    const optional = (key: keyof typeof DEFAULTS, pattern: RegExp, what: string): string | undefined => {
        const value = text(key);
        if (value === "") return undefined;
        return pattern.test(value) ? value : fail(key, `${what}, got "${value}"`);
    };
    const integer = (key: keyof typeof DEFAULTS, min: number, max: number): number => {
        const value = text(key);
        const n = Number(value);
        if (!/^-?\d+$/.test(value) || n < min || n > max)
            fail(key, `expected an integer from ${min} to ${max}, got "${value}"`);
        return n;
    };
    const boolean = (key: keyof typeof DEFAULTS): boolean => {
        const value = text(key);
        if (value !== "true" && value !== "false") fail(key, `expected true or false, got "${value}"`);
        return value === "true";
    };
    const oneOf = <T extends string | number>(
        key: keyof typeof DEFAULTS,
        allowed: readonly T[],
        parse: (s: string) => T,
    ): T => {
        const value = parse(text(key));
        if (!allowed.includes(value)) fail(key, `expected one of ${allowed.join(", ")}, got "${text(key)}"`);
        return value;
    };

    const streamArn = text("streamArn");
    if (streamArn === "")
        fail(
            "streamArn",
            "required: the ARN of the existing Kinesis stream (pulumi config set streamArn arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
        );
    if (!KINESIS_STREAM_ARN.test(streamArn))
        fail(
            "streamArn",
            `expected a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME), got "${streamArn}"`,
        );

    const startingPosition = oneOf<StartingPosition>(
        "startingPosition",
        ["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"],
        s => s.toUpperCase() as StartingPosition,
    );
    const startingPositionTimestamp = optional(
        "startingPositionTimestamp",
        ISO_INSTANT,
        "expected an RFC 3339 instant such as 2026-11-28T00:00:00Z",
    );
    if (startingPosition === "AT_TIMESTAMP" && !startingPositionTimestamp) {
        fail("startingPositionTimestamp", "required when startingPosition is AT_TIMESTAMP");
    }
    if (startingPosition !== "AT_TIMESTAMP" && startingPositionTimestamp) {
        fail(
            "startingPositionTimestamp",
            `only allowed when startingPosition is AT_TIMESTAMP, not ${startingPosition}`,
        );
    }

    const rawArchiveStorageClass = oneOf<RawStorageClass>(
        "rawArchiveStorageClass",
        RAW_STORAGE_CLASSES,
        s => s.toUpperCase() as RawStorageClass,
    );
    const rawArchiveAfterDays = integer("rawArchiveAfterDays", 0, 36500);
    // S3 refuses transitions to the infrequent-access classes before an object is 30 days old.
    if (rawArchiveAfterDays > 0 && rawArchiveAfterDays < 30 && rawArchiveStorageClass.endsWith("_IA")) {
        fail(
            "rawArchiveAfterDays",
            `${rawArchiveStorageClass} needs at least 30 days (or 0 to keep raw/ in STANDARD), got ${rawArchiveAfterDays}`,
        );
    }

    return {
        streamArn,
        streamKmsKeyArn: optional(
            "streamKmsKeyArn",
            KMS_KEY_ARN,
            "expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, not an alias)",
        ),
        tableName: optional("tableName", TABLE_NAME, "expected 3-255 characters of A-Z a-z 0-9 _ . -"),
        bucketName: optional(
            "bucketName",
            BUCKET_NAME,
            "expected a bucket name: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or digit",
        ),
        dayIndex: boolean("dayIndex"),
        batchSize: integer("batchSize", 1, 10000),
        maximumBatchingWindowInSeconds: integer("maximumBatchingWindowInSeconds", 0, 300),
        startingPosition,
        startingPositionTimestamp,
        parallelizationFactor: integer("parallelizationFactor", 1, 10),
        // Finite on purpose: -1 (forever) would let one poisoned batch block its shard until the
        // records expire from the stream.
        maximumRetryAttempts: integer("maximumRetryAttempts", 0, 10000),
        // Well inside the stream's retention (24 h by default): a record given up on for its age
        // can still be read again from the stream, using the coordinates in the failure queue.
        maximumRecordAgeInSeconds: integer("maximumRecordAgeInSeconds", 60, 604800),
        memorySize: integer("memorySize", 128, 10240),
        timeout: integer("timeout", 1, 900),
        logRetentionDays: oneOf("logRetentionDays", LOG_RETENTION_DAYS, Number) as number,
        alarmEmail: optional("alarmEmail", EMAIL, "expected an email address"),
        iteratorAgeAlarmSeconds: integer("iteratorAgeAlarmSeconds", 1, 604800),
        rawArchiveAfterDays,
        rawArchiveStorageClass,
        protectData: boolean("protectData"),
        objectLayout: oneOf<ObjectLayout>("objectLayout", OBJECT_LAYOUTS, s => s.toLowerCase() as ObjectLayout),
        analytics: boolean("analytics"),
        analyticsFirstDay: realDay(text("analyticsFirstDay"), problem => fail("analyticsFirstDay", problem)),
        athenaBytesScannedCutoffGiB: integer("athenaBytesScannedCutoffGiB", 1, 1048576),
        athenaResultsExpirationDays: integer("athenaResultsExpirationDays", 1, 3650),
    };
}

/** A real calendar day, YYYY-MM-DD (partition projection's first day). */
function realDay(value: string, fail: (problem: string) => never): string {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
    if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value)
        fail(`expected a day YYYY-MM-DD, got "${value}"`);
    return value;
}
