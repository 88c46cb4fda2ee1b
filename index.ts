import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { glueName, StockAnalytics } from "./pipeline/infra/analytics";
import { ConfigError, formatProblem, parseStackConfig, PipelineSettings, settingsOf } from "./pipeline/infra/config";
import { dashboardName, StockDashboard } from "./pipeline/infra/dashboard";
import { StockProcessor } from "./pipeline/infra/processor";
import { awsConfigKeys } from "./pipeline/infra/provider-config";
import { StockStorage } from "./pipeline/infra/storage";
import { concurrencyWarning, lookUpStream } from "./pipeline/infra/stream";

const warn = (line: string) => void pulumi.log.warn(line);

/**
 * Reads the stack's config; bad values stop the program here, before any resource, each on a line.
 * The whole map (not only the keys we know) so that a misspelt key, a misspelt namespace or an
 * `aws:` key the provider does not take is caught rather than ignored; the region as the AWS
 * provider resolves it (aws:region, else AWS_REGION). What only a deployment must not have (the
 * documentation's account) stops `pulumi up` and is a warning in a preview.
 */
function readSettings(): PipelineSettings {
    return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getProject(), aws.config.region, {
        providerKeys: { aws: awsConfigKeys() },
        deploying: !pulumi.runtime.isDryRun(),
        warn,
    });
}

/** The stack: config and stream checked first, then every resource; returns the stack's outputs. */
async function stack() {
    const settings = readSettings();
    const stream = await lookUpStream(settings, pulumi.getProject(), warn);
    const cap = concurrencyWarning(settings, stream);
    if (cap) warn(formatProblem(pulumi.getProject(), cap));

    const prefix = `stock-market-pipeline-${pulumi.getStack()}`;
    // Alarm and dashboard names take fewer characters than a stack name: both use the dashboard's rule.
    const namePrefix = dashboardName(prefix);
    const accessLogs = settings.accessLogsBucket
        ? { bucketName: settings.accessLogsBucket, prefix: `s3-access-logs/${prefix}/` }
        : undefined;

    const storage = new StockStorage("storage", { settings: settingsOf(settings, "storage"), accessLogs });

    const processor = new StockProcessor("processor", {
        settings: settingsOf(settings, "processor"),
        streamArn: stream.arn,
        tableName: storage.tableName,
        tableArn: storage.tableArn,
        bucketName: storage.bucketName,
        bucketArn: storage.bucketArn,
        itemTtlDays: storage.itemTtlDays,
        alarmNamePrefix: namePrefix,
    });

    const health = new StockDashboard("health", {
        functionName: processor.functionName,
        timeoutSeconds: processor.timeout,
        failureQueueName: processor.failureQueue.name,
        tableName: storage.tableName,
        dashboardName: namePrefix,
    });

    // Athena over the bucket; it reads what the processor wrote and grants the processor nothing.
    const analytics = settings.analytics
        ? new StockAnalytics("analytics", {
              bucketName: storage.bucketName,
              databaseName: glueName(`stock_market_${pulumi.getStack()}`),
              workgroupName: prefix,
              settings: settingsOf(settings, "analytics"),
              accessLogs,
          })
        : undefined;

    return {
        streamArn: stream.arn,
        tableName: storage.tableName,
        tableArn: storage.tableArn,
        bucketName: storage.bucketName,
        functionName: processor.functionName,
        functionArn: processor.functionArn,
        failureQueueUrl: processor.failureQueueUrl,
        alarmTopicArn: processor.alarmTopicArn,
        dashboardUrl: health.url,
        // With `analytics: false` these are null: the stack shows them as off (Pulumi drops and warns about undefined).
        analyticsDatabase: analytics?.databaseName ?? null,
        ticksTable: analytics?.ticksTableName ?? null,
        rejectedTable: analytics?.rejectedTableName ?? null,
        athenaWorkgroup: analytics?.workgroupName ?? null,
        athenaResultsBucket: analytics?.resultsBucketName ?? null,
        athenaConsoleUrl: analytics?.consoleUrl ?? null,
    };
}

/**
 * Pulumi runs the exported function and awaits it: the stream lookup ends before any resource is
 * declared. A bad config or stream stops it with one line per problem: RunError prints the message
 * alone, without a stack trace of our own code.
 */
export = async () => {
    try {
        return await stack();
    } catch (err) {
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
};
