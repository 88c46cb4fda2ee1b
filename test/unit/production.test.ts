// The first day in production (issue 16) and the security review (issue 19), under Pulumi mocks:
// config slips, the stream checked before anything is built, retention, recovery, KMS bound to the
// stream, a concurrency cap, the alarm topic, access logs.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { DeclaredResource, ProgramRun, runProgram, STREAM_ARN } from "../../harness/pulumi/program-under-mocks";

const T = {
    table: "aws:dynamodb/table:Table",
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    logging: "aws:s3/bucketLogging:BucketLogging",
    function: "aws:lambda/function:Function",
    mapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    topic: "aws:sns/topic:Topic",
    topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
    key: "aws:kms/key:Key",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
};

/** A stream in an account that is not the documentation's. */
const REAL_STREAM = "arn:aws:kinesis:us-east-1:111122223333:stream/ticks";
const REAL_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY = "arn:aws:kms:us-east-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab";

const failureOf = (run: Promise<unknown>) =>
    run.then(
        () => undefined,
        (err: Error) => err,
    );

/** The program's failure message, split in lines; fails the test if the program ran. */
async function problemsOf(run: Promise<ProgramRun>): Promise<string[]> {
    const failed = await failureOf(run);
    expect(failed, "the program ran").to.be.instanceOf(Error);
    expect(pulumi.RunError.isInstance(failed), "a RunError: Pulumi prints it without a stack trace").to.equal(true);
    return failed!.message.split("\n");
}

interface Statement {
    Sid: string;
    Effect: string;
    Principal?: unknown;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string>>;
}
const statementsOf = (policy: string) => (JSON.parse(policy) as { Statement: Statement[] }).Statement;
const rulesOf = (run: ProgramRun) => run.one(T.lifecycle, "storage-").inputs.rules as Record<string, any>[];

describe("the program's config checks beyond its own keys", () => {
    it("refuses a namespace a few edits from the project's, with the key it meant", async () => {
        const problems = await problemsOf(
            runProgram({
                streamArn: STREAM_ARN,
                "stock-market-pipline:objectLayout": "batch",
                "stock-market-pipline:memorySize": "1769",
            }),
        );
        expect(problems).to.deep.equal([
            "config stock-market-pipline:objectLayout: stock-market-pipline is not this project's namespace, so nothing would read this key: did you mean stock-market-pipeline:objectLayout?",
            "config stock-market-pipline:memorySize: stock-market-pipline is not this project's namespace, so nothing would read this key: did you mean stock-market-pipeline:memorySize?",
        ]);
    });

    it("refuses aws:regoin with the AWS provider's key it meant, read from the installed provider", async () => {
        expect(await problemsOf(runProgram({ streamArn: STREAM_ARN, "aws:regoin": "us-east-1" }))).to.deep.equal([
            "config aws:regoin: not a key the aws provider takes: did you mean aws:region?",
        ]);
    });

    it("lets the AWS provider's real keys and other projects' namespaces pass", async () => {
        const run = await runProgram({
            streamArn: STREAM_ARN,
            "aws:profile": "prod",
            "aws:skipRequestingAccountId": "false",
            "aws:defaultTags": '{"tags":{"team":"ticks"}}',
            "stock-market-producer:rate": "10",
        });
        expect(run.all(T.function)).to.have.length(1);
    });

    it("refuses a bad retention value, naming the key", async () => {
        expect(await problemsOf(runProgram({ streamArn: STREAM_ARN, itemTtlDays: "0" }))).to.deep.equal([
            'config stock-market-pipeline:itemTtlDays: expected an integer from 1 to 36500, got "0"',
        ]);
    });
});

