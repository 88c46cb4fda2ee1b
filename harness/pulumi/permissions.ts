/**
 * The IAM policies of the roles CI deploys and previews with, generated from the resources a
 * stack's program declares (run under mocks): per resource type, the actions the AWS provider
 * calls to read it (preview, refresh) and to create, update and delete it, on that resource's own
 * ARN (its configured name, or the name Pulumi generates from its logical name). A test checks
 * that every type the program can declare has its entry here, and none is left over.
 *
 * The actions are those the provider is known to call; should `pulumi up` end in an AccessDenied
 * naming another one, add it to its type here (the error names the action).
 */
import { arnParts } from "../../pipeline/arn";
import type { PipelineSettings } from "../../pipeline/infra/config";
import { DeclaredResource, fakeName, GENERATED_SUFFIX, ProgramRun, resourceOfId } from "./program-under-mocks";

/** Where the stack deploys: the ARNs' region and account. */
export interface RoleTarget {
    region: string;
    account: string;
    /** The stream the stack reads (aws.kinesis.getStream looks it up in every preview). */
    streamArn: string;
    /** The stream's key, when the stack names one. */
    streamKmsKeyArn?: string;
}

/** The target of a stack's roles: its region, and the stream's account, ARN and key. */
export function roleTarget(
    settings: Pick<PipelineSettings, "streamArn" | "streamKmsKeyArn">,
    region: string,
): RoleTarget {
    const { streamArn, streamKmsKeyArn } = settings;
    return { region, account: arnParts(streamArn).account, streamArn, streamKmsKeyArn };
}

interface Statement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string>>;
}

/** What a resource's ARN is, given its physical name (or name pattern) and the stack's target. */
type ArnOf = (name: string, target: RoleTarget, resource: DeclaredResource, run: ProgramRun) => string[];

interface TypePermissions {
    /** The statement's Sid stem, e.g. `Table` gives `ReadTable` and `ManageTable`. */
    sid: string;
    /** Why the role needs it: the docs list each Sid with its reason. */
    why: string;
    read: string[];
    write: string[];
    arn: ArnOf;
    /** Listing actions that take no narrower resource than all of the type's in the account and region. */
    list?: { actions: string[]; arn: (t: RoleTarget) => string };
    /** Extra statements a resource of the type needs (e.g. passing the function's role). */
    extra?: (resource: DeclaredResource, target: RoleTarget, run: ProgramRun) => Statement[];
}

/** The physical name, or for a name Pulumi generates (`<logical>-<random>`), a pattern matching it. */
export function namePattern(resource: Pick<DeclaredResource, "type" | "name" | "inputs">): string {
    const name = fakeName(resource.type, resource.name, resource.inputs);
    return name.endsWith(GENERATED_SUFFIX) ? `${name.slice(0, -GENERATED_SUFFIX.length)}*` : name;
}

/** The bucket a bucket setting (versioning, policy, …) belongs to: the resource whose id it names. */
function bucketOf(resource: DeclaredResource, run: ProgramRun): string {
    const bucket = resourceOfId(run, resource.inputs.bucket);
    return bucket ? namePattern(bucket) : String(resource.inputs.bucket);
}

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
const roleArn = (name: string, t: RoleTarget) => `arn:aws:iam::${t.account}:role/${name}`;
const functionArn = (name: string, t: RoleTarget) => `arn:aws:lambda:${t.region}:${t.account}:function:${name}`;
const topicArn = (name: string, t: RoleTarget) => `arn:aws:sns:${t.region}:${t.account}:${name}`;

/** The bucket settings' permissions: read and write one configuration of the bucket. */
const bucketSetting = (sid: string, why: string, read: string[], write: string[]): TypePermissions => ({
    sid,
    why,
    read,
    write,
    arn: (_, __, resource, run) => [bucketArn(bucketOf(resource, run))],
});

