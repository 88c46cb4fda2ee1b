import { expect } from "chai";
import { NAMED_QUERIES } from "../../pipeline/analytics/queries";
import { defaultSettings, DEFAULTS, settingsOf } from "../../pipeline/infra/config";
import { StockAnalytics } from "../../pipeline/infra/analytics";
import { fakeArn, ProgramRun, runProgram, runUnderMocks, STREAM_ARN } from "../../harness/pulumi/program-under-mocks";

const T = {
    database: "aws:glue/catalogDatabase:CatalogDatabase",
    table: "aws:glue/catalogTable:CatalogTable",
    workgroup: "aws:athena/workgroup:Workgroup",
    namedQuery: "aws:athena/namedQuery:NamedQuery",
    bucket: "aws:s3/bucket:Bucket",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};
const ANALYTICS_TYPES = [
    T.database,
    T.table,
    T.workgroup,
    T.namedQuery,
    "stock-market-pipeline:pipeline:StockAnalytics",
];
const GIB = 1024 ** 3;

function table(run: ProgramRun, name: string) {
    const found = run.all(T.table).find(t => t.inputs.name === name);
    if (!found) throw new Error(`no Glue table ${name}`);
    return found.inputs;
}

describe("the analytics in the stack (Pulumi mocks)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ streamArn: STREAM_ARN });
    });

    describe("the Glue table ticks", () => {
        it("is an external table over the bucket's processed/ prefix", () => {
            const ticks = table(run, "ticks");
            expect(ticks.databaseName).to.equal("stock_market_test");
            expect(ticks.tableType).to.equal("EXTERNAL_TABLE");
            expect(ticks.storageDescriptor.location).to.equal("s3://storage-records-abc123/processed/");
        });

        it("reads JSON with the Hive JSON SerDe through the text formats, so .json and .ndjson.gz objects alike", () => {
            expect(table(run, "ticks").storageDescriptor).to.deep.include({
                inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
                outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                serDeInfo: { serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe" },
            });
        });

        it("has an exact price, the timestamp as written, the batch layout's identity, and day as the partition", () => {
            const ticks = table(run, "ticks");
            const columns = ticks.storageDescriptor.columns.map((c: { name: string; type: string }) => [
                c.name,
                c.type,
            ]);
            expect(columns).to.deep.equal([
                ["symbol", "string"],
                ["price", "decimal(38,18)"],
                ["timestamp", "string"],
                ["sequencenumber", "string"],
                ["subsequencenumber", "bigint"],
                ["shardid", "string"],
            ]);
            expect(ticks.partitionKeys.map((k: { name: string; type: string }) => [k.name, k.type])).to.deep.equal([
                ["day", "string"],
            ]);
        });

        it("projects its day partitions from the first day to tomorrow, at the key's own prefix", () => {
            expect(table(run, "ticks").parameters).to.deep.equal({
                EXTERNAL: "TRUE",
                classification: "json",
                "projection.enabled": "true",
                "projection.day.type": "date",
                "projection.day.format": "yyyy-MM-dd",
                "projection.day.range": `${DEFAULTS.analyticsFirstDay},NOW+1DAYS`,
                "projection.day.interval": "1",
                "projection.day.interval.unit": "DAYS",
                "storage.location.template": "s3://storage-records-abc123/processed/day=${day}/",
            });
        });
    });

    it("has a table rejected over rejected/, partitioned by arrival day", () => {
        const rejected = table(run, "rejected");
        expect(rejected.storageDescriptor.location).to.equal("s3://storage-records-abc123/rejected/");
        expect(rejected.storageDescriptor.columns.map((c: { name: string }) => c.name)).to.include.members([
            "reason",
            "sequencenumber",
            "shardid",
            "data",
        ]);
        expect(rejected.partitionKeys[0].name).to.equal("arrival_day");
        expect(rejected.parameters["storage.location.template"]).to.equal(
            "s3://storage-records-abc123/rejected/arrival_day=${arrival_day}/",
        );
        expect(rejected.parameters["projection.arrival_day.range"]).to.equal("2026-01-01,NOW+1DAYS");
    });

    describe("the workgroup", () => {
        const workgroup = () => run.one(T.workgroup).inputs;

        it("enforces its configuration on every query, on engine v3, publishing CloudWatch metrics", () => {
            expect(workgroup().name).to.equal("stock-market-pipeline-test");
            expect(workgroup().configuration).to.deep.include({
                enforceWorkgroupConfiguration: true,
                publishCloudwatchMetricsEnabled: true,
                engineVersion: { selectedEngineVersion: "Athena engine version 3" },
            });
        });

        it("cancels a query that scans more than the cutoff (10 GiB by default)", () => {
            expect(workgroup().configuration.bytesScannedCutoffPerQuery).to.equal(10 * GIB);
        });

        it("writes results encrypted, to a bucket of their own", () => {
            expect(workgroup().configuration.resultConfiguration).to.deep.equal({
                outputLocation: "s3://analytics-results-abc123/",
                encryptionConfiguration: { encryptionOption: "SSE_S3" },
            });
        });
    });

    describe("the results bucket", () => {
        it("blocks public access, encrypts by default, and denies requests without TLS", () => {
            expect(run.one(T.publicAccess, "analytics-").inputs).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(run.one(T.ownership, "analytics-").inputs.rule).to.deep.equal({
                objectOwnership: "BucketOwnerEnforced",
            });
            expect(
                run.one(T.encryption, "analytics-").inputs.rules[0].applyServerSideEncryptionByDefault,
            ).to.deep.equal({
                sseAlgorithm: "AES256",
            });
            const [deny] = JSON.parse(run.one(T.bucketPolicy, "analytics-").inputs.policy).Statement;
            expect(deny).to.deep.include({ Effect: "Deny", Action: "s3:*" });
            expect(deny.Condition).to.deep.equal({ Bool: { "aws:SecureTransport": "false" } });
            expect(deny.Resource).to.deep.equal([
                "arn:aws:s3:::analytics-results-abc123",
                "arn:aws:s3:::analytics-results-abc123/*",
            ]);
        });

        it("expires old results (after 7 days by default)", () => {
            const [rule] = run.one(T.lifecycle, "analytics-").inputs.rules;
            expect(rule).to.deep.include({ status: "Enabled", filter: {}, expiration: { days: 7 } });
        });

        it("is out of the processor's reach: its role names neither the bucket nor Glue or Athena", () => {
            const policy = run.one(T.rolePolicy).inputs.policy as string;
            expect(policy).to.not.include("analytics-results");
            expect(policy).to.not.match(/glue:|athena:/);
            const resources = JSON.parse(policy).Statement.flatMap((s: { Resource: string | string[] }) => s.Resource);
            expect(resources).to.not.include(fakeArn(run.one(T.bucket, "analytics-")));
        });
    });

    describe("the named queries", () => {
        it("are the five of queries.ts, by name, with the same SQL text as npm run query", () => {
            const declared = run.all(T.namedQuery).map(q => q.inputs);
            expect(declared.map(q => q.name)).to.deep.equal([
                "latest-price",
                "ohlc-minute",
                "ohlc-day",
                "ticks-per-day",
                "rejected-per-day",
            ]);
            for (const query of NAMED_QUERIES) {
                expect(declared.find(q => q.name === query.name)?.query).to.equal(query.sql);
            }
        });

        it("run in the stack's database and workgroup, and say what to type for a ?", () => {
            for (const query of run.all(T.namedQuery).map(q => q.inputs)) {
                expect(query).to.include({ database: "stock_market_test", workgroup: "stock-market-pipeline-test" });
                expect(query.description.length).to.be.at.most(1024);
            }
            const ohlc = run.all(T.namedQuery).find(q => q.inputs.name === "ohlc-minute")!.inputs;
            expect(ohlc.query).to.include("day = ?");
            expect(ohlc.description).to.include("Parameters, in order: day ('2026-11-28'");
        });
    });
});

