/**
 * `npm run replay`: brings back every batch in the failure destination, from the stack's SQS
 * queue (deployed function) or from a local run's data folder (the same package run locally).
 * See harness/replay/replay-ranges.ts for how a message is replayed; this file is the CLI and the
 * wiring.
 */
import * as fs from "fs";
import * as path from "path";
import { DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { StreamTarget } from "../../harness/aws/kinesis";
import { Command, numberFlag, parseFlags, UsageError, UserError } from "../../harness/cli/cli";
import {
    checkPackageBuilt,
    ensureStorage,
    localSettings,
    openLocalStack,
    startFunction,
} from "../../harness/local-stack/pipeline";
import { claimDataDir } from "../../harness/local-stack/data-dir";
import { explainAwsError } from "../../harness/cli/aws-errors";
import { readStackOutputs } from "../../harness/cli/stack-outputs";
import { Invoke, lambdaInvoker, poolInvoker } from "../../harness/replay/invoke";
import { BatchRange, parseStreamArn } from "../../harness/replay/messages";
import { formatTotals, replay, replayExitCode, ReplayOptions } from "../../harness/replay/replay-ranges";
import { FAILURES_FILE, FileSource, MessageSource, QueueSource, REPLAYED_FILE } from "../../harness/replay/sources";
import { readRange } from "../../harness/replay/stream";

const HELP = `Usage: npm run replay -- (--data DIR | --queue-url URL --function NAME | --stack-outputs FILE)
                         [flags]

Brings back the batches the event source mapping gave up on: for each message of the failure
destination, reads exactly its range back from the stream (the records' original sequence
numbers and arrival times), invokes the processor with it, and removes the message once its
whole range is stored. Records the stream no longer holds (past its retention) are reported as
gone. Prints a line per message, then
  replayed N batches, M records: stored S, rejected R, still failing F, gone G
and exits 0 only when F and G are 0.

Deployed stack (credentials and region from the SDK's usual settings):
  --queue-url URL       the failure queue (stack output failureQueueUrl)
  --function NAME       the processor, name or ARN (stack output functionName)
  --stack-outputs FILE  both from \`pulumi stack output --json\` (- for standard input); the
                        flags above override it

Local run:
  --data DIR            a local run's data folder (npm run local -- --data DIR): starts the
                        emulators on it and runs the same deployment package as the local run;
                        replayed lines of DIR/${FAILURES_FILE} are marked in
                        DIR/${REPLAYED_FILE}
  --skip-build          reuse dist/processor instead of rebuilding the package
  --function-logs       show the function's own output

  --dry-run             read the ranges and list what would be replayed; invoke nothing,
                        remove nothing
  --attempts N          invocations per batch before the records still failing are left for a
                        later replay (default 3)
  -h, --help            this text`;

const OPTIONS = {
    data: { type: "string" },
    "queue-url": { type: "string" },
    function: { type: "string" },
    "stack-outputs": { type: "string" },
    "dry-run": { type: "boolean", default: false },
    attempts: { type: "string", default: "3" },
    "skip-build": { type: "boolean", default: false },
    "function-logs": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
} as const;

type Closer = () => Promise<void> | void;

interface Wiring {
    source: MessageSource;
    read: ReplayOptions["read"];
    invoke?: Invoke;
    doneVerb: string;
}

/** Runs `start` once, on first use. */
function lazy<T>(start: () => Promise<T>): () => Promise<T> {
    let started: Promise<T> | undefined;
    return () => (started ??= start());
}

/**
 * Checks once per stream that it exists before reading ranges of it: a missing stream means the
 * wrong account, region or data folder, not records gone.
 */
function rangeReader(
    clientFor: (range: BatchRange) => Promise<KinesisClient>,
    targetOf: (range: BatchRange) => StreamTarget,
    whereHint: string,
): ReplayOptions["read"] {
    const checked = new Map<string, Promise<void>>();
    return async range => {
        const client = await clientFor(range);
        const target = targetOf(range);
        let check = checked.get(range.streamArn);
        if (!check) {
            check = client
                .send(new DescribeStreamSummaryCommand(target))
                .then(() => undefined)
                .catch(error => {
                    if (error.name === "ResourceNotFoundException")
                        throw new UserError(`stream ${range.streamArn} not found ${whereHint}`);
                    throw error;
                });
            checked.set(range.streamArn, check);
        }
        await check;
        return readRange(client, target, range);
    };
}

/** The emulators on a local run's data folder, and its deployment package, started when first needed. */
function localWiring(
    values: Record<string, unknown>,
    dryRun: boolean,
    closers: Closer[],
    packageDir: string | undefined,
): Wiring {
    const dataDir = String(values.data);
    if (!fs.existsSync(dataDir) || !fs.statSync(dataDir).isDirectory())
        throw new UsageError(`--data: ${dataDir} is not a folder (give the --data folder of a local run)`);
    if (!fs.existsSync(path.join(dataDir, "kinesis")))
        throw new UsageError(
            `--data: ${dataDir} holds no local run's data (npm run local -- --data ${dataDir} makes one)`,
        );
    if (values["skip-build"] === true && !dryRun) checkPackageBuilt(packageDir);
    const source = new FileSource(dataDir);
    const emulators = lazy(async () => {
        // One run at a time on a data folder: a local run must not start on it while this replays.
        closers.push(claimDataDir(dataDir));
        return openLocalStack(dataDir, closers).catch((error: Error) => {
            if (/lock/i.test(String(error?.message)))
                throw new UserError(
                    `${dataDir} is in use by another process (a local run still running?): stop it first`,
                );
            throw error;
        });
    });
    const invoker = lazy(async () => {
        const { endpoints, dynamo, s3 } = await emulators();
        const settings = localSettings({});
        await ensureStorage(dynamo, s3, settings.dayIndex);
        const options = {
            build: values["skip-build"] !== true,
            functionLogs: values["function-logs"] === true,
            log: (line: string) => console.log(line),
            packageDir,
        };
        return poolInvoker(await startFunction(options, settings, endpoints, closers));
    });
    return {
        source,
        read: rangeReader(
            async () => (await emulators()).kinesis,
            range => ({ StreamName: parseStreamArn(range.streamArn).name }),
            `in ${dataDir}: is it the data folder of the run that wrote ${FAILURES_FILE}?`,
        ),
        invoke: dryRun ? undefined : async event => (await invoker())(event),
        doneVerb: `marked replayed in ${REPLAYED_FILE}`,
    };
}

/** `https://sqs.eu-west-1.amazonaws.com/123/q` → eu-west-1 (also the legacy `eu-west-1.queue.amazonaws.com`). */
export function regionOfQueueUrl(url: string): string | undefined {
    return /^https:\/\/(?:sqs\.([a-z0-9-]+)\.amazonaws|([a-z0-9-]+)\.queue\.amazonaws)/
        .exec(url)
        ?.slice(1)
        .find(Boolean);
}

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

/** The deployed stack: its failure queue, its function, and the streams the messages name. */
async function awsWiring(values: Record<string, unknown>, dryRun: boolean, closers: Closer[]): Promise<Wiring> {
    const outputs = await readStackOutputs(values["stack-outputs"] as string | undefined);
    const queueUrl = (values["queue-url"] as string | undefined) ?? outputs.failureQueueUrl;
    const functionName = (values.function as string | undefined) ?? outputs.functionName;
    if (!queueUrl)
        throw new UsageError("give --data DIR, or --queue-url URL (or --stack-outputs with failureQueueUrl)");
    if (!/^https?:\/\//.test(queueUrl))
        throw new UsageError(`--queue-url: expected an SQS queue URL, got "${queueUrl}"`);
    if (!functionName && !dryRun)
        throw new UsageError("give the processor with --function NAME (or --stack-outputs with functionName)");
    const queueRegion = process.env.AWS_ENDPOINT_URL_SQS ? undefined : regionOfQueueUrl(queueUrl);
    const sqs = new SQSClient(queueRegion ? { region: queueRegion } : {});
    const lambdaRegion = FUNCTION_ARN.exec(functionName ?? "")?.[1] ?? queueRegion;
    const lambda = new LambdaClient(lambdaRegion ? { region: lambdaRegion } : {});
    const kinesisByRegion = new Map<string, KinesisClient>();
    closers.push(() => {
        sqs.destroy();
        lambda.destroy();
        kinesisByRegion.forEach(client => client.destroy());
    });
    const kinesisFor = async (range: BatchRange) => {
        const region = parseStreamArn(range.streamArn).region;
        if (!kinesisByRegion.has(region))
            kinesisByRegion.set(region, new KinesisClient({ region, requestHandler: new NodeHttpHandler() }));
        return kinesisByRegion.get(region)!;
    };
    return {
        source: new QueueSource(sqs, queueUrl),
        read: rangeReader(
            kinesisFor,
            range => ({ StreamARN: range.streamArn }),
            "(check the account and region of your credentials)",
        ),
        invoke: dryRun ? undefined : lambdaInvoker(lambda, functionName!),
        doneVerb: "deleted from the queue",
    };
}

async function main(argv: string[], packageDir?: string): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const dryRun = values["dry-run"] === true;
    const attempts = numberFlag(values, "attempts", 1, 100, true);
    if (values.data !== undefined && (values["queue-url"] !== undefined || values["stack-outputs"] !== undefined))
        throw new UsageError(
            "give either --data DIR (a local run) or the queue (--queue-url or --stack-outputs), not both",
        );
    const closers: Closer[] = [];
    try {
        const wiring =
            values.data !== undefined
                ? localWiring(values, dryRun, closers, packageDir)
                : await awsWiring(values, dryRun, closers);
        console.log(`${dryRun ? "dry run: " : ""}replaying the batches in ${wiring.source.describe}`);
        const totals = await replay({ ...wiring, dryRun, attempts, log: line => console.log(line) });
        if (totals.alreadyReplayed > 0)
            console.log(`${totals.alreadyReplayed} messages skipped: replayed before (${REPLAYED_FILE})`);
        if (totals.unreadable > 0)
            console.log(`${totals.unreadable} messages are not Kinesis on-failure records: left in place`);
        if (totals.stillFailing > 0)
            console.log(
                "records still failing: their messages are kept; see the function's logs, then run replay again",
            );
        if (totals.gone > 0)
            console.log(
                "records gone: the stream no longer holds them (its retention passed); their messages are kept so that you can see which, delete them once accounted for",
            );
        console.log(formatTotals(totals, dryRun));
        return replayExitCode(totals);
    } catch (error) {
        throw explainAwsError(error) ?? error;
    } finally {
        for (const close of closers.reverse()) await close();
    }
}

/** The command, with the function's package in `packageDir` (default dist/processor, where the build writes it). */
export function replayCommandWith(options: { packageDir?: string } = {}): Command {
    return { name: "npm run replay", help: HELP, run: argv => main(argv, options.packageDir) };
}

/** The command; main.ts runs it. */
export const replayCommand = replayCommandWith();