/** Per resource type the program declares: what reading and managing it takes. */
export const PERMISSIONS: Record<string, TypePermissions> = {
    "aws:dynamodb/table:Table": {
        sid: "Table",
        why: "the ticks table, with its point-in-time recovery and TTL",
        read: [
            "dynamodb:DescribeTable",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource",
        ],
        write: [
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "dynamodb:DeleteTable",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
        ],
        arn: (name, t) => [
            `arn:aws:dynamodb:${t.region}:${t.account}:table/${name}`,
            `arn:aws:dynamodb:${t.region}:${t.account}:table/${name}/index/*`,
        ],
    },
    "aws:s3/bucket:Bucket": {
        sid: "Buckets",
        why: "the records bucket and the Athena results bucket (the provider reads every setting of a bucket)",
        read: [
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:GetBucketPolicy",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketWebsite",
            "s3:GetBucketVersioning",
            "s3:GetBucketLogging",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetAccelerateConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:GetEncryptionConfiguration",
        ],
        write: ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging"],
        arn: name => [bucketArn(name)],
        // Emptying a bucket on destroy (forceDestroy: a stack without protectData) deletes every version.
        extra: (resource, _, run) =>
            resource.inputs.forceDestroy
                ? [
                      {
                          Sid: `EmptyOnDestroy${run.resources.filter(r => r.type === resource.type).indexOf(resource)}`,
                          Effect: "Allow",
                          Action: ["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                          Resource: [bucketArn(namePattern(resource)), `${bucketArn(namePattern(resource))}/*`],
                      },
                  ]
                : [],
    },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": bucketSetting(
        "BucketPublicAccessBlocks",
        "all four public-access blocks of each bucket",
        ["s3:GetBucketPublicAccessBlock"],
        ["s3:PutBucketPublicAccessBlock"],
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucketSetting(
        "BucketOwnership",
        "bucket-owner-enforced ownership (no ACLs)",
        ["s3:GetBucketOwnershipControls"],
        ["s3:PutBucketOwnershipControls"],
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucketSetting(
        "BucketEncryption",
        "default encryption of each bucket",
        ["s3:GetEncryptionConfiguration"],
        ["s3:PutEncryptionConfiguration"],
    ),
    "aws:s3/bucketPolicy:BucketPolicy": bucketSetting(
        "BucketPolicies",
        "the TLS-only policy of each bucket",
        ["s3:GetBucketPolicy"],
        ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucketSetting(
        "BucketLifecycles",
        "retention, archiving and old versions' expiry (deleting a lifecycle takes PutLifecycleConfiguration)",
        ["s3:GetLifecycleConfiguration"],
        ["s3:PutLifecycleConfiguration"],
    ),
    "aws:s3/bucketVersioning:BucketVersioning": bucketSetting(
        "BucketVersioning",
        "the records bucket's versioning",
        ["s3:GetBucketVersioning"],
        ["s3:PutBucketVersioning"],
    ),
    "aws:s3/bucketLogging:BucketLogging": bucketSetting(
        "BucketAccessLogging",
        "server access logging into accessLogsBucket",
        ["s3:GetBucketLogging"],
        ["s3:PutBucketLogging"],
    ),
    "aws:sqs/queue:Queue": {
        sid: "FailureQueue",
        why: "the queue records given up on go to",
        read: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"],
        write: ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"],
        arn: (name, t) => [`arn:aws:sqs:${t.region}:${t.account}:${name}`],
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        sid: "FunctionLogs",
        why: "the function's log group and its retention",
        read: ["logs:ListTagsForResource", "logs:ListTagsLogGroup"],
        write: [
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:TagLogGroup",
        ],
        arn: (name, t) => [`arn:aws:logs:${t.region}:${t.account}:log-group:${name}`],
        // The provider finds a log group by listing them by name prefix.
        list: { actions: ["logs:DescribeLogGroups"], arn: t => `arn:aws:logs:${t.region}:${t.account}:log-group:*` },
    },
    "aws:iam/role:Role": {
        sid: "FunctionRole",
        why: "the function's own role (passed to Lambda only)",
        read: [
            "iam:GetRole",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
        ],
        write: [
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
        ],
        arn: (name, t) => [roleArn(name, t)],
        extra: (resource, t) => [
            {
                Sid: "PassTheFunctionRoleToLambda",
                Effect: "Allow",
                Action: ["iam:PassRole"],
                Resource: roleArn(namePattern(resource), t),
                Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
            },
        ],
    },
    "aws:iam/rolePolicy:RolePolicy": {
        sid: "FunctionRolePolicy",
        why: "the function role's one inline policy",
        read: ["iam:GetRolePolicy"],
        write: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
        arn: (_, t, resource, run) => {
            const role = resourceOfId(run, resource.inputs.role);
            return [roleArn(role ? namePattern(role) : String(resource.inputs.role), t)];
        },
    },
    "aws:lambda/function:Function": {
        sid: "Function",
        why: "the processor function, its code, settings and concurrency cap",
        read: [
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:GetFunctionConcurrency",
            "lambda:GetFunctionRecursionConfig",
            "lambda:GetRuntimeManagementConfig",
            "lambda:ListVersionsByFunction",
            "lambda:ListTags",
        ],
        write: [
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:TagResource",
            "lambda:UntagResource",
        ],
        arn: (name, t) => [functionArn(name, t)],
    },
    "aws:lambda/eventSourceMapping:EventSourceMapping": {
        sid: "StreamSubscription",
        why: "the event source mapping from the stream to the function (created for the function, named by a UUID after)",
        read: ["lambda:GetEventSourceMapping"],
        write: ["lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
        arn: (_, t) => [`arn:aws:lambda:${t.region}:${t.account}:event-source-mapping:*`],
        extra: (_, t, run) => {
            const fn = run.resources.find(r => r.type === "aws:lambda/function:Function");
            return [
                {
                    Sid: "SubscribeTheFunction",
                    Effect: "Allow",
                    Action: ["lambda:CreateEventSourceMapping"],
                    Resource: "*",
                    Condition: {
                        ArnLike: { "lambda:FunctionArn": functionArn(fn ? namePattern(fn) : "*", t) },
                    },
                },
            ];
        },
    },
    "aws:sns/topic:Topic": {
        sid: "AlarmTopic",
        why: "the alarm topic",
        read: ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:GetDataProtectionPolicy"],
        write: ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"],
        arn: (name, t) => [topicArn(name, t)],
    },
    "aws:sns/topicPolicy:TopicPolicy": {
        sid: "AlarmTopicPolicy",
        why: "the alarm topic's policy (only the stack's alarms publish)",
        read: ["sns:GetTopicAttributes"],
        write: ["sns:SetTopicAttributes"],
        arn: (_, t, resource, run) => [topicOf(resource, t, run)],
    },
    "aws:sns/topicSubscription:TopicSubscription": {
        sid: "AlarmEmail",
        why: "alarmEmail's subscription to the alarm topic",
        read: ["sns:GetSubscriptionAttributes"],
        write: ["sns:Subscribe", "sns:Unsubscribe", "sns:SetSubscriptionAttributes"],
        arn: (_, t, resource, run) => {
            const topic = topicOf(resource, t, run);
            return [topic, `${topic}:*`];
        },
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        sid: "Alarms",
        why: "the alarms (iterator age, errors, failure queue)",
        read: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
        write: [
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ],
        arn: (name, t) => [`arn:aws:cloudwatch:${t.region}:${t.account}:alarm:${name}`],
    },
    "aws:cloudwatch/dashboard:Dashboard": {
        sid: "Dashboard",
        why: "the health dashboard",
        read: ["cloudwatch:GetDashboard"],
        write: ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
        arn: (_, t, resource) => [`arn:aws:cloudwatch::${t.account}:dashboard/${resource.inputs.dashboardName}`],
    },
    "aws:glue/catalogDatabase:CatalogDatabase": {
        sid: "GlueDatabase",
        why: "the analytics database (deleting it deletes its tables)",
        read: ["glue:GetDatabase", "glue:GetTags"],
        write: [
            "glue:CreateDatabase",
            "glue:UpdateDatabase",
            "glue:DeleteDatabase",
            "glue:DeleteTable",
            "glue:TagResource",
        ],
        arn: (name, t) => [
            `arn:aws:glue:${t.region}:${t.account}:catalog`,
            `arn:aws:glue:${t.region}:${t.account}:database/${name}`,
            `arn:aws:glue:${t.region}:${t.account}:table/${name}/*`,
        ],
    },
    "aws:glue/catalogTable:CatalogTable": {
        sid: "GlueTables",
        why: "the ticks and rejected tables over the bucket",
        read: ["glue:GetTable"],
        write: ["glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable"],
        arn: (name, t, resource) => [
            `arn:aws:glue:${t.region}:${t.account}:catalog`,
            `arn:aws:glue:${t.region}:${t.account}:database/${resource.inputs.databaseName}`,
            `arn:aws:glue:${t.region}:${t.account}:table/${resource.inputs.databaseName}/${name}`,
        ],
    },
    "aws:athena/workgroup:Workgroup": {
        sid: "AthenaWorkgroup",
        why: "the Athena workgroup (deleting it deletes its saved queries)",
        read: ["athena:GetWorkGroup", "athena:ListTagsForResource"],
        write: [
            "athena:CreateWorkGroup",
            "athena:UpdateWorkGroup",
            "athena:DeleteWorkGroup",
            "athena:TagResource",
            "athena:UntagResource",
        ],
        arn: (name, t) => [`arn:aws:athena:${t.region}:${t.account}:workgroup/${name}`],
    },
    "aws:athena/namedQuery:NamedQuery": {
        sid: "AthenaNamedQueries",
        why: "the named queries, saved in the workgroup",
        read: ["athena:GetNamedQuery"],
        write: ["athena:CreateNamedQuery", "athena:DeleteNamedQuery"],
        arn: (_, t, resource) => [`arn:aws:athena:${t.region}:${t.account}:workgroup/${resource.inputs.workgroup}`],
    },
    "aws:kms/key:Key": {
        sid: "AlarmTopicKey",
        why: "the alarm topic's key (alarmTopicEncryption); a key's ARN is only known once created",
        read: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
        write: [
            "kms:PutKeyPolicy",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:ScheduleKeyDeletion",
            "kms:TagResource",
            "kms:UntagResource",
        ],
        arn: (_, t) => [`arn:aws:kms:${t.region}:${t.account}:key/*`],
        extra: () => [{ Sid: "CreateTheAlarmTopicKey", Effect: "Allow", Action: ["kms:CreateKey"], Resource: "*" }],
    },
};

/** The ARN of the topic a topic policy or subscription is for. */
function topicOf(resource: DeclaredResource, t: RoleTarget, run: ProgramRun): string {
    const reference = String(resource.inputs.arn ?? resource.inputs.topic);
    const topic = run.resources.find(
        r => r.type === "aws:sns/topic:Topic" && reference.endsWith(fakeName(r.type, r.name, r.inputs)),
    );
    return topicArn(topic ? namePattern(topic) : "*", t);
}

/** What every preview reads besides the stack's resources: the stream and its key (the stream check). */
function lookups(target: RoleTarget): Statement[] {
    return [
        {
            Sid: "LookUpTheStream",
            Effect: "Allow",
            Action: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListTagsForStream"],
            Resource: target.streamArn,
        },
        {
            Sid: "DescribeTheStreamKey",
            Effect: "Allow",
            Action: ["kms:DescribeKey"],
            Resource: target.streamKmsKeyArn ?? `arn:aws:kms:${target.region}:${target.account}:key/*`,
        },
    ];
}

/** What `npm run verify` does after each `pulumi up` in CI: canaries through the stream, read back, deleted. */
function verifyStatements(target: RoleTarget, run: ProgramRun): Statement[] {
    const table = run.resources.find(r => r.type === "aws:dynamodb/table:Table");
    const bucket = run.resources.find(r => r.type === "aws:s3/bucket:Bucket" && r.name.startsWith("storage-"));
    const bucketName = bucket ? namePattern(bucket) : "*";
    return [
        {
            Sid: "VerifyPutCanaries",
            Effect: "Allow",
            Action: ["kinesis:ListShards", "kinesis:PutRecords"],
            Resource: target.streamArn,
        },
        ...(target.streamKmsKeyArn
            ? [
                  {
                      Sid: "VerifyEncryptCanaries",
                      Effect: "Allow" as const,
                      Action: ["kms:GenerateDataKey"],
                      Resource: target.streamKmsKeyArn,
                  },
              ]
            : []),
        {
            Sid: "VerifyReadAndDeleteCanaryItems",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:DeleteItem"],
            Resource: `arn:aws:dynamodb:${target.region}:${target.account}:table/${table ? namePattern(table) : "*"}`,
        },
        {
            Sid: "VerifyReadAndDeleteCanaryObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:DeleteObject"],
            Resource: [`${bucketArn(bucketName)}/raw/*`, `${bucketArn(bucketName)}/processed/*`],
        },
    ];
}

/** The resource types a run declared that this table has no permissions for (none, when in step). */
export function typesWithoutPermissions(run: ProgramRun): string[] {
    return [...new Set(run.resources.map(r => r.type))]
        .filter(type => type.startsWith("aws:"))
        .filter(type => !Object.hasOwn(PERMISSIONS, type));
}

/** One statement per resource type the run declared (its resources' ARNs together), then the extras. */
function typeStatements(run: ProgramRun, target: RoleTarget, access: "read" | "manage"): Statement[] {
    const missing = typesWithoutPermissions(run);
    if (missing.length > 0) throw new Error(`no permissions known for ${missing.join(", ")}: add them to PERMISSIONS`);
    const statements: Statement[] = [];
    const extras: Statement[] = [];
    for (const [type, entry] of Object.entries(PERMISSIONS)) {
        const resources = run.resources.filter(r => r.type === type);
        if (resources.length === 0) continue;
        const arns = [...new Set(resources.flatMap(r => entry.arn(namePattern(r), target, r, run)))];
        statements.push({
            Sid: `${access === "read" ? "Read" : "Manage"}${entry.sid}`,
            Effect: "Allow",
            Action: access === "read" ? entry.read : [...new Set([...entry.read, ...entry.write])],
            Resource: arns.length === 1 ? arns[0] : arns,
        });
        if (entry.list)
            statements.push({
                Sid: `List${entry.sid}`,
                Effect: "Allow",
                Action: entry.list.actions,
                Resource: entry.list.arn(target),
            });
        if (access === "manage") for (const r of resources) extras.push(...(entry.extra?.(r, target, run) ?? []));
    }
    const seen = new Set<string>();
    return [...statements, ...extras.filter(s => !seen.has(s.Sid) && seen.add(s.Sid))];
}

/** The deploy role's policy: read and manage every resource the stack declares, the lookups, and verify's canaries. */
export function deployRolePolicy(run: ProgramRun, target: RoleTarget): string {
    const Statement = [...typeStatements(run, target, "manage"), ...lookups(target), ...verifyStatements(target, run)];
    return JSON.stringify({ Version: "2012-10-17", Statement }, null, 4);
}

/** The preview role's policy: read only, what `pulumi preview` (and `--refresh`) reads. */
export function previewRolePolicy(run: ProgramRun, target: RoleTarget): string {
    const Statement = [...typeStatements(run, target, "read"), ...lookups(target)];
    return JSON.stringify({ Version: "2012-10-17", Statement }, null, 4);
}

/** Each Sid the two policies can hold, with why the role needs it: for the docs. */
export function statementReasons(): [string, string][] {
    const reasons: [string, string][] = Object.values(PERMISSIONS).flatMap(entry => [
        [`Read${entry.sid}`, `${entry.why} (read: preview and refresh)`] as [string, string],
        [`Manage${entry.sid}`, `${entry.why} (create, update, delete)`] as [string, string],
    ]);
    const lists: [string, string][] = Object.values(PERMISSIONS)
        .filter(entry => entry.list)
        .map(entry => [`List${entry.sid}`, `${entry.why}: found by listing, which takes no narrower resource`]);
    return [
        ...reasons,
        ...lists,
        ["EmptyOnDestroy0, EmptyOnDestroy1", "without protectData, pulumi destroy empties the buckets (every version)"],
        ["PassTheFunctionRoleToLambda", "give the function its role, to Lambda only"],
        ["SubscribeTheFunction", "create the mapping, for this stack's function only"],
        ["CreateTheAlarmTopicKey", "create the alarm topic's key (KMS cannot scope CreateKey to a key)"],
        ["LookUpTheStream, DescribeTheStreamKey", "the stream check every preview makes before declaring anything"],
        ["Verify…", "npm run verify after pulumi up in CI: canaries put, read back and deleted"],
    ];
}

/**
 * The trust policy of a CI role: GitHub's OIDC provider may have the role assumed only for this
 * repository's main branch (deploy) or its pull requests (preview), as the `sub` claim GitHub
 * signs says (a job with a GitHub environment gets `repo:OWNER/REPO:environment:NAME` instead).
 */
export function ciTrustPolicy(role: "deploy" | "preview", account: string, repository: string): string {
    const subject = role === "deploy" ? `repo:${repository}:ref:refs/heads/main` : `repo:${repository}:pull_request`;
    return JSON.stringify(
        {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid:
                        role === "deploy"
                            ? "GitHubActionsOnMainOfThisRepository"
                            : "GitHubActionsOnPullRequestsOfThisRepository",
                    Effect: "Allow",
                    Principal: {
                        Federated: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
                    },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            "token.actions.githubusercontent.com:sub": subject,
                        },
                    },
                },
            ],
        },
        null,
        4,
    );
}
