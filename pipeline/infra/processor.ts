import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { arnParts } from "../arn";
import { functionVariables, PREFIXES } from "../schema";
import { createHandlerFromEnvironment } from "../runtime/handler";
import type { ProcessorSettings } from "./config";

export interface StockProcessorArgs {
    /**
     * The processor's settings from the stack (the stream, the event source mapping, the function,
     * its logs and alarms, the object layout): docs/config.md lists each with its default;
     * `defaultSettings` fills them.
     */
    settings: ProcessorSettings;
    /**
     * The stream's ARN as looked up (index.ts checks the stream exists before anything is built):
     * what the mapping reads and the role may read.
     * @default settings.streamArn
     */
    streamArn?: pulumi.Input<string>;
    /** Name of the table the ticks are written to (becomes `TABLE_NAME`). */
    tableName: pulumi.Input<string>;
    /** ARN of that table: the only table the function may write. */
    tableArn: pulumi.Input<string>;
    /** Name of the bucket for raw, processed and rejected copies (becomes `BUCKET_NAME`). */
    bucketName: pulumi.Input<string>;
    /** ARN of that bucket: the function may put objects under its three prefixes only. */
    bucketArn: pulumi.Input<string>;
    /**
     * Days after its record's arrival an item expires (becomes `ITEM_TTL_DAYS`): StockStorage's
     * `itemTtlDays`, whose table expires items on the `expiresAt` the function then sets.
     * @default items never expire
     */
    itemTtlDays?: number;
    /**
     * The start of the alarms' names, unique in the account and region: the alarm topic's key and
     * policy let only alarms named so publish.
     * @default `${name}-${stack}`
     */
    alarmNamePrefix?: string;
}

/**
 * The stream processor: an inline callback Lambda subscribed to the stream with partial batch
 * responses, its least-privilege role, its logs, a failure queue for records it gives up on, and
 * alarms for falling behind, erroring and giving up, sent to a topic only they may publish to
 * (encrypted with a key of the stack's with `alarmTopicEncryption`).
 *
 * @example
 * // In any Pulumi program: subscribe to a stream, with the defaults for everything else.
 * const settings = defaultSettings("arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream", {
 *     memorySize: "1769", // only what differs from the defaults, as the stack's config writes it
 * });
 * const storage = new StockStorage("ticks", { settings: settingsOf(settings, "storage") });
 * const processor = new StockProcessor("ticks", {
 *     settings: settingsOf(settings, "processor"),
 *     tableName: storage.tableName,
 *     tableArn: storage.tableArn,
 *     bucketName: storage.bucketName,
 *     bucketArn: storage.bucketArn,
 * });
 * export const failureQueueUrl = processor.failureQueueUrl;
 */
export class StockProcessor extends pulumi.ComponentResource {
    public readonly function: aws.lambda.CallbackFunction<KinesisStreamEvent, KinesisStreamBatchResponse>;
    public readonly role: aws.iam.Role;
    public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
    public readonly failureQueue: aws.sqs.Queue;
    public readonly alarmTopic: aws.sns.Topic;
    /** The alarm topic's key, with `alarmTopicEncryption`. */
    public readonly alarmTopicKey?: aws.kms.Key;
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    public readonly failureQueueUrl: pulumi.Output<string>;
    public readonly alarmTopicArn: pulumi.Output<string>;
    /** The function's timeout in seconds, as deployed (`timeout` or its default): what a dashboard charts duration against. */
    public readonly timeout: number;

