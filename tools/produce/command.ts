/**
 * `npm run produce`: the local pipeline's producer (module 1's stand-in) against a real stream
 * or any local Kinesis endpoint.
 */
import { DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { EMULATOR_REGION } from "../../harness/aws/emulators";
import { explainAwsError } from "../../harness/cli/aws-errors";
import { interruptOnSigint, parseFlags, Command, UsageError } from "../../harness/cli/cli";
import {
    badRowReporter,
    checkCsvHistory,
    describeCsvHistory,
    PRODUCER_HELP,
    PRODUCER_OPTIONS,
    producerFlags,
    ProducerFlags,
} from "../../harness/cli/producer-flags";
import { csvTicks } from "../../harness/local-stack/csv-ticks";
import {
    describeMalformed,
    emptyStats,
    ProducerStats,
    runCsvProducer,
    runProducer,
    totalMalformed,
} from "../../harness/local-stack/producer";
import {
    awsKinesisClient,
    ensureStream,
    localKinesisClient,
    STREAM_NAME,
    StreamTarget,
} from "../../harness/aws/kinesis";
import { seededRandom } from "../../harness/local-stack/ticks";

const HELP = `Usage: npm run produce -- (--stream-arn ARN | --endpoint URL [--stream-name NAME]) [flags]

Puts random-walk stock ticks, with a share of malformed records, or the rows of CSV files (--csv),
on a Kinesis stream with PutRecords (up to 500 records a call), retrying records the stream refuses.

Stream:
  --stream-arn ARN   a stream in AWS, in the ARN's region; credentials come from the SDK's usual
                     settings (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/config, an assumed role...)
  --endpoint URL     a local Kinesis instead (kinesalite, LocalStack), with dummy credentials;
                     with --stream-arn too, the stream the ARN names at that endpoint
  --stream-name NAME the stream at --endpoint (default ${STREAM_NAME}), created if missing
  --shards N         shards of a stream --endpoint creates (default 2); ignored otherwise

Ticks:${PRODUCER_HELP}`;

const OPTIONS = {
    ...PRODUCER_OPTIONS,
    "stream-arn": { type: "string" },
    endpoint: { type: "string" },
    "stream-name": { type: "string" },
} as const;

const STREAM_ARN = /^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):\d{12}:stream\/([A-Za-z0-9_.-]{1,128})$/;

/** Where the records go, and how to name it in a message. */
interface Destination {
    client: KinesisClient;
    target: StreamTarget;
    describe: string;
    /** The endpoint, as a message names it when it cannot be reached. */
    endpoint: string;
    /** An endpoint the user gave (an emulator), rather than AWS's own. */
    local: boolean;
}

function parseStreamArn(arn: string): { region: string; name: string; endpoint: string } {
    const match = STREAM_ARN.exec(arn);
    if (!match) throw new UsageError(`--stream-arn: expected arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, got "${arn}"`);
    const [, partition, region, name] = match;
    const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
    return { region, name, endpoint: `https://kinesis.${region}.${domain}` };
}

