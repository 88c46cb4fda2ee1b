import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DAY_INDEX, PREFIXES, TABLE_KEY, tableAttributes } from "../schema";
import { hardenBucket } from "./bucket";
import { DEFAULTS, RawStorageClass } from "./config";

export interface StockStorageArgs {
    /** Physical table name (e.g. `StockMarketData`); Pulumi auto-names the table when omitted. */
    tableName?: pulumi.Input<string>;
    /** Physical bucket name (globally unique); Pulumi auto-names the bucket when omitted. */
    bucketName?: pulumi.Input<string>;
    /**
     * Adds the `byDay` index (partition key `day`) for queries by day; see schema.ts for its hot-partition cost.
     * @default false
     */
    dayIndex?: boolean;
    /**
     * Days after which `raw/` objects move to `rawArchiveStorageClass`; 0 keeps them in STANDARD.
     * @default 30
     */
    rawArchiveAfterDays?: number;
    /**
     * The cheaper storage class for old `raw/` objects.
     * @default "STANDARD_IA"
     */
    rawArchiveStorageClass?: RawStorageClass;
    /**
     * Keeps the data safe: the table gets deletion protection, both resources are protected in
     * Pulumi and retained on `pulumi destroy` (the bucket with its public-access block, ownership,
     * encryption, TLS-only policy and lifecycle), and the bucket is never emptied by Pulumi.
     * Turn on for production data.
     * @default false
     */
    protectData?: boolean;
}

/**
 * The storage layer: the DynamoDB table of ticks (`symbol` + `timestamp`, on demand) and the
 * hardened S3 bucket that keeps every record raw, processed and, when invalid, rejected.
 *
 * @example
 * // Production data: kept on `pulumi destroy`, with the original's table name.
 * const storage = new StockStorage("ticks", { tableName: "StockMarketData", protectData: true });
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
        const protectData = args.protectData ?? DEFAULTS.protectData;
        const dayIndex = args.dayIndex ?? DEFAULTS.dayIndex;
        const rawArchiveAfterDays = args.rawArchiveAfterDays ?? DEFAULTS.rawArchiveAfterDays;
        const rawArchiveStorageClass = args.rawArchiveStorageClass ?? DEFAULTS.rawArchiveStorageClass;
        // Set only when on: an explicit `protect: false` would override a `protect` the component
        // was given, which its children otherwise inherit.
        const dataOpts: pulumi.CustomResourceOptions = protectData
            ? { parent: this, protect: true, retainOnDelete: true }
            : { parent: this };

        this.table = new aws.dynamodb.Table(
            `${name}-ticks`,
            {
                name: args.tableName,
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
                bucket: args.bucketName,
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
