/** Checks across keys: each runs only when every key it reads parsed, and names the key to fix. */
import { arnParts, DOCUMENTATION_ACCOUNT } from "../../arn";
import type { PipelineSettings, SettingKey } from "./settings";

/**
 * Today's date where it is latest (UTC+14), YYYY-MM-DD: a tick's day is the date written in its
 * own offset, so no tick can have a later day yet.
 */
export function latestToday(now: number): string {
    return new Date(now + 14 * 3600 * 1000).toISOString().slice(0, 10);
}

const regionOf = (arn: string) => arnParts(arn).region;
const accountOf = (arn: string) => arnParts(arn).account;

/** The smallest object S3 lifecycle rules transition by default (objects under 128 KiB stay put). */
export const MIN_TRANSITION_BYTES = 128 * 1024;
/**
 * About what one record adds to a raw/ object of the batch layout, gzip-compressed (a line of
 * metadata and the record's bytes in base64; 30 to 35 bytes on the bench's ticks, whatever the
 * batch's size): what decides whether a batch's raw/ object reaches MIN_TRANSITION_BYTES.
 */
const RAW_BATCH_BYTES_PER_RECORD = 35;

/** What a rule sees: the settings each parsed alone, the stack's aws:region, and the time (epoch ms). */
export interface RuleContext {
    settings: PipelineSettings;
    region?: string;
    now: number;
}

/**
 * What a rule's finding does: `error` stops the program (the default); `warning` is said and the
 * program goes on; `deploy` stops `pulumi up` but only warns in a preview (and `npm run plan`),
 * for values that are wrong to deploy yet fine to look at, such as the documentation's account.
 */
export type Severity = "error" | "warning" | "deploy";

export interface Rule {
    reads: SettingKey[];
    check(context: RuleContext): [SettingKey, string] | undefined;
    severity?: Severity;
}

/** A rule that the ARN under `key` is in the stack's region; `why(arnRegion, region)` says why it must be. */
const sameRegion = (
    key: "streamArn" | "streamKmsKeyArn",
    what: string,
    why: (arnRegion: string, region: string) => string,
): Rule => ({
    reads: [key],
    check: ({ settings, region }) => {
        const arn = settings[key];
        if (!arn || !region || regionOf(arn) === region) return undefined;
        return [
            key,
            `${what} is in ${regionOf(arn)} but the stack deploys to aws:region ${region}: ${why(regionOf(arn), region)}`,
        ];
    },
});

/** A rule that the ARN under `key` names a real account, not the one the documentation uses. */
const realAccount = (key: "streamArn" | "streamKmsKeyArn", what: string): Rule => ({
    reads: [key],
    severity: "deploy",
    check: ({ settings }) => {
        const arn = settings[key];
        if (!arn || accountOf(arn) !== DOCUMENTATION_ACCOUNT) return undefined;
        return [
            key,
            `${what} ${arn} is in account ${DOCUMENTATION_ACCOUNT}, the one AWS's documentation uses in its examples: set the ARN of yours (pulumi up refuses it; a preview only warns)`,
        ];
    },
});

/** The raw/ archive rule and why it moves nothing, or undefined when it can act. */
function archiveCannotAct(settings: PipelineSettings): string | undefined {
    const { rawArchiveAfterDays, objectLayout, batchSize } = settings;
    if (rawArchiveAfterDays === 0) return undefined;
    const limit = "S3 lifecycle rules transition no object under 128 KiB";
    if (objectLayout === "record")
        return `${limit}, and the record layout writes one raw/ object of about 100 bytes per record: this rule moves nothing (set it to 0, or use objectLayout batch with large batches)`;
    const largest = batchSize * RAW_BATCH_BYTES_PER_RECORD;
    if (largest >= MIN_TRANSITION_BYTES) return undefined;
    const needed = Math.ceil(MIN_TRANSITION_BYTES / RAW_BATCH_BYTES_PER_RECORD);
    return (
        `${limit}, and a batch-layout raw/ object holds at most batchSize (${batchSize}) records, about ${Math.round(largest / 1024)} KiB: ` +
        `this rule moves nothing (raise batchSize to at least ${needed}, with a maximumBatchingWindowInSeconds that lets batches fill, or set it to 0)`
    );
}