describe("the documentation's account (123456789012) in an ARN", () => {
    const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    it("is refused by pulumi up, for the stream and its key, before anything is declared", async () => {
        const problems = await problemsOf(
            runProgram({ streamArn: STREAM_ARN, streamKmsKeyArn: KEY }, { deploying: true, stream: { kmsKeyId: KEY } }),
        );
        expect(problems).to.have.length(2);
        expect(problems[0]).to.match(
            /^config stock-market-pipeline:streamArn: the stream .* is in account 123456789012/,
        );
        expect(problems[1]).to.match(
            /^config stock-market-pipeline:streamKmsKeyArn: the key .* is in account 123456789012/,
        );
    });

    it("is a warning in a preview, so that the example stacks still plan", async () => {
        const run = await runProgram({ streamArn: STREAM_ARN });
        expect(run.warnings).to.deep.equal([
            `config stock-market-pipeline:streamArn: the stream ${STREAM_ARN} is in account 123456789012, the one AWS's documentation uses in its examples: set the ARN of yours (pulumi up refuses it; a preview only warns)`,
        ]);
    });

    it("is the only thing pulumi up refuses here: a real account deploys", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM }, { deploying: true });
        expect(run.warnings).to.deep.equal([]);
        expect(run.one(T.mapping).inputs.eventSourceArn).to.equal(REAL_STREAM);
    });
});

describe("the stream, looked up before anything is built", () => {
    it("is looked up by its name in its region, and the mapping reads the ARN found", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM });
        const lookups = run.calls.filter(call => call.token === "aws:kinesis/getStream:getStream");
        expect(lookups.map(call => call.inputs)).to.deep.equal([{ name: "ticks", region: "us-east-1" }]);
        expect(run.one(T.mapping).inputs.eventSourceArn).to.equal(REAL_STREAM);
        expect(run.outputs.streamArn).to.equal(REAL_STREAM);
    });

    it("fails the preview when there is no such stream, naming its ARN, and declares nothing", async () => {
        const problems = await problemsOf(runProgram({ streamArn: REAL_STREAM }, { stream: { missing: true } }));
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(
            /^config stock-market-pipeline:streamArn: no stream arn:aws:kinesis:us-east-1:111122223333:stream\/ticks that the stack's AWS credentials can read \(invocation of aws:kinesis\/getStream:getStream returned an error: reading Kinesis Stream \(ticks\): couldn't find resource\): check the ARN/,
        );
    });

    it("declares no resource when the stream is missing: the lookup comes first", async () => {
        const seen: DeclaredResource[] = [];
        await failureOf(runProgram({ streamArn: REAL_STREAM }, { stream: { missing: true }, seen }));
        expect(seen.map(resource => resource.type)).to.deep.equal(["pulumi:pulumi:Stack"]);
        // And with the stream there, the same program declares them all.
        const found: DeclaredResource[] = [];
        await runProgram({ streamArn: REAL_STREAM }, { seen: found });
        expect(found.length).to.be.greaterThan(30);
    });

    it("fails when the stack's credentials are for another account than the stream's, naming both", async () => {
        const problems = await problemsOf(runProgram({ streamArn: REAL_STREAM }, { account: "444455556666" }));
        expect(problems).to.deep.equal([
            "config stock-market-pipeline:streamArn: the stack's AWS credentials are for account 444455556666, where this name is arn:aws:kinesis:us-east-1:444455556666:stream/ticks, not arn:aws:kinesis:us-east-1:111122223333:stream/ticks: deploy with credentials of account 111122223333, the stream's",
        ]);
    });

    it("names the documentation's example ARN, in a real preview, whether its name is found in the stack's account or not", async () => {
        const example =
            "the stream arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream is an example: account 123456789012 is the one AWS's documentation uses; set the ARN of your stream";
        const elsewhere = await problemsOf(runProgram({ streamArn: STREAM_ARN }, { account: "444455556666" }));
        expect(elsewhere).to.deep.equal([
            `config stock-market-pipeline:streamArn: ${example} (the stack's AWS credentials are for account 444455556666, where this name is arn:aws:kinesis:us-east-1:444455556666:stream/stock-market-stream)`,
        ]);
        const nowhere = await problemsOf(
            runProgram({ streamArn: STREAM_ARN }, { account: "444455556666", stream: { missing: true } }),
        );
        expect(nowhere).to.have.length(1);
        expect(nowhere[0]).to.match(
            new RegExp(
                `^config stock-market-pipeline:streamArn: ${example.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(no such stream that the stack's AWS credentials can read: .*couldn't find resource\\)$`,
            ),
        );
    });

    it("fails when the stream is encrypted with another key than streamKmsKeyArn", async () => {
        const problems = await problemsOf(
            runProgram({ streamArn: REAL_STREAM, streamKmsKeyArn: REAL_KEY }, { stream: { kmsKeyId: OTHER_KEY } }),
        );
        expect(problems).to.deep.equal([
            `config stock-market-pipeline:streamKmsKeyArn: the stream ${REAL_STREAM} is encrypted with ${OTHER_KEY}, not ${REAL_KEY}: set the stream's key`,
        ]);
    });

    it("fails when streamKmsKeyArn is set and the stream is not encrypted", async () => {
        const problems = await problemsOf(runProgram({ streamArn: REAL_STREAM, streamKmsKeyArn: REAL_KEY }));
        expect(problems[0]).to.match(/streamKmsKeyArn: the stream .* is not encrypted/);
    });

    it("compares the key the stream names by alias with streamKmsKeyArn once resolved", async () => {
        const run = await runProgram(
            { streamArn: REAL_STREAM, streamKmsKeyArn: REAL_KEY },
            { stream: { kmsKeyId: "alias/ticks", key: { arn: REAL_KEY, keyManager: "CUSTOMER" } } },
        );
        expect(run.warnings).to.deep.equal([]);
    });

    it("says so when the stream is encrypted with a customer managed key and streamKmsKeyArn is empty", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM }, { stream: { kmsKeyId: REAL_KEY } });
        expect(run.warnings).to.deep.equal([
            `config stock-market-pipeline:streamKmsKeyArn: empty, but the stream ${REAL_STREAM} is encrypted with the customer managed key ${REAL_KEY}: the function cannot read its records without kms:Decrypt on it (set streamKmsKeyArn to ${REAL_KEY})`,
        ]);
    });

    it("says nothing of a stream under the AWS managed key (aws/kinesis), which needs no grant", async () => {
        const run = await runProgram(
            { streamArn: REAL_STREAM },
            {
                stream: {
                    kmsKeyId: "alias/aws/kinesis",
                    key: { arn: "arn:aws:kms:us-east-1:111122223333:key/aws-managed", keyManager: "AWS" },
                },
            },
        );
        expect(run.warnings).to.deep.equal([]);
    });
});

