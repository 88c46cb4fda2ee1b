/**
 * `npm run produce`: the local pipeline's producer (module 1's stand-in) against a real stream
 * or any local Kinesis endpoint.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { EMULATOR_REGION } from "../../harness/aws/emulators";
import { parseFlags, runCommand, UsageError } from "../cli";
import { PRODUCER_HELP, PRODUCER_OPTIONS, producerFlags, ProducerFlags } from "./args";
import { describeMalformed, emptyStats, runProducer, totalMalformed } from "./producer";
import {
    awsKinesisClient,
    ensureStream,
    localKinesisClient,
    STREAM_NAME,
    StreamTarget,
} from "../../harness/aws/kinesis";
import { seededRandom } from "./ticks";

const HELP = `Usage: npm run produce -- (--stream-arn ARN | --endpoint URL [--stream-name NAME]) [flags]

Puts random-walk stock ticks, with a share of malformed records, on a Kinesis stream with
PutRecords (up to 500 records a call), retrying records the stream refuses.

Stream:
  --stream-arn ARN   a stream in AWS; region and credentials come from the SDK's usual
                     settings (AWS_REGION, AWS_PROFILE, ~/.aws/config, an assumed role...)
  --endpoint URL     a local Kinesis endpoint instead (kinesalite, LocalStack), with dummy
                     credentials, region ${EMULATOR_REGION}
  --stream-name NAME the stream at --endpoint (default ${STREAM_NAME})
  --shards N         with --endpoint: shards of the stream to create if it does not exist
                     (default 2); ignored with --stream-arn

Ticks:${PRODUCER_HELP}`;

const OPTIONS = {
    ...PRODUCER_OPTIONS,
    "stream-arn": { type: "string" },
    endpoint: { type: "string" },
    "stream-name": { type: "string", default: STREAM_NAME },
} as const;

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;

interface Destination {
    client: KinesisClient;
    target: StreamTarget;
    describe: string;
}

async function destination(values: Record<string, unknown>, flags: ProducerFlags): Promise<Destination> {
    const arn = values["stream-arn"] as string | undefined;
    const endpoint = values.endpoint as string | undefined;
    if (Boolean(arn) === Boolean(endpoint)) throw new UsageError("give either --stream-arn or --endpoint");
    if (arn) {
        if (!STREAM_ARN.test(arn))
            throw new UsageError(`--stream-arn: expected arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, got "${arn}"`);
        return { client: awsKinesisClient(), target: { StreamARN: arn }, describe: arn };
    }
    const name = String(values["stream-name"]);
    const client = localKinesisClient(endpoint!);
    const { created } = await ensureStream(client, name, flags.shards);
    return {
        client,
        target: { StreamName: name },
        describe: `${name} at ${endpoint}${created ? ` (created, ${flags.shards} shards)` : ""}`,
    };
}

function reportEverySecond(read: () => string): () => void {
    const timer = setInterval(() => console.log(read()), 1000);
    return () => clearInterval(timer);
}

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const flags = producerFlags(values);
    const { client, target, describe } = await destination(values, flags);
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());

    console.log(
        `producing ${flags.rate} records/s for ${flags.duration} s to ${describe}: ${flags.symbols.length} symbols, bad-ratio ${flags.badRatio}` +
            (flags.aggregate ? `, ${flags.aggregate} per KPL aggregate` : ""),
    );
    const stats = emptyStats();
    const stop = reportEverySecond(
        () => `produced ${stats.produced} (${stats.putFailed} failed to put, ${stats.retried} retried)`,
    );
    try {
        await runProducer(
            client,
            target,
            {
                ...flags,
                random: flags.seed === undefined ? undefined : seededRandom(flags.seed),
                signal: controller.signal,
            },
            stats,
        );
    } finally {
        stop();
        client.destroy();
    }
    console.log(
        `produced ${stats.produced} records${flags.aggregate ? ` in ${stats.kinesisRecords} KPL aggregates` : ""} in ${(stats.elapsedMs / 1000).toFixed(1)} s with ${stats.putCalls} PutRecords calls: ` +
            `${stats.valid} valid, ${totalMalformed(stats)} malformed (${describeMalformed(stats)}); ${stats.retried} retried, ${stats.putFailed} failed to put`,
    );
    return stats.putFailed > 0 ? 1 : controller.signal.aborted ? 130 : 0;
}

runCommand({ name: "npm run produce", help: HELP, run: main });