describe("the analytics' settings", () => {
    it("take the scan cutoff, the results' expiry and the first day from the stack's config", async () => {
        const run = await runProgram({
            streamArn: STREAM_ARN,
            athenaBytesScannedCutoffGiB: "2",
            athenaResultsExpirationDays: "30",
            analyticsFirstDay: "2025-06-01",
        });
        expect(run.one(T.workgroup).inputs.configuration.bytesScannedCutoffPerQuery).to.equal(2 * GIB);
        expect(run.one(T.lifecycle, "analytics-").inputs.rules[0].expiration).to.deep.equal({ days: 30 });
        for (const glueTable of run.all(T.table))
            expect(Object.entries(glueTable.inputs.parameters).find(([k]) => k.endsWith(".range"))?.[1]).to.equal(
                "2025-06-01,NOW+1DAYS",
            );
    });

    it("analytics: false leaves out every analytics resource and output, and the rest as it was", async () => {
        // One program under mocks at a time: the mocks are process-wide.
        const on = await runProgram({ streamArn: STREAM_ARN });
        const off = await runProgram({ streamArn: STREAM_ARN, analytics: "false" });
        for (const type of [...ANALYTICS_TYPES, T.bucket, T.lifecycle])
            expect(off.all(type, "analytics"), type).to.deep.equal([]);
        expect(off.resources.filter(r => r.name.startsWith("analytics"))).to.deep.equal([]);
        expect(on.resources.filter(r => r.name.startsWith("analytics")).length).to.be.above(10);
        const names = (run: ProgramRun) => run.resources.filter(r => !r.name.startsWith("analytics")).map(r => r.name);
        expect(names(off)).to.deep.equal(names(on));
        expect(off.outputs).to.include({ analyticsDatabase: null, athenaWorkgroup: null });
        expect(on.one(T.rolePolicy).inputs.policy).to.equal(off.one(T.rolePolicy).inputs.policy);
    });

    it("StockAnalytics on its own needs nothing but the bucket and its settings", async () => {
        const run = await runUnderMocks(() => {
            const analytics = new StockAnalytics("tick-analytics", {
                bucketName: "my-ticks",
                settings: settingsOf(defaultSettings(STREAM_ARN), "analytics"),
            });
            return { database: analytics.databaseName, workgroup: analytics.workgroupName };
        });
        expect(run.outputs).to.deep.equal({ database: "tick_analytics_test", workgroup: "tick-analytics-test" });
        expect(run.one(T.workgroup).inputs.configuration.bytesScannedCutoffPerQuery).to.equal(
            DEFAULTS.athenaBytesScannedCutoffGiB * GIB,
        );
        expect(table(run, "ticks").storageDescriptor.location).to.equal("s3://my-ticks/processed/");
    });
});
