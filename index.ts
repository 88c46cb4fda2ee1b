import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { glueName, StockAnalytics } from "./pipeline/infra/analytics";
import { ConfigError, parseStackConfig, PipelineSettings, settingsOf } from "./pipeline/infra/config";
import { dashboardName, StockDashboard } from "./pipeline/infra/dashboard";
import { StockProcessor } from "./pipeline/infra/processor";
import { StockStorage } from "./pipeline/infra/storage";

/**
 * Reads the stack's config; bad values stop the program here, before any resource, each on a line.
 * The whole map (not only the keys we know) so that a misspelt key is caught rather than ignored;
 * the region as the AWS provider resolves it (aws:region, else AWS_REGION).
 */
function readSettings(): PipelineSettings {
    try {
        return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getProject(), aws.config.region);
    } catch (err) {
        // RunError prints the message alone, without a stack trace of our own code.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

const settings = readSettings();

const storage = new StockStorage("storage", { settings: settingsOf(settings, "storage") });

const processor = new StockProcessor("processor", {
    settings: settingsOf(settings, "processor"),
    tableName: storage.tableName,
    tableArn: storage.tableArn,
    bucketName: storage.bucketName,
    bucketArn: storage.bucketArn,
});

const health = new StockDashboard("health", {
    functionName: processor.functionName,
    timeoutSeconds: processor.timeout,
    failureQueueName: processor.failureQueue.name,
    tableName: storage.tableName,
    dashboardName: dashboardName(`stock-market-pipeline-${pulumi.getStack()}`),
});

// Athena over the bucket; it reads what the processor wrote and grants the processor nothing.
const analytics = settings.analytics
    ? new StockAnalytics("analytics", {
          bucketName: storage.bucketName,
          databaseName: glueName(`stock_market_${pulumi.getStack()}`),
          workgroupName: `stock-market-pipeline-${pulumi.getStack()}`,
          settings: settingsOf(settings, "analytics"),
      })
    : undefined;

export const streamArn = settings.streamArn;
export const tableName = storage.tableName;
export const tableArn = storage.tableArn;
export const bucketName = storage.bucketName;
export const functionName = processor.functionName;
export const functionArn = processor.functionArn;
export const failureQueueUrl = processor.failureQueueUrl;
export const alarmTopicArn = processor.alarmTopicArn;
export const dashboardUrl = health.url;
// With `analytics: false` these are null: the stack shows them as off (Pulumi drops and warns about undefined).
export const analyticsDatabase = analytics?.databaseName ?? null;
export const ticksTable = analytics?.ticksTableName ?? null;
export const rejectedTable = analytics?.rejectedTableName ?? null;
export const athenaWorkgroup = analytics?.workgroupName ?? null;
export const athenaResultsBucket = analytics?.resultsBucketName ?? null;
export const athenaConsoleUrl = analytics?.consoleUrl ?? null;