    constructor(name: string, args: StockProcessorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stock-market-pipeline:pipeline:StockProcessor", name, {}, opts);
        const { settings } = args;
        this.timeout = settings.timeout;
        const streamArn = args.streamArn ?? settings.streamArn;
        const alarmNamePrefix = args.alarmNamePrefix ?? `${name}-${pulumi.getStack()}`;

        this.failureQueue = new aws.sqs.Queue(
            `${name}-failures`,
            {
                sqsManagedSseEnabled: true,
                messageRetentionSeconds: 14 * 24 * 3600, // the maximum: time to look into what failed
            },
            { parent: this },
        );
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                namePrefix: `/aws/lambda/${name}-`,
                retentionInDays: settings.logRetentionDays,
            },
            { parent: this },
        );
        const { role, policy } = this.createRole(name, args, streamArn, logGroup);
        this.role = role;
        this.function = this.createFunction(name, args, settings, logGroup, policy);
        this.eventSourceMapping = this.createMapping(name, settings, streamArn, policy);
        const { topic, key } = this.createAlarmTopic(name, alarmNamePrefix, settings.alarmTopicEncryption);
        this.alarmTopic = topic;
        this.alarmTopicKey = key;
        this.createAlarms(name, alarmNamePrefix, settings.iteratorAgeAlarmSeconds, settings.alarmEmail);

        this.functionName = this.function.name;
        this.functionArn = this.function.arn;
        this.failureQueueUrl = this.failureQueue.url;
        this.alarmTopicArn = this.alarmTopic.arn;
        this.registerOutputs({
            functionName: this.functionName,
            functionArn: this.functionArn,
            failureQueueUrl: this.failureQueueUrl,
            alarmTopicArn: this.alarmTopicArn,
        });
    }

    /** The function's own role, trusted by Lambda only, with exactly what it and its mapping use. */
    private createRole(
        name: string,
        args: StockProcessorArgs,
        streamArn: pulumi.Input<string>,
        logGroup: aws.cloudwatch.LogGroup,
    ): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
                    ],
                }),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-least-privilege`,
            {
                role: role.id,
                policy: leastPrivilegePolicy({
                    streamArn,
                    streamKmsKeyArn: args.settings.streamKmsKeyArn,
                    tableArn: args.tableArn,
                    bucketArn: args.bucketArn,
                    failureQueueArn: this.failureQueue.arn,
                    logGroupArn: logGroup.arn,
                }),
            },
            { parent: this },
        );
        return { role, policy };
    }

    /** The inline callback function: the handler built once per container, configured by its environment. */
    private createFunction(
        name: string,
        args: StockProcessorArgs,
        settings: ProcessorSettings,
        logGroup: aws.cloudwatch.LogGroup,
        policy: aws.iam.RolePolicy,
    ): aws.lambda.CallbackFunction<KinesisStreamEvent, KinesisStreamBatchResponse> {
        return new aws.lambda.CallbackFunction(
            `${name}-fn`,
            {
                // Our own role: without one, CallbackFunction attaches nine broad managed policies.
                role: this.role,
                runtime: "nodejs22.x",
                architectures: ["arm64"],
                memorySize: settings.memorySize,
                timeout: settings.timeout,
                // A cap, so that a surge or a forged invocation cannot take the account's concurrency.
                reservedConcurrentExecutions: settings.reservedConcurrency,
                environment: {
                    variables: functionVariables({
                        tableName: args.tableName,
                        bucketName: args.bucketName,
                        objectLayout: settings.objectLayout,
                        itemTtlDays: args.itemTtlDays,
                    }),
                },
                loggingConfig: {
                    logFormat: "JSON",
                    logGroup: logGroup.name,
                    applicationLogLevel: "INFO",
                    systemLogLevel: "WARN",
                },
                // Runs once per container: the SDK clients and their connection pools are reused.
                callbackFactory: createHandlerFromEnvironment,
                codePathOptions: {
                    // nodejs22.x ships AWS SDK v3 (and its Smithy core): packing our copy would add
                    // tens of MB to every deployment and cold start for nothing.
                    extraExcludePackages: runtimeProvidedPackages(),
                },
            },
            { parent: this, dependsOn: [logGroup, policy] },
        );
    }

    /** The subscription to the stream: partial batch responses, bisection, bounded retries, a failure queue. */
    private createMapping(
        name: string,
        settings: ProcessorSettings,
        streamArn: pulumi.Input<string>,
        policy: aws.iam.RolePolicy,
    ): aws.lambda.EventSourceMapping {
        return new aws.lambda.EventSourceMapping(
            `${name}-subscription`,
            {
                eventSourceArn: streamArn,
                functionName: this.function.arn,
                batchSize: settings.batchSize,
                maximumBatchingWindowInSeconds: settings.maximumBatchingWindowInSeconds,
                startingPosition: settings.startingPosition,
                startingPositionTimestamp:
                    settings.startingPosition === "AT_TIMESTAMP" ? settings.startingPositionTimestamp : undefined,
                parallelizationFactor: settings.parallelizationFactor,
                // The handler reports the records it could not store; the mapping retries from the
                // lowest of them instead of the whole batch, and never checkpoints past a failure.
                functionResponseTypes: ["ReportBatchItemFailures"],
                bisectBatchOnFunctionError: true,
                maximumRetryAttempts: settings.maximumRetryAttempts,
                maximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
                destinationConfig: { onFailure: { destinationArn: this.failureQueue.arn } },
            },
            { parent: this, dependsOn: [policy] },
        );
    }

    /**
     * The alarms' topic, under a policy that lets only this stack's alarms (by their names'
     * prefix) publish, over TLS; with `encrypted`, under a key of the stack's that only they may
     * use besides the account's administrators. CloudWatch cannot publish to a topic under the AWS
     * managed aws/sns key, whose policy it cannot be granted.
     */
    private createAlarmTopic(
        name: string,
        alarmNamePrefix: string,
        encrypted: boolean,
    ): { topic: aws.sns.Topic; key?: aws.kms.Key } {
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const region = aws.getRegionOutput({}, { parent: this }).region;
        const source = pulumi
            .all([partition, region, account])
            .apply(([p, r, a]) => ({ account: a, alarms: `arn:${p}:cloudwatch:${r}:${a}:alarm:${alarmNamePrefix}-*` }));
        const key = encrypted
            ? new aws.kms.Key(
                  `${name}-alarms-key`,
                  {
                      description: `Encrypts the alarm topic of ${alarmNamePrefix}`,
                      enableKeyRotation: true,
                      deletionWindowInDays: 30,
                      policy: pulumi
                          .all([partition, source])
                          .apply(([p, s]) => alarmTopicKeyPolicy(`arn:${p}:iam::${s.account}:root`, s)),
                  },
                  { parent: this },
              )
            : undefined;
        const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key?.arn }, { parent: this });
        new aws.sns.TopicPolicy(
            `${name}-alarms-policy`,
            { arn: topic.arn, policy: pulumi.all([topic.arn, source]).apply(([arn, s]) => alarmTopicPolicy(arn, s)) },
            { parent: this },
        );
        return { topic, key };
    }

    /** Alarms on falling behind (iterator age), failing invocations and records given up on, to the alarm topic (and by email to `alarmEmail`). */
    private createAlarms(
        name: string,
        alarmNamePrefix: string,
        iteratorAgeAlarmSeconds: number,
        alarmEmail?: string,
    ): void {
        const topic = this.alarmTopic;
        if (alarmEmail) {
            new aws.sns.TopicSubscription(
                `${name}-alarms-email`,
                { topic: topic.arn, protocol: "email", endpoint: alarmEmail },
                { parent: this },
            );
        }
        const common = {
            alarmActions: [topic.arn],
            okActions: [topic.arn],
            treatMissingData: "notBreaching",
            period: 60,
        };
        const lambdaDimensions = { FunctionName: this.function.name };
        new aws.cloudwatch.MetricAlarm(
            `${name}-iterator-age`,
            {
                ...common,
                name: `${alarmNamePrefix}-iterator-age`,
                alarmDescription: `The processor is more than ${iteratorAgeAlarmSeconds} s behind the stream.`,
                namespace: "AWS/Lambda",
                metricName: "IteratorAge",
                dimensions: lambdaDimensions,
                statistic: "Maximum",
                comparisonOperator: "GreaterThanThreshold",
                threshold: iteratorAgeAlarmSeconds * 1000,
                evaluationPeriods: 5,
            },
            { parent: this },
        );
        new aws.cloudwatch.MetricAlarm(
            `${name}-errors`,
            {
                ...common,
                name: `${alarmNamePrefix}-errors`,
                alarmDescription: "The processor failed whole invocations (its batches are retried and bisected).",
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: lambdaDimensions,
                statistic: "Sum",
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                evaluationPeriods: 1,
            },
            { parent: this },
        );
        new aws.cloudwatch.MetricAlarm(
            `${name}-failure-queue-depth`,
            {
                ...common,
                name: `${alarmNamePrefix}-failure-queue-depth`,
                alarmDescription: "Records were given up on after retries: see the failure queue.",
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueName: this.failureQueue.name },
                statistic: "Maximum",
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                evaluationPeriods: 1,
            },
            { parent: this },
        );
    }
}

/** Who may use the alarm topic: the account, and this stack's alarms (`alarms`, an ARN pattern). */
interface AlarmSource {
    account: string;
    alarms: string;
}

/** CloudWatch acting for this account's alarms named with the stack's prefix, and nothing else. */
const fromTheAlarms = (source: AlarmSource) => ({
    StringEquals: { "aws:SourceAccount": source.account },
    ArnLike: { "aws:SourceArn": source.alarms },
});

/** The alarm topic key's policy: the account administers it, the stack's alarms encrypt with it. */
function alarmTopicKeyPolicy(accountRoot: string, source: AlarmSource): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                // KMS's default statement: without it no IAM policy of the account could manage the key.
                Sid: "AccountAdministersTheKey",
                Effect: "Allow",
                Principal: { AWS: accountRoot },
                Action: "kms:*",
                Resource: "*",
            },
            {
                // Publishing to an encrypted topic makes a data key: CloudWatch needs both.
                Sid: "StackAlarmsEncryptForTheTopic",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: fromTheAlarms(source),
            },
        ],
    });
}

/** The alarm topic's policy: only the stack's alarms publish, and never without TLS. */
function alarmTopicPolicy(topicArn: string, source: AlarmSource): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                // Replaces SNS's default policy, which lets any principal of the account subscribe or change the topic.
                Sid: "StackAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: fromTheAlarms(source),
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

interface PolicyTargets {
    streamArn: pulumi.Input<string>;
    streamKmsKeyArn?: pulumi.Input<string>;
    tableArn: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    failureQueueArn: pulumi.Input<string>;
    logGroupArn: pulumi.Input<string>;
}

/** Exactly what the function and its event source mapping use, each on its one resource. */
function leastPrivilegePolicy(targets: PolicyTargets): pulumi.Output<string> {
    return pulumi
        .all([
            targets.streamArn,
            targets.streamKmsKeyArn,
            targets.tableArn,
            targets.bucketArn,
            targets.failureQueueArn,
            targets.logGroupArn,
        ])
        .apply(([stream, kmsKey, table, bucket, queue, logGroup]) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ReadTheStream",
                        Effect: "Allow",
                        Action: [
                            "kinesis:DescribeStream",
                            "kinesis:DescribeStreamSummary",
                            "kinesis:GetRecords",
                            "kinesis:GetShardIterator",
                            "kinesis:ListShards",
                        ],
                        Resource: stream,
                    },
                    ...(kmsKey
                        ? [
                              {
                                  // Only through Kinesis and only for this stream's records: not whatever else the key encrypts.
                                  Sid: "DecryptTheStream",
                                  Effect: "Allow",
                                  Action: ["kms:Decrypt"],
                                  Resource: kmsKey,
                                  Condition: {
                                      StringEquals: {
                                          "kms:ViaService": `kinesis.${arnParts(stream).region}.amazonaws.com`,
                                          "kms:EncryptionContext:aws:kinesis:arn": stream,
                                      },
                                  },
                              },
                          ]
                        : []),
                    {
                        Sid: "WriteTicks",
                        Effect: "Allow",
                        Action: ["dynamodb:BatchWriteItem", "dynamodb:PutItem"],
                        Resource: table,
                    },
                    {
                        Sid: "WriteRecordCopies",
                        Effect: "Allow",
                        Action: ["s3:PutObject"],
                        Resource: Object.values(PREFIXES).map(prefix => `${bucket}/${prefix}*`),
                    },
                    { Sid: "SendGivenUpRecords", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: queue },
                    {
                        Sid: "WriteOwnLogs",
                        Effect: "Allow",
                        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        Resource: `${logGroup}:*`,
                    },
                ],
            }),
        );
}

/**
 * The program's dependencies that the nodejs22.x runtime already provides (AWS SDK v3 and the
 * Smithy packages it is built on). Excluding a package also skips its own dependencies.
 * Read from the program's package.json, the same file CallbackFunction packs dependencies from.
 */
function runtimeProvidedPackages(): string[] {
    const manifest = JSON.parse(fs.readFileSync(path.resolve("package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
    };
    return Object.keys(manifest.dependencies ?? {}).filter(name => /^@(aws-sdk|smithy)\//.test(name));
}