function parseEndpoint(text: string): string {
    let url: URL | undefined;
    try {
        url = new URL(text);
    } catch {
        url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
        throw new UsageError(`--endpoint: expected a URL such as http://127.0.0.1:4567, got "${text}"`);
    return text.replace(/\/+$/, "");
}

/** A Kinesis error as one line the user can act on; anything unexpected is returned as it is. */
function explainKinesisError(
    error: unknown,
    destination: Pick<Destination, "describe" | "endpoint" | "local">,
): unknown {
    return (
        explainAwsError(error, {
            service: "Kinesis",
            endpoint: destination.endpoint,
            target: destination.describe,
            local: destination.local,
            credentialsHint: "a local Kinesis needs --endpoint",
        }) ?? error
    );
}

/** The stream exists and answers; a producer allowed PutRecords only may not describe it. */
async function checkStream(destination: Destination): Promise<void> {
    try {
        await destination.client.send(new DescribeStreamSummaryCommand(destination.target));
    } catch (error) {
        if ((error as Error).name === "AccessDeniedException") return;
        throw error;
    }
}

async function destination(values: Record<string, unknown>, flags: ProducerFlags): Promise<Destination> {
    const arn = values["stream-arn"] as string | undefined;
    const endpointFlag = values.endpoint as string | undefined;
    const streamName = values["stream-name"] as string | undefined;
    if (!arn && !endpointFlag)
        throw new UsageError("where to? --stream-arn ARN for a stream in AWS, or --endpoint URL for a local Kinesis");
    if (arn && streamName) throw new UsageError("--stream-name: not with --stream-arn, which names the stream already");
    const stream = arn ? parseStreamArn(arn) : undefined;
    const endpoint = endpointFlag === undefined ? undefined : parseEndpoint(endpointFlag);

    if (stream && !endpoint) {
        const found: Destination = {
            client: awsKinesisClient({ region: stream.region }),
            target: { StreamARN: arn! },
            describe: arn!,
            endpoint: process.env.AWS_ENDPOINT_URL_KINESIS ?? stream.endpoint,
            local: false,
        };
        await checkStream(found).catch(error => {
            throw explainKinesisError(error, found);
        });
        return found;
    }
    // A local Kinesis: by name (kinesalite predates StreamARN), in the ARN's region if one is given.
    const name = stream?.name ?? streamName ?? STREAM_NAME;
    const local: Destination = {
        client: localKinesisClient(endpoint!, stream?.region ?? EMULATOR_REGION),
        target: { StreamName: name },
        describe: `stream ${name} at ${endpoint}`,
        endpoint: endpoint!,
        local: true,
    };
    try {
        if (stream) {
            await checkStream(local);
        } else {
            const { created } = await ensureStream(local.client, name, flags.shards);
            if (created) local.describe += ` (created, ${flags.shards} shard${flags.shards === 1 ? "" : "s"})`;
        }
    } catch (error) {
        local.client.destroy();
        throw explainKinesisError(error, local);
    }
    return local;
}

/** Why the last put failed, as one clause: a Kinesis error explained, or the record's ErrorCode. */
function putFailure(stats: ProducerStats, where: Destination): string {
    const error = stats.lastPutError;
    if (typeof error === "string") return `the stream refused them (last: ${error})`;
    const explained = explainKinesisError(error, where);
    return explained instanceof Error ? explained.message.split("\n")[0] : String(explained);
}

function reportEverySecond(read: () => string): () => void {
    const timer = setInterval(() => console.log(read()), 1000);
    return () => clearInterval(timer);
}

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const flags = await checkCsvHistory(producerFlags(values));
    const where = await destination(values, flags);
    const controller = new AbortController();
    interruptOnSigint(controller, {
        first: "interrupted: stopping the producer (Ctrl-C again to exit now)",
        again: "interrupted again: exiting now",
    });

    const aggregates = flags.aggregate ? `, ${flags.aggregate} per KPL aggregate` : "";
    if (flags.csv) console.log(`sending ${describeCsvHistory(flags.csv)} to ${where.describe}${aggregates}`);
    else
        console.log(
            `producing ${flags.rate} records/s for ${flags.duration} s to ${where.describe}: ${flags.symbols.length} symbols, bad-ratio ${flags.badRatio}` +
                `${aggregates}, seed ${flags.seed} (--seed ${flags.seed} with the same flags repeats these ticks)`,
        );
    const stats = emptyStats();
    const stop = reportEverySecond(
        () => `produced ${stats.produced} (${stats.putFailed} failed to put, ${stats.retried} retried)`,
    );
    try {
        if (flags.csv)
            await runCsvProducer(
                where.client,
                where.target,
                {
                    ticks: csvTicks(flags.csv.files!),
                    speed: flags.csv.speed,
                    aggregate: flags.aggregate,
                    signal: controller.signal,
                    onBadRow: badRowReporter(line => console.log(line)),
                },
                stats,
            );
        else
            await runProducer(
                where.client,
                where.target,
                { ...flags, random: seededRandom(flags.seed!), signal: controller.signal },
                stats,
            );
    } catch (error) {
        throw explainKinesisError(error, where);
    } finally {
        stop();
        where.client.destroy();
    }
    console.log(
        `produced ${stats.produced} records${flags.aggregate ? ` in ${stats.kinesisRecords} KPL aggregates` : ""} in ${(stats.elapsedMs / 1000).toFixed(1)} s with ${stats.putCalls} PutRecords calls: ` +
            `${stats.valid} valid, ${totalMalformed(stats)} malformed (${describeMalformed(stats)}); ${stats.retried} retried, ${stats.putFailed} failed to put`,
    );
    if (stats.putFailed > 0) {
        console.error(`npm run produce: ${stats.putFailed} ticks could not be put: ${putFailure(stats, where)}`);
        return 1;
    }
    return controller.signal.aborted ? 130 : 0;
}

/** The command; main.ts runs it, and tests call it in-process. */
export const produceCommand: Command = { name: "npm run produce", help: HELP, run: main };
