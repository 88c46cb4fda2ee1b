/**
 * The AWS Security Hub controls (Foundational Security Best Practices) that apply to what the
 * stack declares, and where it stands on each: met (checked here on the declared resources),
 * met with a setting (checked with it, and seen to fail without it), left to the account, or not
 * met by design. docs/security.md's table is generated from this list (`npm run config-docs`),
 * and a test runs each check on the prod stack under mocks, so the page cannot claim what the
 * code no longer does.
 */
import { DeclaredResource, fakeId, ProgramRun } from "../pulumi/program-under-mocks";

export interface Control {
    /** Security Hub's control id, e.g. S3.5; empty for a practice it has no control for. */
    id: string;
    title: string;
    status: "met" | "met with a setting" | "left to the account" | "not met, by design";
    /** How the stack meets it, or why it does not. */
    how: string;
    /** True when the declared resources meet it: checked on the prod stack. */
    check?: (run: ProgramRun) => boolean;
    /** For "met with a setting": the config that turns it off, where `check` must then fail. */
    without?: Record<string, string>;
}

const T = {
    bucket: "aws:s3/bucket:Bucket",
    table: "aws:dynamodb/table:Table",
    fn: "aws:lambda/function:Function",
};

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };
const statementsOf = (policy: string): Statement[] => (JSON.parse(policy) as { Statement: Statement[] }).Statement;
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** Each bucket the stack creates, and whether `has` holds for the companion resource of that bucket. */
function everyBucket(run: ProgramRun, type: string, has: (companion: DeclaredResource) => boolean): boolean {
    const buckets = run.all(T.bucket);
    return (
        buckets.length > 0 &&
        buckets.every(bucket =>
            run.all(type).some(companion => companion.inputs.bucket === fakeId(bucket.name) && has(companion)),
        )
    );
}

