import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FUNCTION_NAME_DIMENSION, METRICS, METRICS_NAMESPACE, SERVICE } from "../schema";

export interface StockDashboardArgs {
    /** The processor's function name: its Lambda metrics are charted. */
    functionName: pulumi.Input<string>;
    /** The function's timeout in seconds (StockProcessor's `timeout`): duration is charted against it. */
    timeoutSeconds: number;
    /** The failure queue's name: its depth is what was given up on. */
    failureQueueName: pulumi.Input<string>;
    /** The table's name: its write throttles slow the processor down. */
    tableName: pulumi.Input<string>;
    /**
     * The dashboard's name, unique in the account and region: letters, digits, `-` and `_` only.
     * @default `${name}-${stack}`, other characters as `_`
     */
    dashboardName?: pulumi.Input<string>;
}

/** The names a dashboard body is made of, once known. */
export interface DashboardTargets {
    region: string;
    functionName: string;
    timeoutSeconds: number;
    failureQueueName: string;
    tableName: string;
}

type Metric = (string | Record<string, unknown>)[];

const WIDTH = 8;
const HEIGHT = 6;

function widget(index: number, title: string, region: string, metrics: Metric[], extra: Record<string, unknown> = {}) {
    return {
        type: "metric",
        x: (index % 3) * WIDTH,
        y: Math.floor(index / 3) * HEIGHT,
        width: WIDTH,
        height: HEIGHT,
        properties: { title, region, view: "timeSeries", period: 60, metrics, ...extra },
    };
}

/**
 * The pipeline's health on one page: is it keeping up (iterator age, ingest lag), is it failing
 * (errors, throttles, records failed or given up on), and is it near its limits (duration
 * against the timeout, concurrency, DynamoDB throttling). Pure, so it can be tested.
 */
export function dashboardBody(t: DashboardTargets): string {
    const fn = ["FunctionName", t.functionName];
    // The processor's own metrics carry the service and this function's name: another stack's
    // processor in the account and region publishes the same names under its own function's.
    const ownMetric = (metric: string, options: Record<string, unknown>): Metric => [
        METRICS_NAMESPACE,
        metric,
        "service",
        SERVICE,
        FUNCTION_NAME_DIMENSION,
        t.functionName,
        options,
    ];
    const own = (metric: string, label: string): Metric => ownMetric(metric, { stat: "Sum", label });
    const widgets = [
        widget(0, "Iterator age (ms): how far behind the stream", t.region, [["AWS/Lambda", "IteratorAge", ...fn]], {
            stat: "Maximum",
        }),
        widget(1, "Ingest lag (ms): oldest record of a batch to its processing", t.region, [
            ownMetric(METRICS.ingestLag, { stat: "Maximum", label: "max" }),
            ownMetric(METRICS.ingestLag, { stat: "p50", label: "p50" }),
        ]),
        widget(2, "Records per minute", t.region, [
            own(METRICS.stored, "stored"),
            own(METRICS.rejected, "rejected"),
            own(METRICS.failed, "failed (redelivered)"),
        ]),
        widget(3, "Invocations, errors, throttles", t.region, [
            ["AWS/Lambda", "Invocations", ...fn, { stat: "Sum" }],
            ["AWS/Lambda", "Errors", ...fn, { stat: "Sum" }],
            ["AWS/Lambda", "Throttles", ...fn, { stat: "Sum" }],
        ]),
        widget(
            4,
            "Duration (ms) against the timeout",
            t.region,
            [
                ["AWS/Lambda", "Duration", ...fn, { stat: "Maximum", label: "max" }],
                ["AWS/Lambda", "Duration", ...fn, { stat: "p50", label: "p50" }],
            ],
            { annotations: { horizontal: [{ label: "timeout", value: t.timeoutSeconds * 1000 }] } },
        ),
        widget(5, "Concurrent executions", t.region, [["AWS/Lambda", "ConcurrentExecutions", ...fn]], {
            stat: "Maximum",
        }),
        widget(
            6,
            "Failure queue: batches given up on",
            t.region,
            [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", t.failureQueueName]],
            { stat: "Maximum" },
        ),
        widget(7, "DynamoDB write throttling", t.region, [
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t.tableName, { stat: "Sum" }],
            [
                "AWS/DynamoDB",
                "ThrottledRequests",
                "TableName",
                t.tableName,
                "Operation",
                "BatchWriteItem",
                { stat: "Sum" },
            ],
        ]),
    ];
    return JSON.stringify({ widgets });
}

/**
 * A CloudWatch dashboard name: letters, digits, `-` and `_` only (CloudWatch refuses any other
 * character, such as the `.` a stack name may hold), other characters as `_`, at most 255.
 */
export function dashboardName(text: string): string {
    return text.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 255);
}

/** The console address of a dashboard. */
export function dashboardUrl(region: string, name: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}

/**
 * A CloudWatch dashboard for the pipeline's health: the processor's Lambda and own metrics, the
 * failure queue and the table's throttling.
 *
 * @example
 * const dashboard = new StockDashboard("health", {
 *     functionName: processor.functionName,
 *     timeoutSeconds: processor.timeout,
 *     failureQueueName: processor.failureQueue.name,
 *     tableName: storage.tableName,
 * });
 * export const dashboardUrl = dashboard.url;
 */
export class StockDashboard extends pulumi.ComponentResource {
    public readonly dashboard: aws.cloudwatch.Dashboard;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: StockDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stock-market-pipeline:pipeline:StockDashboard", name, {}, opts);
        const region = aws.getRegionOutput({}, { parent: this }).region;
        this.dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: args.dashboardName ?? dashboardName(`${name}-${pulumi.getStack()}`),
                dashboardBody: pulumi
                    .all([region, args.functionName, args.failureQueueName, args.tableName])
                    .apply(([region, functionName, failureQueueName, tableName]) =>
                        dashboardBody({
                            region,
                            functionName,
                            failureQueueName,
                            tableName,
                            timeoutSeconds: args.timeoutSeconds,
                        }),
                    ),
            },
            { parent: this },
        );
        this.url = pulumi.all([region, this.dashboard.dashboardName]).apply(([r, n]) => dashboardUrl(r, n));
        this.registerOutputs({ url: this.url });
    }
}