describe("retention", () => {
    it("with itemTtlDays, enables the table's TTL on expiresAt and passes ITEM_TTL_DAYS to the function", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM, itemTtlDays: "400" });
        expect(run.one(T.table).inputs.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
        expect(run.one(T.function).inputs.environment.variables.ITEM_TTL_DAYS).to.equal("400");
    });

    it("without itemTtlDays, keeps items: no TTL, no ITEM_TTL_DAYS", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM });
        expect(run.one(T.table).inputs.ttl).to.equal(undefined);
        expect(run.one(T.function).inputs.environment.variables).to.not.have.property("ITEM_TTL_DAYS");
    });

    it("expires each prefix after its own days, and only the prefixes set", async () => {
        const run = await runProgram({
            streamArn: REAL_STREAM,
            rawExpireAfterDays: "3650",
            processedExpireAfterDays: "730",
            rejectedExpireAfterDays: "90",
        });
        const expiring = rulesOf(run).filter(rule => rule.id.startsWith("expire-") && rule.expiration?.days);
        expect(expiring).to.deep.equal([
            { id: "expire-raw", status: "Enabled", filter: { prefix: "raw/" }, expiration: { days: 3650 } },
            { id: "expire-processed", status: "Enabled", filter: { prefix: "processed/" }, expiration: { days: 730 } },
            { id: "expire-rejected", status: "Enabled", filter: { prefix: "rejected/" }, expiration: { days: 90 } },
        ]);
        const onlyRaw = await runProgram({ streamArn: REAL_STREAM, rawExpireAfterDays: "30" });
        expect(
            rulesOf(onlyRaw)
                .filter(rule => rule.expiration?.days)
                .map(rule => rule.id),
        ).to.deep.equal(["expire-raw"]);
    });

    it("warns in the preview that a raw/ archive rule moves nothing in the record layout", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM, rawArchiveAfterDays: "30" });
        expect(run.warnings).to.have.length(1);
        expect(run.warnings[0]).to.match(
            /^config stock-market-pipeline:rawArchiveAfterDays: .*this rule moves nothing/,
        );
    });
});