export const RULES: Rule[] = [
    {
        reads: ["startingPosition", "startingPositionTimestamp"],
        check: ({ settings: { startingPosition, startingPositionTimestamp } }) => {
            if (startingPosition === "AT_TIMESTAMP" && !startingPositionTimestamp)
                return ["startingPositionTimestamp", "required when startingPosition is AT_TIMESTAMP"];
            if (startingPosition !== "AT_TIMESTAMP" && startingPositionTimestamp)
                return [
                    "startingPositionTimestamp",
                    `only allowed when startingPosition is AT_TIMESTAMP, not ${startingPosition}`,
                ];
            return undefined;
        },
    },
    {
        // S3 refuses transitions to the infrequent-access classes before an object is 30 days old.
        reads: ["rawArchiveAfterDays", "rawArchiveStorageClass"],
        check: ({ settings: { rawArchiveAfterDays: days, rawArchiveStorageClass: storageClass } }) =>
            days > 0 && days < 30 && storageClass.endsWith("_IA")
                ? [
                      "rawArchiveAfterDays",
                      `${storageClass} needs at least 30 days (or 0 to keep raw/ in STANDARD), got ${days}`,
                  ]
                : undefined,
    },
    {
        // Projection runs from the first day to tomorrow: a later first day leaves the tables no day.
        reads: ["analyticsFirstDay"],
        check: ({ settings: { analyticsFirstDay }, now }) => {
            const today = latestToday(now);
            return analyticsFirstDay > today
                ? ["analyticsFirstDay", `expected a day not after today (${today}), got "${analyticsFirstDay}"`]
                : undefined;
        },
    },
    sameRegion(
        "streamArn",
        "the stream",
        (arnRegion, region) =>
            `an event source mapping cannot read a stream in another region (set aws:region to ${arnRegion}, or use a stream in ${region})`,
    ),
    sameRegion(
        "streamKmsKeyArn",
        "the stream's KMS key",
        (_, region) =>
            `a stream is encrypted with a key of its own region, so this key is not the stream's ` +
            `(set the ARN of the key the stream in ${region} is encrypted with)`,
    ),
    {
        // Kinesis encrypts a stream with a key of the stream's own account and region.
        reads: ["streamArn", "streamKmsKeyArn"],
        check: ({ settings: { streamArn, streamKmsKeyArn: key } }) => {
            if (!key || (accountOf(key) === accountOf(streamArn) && regionOf(key) === regionOf(streamArn)))
                return undefined;
            return [
                "streamKmsKeyArn",
                `the key is in account ${accountOf(key)}, region ${regionOf(key)}, but the stream (streamArn) is in account ` +
                    `${accountOf(streamArn)}, region ${regionOf(streamArn)}: a stream is encrypted with a key of its own account and region`,
            ];
        },
    },
    realAccount("streamArn", "the stream"),
    realAccount("streamKmsKeyArn", "the key"),
    {
        // S3 refuses an expiration that comes before or with the transition of the same objects.
        reads: ["rawArchiveAfterDays", "rawExpireAfterDays"],
        check: ({ settings: { rawArchiveAfterDays: archive, rawExpireAfterDays: expire } }) =>
            archive > 0 && expire !== undefined && expire <= archive
                ? [
                      "rawExpireAfterDays",
                      `must be more than rawArchiveAfterDays (${archive}): raw/ objects cannot expire before they are archived, got ${expire}`,
                  ]
                : undefined,
    },
    {
        // A bucket logging into itself writes a log object for each log object, without end.
        reads: ["accessLogsBucket", "bucketName"],
        check: ({ settings: { accessLogsBucket, bucketName } }) =>
            accessLogsBucket && accessLogsBucket === bucketName
                ? ["accessLogsBucket", `must be another bucket than the records bucket (bucketName ${bucketName})`]
                : undefined,
    },
    {
        reads: ["rawArchiveAfterDays", "objectLayout", "batchSize"],
        severity: "warning",
        check: ({ settings }) => {
            const why = archiveCannotAct(settings);
            return why ? ["rawArchiveAfterDays", why] : undefined;
        },
    },
];
