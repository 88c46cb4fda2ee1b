import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DAY_INDEX, PREFIXES, TABLE_KEY, tableAttributes } from "../schema";
import { hardenBucket } from "./bucket";
import type { StorageSettings } from "./config";

export interface StockStorageArgs {
    /**
     * The storage settings of the stack (table and bucket names, the day index, raw/ archiving,
     * protectData): docs/config.md lists each with its default; `defaultSettings` fills them.
     */
    settings: StorageSettings;
}

/**
 * The storage layer: the DynamoDB table of ticks (`symbol` + `timestamp`, on demand) and the
 * hardened S3 bucket that keeps every record raw, processed and, when invalid, rejected.
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

    constructor(name: string, args: StockStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stock-market-pipeline:pipeline:StockStorage", name, {}, opts);
        const { protectData, dayIndex, rawArchiveAfterDays, rawArchiveStorageClass } = args.settings;
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

        const archiveRaw =
            rawArchiveAfterDays > 0
                ? [
                      {
                          id: "archive-raw",
                          status: "Enabled",
                          filter: { prefix: PREFIXES.raw },
                          transitions: [{ days: rawArchiveAfterDays, storageClass: rawArchiveStorageClass }],
                      },
                  ]
                : [];
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-records-lifecycle`,
            {
                bucket: this.bucket.id,
                rules: [
                    ...archiveRaw,
                    {
                        id: "abort-incomplete-uploads",
                        status: "Enabled",
                        filter: {},
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
            },
            companionOpts,
        );

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