export const CONTROLS: Control[] = [
    {
        id: "S3.1",
        title: "S3 general purpose buckets should have block public access settings enabled (account level)",
        status: "left to the account",
        how: "An account-wide setting, outside any one stack. Each bucket of the stack blocks public access itself (S3.8).",
    },
    {
        id: "S3.5",
        title: "S3 general purpose buckets should require requests to use SSL",
        status: "met",
        how: "Each bucket's policy denies every request made without TLS (DenyInsecureTransport).",
        check: run =>
            everyBucket(run, "aws:s3/bucketPolicy:BucketPolicy", policy =>
                statementsOf(policy.inputs.policy).some(
                    s =>
                        s.Effect === "Deny" &&
                        JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
                ),
            ),
    },
    {
        id: "S3.8",
        title: "S3 general purpose buckets should block public access",
        status: "met",
        how: "All four public-access blocks on each bucket.",
        check: run =>
            everyBucket(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", block =>
                ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every(
                    key => block.inputs[key] === true,
                ),
            ),
    },
    {
        id: "S3.9",
        title: "S3 general purpose bucket server access logging should be enabled",
        status: "met with a setting",
        how: "`accessLogsBucket`: both buckets log every request into that bucket, each under a prefix of its own (the prod stack sets it).",
        check: run =>
            everyBucket(run, "aws:s3/bucketLogging:BucketLogging", logging => Boolean(logging.inputs.targetBucket)),
        without: { accessLogsBucket: "" },
    },
    {
        id: "S3.12",
        title: "ACLs should not be used to manage user access to S3 general purpose buckets",
        status: "met",
        how: "Bucket-owner-enforced ownership on each bucket: ACLs are off.",
        check: run =>
            everyBucket(
                run,
                "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                o => o.inputs.rule?.objectOwnership === "BucketOwnerEnforced",
            ),
    },
    {
        id: "S3.13",
        title: "S3 general purpose buckets should have Lifecycle configurations",
        status: "met",
        how: "The records bucket expires old versions and incomplete uploads (and each prefix with its `*ExpireAfterDays`); the results bucket expires query results.",
        check: run =>
            everyBucket(
                run,
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                l => l.inputs.rules?.length > 0,
            ),
    },
    {
        id: "S3.14",
        title: "S3 general purpose buckets should have versioning enabled",
        status: "met",
        how: "The records bucket is always versioned; old versions expire after `noncurrentVersionDays`. The Athena results bucket is not: query results can be made again and expire within days (Security Hub lists it as failed; suppress the finding for it).",
        check: run =>
            run
                .all("aws:s3/bucketVersioning:BucketVersioning")
                .some(
                    v =>
                        v.inputs.bucket === fakeId("storage-records") &&
                        v.inputs.versioningConfiguration?.status === "Enabled",
                ),
    },
    {
        id: "DynamoDB.1",
        title: "DynamoDB tables should automatically scale capacity with demand",
        status: "met",
        how: "On-demand capacity (PAY_PER_REQUEST).",
        check: run => run.one(T.table).inputs.billingMode === "PAY_PER_REQUEST",
    },
    {
        id: "DynamoDB.2",
        title: "DynamoDB tables should have point-in-time recovery enabled",
        status: "met",
        how: "Point-in-time recovery on (35 days of restores).",
        check: run => run.one(T.table).inputs.pointInTimeRecovery?.enabled === true,
    },
    {
        id: "DynamoDB.6",
        title: "DynamoDB tables should have deletion protection enabled",
        status: "met with a setting",
        how: "`protectData` (the prod stack sets it): deletion protection, and Pulumi's protect and retainOnDelete.",
        check: run => run.one(T.table).inputs.deletionProtectionEnabled === true,
        without: { protectData: "false" },
    },
    {
        id: "Lambda.1",
        title: "Lambda function policies should prohibit public access",
        status: "met",
        how: "The function has no resource-based policy: only its event source mapping invokes it.",
        check: run => run.all("aws:lambda/permission:Permission").length === 0,
    },
    {
        id: "Lambda.2",
        title: "Lambda functions should use supported runtimes",
        status: "met",
        how: "nodejs22.x.",
        check: run => run.one(T.fn).inputs.runtime === "nodejs22.x",
    },
    {
        id: "Lambda.3",
        title: "Lambda functions should be in a VPC",
        status: "not met, by design",
        how: "The function talks only to Kinesis, DynamoDB, S3 and SQS over TLS with its own role; a VPC would add NAT gateways or interface endpoints (hours billed) and gain nothing for this traffic.",
    },
    {
        id: "SNS.1",
        title: "SNS topics should be encrypted at-rest using AWS KMS",
        status: "met with a setting",
        how: "`alarmTopicEncryption` (the prod stack sets it): a key of the stack's, with rotation, that only its alarms may use; the topic's policy lets only them publish, over TLS, whether encrypted or not.",
        check: run => Boolean(run.one("aws:sns/topic:Topic").inputs.kmsMasterKeyId),
        without: { alarmTopicEncryption: "false" },
    },
    {
        id: "SQS.1",
        title: "Amazon SQS queues should be encrypted at rest",
        status: "met",
        how: "The failure queue uses SQS-managed server-side encryption.",
        check: run => run.one("aws:sqs/queue:Queue").inputs.sqsManagedSseEnabled === true,
    },
    {
        id: "KMS.4",
        title: "AWS KMS key rotation should be enabled",
        status: "met",
        how: "The stack's only key (the alarm topic's) rotates yearly. The stream's key is module 1's.",
        check: run => run.all("aws:kms/key:Key").every(key => key.inputs.enableKeyRotation === true),
    },
    {
        id: "CloudWatch.16",
        title: "CloudWatch log groups should be retained for a specified time period (365 days at least)",
        status: "met with a setting",
        how: "`logRetentionDays` 365 or more (the prod stack keeps a year; the default is 30, the dev stack 14).",
        check: run => run.one("aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays >= 365,
        without: { logRetentionDays: "30" },
    },
    {
        id: "IAM.1",
        title: 'IAM policies should not allow full "*" administrative privileges',
        status: "met",
        how: "The function's role has one inline policy: each statement names its actions (no wildcard) on this stack's resources.",
        check: run =>
            run
                .all("aws:iam/rolePolicy:RolePolicy")
                .every(p =>
                    statementsOf(p.inputs.policy).every(
                        s => !list(s.Action).some(a => a.includes("*")) && !list(s.Resource).includes("*"),
                    ),
                ),
    },
    {
        id: "Athena.4",
        title: "Athena workgroups should have logging enabled",
        status: "met",
        how: "The workgroup publishes its CloudWatch metrics, and enforces its settings on every client.",
        check: run => {
            const c = run.one("aws:athena/workgroup:Workgroup").inputs.configuration;
            return c?.publishCloudwatchMetricsEnabled === true && c?.enforceWorkgroupConfiguration === true;
        },
    },
    {
        id: "Kinesis.1",
        title: "Kinesis streams should be encrypted at rest",
        status: "left to the account",
        how: "The stream is module 1's. The stack reads an encrypted one: set `streamKmsKeyArn` for a customer managed key (kms:Decrypt only through Kinesis, for this stream).",
    },
    {
        id: "",
        title: "Glue Data Catalog encryption (metadata and connection passwords)",
        status: "left to the account",
        how: "An account-wide setting of the Glue Data Catalog, not of a database or table. The tables hold only schemas and the bucket's location.",
    },
    {
        id: "CloudTrail.1",
        title: "CloudTrail should be enabled with at least one multi-Region trail",
        status: "left to the account",
        how: "Who called which API (including every change pulumi up makes) is the account's trail.",
    },
];

/** The control table of docs/security.md. */
export function controlTable(): string {
    const cell = (text: string) => text.replace(/\|/g, "\\|");
    const rows = CONTROLS.map(c => `| ${c.id || "—"} | ${cell(c.title)} | ${c.status} | ${cell(c.how)} |`);
    return ["| control | what it asks | status | how |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
