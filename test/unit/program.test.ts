import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { StockStorage } from "../../pipeline/infra/storage";
import { defaultSettings, settingsOf } from "../../pipeline/infra/config";
import {
    fakeArn,
    ProgramRun,
    runProgram,
    runProgramAsStack,
    STREAM_ARN,
} from "../../harness/pulumi/program-under-mocks";

const T = {
    table: "aws:dynamodb/table:Table",
    bucket: "aws:s3/bucket:Bucket",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    function: "aws:lambda/function:Function",
    mapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    policyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    queue: "aws:sqs/queue:Queue",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
};

interface Statement {
    Sid: string;
    Effect: string;
    Action: string[];
    Resource: string | string[];
}

function statements(run: ProgramRun): Statement[] {
    return (JSON.parse(run.one(T.rolePolicy).inputs.policy) as { Statement: Statement[] }).Statement;
}

describe("the Pulumi program with nothing but streamArn set", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ streamArn: STREAM_ARN });
    });

    it("declares exactly one table, one bucket, one function and one stream mapping", () => {
        expect(run.all(T.bucket, "storage-")).to.have.length(1);
        for (const type of [T.table, T.function, T.mapping, T.queue, T.role, T.rolePolicy, T.logGroup, T.topic]) {
            expect(run.all(type), type).to.have.length(1);
        }
    });

    it("groups the resources under the storage and processor components", () => {
        expect(run.all("stock-market-pipeline:pipeline:StockStorage")).to.have.length(1);
        expect(run.all("stock-market-pipeline:pipeline:StockProcessor")).to.have.length(1);
    });

    describe("the table", () => {
        it("is keyed by symbol (hash) and timestamp (range), both strings, billed on demand", () => {
            const table = run.one(T.table).inputs;
            expect(table).to.include({ hashKey: "symbol", rangeKey: "timestamp", billingMode: "PAY_PER_REQUEST" });
            expect(table.attributes).to.deep.equal([
                { name: "symbol", type: "S" },
                { name: "timestamp", type: "S" },
            ]);
            expect(table.globalSecondaryIndexes).to.equal(undefined);
        });

        it("has point-in-time recovery and encryption on, and no deletion protection in dev", () => {
            const table = run.one(T.table).inputs;
            expect(table.pointInTimeRecovery).to.deep.equal({ enabled: true });
            expect(table.serverSideEncryption).to.deep.equal({ enabled: true });
            expect(table.deletionProtectionEnabled).to.equal(false);
        });

        it("is auto-named by Pulumi", () => {
            expect(run.one(T.table).inputs.name).to.equal(undefined);
        });
    });

    describe("the bucket", () => {
        it("blocks every kind of public access", () => {
            const block = run.one(T.publicAccess, "storage-").inputs;
            expect(block).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(block.bucket).to.equal("storage-records-id");
        });

        it("encrypts by default and enforces bucket-owner ownership", () => {
            expect(run.one(T.encryption, "storage-").inputs.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({
                sseAlgorithm: "AES256",
            });
            expect(run.one(T.ownership, "storage-").inputs.rule).to.deep.equal({
                objectOwnership: "BucketOwnerEnforced",
            });
        });

        it("denies every request that does not use TLS", () => {
            const policy = JSON.parse(run.one(T.bucketPolicy, "storage-").inputs.policy);
            expect(policy.Statement).to.deep.equal([
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: ["arn:aws:s3:::storage-records-abc123", "arn:aws:s3:::storage-records-abc123/*"],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ]);
        });

        it("archives nothing by default: S3 transitions no per-record object (all under 128 KiB)", () => {
            const rules = run.one(T.lifecycle, "storage-").inputs.rules;
            expect(rules.map((r: { id: string }) => r.id)).to.not.include("archive-raw");
        });

        it("may be emptied on destroy, since the data is not protected", () => {
            expect(run.one(T.bucket, "storage-").inputs.forceDestroy).to.equal(true);
        });
    });

    describe("the function", () => {
        it("runs nodejs22.x with the default memory and timeout, JSON logs into its own log group", () => {
            const fn = run.one(T.function).inputs;
            expect(fn).to.include({ runtime: "nodejs22.x", memorySize: 512, timeout: 60, handler: "__index.handler" });
            expect(fn.loggingConfig).to.include({ logFormat: "JSON", logGroup: "/aws/lambda/processor-abc123" });
            expect(run.one(T.logGroup).inputs).to.include({
                namePrefix: "/aws/lambda/processor-",
                retentionInDays: 30,
            });
        });

        it("gets the table and bucket names and the record layout from its environment", () => {
            expect(run.one(T.function).inputs.environment.variables).to.deep.equal({
                TABLE_NAME: "storage-ticks-abc123",
                BUCKET_NAME: "storage-records-abc123",
                OBJECT_LAYOUT: "record",
            });
        });

        it("uses the component's own role", () => {
            expect(run.one(T.function).inputs.role).to.equal(fakeArn(run.one(T.role)));
        });

        it("ships no AWS SDK, Smithy or Pulumi package in its code", async () => {
            const assets = await run.one(T.function).inputs.code.assets;
            const names = Object.keys(assets);
            expect(names).to.include("__index.js");
            expect(names).to.include("node_modules/lossless-json");
            expect(names.filter(n => /node_modules\/@(aws-sdk|smithy|pulumi)\//.test(n))).to.deep.equal([]);
        });
    });

    describe("the stream mapping", () => {
        it("subscribes the function to the stream by its ARN with the default batch and position", () => {
            const mapping = run.one(T.mapping).inputs;
            expect(mapping).to.include({
                eventSourceArn: STREAM_ARN,
                functionName: fakeArn(run.one(T.function)),
                batchSize: 100,
                startingPosition: "LATEST",
                parallelizationFactor: 1,
                maximumBatchingWindowInSeconds: 0,
            });
            expect(mapping.startingPositionTimestamp).to.equal(undefined);
        });

        it("reports partial batch failures, bisects failing batches and bounds the retries", () => {
            const mapping = run.one(T.mapping).inputs;
            expect(mapping.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
            expect(mapping).to.include({
                bisectBatchOnFunctionError: true,
                maximumRetryAttempts: 10,
                maximumRecordAgeInSeconds: 21600,
            });
        });

        it("sends records it gives up on to an encrypted failure queue", () => {
            const queue = run.one(T.queue);
            expect(queue.inputs.sqsManagedSseEnabled).to.equal(true);
            expect(run.one(T.mapping).inputs.destinationConfig).to.deep.equal({
                onFailure: { destinationArn: fakeArn(queue) },
            });
        });
    });

    describe("the alarms", () => {
        it("watch iterator age, function errors and the failure queue, and notify the alarm topic", () => {
            const alarms = run.all(T.alarm).map(a => a.inputs);
            expect(alarms.map(a => `${a.namespace}/${a.metricName}`).sort()).to.deep.equal([
                "AWS/Lambda/Errors",
                "AWS/Lambda/IteratorAge",
                "AWS/SQS/ApproximateNumberOfMessagesVisible",
            ]);
            const topicArn = fakeArn(run.one(T.topic));
            for (const alarm of alarms) expect(alarm.alarmActions).to.deep.equal([topicArn]);
            const iteratorAge = alarms.find(a => a.metricName === "IteratorAge")!;
            expect(iteratorAge).to.include({ threshold: 60000, statistic: "Maximum" });
            expect(iteratorAge.dimensions).to.deep.equal({ FunctionName: "processor-fn-abc123" });
        });

        it("have no email subscription unless alarmEmail is set", () => {
            expect(run.all(T.subscription)).to.have.length(0);
        });
    });

    describe("least privilege", () => {
        it("attaches no managed policy to the function's role", () => {
            expect(run.all(T.policyAttachment)).to.deep.equal([]);
            expect(run.one(T.role).inputs.managedPolicyArns ?? []).to.deep.equal([]);
        });

        it("lets only Lambda assume the role", () => {
            const trust = JSON.parse(run.one(T.role).inputs.assumeRolePolicy);
            expect(trust.Statement).to.deep.equal([
                { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
        });

        it("has no wildcard action and no wildcard resource of its own", () => {
            for (const statement of statements(run)) {
                for (const action of statement.Action) expect(action, statement.Sid).to.not.include("*");
                expect(statement.Resource, statement.Sid).to.not.equal("*");
            }
        });

        it("scopes every write to this table, this bucket's prefixes, this queue and its own log group", () => {
            const bySid = Object.fromEntries(statements(run).map(s => [s.Sid, s]));
            expect(bySid.WriteTicks).to.deep.include({
                Action: ["dynamodb:BatchWriteItem", "dynamodb:PutItem"],
                Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/storage-ticks-abc123",
            });
            expect(bySid.WriteRecordCopies).to.deep.include({
                Action: ["s3:PutObject"],
                Resource: ["raw/", "processed/", "rejected/"].map(p => `arn:aws:s3:::storage-records-abc123/${p}*`),
            });
            expect(bySid.SendGivenUpRecords.Resource).to.equal(fakeArn(run.one(T.queue)));
            expect(bySid.WriteOwnLogs.Resource).to.equal(
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/processor-abc123:*",
            );
            expect(bySid.ReadTheStream.Resource).to.equal(STREAM_ARN);
            expect(bySid.ReadTheStream.Action.every(a => /^kinesis:(Describe|Get|List)/.test(a))).to.equal(true);
            expect(Object.keys(bySid).sort()).to.deep.equal([
                "ReadTheStream",
                "SendGivenUpRecords",
                "WriteOwnLogs",
                "WriteRecordCopies",
                "WriteTicks",
            ]);
        });
    });

    describe("the health dashboard", () => {
        const body = () =>
            JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody) as {
                widgets: { properties: { title: string; region: string; metrics: unknown[][]; annotations?: any } }[];
            };
        const metricsOf = (namespace: string) =>
            body()
                .widgets.flatMap(w => w.properties.metrics)
                .filter(m => m[0] === namespace);

        it("is named after the stack and charts the function by its name", () => {
            expect(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardName).to.equal(
                "stock-market-pipeline-test",
            );
            const lambda = metricsOf("AWS/Lambda");
            expect(lambda.map(m => m[1])).to.include.members([
                "IteratorAge",
                "Invocations",
                "Errors",
                "Throttles",
                "Duration",
                "ConcurrentExecutions",
            ]);
            for (const metric of lambda)
                expect(metric.slice(2, 4)).to.deep.equal(["FunctionName", "processor-fn-abc123"]);
        });

        it("charts the processor's own metrics, the failure queue and the table's throttling", () => {
            expect(metricsOf("StockMarketPipeline").map(m => m[1])).to.include.members([
                "RecordsStored",
                "RecordsRejected",
                "RecordsFailed",
                "IngestLag",
            ]);
            // By this stack's function too: every stack's processor publishes the same names.
            for (const metric of metricsOf("StockMarketPipeline"))
                expect(metric.slice(2, 6)).to.deep.equal([
                    "service",
                    "stock-processor",
                    "FunctionName",
                    "processor-fn-abc123",
                ]);
            expect(metricsOf("AWS/SQS")[0]).to.include.members(["QueueName", "processor-failures-abc123"]);
            expect(metricsOf("AWS/DynamoDB").map(m => m.slice(1, 4))).to.deep.include([
                "WriteThrottleEvents",
                "TableName",
                "storage-ticks-abc123",
            ]);
        });

        it("draws duration against the function's timeout, in the stack's region", () => {
            const duration = body().widgets.find(w => w.properties.title.startsWith("Duration"))!;
            expect(duration.properties.annotations.horizontal[0].value).to.equal(60_000);
            expect(new Set(body().widgets.map(w => w.properties.region))).to.deep.equal(new Set(["us-east-1"]));
        });
    });

    it("exports the table, bucket, function, failure queue, stream, dashboard and the Athena names", () => {
        expect(run.outputs).to.deep.equal({
            streamArn: STREAM_ARN,
            tableName: "storage-ticks-abc123",
            tableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/storage-ticks-abc123",
            bucketName: "storage-records-abc123",
            functionName: "processor-fn-abc123",
            functionArn: "arn:aws:lambda:us-east-1:123456789012:function:processor-fn-abc123",
            failureQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/processor-failures-abc123",
            alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:processor-alarms-abc123",
            dashboardUrl:
                "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/stock-market-pipeline-test",
            analyticsDatabase: "stock_market_test",
            ticksTable: "ticks",
            rejectedTable: "rejected",
            athenaWorkgroup: "stock-market-pipeline-test",
            athenaResultsBucket: "analytics-results-abc123",
            athenaConsoleUrl: "https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/query-editor",
        });
    });
});

describe("the Pulumi program with overrides", () => {
    it("passes a batch size of 500 and the starting position to the mapping", async () => {
        const run = await runProgram({
            streamArn: STREAM_ARN,
            batchSize: "500",
            startingPosition: "AT_TIMESTAMP",
            startingPositionTimestamp: "2026-11-28T00:00:00Z",
            parallelizationFactor: "4",
        });
        expect(run.one(T.mapping).inputs).to.include({
            batchSize: 500,
            startingPosition: "AT_TIMESTAMP",
            startingPositionTimestamp: "2026-11-28T00:00:00Z",
            parallelizationFactor: 4,
        });
    });

    it("protects the table and the bucket with protectData", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN, protectData: "true" });
        expect(run.one(T.table).inputs.deletionProtectionEnabled).to.equal(true);
        expect(run.one(T.bucket, "storage-").inputs.forceDestroy).to.equal(false);
        expect(run.one(T.table).options).to.deep.equal({ protect: true, retainOnDelete: true });
        expect(run.one(T.bucket, "storage-").options).to.deep.equal({ protect: true, retainOnDelete: true });
        // The resource keeps its options on itself too.
        const storage = new StockStorage("protected", {
            settings: settingsOf(defaultSettings(STREAM_ARN, { protectData: "true" }), "storage"),
        });
        expect((storage.table as unknown as { __protect: boolean }).__protect).to.equal(true);
        expect((storage.bucket as unknown as { __protect: boolean }).__protect).to.equal(true);
    });

    it("with protectData, keeps the bucket's protections and lifecycle in AWS when the stack is destroyed", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN, protectData: "true" });
        const companions = [T.publicAccess, T.ownership, T.encryption, T.bucketPolicy, T.lifecycle];
        for (const type of companions) {
            expect(run.one(type, "storage-").options, type).to.deep.include({ retainOnDelete: true });
        }
    });

    it("without protectData, leaves every resource free to be deleted", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN });
        const kept = run.resources.filter(r => r.options?.protect || r.options?.retainOnDelete);
        expect(kept.map(r => `${r.type} ${r.name}`)).to.deep.equal([]);
    });

    it("names the table and bucket as configured, sizes the function and sets its object layout", async () => {
        const run = await runProgram({
            streamArn: STREAM_ARN,
            tableName: "StockMarketData",
            bucketName: "stock-market-data-dev",
            memorySize: "1024",
            timeout: "120",
            objectLayout: "batch",
        });
        expect(run.one(T.table).inputs.name).to.equal("StockMarketData");
        expect(run.one(T.bucket, "storage-").inputs.bucket).to.equal("stock-market-data-dev");
        expect(run.one(T.function).inputs).to.include({ memorySize: 1024, timeout: 120 });
        const dashboard = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody) as {
            widgets: { properties: { title: string; annotations?: { horizontal: { value: number }[] } } }[];
        };
        const duration = dashboard.widgets.find(w => w.properties.title.startsWith("Duration"))!;
        expect(duration.properties.annotations!.horizontal[0].value).to.equal(120_000);
        expect(run.one(T.function).inputs.environment.variables).to.deep.equal({
            TABLE_NAME: "StockMarketData",
            BUCKET_NAME: "stock-market-data-dev",
            OBJECT_LAYOUT: "batch",
        });
    });

    it("adds the byDay index with dayIndex", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN, dayIndex: "true" });
        const table = run.one(T.table).inputs;
        expect(table.attributes.map((a: { name: string }) => a.name)).to.deep.equal(["symbol", "timestamp", "day"]);
        expect(table.globalSecondaryIndexes).to.deep.equal([
            {
                name: "byDay",
                keySchemas: [
                    { attributeName: "day", keyType: "HASH" },
                    { attributeName: "timestamp", keyType: "RANGE" },
                ],
                projectionType: "ALL",
            },
        ]);
    });

    it("subscribes alarmEmail to the alarm topic", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN, alarmEmail: "oncall@example.com" });
        expect(run.one(T.subscription).inputs).to.include({ protocol: "email", endpoint: "oncall@example.com" });
    });

    it("lets the function decrypt a stream encrypted with the configured KMS key, and nothing else", async () => {
        const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const run = await runProgram({ streamArn: STREAM_ARN, streamKmsKeyArn: key }, { stream: { kmsKeyId: key } });
        const decrypt = statements(run).find(s => s.Sid === "DecryptTheStream");
        expect(decrypt).to.deep.include({ Action: ["kms:Decrypt"], Resource: key });
    });

    it("archives raw/ after rawArchiveAfterDays, in the batch layout with batches large enough to move", async () => {
        const run = await runProgram({
            streamArn: STREAM_ARN,
            rawArchiveAfterDays: "30",
            objectLayout: "batch",
            batchSize: "10000",
        });
        const archive = run
            .one(T.lifecycle, "storage-")
            .inputs.rules.find((r: { id: string }) => r.id === "archive-raw");
        expect(archive).to.deep.include({
            status: "Enabled",
            filter: { prefix: "raw/" },
            transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
        });
        expect(run.warnings.filter(w => w.includes("rawArchiveAfterDays"))).to.deep.equal([]);
    });

    it("keeps raw/ in STANDARD with rawArchiveAfterDays 0", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN, rawArchiveAfterDays: "0" });
        expect(run.one(T.lifecycle, "storage-").inputs.rules.map((r: { id: string }) => r.id)).to.deep.equal([
            "expire-old-versions",
            "abort-incomplete-uploads",
        ]);
    });

    it("fails before declaring anything when streamArn is not a Kinesis stream ARN", async () => {
        const failed = await runProgram({ streamArn: "arn:aws:sqs:us-east-1:123456789012:stock-market-stream" }).then(
            () => undefined,
            (err: Error) => err,
        );
        expect(failed?.message).to.match(/^config stock-market-pipeline:streamArn: expected a Kinesis stream ARN/);
    });

    it("fails naming batchSize when it is out of range", async () => {
        const failed = await runProgram({ streamArn: STREAM_ARN, batchSize: "20000" }).then(
            () => undefined,
            (err: Error) => err,
        );
        expect(failed?.message).to.equal(
            'config stock-market-pipeline:batchSize: expected an integer from 1 to 10000, got "20000"',
        );
    });
});

