import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { athenaDescription, NAMED_QUERIES } from "../analytics/queries";
import { GLUE_TABLES, GlueTableDefinition, JSON_STORAGE, projectionParameters } from "../analytics/tables";
import { AccessLogs, hardenBucket, logAccess } from "./bucket";
import type { AnalyticsSettings } from "./config";

const GIB = 1024 ** 3;

export interface StockAnalyticsArgs {
    /** The bucket the processor writes: the tables read its `processed/` and `rejected/` objects. */
    bucketName: pulumi.Input<string>;
    /**
     * The Glue database's name: lower-case letters, digits and `_` (what Athena accepts unquoted).
     * @default `${name}_${stack}`, lower-cased, other characters as `_`
     */
    databaseName?: string;
    /**
     * The Athena workgroup's name, unique in the account and region.
     * @default `${name}-${stack}`
     */
    workgroupName?: pulumi.Input<string>;
    /**
     * The analytics settings of the stack (the first day the tables see, the scan cutoff, how long
     * results are kept): docs/config.md lists each with its default; `defaultSettings` fills them.
     */
    settings: AnalyticsSettings;
    /** Where S3 server access logs of the results bucket go (its name is added to the prefix). None when absent. */
    accessLogs?: AccessLogs;
}

/** A Glue database name Athena takes unquoted: lower-case letters, digits and underscores. */
export function glueName(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}

/** The Athena console's query editor in a region (pick the workgroup at its top right). */
export function athenaConsoleUrl(region: string): string {
    return `https://${region}.console.aws.amazon.com/athena/home?region=${region}#/query-editor`;
}

/**
 * The ticks made queryable where they lie: a Glue database with the external tables `ticks` (over
 * `processed/`) and `rejected` (over `rejected/`), both object layouts, partitions projected so no
 * crawler or `ALTER TABLE ADD PARTITION` is ever needed; an Athena workgroup that enforces its
 * settings (engine v3, encrypted results in a bucket of its own that expires them, CloudWatch
 * metrics, a scan cutoff per query); and the named queries of pipeline/analytics/queries.ts.
 * It grants nothing to the processor: the results bucket is not the processor's to write.
 *
 * @example
 * const analytics = new StockAnalytics("analytics", {
 *     bucketName: storage.bucketName,
 *     settings: settingsOf(defaultSettings(streamArn), "analytics"),
 * });
 * export const athenaWorkgroup = analytics.workgroupName;
 */
export class StockAnalytics extends pulumi.ComponentResource {
    public readonly database: aws.glue.CatalogDatabase;
    public readonly tables: aws.glue.CatalogTable[];
    public readonly resultsBucket: aws.s3.Bucket;
    public readonly workgroup: aws.athena.Workgroup;
    public readonly namedQueries: aws.athena.NamedQuery[];
    public readonly databaseName: pulumi.Output<string>;
    public readonly ticksTableName: pulumi.Output<string>;
    public readonly rejectedTableName: pulumi.Output<string>;
    public readonly workgroupName: pulumi.Output<string>;
    public readonly resultsBucketName: pulumi.Output<string>;
    public readonly consoleUrl: pulumi.Output<string>;

    constructor(name: string, args: StockAnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stock-market-pipeline:pipeline:StockAnalytics", name, {}, opts);
        const {
            analyticsFirstDay: firstDay,
            athenaBytesScannedCutoffGiB: cutoffGiB,
            athenaResultsExpirationDays: expirationDays,
        } = args.settings;

        this.database = new aws.glue.CatalogDatabase(
            `${name}-database`,
            {
                name: args.databaseName ?? glueName(`${name}_${pulumi.getStack()}`),
                description: "Stock ticks stored by the stock-market-pipeline processor",
            },
            { parent: this },
        );
        this.tables = GLUE_TABLES.map(table => this.glueTable(name, table, args.bucketName, firstDay));

        this.resultsBucket = this.hardenedResultsBucket(name, expirationDays);
        if (args.accessLogs) logAccess(`${name}-results`, this.resultsBucket, args.accessLogs, { parent: this });
        this.workgroup = new aws.athena.Workgroup(
            `${name}-workgroup`,
            {
                name: args.workgroupName ?? `${name}-${pulumi.getStack()}`,
                description: "Queries over the stock ticks; its settings override the client's",
                state: "ENABLED",
                // Deleting the workgroup deletes its saved queries and history: they are this stack's.
                forceDestroy: true,
                configuration: {
                    enforceWorkgroupConfiguration: true,
                    publishCloudwatchMetricsEnabled: true,
                    bytesScannedCutoffPerQuery: cutoffGiB * GIB,
                    engineVersion: { selectedEngineVersion: "Athena engine version 3" },
                    resultConfiguration: {
                        outputLocation: pulumi.interpolate`s3://${this.resultsBucket.bucket}/`,
                        encryptionConfiguration: { encryptionOption: "SSE_S3" },
                    },
                },
            },
            { parent: this },
        );
        this.namedQueries = NAMED_QUERIES.map(
            query =>
                new aws.athena.NamedQuery(
                    `${name}-${query.name}`,
                    {
                        name: query.name,
                        description: athenaDescription(query),
                        database: this.database.name,
                        workgroup: this.workgroup.name,
                        query: query.sql,
                    },
                    { parent: this },
                ),
        );

        this.databaseName = this.database.name;
        this.ticksTableName = this.tables[0].name;
        this.rejectedTableName = this.tables[1].name;
        this.workgroupName = this.workgroup.name;
        this.resultsBucketName = this.resultsBucket.bucket;
        this.consoleUrl = aws.getRegionOutput({}, { parent: this }).region.apply(athenaConsoleUrl);
        this.registerOutputs({
            databaseName: this.databaseName,
            ticksTableName: this.ticksTableName,
            rejectedTableName: this.rejectedTableName,
            workgroupName: this.workgroupName,
            resultsBucketName: this.resultsBucketName,
            consoleUrl: this.consoleUrl,
        });
    }

    /** An external JSON table over one prefix of the bucket, its day partition projected. */
    private glueTable(
        name: string,
        table: GlueTableDefinition,
        bucketName: pulumi.Input<string>,
        firstDay: string,
    ): aws.glue.CatalogTable {
        return new aws.glue.CatalogTable(
            `${name}-${table.name}`,
            {
                name: table.name,
                databaseName: this.database.name,
                tableType: "EXTERNAL_TABLE",
                parameters: pulumi
                    .output(bucketName)
                    .apply(bucket => ({ EXTERNAL: "TRUE", ...projectionParameters(table, bucket, firstDay) })),
                partitionKeys: [table.partitionKey],
                storageDescriptor: {
                    location: pulumi.interpolate`s3://${bucketName}/${table.prefix}`,
                    inputFormat: JSON_STORAGE.inputFormat,
                    outputFormat: JSON_STORAGE.outputFormat,
                    serDeInfo: { serializationLibrary: JSON_STORAGE.serializationLibrary },
                    columns: table.columns.map(column => ({ ...column })),
                },
            },
            { parent: this },
        );
    }

    /** Where Athena writes results: private, encrypted, TLS only, emptied of results after `expirationDays`. */
    private hardenedResultsBucket(name: string, expirationDays: number): aws.s3.Bucket {
        const bucket = new aws.s3.Bucket(
            `${name}-results`,
            // Query results can be made again: nothing to keep on destroy.
            { forceDestroy: true },
            { parent: this },
        );
        hardenBucket(`${name}-results`, bucket, { parent: this });
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-results-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-query-results",
                        status: "Enabled",
                        filter: {},
                        expiration: { days: expirationDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            { parent: this },
        );
        return bucket;
    }
}