describe("a records bucket you can recover", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ streamArn: REAL_STREAM });
    });

    it("is always versioned", () => {
        const versioning = run.one(T.versioning, "storage-").inputs;
        expect(versioning.bucket).to.equal("storage-records-id");
        expect(versioning.versioningConfiguration).to.deep.equal({ status: "Enabled" });
    });

    it("expires old versions after noncurrentVersionDays (30), removes bare delete markers, aborts incomplete uploads", async () => {
        const oldVersions = rulesOf(run).find(rule => rule.id === "expire-old-versions");
        expect(oldVersions).to.deep.equal({
            id: "expire-old-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 30 },
            expiration: { expiredObjectDeleteMarker: true },
        });
        expect(rulesOf(run).find(rule => rule.id === "abort-incomplete-uploads")).to.deep.include({
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        });
        const week = await runProgram({ streamArn: REAL_STREAM, noncurrentVersionDays: "7" });
        expect(
            rulesOf(week).find(rule => rule.id === "expire-old-versions")!.noncurrentVersionExpiration,
        ).to.deep.equal({ noncurrentDays: 7 });
    });

    it("keeps its versioning and access logging when a protected stack is destroyed", async () => {
        const kept = await runProgram({ streamArn: REAL_STREAM, protectData: "true", accessLogsBucket: "logs-bucket" });
        expect(kept.one(T.versioning, "storage-").options).to.deep.include({ retainOnDelete: true });
        expect(kept.one(T.logging, "storage-").options).to.deep.include({ retainOnDelete: true });
    });
});

describe("KMS bound to the stream", () => {
    it("lets the function decrypt only through Kinesis, only this stream's records", async () => {
        const run = await runProgram(
            { streamArn: REAL_STREAM, streamKmsKeyArn: REAL_KEY },
            { stream: { kmsKeyId: REAL_KEY } },
        );
        const decrypt = statementsOf(run.one(T.rolePolicy).inputs.policy).find(s => s.Sid === "DecryptTheStream");
        expect(decrypt).to.deep.equal({
            Sid: "DecryptTheStream",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: REAL_KEY,
            Condition: {
                StringEquals: {
                    "kms:ViaService": "kinesis.us-east-1.amazonaws.com",
                    "kms:EncryptionContext:aws:kinesis:arn": REAL_STREAM,
                },
            },
        });
    });

    it("refuses a key in another account than the stream, naming streamKmsKeyArn", async () => {
        const key = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const problems = await problemsOf(runProgram({ streamArn: REAL_STREAM, streamKmsKeyArn: key }));
        expect(problems).to.deep.equal([
            "config stock-market-pipeline:streamKmsKeyArn: the key is in account 444455556666, region us-east-1, but the stream (streamArn) is in account 111122223333, region us-east-1: a stream is encrypted with a key of its own account and region",
        ]);
    });
});

