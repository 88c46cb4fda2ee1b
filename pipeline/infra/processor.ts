import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { PREFIXES } from "../schema";
import { createHandlerFromEnvironment } from "../runtime/handler";
import type { ProcessorSettings } from "./config";

export interface StockProcessorArgs {
    /**
     * The processor's settings from the stack (the stream, the event source mapping, the function,
     * its logs and alarms, the object layout): docs/config.md lists each with its default;
     * `defaultSettings` fills them.
     */
    settings: ProcessorSettings;
    /** Name of the table the ticks are written to (becomes `TABLE_NAME`). */
    tableName: pulumi.Input<string>;
    /** ARN of that table: the only table the function may write. */
    tableArn: pulumi.Input<string>;
    /** Name of the bucket for raw, processed and rejected copies (becomes `BUCKET_NAME`). */
    bucketName: pulumi.Input<string>;
    /** ARN of that bucket: the function may put objects under its three prefixes only. */
    bucketArn: pulumi.Input<string>;
}

/**
 * The stream processor: an inline callback Lambda subscribed to the stream with partial batch
 * responses, its least-privilege role, its logs, a failure queue for records it gives up on, and
 * alarms for falling behind, erroring and giving up.
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
        this.eventSourceMapping = this.createMapping(name, settings, policy);
        this.alarmTopic = this.createAlarms(name, settings.iteratorAgeAlarmSeconds, settings.alarmEmail);

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
                    streamArn: args.settings.streamArn,
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
        settings: ProcessorSettings,
        policy: aws.iam.RolePolicy,
    ): aws.lambda.EventSourceMapping {
        return new aws.lambda.EventSourceMapping(
            `${name}-subscription`,
            {
                eventSourceArn: settings.streamArn,
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
