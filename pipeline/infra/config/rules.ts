/** Checks across keys: each runs only when every key it reads parsed, and names the key to fix. */
import type { PipelineSettings, SettingKey } from "./settings";

/**
 * Today's date where it is latest (UTC+14), YYYY-MM-DD: a tick's day is the date written in its
 * own offset, so no tick can have a later day yet.
 */
export function latestToday(now: number): string {
    return new Date(now + 14 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The region of an ARN (arn:PARTITION:SERVICE:REGION:...). */
const regionOf = (arn: string) => arn.split(":")[3];

/** What a rule sees: the settings each parsed alone, the stack's aws:region, and the time (epoch ms). */
export interface RuleContext {
    settings: PipelineSettings;
    region?: string;
    now: number;
}

export interface Rule {
    reads: SettingKey[];
    check(context: RuleContext): [SettingKey, string] | undefined;
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
];