describe("the function's concurrency cap", () => {
    it("reservedConcurrency 4 reaches the function", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM, reservedConcurrency: "4" });
        expect(run.one(T.function).inputs.reservedConcurrentExecutions).to.equal(4);
        expect(run.warnings).to.deep.equal([]);
    });

    it("is left off without reservedConcurrency", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM });
        expect(run.one(T.function).inputs.reservedConcurrentExecutions).to.equal(undefined);
    });

    it("is said to throttle the mapping when below shards × parallelizationFactor", async () => {
        const run = await runProgram(
            { streamArn: REAL_STREAM, reservedConcurrency: "4", parallelizationFactor: "2" },
            { stream: { shards: 3 } },
        );
        expect(run.warnings).to.deep.equal([
            "config stock-market-pipeline:reservedConcurrency: 4 is below what the event source mapping runs at once, 6 (3 shards × parallelizationFactor 2): invocations are throttled and the stream falls behind (raise it to at least 6)",
        ]);
    });
});

describe("the alarm topic", () => {
    const ALARMS = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:stock-market-pipeline-test-*";
    const FROM_THE_ALARMS = {
        StringEquals: { "aws:SourceAccount": "111122223333" },
        ArnLike: { "aws:SourceArn": ALARMS },
    };

    it("names the alarms with the stack's prefix, which the topic's policy names", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM });
        expect(run.all(T.alarm).map(alarm => alarm.inputs.name)).to.deep.equal([
            "stock-market-pipeline-test-iterator-age",
            "stock-market-pipeline-test-errors",
            "stock-market-pipeline-test-failure-queue-depth",
        ]);
    });

    it("lets only the stack's alarms publish, never without TLS, replacing SNS's default policy", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM });
        const topicArn = "arn:aws:sns:us-east-1:123456789012:processor-alarms-abc123";
        const policy = run.one(T.topicPolicy);
        expect(policy.inputs.arn).to.equal(topicArn);
        expect(statementsOf(policy.inputs.policy)).to.deep.equal([
            {
                Sid: "StackAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: FROM_THE_ALARMS,
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ]);
        expect(run.one(T.topic).inputs.kmsMasterKeyId).to.equal(undefined);
        expect(run.all(T.key)).to.have.length(0);
    });

    it("with alarmTopicEncryption, is encrypted with a rotated key of the stack's that only its alarms may use", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM, alarmTopicEncryption: "true" });
        const key = run.one(T.key);
        expect(key.inputs).to.include({ enableKeyRotation: true, deletionWindowInDays: 30 });
        expect(run.one(T.topic).inputs.kmsMasterKeyId).to.equal(
            "arn:aws:kms:us-east-1:123456789012:processor-alarms-key-abc123",
        );
        const [admin, alarms] = statementsOf(key.inputs.policy);
        expect(admin).to.deep.include({ Principal: { AWS: "arn:aws:iam::111122223333:root" } });
        expect(alarms).to.deep.equal({
            Sid: "StackAlarmsEncryptForTheTopic",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: FROM_THE_ALARMS,
        });
        const publish = statementsOf(run.one(T.topicPolicy).inputs.policy).filter(s => s.Effect === "Allow");
        expect(publish.map(s => [s.Principal, s.Action, s.Condition])).to.deep.equal([
            [{ Service: "cloudwatch.amazonaws.com" }, "sns:Publish", FROM_THE_ALARMS],
        ]);
    });
});

describe("S3 server access logs", () => {
    it("with accessLogsBucket, logs the records and the results bucket, each under a prefix of its own", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM, accessLogsBucket: "org-access-logs" });
        const logging = run
            .all(T.logging)
            .map(l => [l.name, l.inputs.bucket, l.inputs.targetBucket, l.inputs.targetPrefix]);
        expect(logging).to.deep.equal([
            [
                "storage-records-access-logs",
                "storage-records-id",
                "org-access-logs",
                "s3-access-logs/stock-market-pipeline-test/storage-records-abc123/",
            ],
            [
                "analytics-results-access-logs",
                "analytics-results-id",
                "org-access-logs",
                "s3-access-logs/stock-market-pipeline-test/analytics-results-abc123/",
            ],
        ]);
    });

    it("without it, logs nothing", async () => {
        const run = await runProgram({ streamArn: REAL_STREAM });
        expect(run.all(T.logging)).to.have.length(0);
    });
});
