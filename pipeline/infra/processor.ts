import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { ObjectLayout, PREFIXES } from "../schema";
import { createHandlerFromEnvironment } from "../runtime/handler";
import { DEFAULTS, StartingPosition } from "./config";

export interface StockProcessorArgs {
    /** ARN of the existing Kinesis stream that module 1 writes ticks to. */
    streamArn: pulumi.Input<string>;
    /** ARN of the KMS key the stream is encrypted with, if it uses a customer managed key. */
    streamKmsKeyArn?: pulumi.Input<string>;
    /** Name of the table the ticks are written to (becomes `TABLE_NAME`). */
    tableName: pulumi.Input<string>;
    /** ARN of that table: the only table the function may write. */
    tableArn: pulumi.Input<string>;
    /** Name of the bucket for raw, processed and rejected copies (becomes `BUCKET_NAME`). */
    bucketName: pulumi.Input<string>;
    /** ARN of that bucket: the function may put objects under its three prefixes only. */
    bucketArn: pulumi.Input<string>;
    /**
     * Records per invocation, 1-10000.
     * @default 100
     */
    batchSize?: number;
    /**
     * Seconds the mapping may wait to fill a batch, 0-300.
     * @default 0
     */
    maximumBatchingWindowInSeconds?: number;
    /**
     * Where a new mapping starts reading the stream.
     * @default "LATEST"
     */
    startingPosition?: StartingPosition;
    /** RFC 3339 instant to start from, with `AT_TIMESTAMP` only. */
    startingPositionTimestamp?: string;
    /**
     * Concurrent batches per shard, 1-10 (order is kept per partition key).
     * @default 1
     */
    parallelizationFactor?: number;
    /**
     * Retries of a failing batch before its records go to the failure queue (finite).
     * @default 10
     */
    maximumRetryAttempts?: number;
    /**
     * Age after which a failing record goes to the failure queue instead of being retried (finite):
     * well inside the stream's retention, so that it can still be read again.
     * @default 21600
     */
    maximumRecordAgeInSeconds?: number;
    /**
     * Function memory in MB (also buys CPU and network).
     * @default 512
     */
    memorySize?: number;
    /**
     * Function timeout in seconds; the handler retries transient errors within it.
     * @default 60
     */
    timeout?: number;
    /**
     * Days to keep the function's logs (a value CloudWatch Logs accepts).
     * @default 30
     */
    logRetentionDays?: number;
    /** Address that gets the alarms by email (to be confirmed by its owner); none when omitted. */
    alarmEmail?: string;
    /**
     * Iterator age, in seconds, above which the pipeline counts as falling behind.
     * @default 60
     */
    iteratorAgeAlarmSeconds?: number;
    /**
     * How records are written to S3 (becomes `OBJECT_LAYOUT`): `record`, one object per record under
     * each prefix; or `batch`, a few gzip NDJSON objects per invocation: $0.73 instead of $10.64 per
     * million ticks (README, "What it costs per million ticks").
     * @default "record"
     */
    objectLayout?: ObjectLayout;
}

/** The settings a StockProcessor falls back to, from the one table of defaults (config.ts). */
function resolvedSettings(args: StockProcessorArgs) {
    return {
        batchSize: args.batchSize ?? DEFAULTS.batchSize,
        maximumBatchingWindowInSeconds: args.maximumBatchingWindowInSeconds ?? DEFAULTS.maximumBatchingWindowInSeconds,
        startingPosition: args.startingPosition ?? DEFAULTS.startingPosition,
        parallelizationFactor: args.parallelizationFactor ?? DEFAULTS.parallelizationFactor,
        maximumRetryAttempts: args.maximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts,
        maximumRecordAgeInSeconds: args.maximumRecordAgeInSeconds ?? DEFAULTS.maximumRecordAgeInSeconds,
        memorySize: args.memorySize ?? DEFAULTS.memorySize,
        timeout: args.timeout ?? DEFAULTS.timeout,
        logRetentionDays: args.logRetentionDays ?? DEFAULTS.logRetentionDays,
        iteratorAgeAlarmSeconds: args.iteratorAgeAlarmSeconds ?? DEFAULTS.iteratorAgeAlarmSeconds,
        objectLayout: args.objectLayout ?? DEFAULTS.objectLayout,
    };
}

/**
 * The stream processor: an inline callback Lambda subscribed to the stream with partial batch
 * responses, its least-privilege role, its logs, a failure queue for records it gives up on, and
 * alarms for falling behind, erroring and giving up.
 *
 * @example
 * // In any Pulumi program: subscribe to a stream, with the defaults for everything else.
 * const storage = new StockStorage("ticks", { tableName: "StockMarketData" });
 * const processor = new StockProcessor("ticks", {
 *     streamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream",
 *     tableName: storage.tableName,
 *     tableArn: storage.tableArn,
 *     bucketName: storage.bucketName,
 *     bucketArn: storage.bucketArn,
 *     memorySize: 1769, // only what differs from the defaults
 * });
 * export const failureQueueUrl = processor.failureQueueUrl;
 */
export class StockProcessor extends pulumi.ComponentResource {
    public readonly function: aws.lambda.CallbackFunction<KinesisStreamEvent, KinesisStreamBatchResponse>;
    public readonly role: aws.iam.Role;
    public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
    public readonly failureQueue: aws.sqs.Queue;
    public readonly alarmTopic: aws.sns.Topic;
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    public readonly failureQueueUrl: pulumi.Output<string>;
    public readonly alarmTopicArn: pulumi.Output<string>;
    /** The function's timeout in seconds, as deployed (`timeout` or its default): what a dashboard charts duration against. */
    public readonly timeout: number;

    constructor(name: string, args: StockProcessorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stock-market-pipeline:pipeline:StockProcessor", name, {}, opts);
        const settings = resolvedSettings(args);
        this.timeout = settings.timeout;

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
        const { role, policy } = this.createRole(name, args, logGroup);
        this.role = role;
        this.function = this.createFunction(name, args, settings, logGroup, policy);
        this.eventSourceMapping = this.createMapping(name, args, settings, policy);
        this.alarmTopic = this.createAlarms(name, settings.iteratorAgeAlarmSeconds, args.alarmEmail);

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
                    streamArn: args.streamArn,
                    streamKmsKeyArn: args.streamKmsKeyArn,
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
        settings: ReturnType<typeof resolvedSettings>,
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
                environment: {
                    variables: {
                        TABLE_NAME: args.tableName,
                        BUCKET_NAME: args.bucketName,
                        OBJECT_LAYOUT: settings.objectLayout,
                    },
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
        args: StockProcessorArgs,
        settings: ReturnType<typeof resolvedSettings>,
        policy: aws.iam.RolePolicy,
    ): aws.lambda.EventSourceMapping {
        return new aws.lambda.EventSourceMapping(
            `${name}-subscription`,
            {
                eventSourceArn: args.streamArn,
                functionName: this.function.arn,
                batchSize: settings.batchSize,
                maximumBatchingWindowInSeconds: settings.maximumBatchingWindowInSeconds,
                startingPosition: settings.startingPosition,
                startingPositionTimestamp:
                    settings.startingPosition === "AT_TIMESTAMP" ? args.startingPositionTimestamp : undefined,
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
     * Alarms on falling behind (iterator age), failing invocations and records given up on, sent to
     * a topic of their own (and by email to `alarmEmail`); returns the topic.
     */
    private createAlarms(name: string, iteratorAgeAlarmSeconds: number, alarmEmail?: string): aws.sns.Topic {
        const topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this });
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
        return topic;
    }
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
                        ? [{ Sid: "DecryptTheStream", Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKey }]
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
