import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DAY_INDEX, PREFIXES, TABLE_KEY, tableAttributes, TTL_ATTRIBUTE } from "../schema";
import { AccessLogs, hardenBucket, logAccess } from "./bucket";
import type { StorageSettings } from "./config";

export interface StockStorageArgs {
    /**
     * The storage settings of the stack (table and bucket names, the day index, retention of
     * items and objects, old versions, raw/ archiving, protectData): docs/config.md lists each
     * with its default; `defaultSettings` fills them.
     */
    settings: StorageSettings;
    /**
     * Where S3 server access logs of the records bucket go (an existing bucket and a prefix; the
     * bucket's own name is added to it). None when absent.
     */
    accessLogs?: AccessLogs;
}

/**
 * The storage layer: the DynamoDB table of ticks (`symbol` + `timestamp`, on demand, items
 * expiring on `expiresAt` with `itemTtlDays`) and the hardened, versioned S3 bucket that keeps
 * every record raw, processed and, when invalid, rejected, each prefix expiring when set.
 *
 * @example
 * // Production data: kept on `pulumi destroy`, with the original's table name.
 * const settings = defaultSettings(streamArn, { tableName: "StockMarketData", protectData: "true" });
 * const storage = new StockStorage("ticks", { settings: settingsOf(settings, "storage") });
 * export const bucketName = storage.bucketName;
 */
export class StockStorage extends pulumi.ComponentResource {
    public readonly table: aws.dynamodb.Table;
    public readonly bucket: aws.s3.Bucket;
    public readonly tableName: pulumi.Output<string>;
    public readonly tableArn: pulumi.Output<string>;
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    /** Days after its record's arrival an item expires (the processor's ITEM_TTL_DAYS); undefined: never. */
    public readonly itemTtlDays?: number;

    constructor(name: string, args: StockStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stock-market-pipeline:pipeline:StockStorage", name, {}, opts);
        const { protectData, dayIndex, itemTtlDays } = args.settings;
        this.itemTtlDays = itemTtlDays;
        // Set only when on: an explicit `protect: false` would override a `protect` the component
        // was given, which its children otherwise inherit.
        const dataOpts: pulumi.CustomResourceOptions = protectData
            ? { parent: this, protect: true, retainOnDelete: true }
            : { parent: this };

        this.table = new aws.dynamodb.Table(
            `${name}-ticks`,
            {
                name: args.settings.tableName,
                billingMode: "PAY_PER_REQUEST",
                hashKey: TABLE_KEY.partitionKey,
                rangeKey: TABLE_KEY.sortKey,
                attributes: tableAttributes(dayIndex),
                globalSecondaryIndexes: dayIndex
                    ? [
                          {
                              name: DAY_INDEX.name,
                              keySchemas: [
                                  { attributeName: DAY_INDEX.partitionKey, keyType: "HASH" },
                                  { attributeName: DAY_INDEX.sortKey, keyType: "RANGE" },
                              ],
                              projectionType: "ALL",
                          },
                      ]
                    : undefined,
                pointInTimeRecovery: { enabled: true },
                serverSideEncryption: { enabled: true },
                deletionProtectionEnabled: protectData,
                // The processor sets expiresAt exactly when the stack sets itemTtlDays.
                ttl: itemTtlDays === undefined ? undefined : { attributeName: TTL_ATTRIBUTE, enabled: true },
            },
            dataOpts,
        );

        this.bucket = new aws.s3.Bucket(
            `${name}-records`,
            {
                bucket: args.settings.bucketName,
                // Emptying the bucket on destroy is only acceptable for throwaway stacks.
                forceDestroy: !protectData,
            },
            dataOpts,
        );
        // The bucket's settings go with it: a retained bucket keeps its protections and lifecycle.
        const companionOpts: pulumi.CustomResourceOptions = protectData
            ? { parent: this, retainOnDelete: true }
            : { parent: this };
        hardenBucket(`${name}-records`, this.bucket, companionOpts);

        // Always on: raw/ is the copy replay and audits rely on, and an overwrite (a redelivery)
        // or a delete (an operator's) keeps the old version noncurrentVersionDays.
        const versioning = new aws.s3.BucketVersioning(
            `${name}-records-versioning`,
            { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } },
            companionOpts,
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-records-lifecycle`,
            { bucket: this.bucket.id, rules: recordsLifecycleRules(args.settings) },
            // The provider's advice: a lifecycle of a bucket whose versioning changes in the same update waits for it.
            { ...companionOpts, dependsOn: [versioning] },
        );
        if (args.accessLogs) logAccess(`${name}-records`, this.bucket, args.accessLogs, companionOpts);

        this.tableName = this.table.name;
        this.tableArn = this.table.arn;
        this.bucketName = this.bucket.bucket;
        this.bucketArn = this.bucket.arn;
        this.registerOutputs({
            tableName: this.tableName,
            tableArn: this.tableArn,
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
        });
    }
}

type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/**
 * The records bucket's lifecycle: each prefix's expiration when set, raw/ archiving when set,
 * old versions expired after noncurrentVersionDays (and the delete markers left alone then
 * removed), incomplete uploads aborted.
 */
function recordsLifecycleRules(settings: StorageSettings): LifecycleRule[] {
    const rules: LifecycleRule[] = [];
    if (settings.rawArchiveAfterDays > 0)
        rules.push({
            // S3 transitions no object under 128 KiB: only batch-layout objects of large batches
            // move (npm run plan and pulumi preview warn when none can).
            id: "archive-raw",
            status: "Enabled",
            filter: { prefix: PREFIXES.raw },
            transitions: [{ days: settings.rawArchiveAfterDays, storageClass: settings.rawArchiveStorageClass }],
        });
    const expiring = [
        ["raw", settings.rawExpireAfterDays],
        ["processed", settings.processedExpireAfterDays],
        ["rejected", settings.rejectedExpireAfterDays],
    ] as const;
    for (const [prefix, days] of expiring)
        if (days !== undefined)
            rules.push({
                id: `expire-${prefix}`,
                status: "Enabled",
                filter: { prefix: PREFIXES[prefix] },
                expiration: { days },
            });
    rules.push(
        {
            id: "expire-old-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: settings.noncurrentVersionDays },
            // A delete marker whose old versions have all expired hides nothing any more.
            expiration: { expiredObjectDeleteMarker: true },
        },
        {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
    );
    return rules;
}