describe("the Pulumi program's checks of the whole stack config", () => {
    const failureOf = (run: Promise<unknown>) =>
        run.then(
            () => undefined,
            (err: Error) => err,
        );

    it("fails on a misspelt key, naming the key it most likely meant", async () => {
        const failed = await failureOf(runProgram({ streamArn: STREAM_ARN, batchsize: "500" }));
        // A RunError: Pulumi prints its message alone, without a stack trace.
        expect(pulumi.RunError.isInstance(failed)).to.equal(true);
        expect(failed?.message).to.equal(
            "config stock-market-pipeline:batchsize: unknown key: did you mean batchSize?",
        );
    });

    it("reports every bad value at once, one line per key", async () => {
        const failed = await failureOf(runProgram({ streamArn: STREAM_ARN, batchSize: "0", memorySize: "1" }));
        expect(failed?.message.split("\n")).to.deep.equal([
            'config stock-market-pipeline:batchSize: expected an integer from 1 to 10000, got "0"',
            'config stock-market-pipeline:memorySize: expected an integer from 128 to 10240, got "1"',
        ]);
    });

    it("fails when the stream is in another region than aws:region", async () => {
        const failed = await failureOf(runProgram({ streamArn: STREAM_ARN, "aws:region": "eu-west-1" }));
        expect(failed?.message).to.match(
            /^config stock-market-pipeline:streamArn: the stream is in us-east-1 but the stack deploys to aws:region eu-west-1/,
        );
    });

    it("names the dashboard with only the characters CloudWatch takes, whatever the stack's name", async () => {
        const run = await runProgramAsStack(
            { "aws:region": "us-east-1", "stock-market-pipeline:streamArn": STREAM_ARN },
            "prod.eu-west_1",
        );
        expect(run.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardName).to.equal(
            "stock-market-pipeline-prod_eu-west_1",
        );
        expect(run.outputs.dashboardUrl).to.match(/#dashboards\/dashboard\/stock-market-pipeline-prod_eu-west_1$/);
    });

    describe("without aws:region in the stack", () => {
        const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
        afterEach(() => {
            for (const [name, value] of Object.entries(saved)) {
                if (value === undefined) delete process.env[name];
                else process.env[name] = value;
            }
        });

        it("checks the stream against the region the AWS provider takes from AWS_REGION", async () => {
            process.env.AWS_REGION = "ap-south-1";
            const failed = await failureOf(runProgramAsStack({ "stock-market-pipeline:streamArn": STREAM_ARN }, "dev"));
            expect(failed?.message).to.match(/streamArn: the stream is in us-east-1 but .* aws:region ap-south-1/);
        });

        it("runs when AWS_REGION matches the stream", async () => {
            process.env.AWS_REGION = "us-east-1";
            const run = await runProgramAsStack({ "stock-market-pipeline:streamArn": STREAM_ARN }, "dev");
            expect(run.one(T.mapping).inputs.eventSourceArn).to.equal(STREAM_ARN);
        });
    });
});
