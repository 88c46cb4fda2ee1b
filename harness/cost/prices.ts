/**
 * The one table of AWS prices the project computes with: the bench's cost per million ticks and
 * `npm run plan --rate`'s monthly bill. Public on-demand list prices of one region, as of one date,
 * without free tiers (a production account has usually spent them). Update the date with the
 * figures: both are printed with every bill.
 */

/** The region these are the list prices of. */
export const PRICE_REGION = "us-east-1";
/**
 * When the table was compared with AWS's pricing pages (aws.amazon.com/<service>/pricing).
 * Prices change rarely but do change (DynamoDB on-demand halved in November 2024): check them.
 */
export const PRICE_DATE = "2026-11";

/** Hours AWS bills a month as: 730 (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
export const GB = 1024 ** 3;

export const LIST_PRICES = {
    lambda: {
        /** arm64, per GB-second of duration (first 6 billion GB-s a month). */
        perGbSecond: 0.0000133334,
        /** Per invocation: $0.20 per million requests. */
        perRequest: 0.2 / 1_000_000,
    },
    dynamodb: {
        /** On-demand: $0.625 per million write request units (one per KB of each item put). */
        perWriteUnit: 0.625 / 1_000_000,
        /** Standard table class storage, per GB-month (items plus 100 bytes of overhead each). */
        storagePerGbMonth: 0.25,
        /** Continuous backups (point-in-time recovery), per GB-month of the table's size. */
        pitrPerGbMonth: 0.2,
    },
    s3: {
        /** PUT, COPY, POST, LIST requests to S3 Standard: $0.005 per 1,000. */
        putPerRequest: 0.005 / 1000,
        /** Storage per GB-month, by storage class (Standard: first 50 TB). */
        storagePerGbMonth: {
            STANDARD: 0.023,
            STANDARD_IA: 0.0125,
            ONEZONE_IA: 0.01,
            INTELLIGENT_TIERING: 0.023,
            GLACIER_IR: 0.004,
            GLACIER: 0.0036,
            DEEP_ARCHIVE: 0.00099,
        },
        /** Lifecycle transition requests into each class, per request. */
        transitionPerRequest: {
            STANDARD_IA: 0.01 / 1000,
            ONEZONE_IA: 0.01 / 1000,
            INTELLIGENT_TIERING: 0.01 / 1000,
            GLACIER_IR: 0.02 / 1000,
            GLACIER: 0.03 / 1000,
            DEEP_ARCHIVE: 0.05 / 1000,
        },
    },
    sqs: {
        /** Standard queue, per request: $0.40 per million. */
        perRequest: 0.4 / 1_000_000,
    },
    cloudwatch: {
        /** Per dashboard and month (beyond the account's first three). */
        dashboardPerMonth: 3,
        /** Per standard-resolution metric alarm and month. */
        alarmPerMonth: 0.1,
        /** Per custom metric (a name and set of dimensions) and month, the first 10,000. */
        metricPerMonth: 0.3,
        /** Logs ingested (standard class), per GB. */
        logsIngestedPerGb: 0.5,
        /** Logs stored, per GB-month of compressed data. */
        logsStoredPerGbMonth: 0.03,
    },
    kms: {
        /** Per customer managed key and month (its yearly rotations included). */
        keyPerMonth: 1,
        /** Per request: $0.03 per 10,000. */
        perRequest: 0.03 / 10_000,
    },
    athena: {
        /** Per TB scanned (10 MB at least per query). */
        perTbScanned: 5,
    },
} as const;
