/**
 * `npm run verify`: checks that a deployed stack really stores ticks, end to end. See
 * harness/verify/canary-check.ts for what it does; this file is the CLI and the AWS clients
 * (endpoints from the environment, so the same code runs against the local emulators).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { StreamTarget } from "../../harness/aws/kinesis";
import { explainAwsError } from "../../harness/cli/aws-errors";
import { Command, numberFlag, parseFlags, UsageError } from "../../harness/cli/cli";
import { readStackOutputs } from "../../harness/cli/stack-outputs";
import { s3ClientFromEnvironment } from "../../harness/query/sources";
import { canarySymbol, newRunId } from "../../harness/verify/canary";
import { PIECES, verifyStack, VerifyResult } from "../../harness/verify/canary-check";
import { CanaryStore } from "../../harness/verify/store";
import { checkStore, dynamoStore, s3Store } from "../../harness/verify/aws-stores";

const HELP = `Usage: npm run verify -- (--stack-outputs FILE | --stream-arn ARN --table-name T --bucket-name B)
                         [flags]

Checks that a deployed stack stores ticks end to end: puts canary ticks (symbol ZZCANARY-<run id>,
valid under the processing contract, one per shard) on the stream, waits until each has its
DynamoDB item and its raw/ and processed/ objects, reports the end-to-end latency, then deletes
the canaries' items and objects. Exits 1 naming what is missing after --timeout.

Stack:
  --stack-outputs FILE  the JSON of \`pulumi stack output --json\` (- for standard input):
                        streamArn, tableName, bucketName
  --stream-arn ARN      these override the file
  --table-name NAME
  --bucket-name NAME
  --region REGION       default: the stream ARN's region

Credentials come from the SDK's usual settings; endpoints too (AWS_ENDPOINT_URL_KINESIS,
AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, and S3_FORCE_PATH_STYLE=true for emulators).

  --count N             canary ticks to put (default: one per open shard, at least 3)
  --timeout S           seconds to wait for them (default 120)
  --keep                leave the canaries' items and objects in place
  --run-id ID           the canaries' run id (default: time and random)
  -h, --help            this text`;

const OPTIONS = {
    "stack-outputs": { type: "string" },
    "stream-arn": { type: "string" },
    "table-name": { type: "string" },
    "bucket-name": { type: "string" },
    region: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string", default: "120" },
    keep: { type: "boolean", default: false },
    "run-id": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
} as const;

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):\d{12}:stream\/([A-Za-z0-9_.-]{1,128})$/;

interface Stack {
    streamArn: string;
    region: string;
    streamName: string;
    tableName: string;
    bucketName: string;
}

async function stackOf(values: Record<string, unknown>): Promise<Stack> {
    const outputs = await readStackOutputs(values["stack-outputs"] as string | undefined);
    const streamArn = (values["stream-arn"] as string | undefined) ?? outputs.streamArn;
    const tableName = (values["table-name"] as string | undefined) ?? outputs.tableName;
    const bucketName = (values["bucket-name"] as string | undefined) ?? outputs.bucketName;
    const missing = [
        ["streamArn", "--stream-arn", streamArn],
        ["tableName", "--table-name", tableName],
        ["bucketName", "--bucket-name", bucketName],
    ].filter(([, , value]) => !value);
    if (missing.length > 0)
        throw new UsageError(
            `missing ${missing.map(([output, flag]) => `${output} (${flag})`).join(", ")}: give --stack-outputs FILE or the flags`,
        );
    const match = STREAM_ARN.exec(streamArn!);
    if (!match)
        throw new UsageError(`streamArn: expected arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, got "${streamArn}"`);
    return {
        streamArn: streamArn!,
        region: (values.region as string | undefined) ?? match[1],
        streamName: match[2],
        tableName: tableName!,
        bucketName: bucketName!,
    };
}

/** Emulators take streams by name only; AWS also by ARN, which works across accounts. */
function streamTarget(stack: Stack): StreamTarget {
    const local = process.env.AWS_ENDPOINT_URL_KINESIS ?? process.env.AWS_ENDPOINT_URL;
    return local ? { StreamName: stack.streamName } : { StreamARN: stack.streamArn };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function report(result: VerifyResult, timeoutMs: number, keep: boolean): string[] {
    const lines: string[] = [];
    for (const { canary, seenAfterMs, objects } of result.canaries) {
        const pieces = PIECES.map(piece =>
            seenAfterMs[piece] === undefined ? `${piece} MISSING` : `${piece} ${seconds(seenAfterMs[piece]!)}`,
        );
        const layout = objects["raw/"]?.layout ?? objects["processed/"]?.layout;
        lines.push(
            `canary ${canary.index} (${canary.shardId}, ${canary.sequenceNumber}): ${pieces.join(", ")}${layout ? ` [${layout} layout]` : ""}`,
        );
    }
    if (result.latenciesMs.length > 0) {
        const sorted = [...result.latenciesMs].sort((a, b) => a - b);
        lines.push(
            `end-to-end latency (put to last piece stored, polled every 0.5 s): min ${seconds(sorted[0])}, max ${seconds(sorted[sorted.length - 1])}`,
        );
    }
    if (keep) lines.push("kept the canaries' items and objects (--keep)");
    else {
        lines.push(`cleaned up: ${result.cleanup.items} items, ${result.cleanup.objects} objects deleted`);
        if (result.cleanup.leftBehind.length > 0)
            lines.push(
                `left behind: ${result.cleanup.leftBehind.length} batch objects that also hold other records (the canary lines stay in them): ${result.cleanup.leftBehind.join(", ")}`,
            );
    }
    if (result.ok) {
        lines.push(`verify passed: ${result.canaries.length} of ${result.canaries.length} canaries stored end to end`);
        return lines;
    }
    const counts = PIECES.map(
        piece => [piece, result.missing.filter(entry => entry.pieces.includes(piece)).length] as const,
    )
        .filter(([, n]) => n > 0)
        .map(([piece, n]) => `${piece} (${n})`);
    lines.push(
        `verify failed after ${seconds(timeoutMs)}: ${result.missing.length} of ${result.canaries.length} canaries incomplete, missing ${counts.join(", ")}` +
            (result.missing.length === result.canaries.length && counts.length === PIECES.length
                ? ": nothing was stored; is the function running and subscribed to the stream? (its logs, the event source mapping's state)"
                : ""),
    );
    return lines;
}

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const stack = await stackOf(values);
    const timeoutMs = numberFlag(values, "timeout", 1, 3600) * 1000;
    const count = values.count === undefined ? undefined : numberFlag(values, "count", 1, 500, true);
    const runId = (values["run-id"] as string | undefined) ?? newRunId();
    try {
        canarySymbol(runId);
    } catch (error) {
        throw new UsageError(`--run-id: ${(error as Error).message}`);
    }
    const keep = values.keep === true;
    const kinesis = new KinesisClient({ region: stack.region, requestHandler: new NodeHttpHandler() });
    const dynamo = new DynamoDBClient({ region: stack.region });
    const s3 = s3ClientFromEnvironment(stack.region);
    try {
        console.log(
            `verifying stream ${stack.streamArn} → table ${stack.tableName}, bucket ${stack.bucketName} (run ${runId})`,
        );
        const result = await verifyStack({
            kinesis,
            stream: streamTarget(stack),
            store: ours => new CanaryStore(s3Store(s3, stack.bucketName), dynamoStore(dynamo, stack.tableName), ours),
            checkStore: () => checkStore(dynamo, s3, stack),
            runId,
            count,
            timeoutMs,
            keep,
            log: line => console.log(line),
        });
        for (const line of report(result, timeoutMs, keep)) console.log(line);
        return result.ok ? 0 : 1;
    } catch (error) {
        throw explainAwsError(error) ?? error;
    } finally {
        kinesis.destroy();
        dynamo.destroy();
        s3.destroy();
    }
}

/** The command; main.ts runs it. */
export const verifyCommand: Command = { name: "npm run verify", help: HELP, run: main };
