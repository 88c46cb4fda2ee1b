/**
 * `npm run bench`: the original Lambda's algorithm (tools/bench/original-port.ts, three sequential
 * round trips per record) against the processor (pipeline/runtime/handler.ts, batched and
 * parallel), on the same emulators, behind proxies that add a per-request latency like the one
 * AWS has inside a region.
 *
 *   npm run bench -- [--dynamo-latency 10] [--s3-latency 30] [--batches 5] [--batch-size 100] [--warm-ups 10]
 *
 * s3rver runs in a process of its own, dynalite and the latency proxies (harness/aws/fault-proxy.ts,
 * which also count requests) in another (harness/aws/emulator-process.ts), so that the services' CPU
 * is not the handlers', as S3's and DynamoDB's is not a Lambda's. Each contender gets its own
 * table and bucket, `--warm-ups` untimed batches (a warm container's JIT), then `--batches` timed
 * ones of `--batch-size` valid random ticks; afterwards what it stored is checked (items, raw/ and
 * processed/ objects) and the process exits non-zero if anything is missing or a batch failed.
 *
 * Reading the figures: "CPU ms/batch" is the handler's own CPU (this process); "emulator CPU ms"
 * is dynalite's and the proxies' (s3rver's is not counted). The emulators are far costlier than
 * S3 and DynamoDB (s3rver spends ~1.5 ms of CPU per PutObject on file-system calls) and share this
 * machine's CPUs with the handler, so the processor, which puts 200 objects at once, waits on
 * emulator CPU, while the port waits on latency.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { createHandlerFromEnvironment } from "../../pipeline/runtime/handler";
import { createOriginalPortHandler } from "./original-port";
import { numberFlag, parseFlags, runCommand } from "../cli";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../../harness/aws/emulators";
import { percentile } from "../local/summary";
import { EmulatorProcess, startEmulatorProcess } from "../../harness/aws/emulator-process";
import {
    createRecordBucket,
    createTickTable,
    dynamoClient,
    listKeys,
    s3Client,
    scanTicks,
} from "../../harness/aws/resources";

interface Options {
    dynamoLatencyMs: number;
    s3LatencyMs: number;
    batches: number;
    batchSize: number;
    warmUps: number;
}

/** Where s3rver's files go when it exists; elsewhere the OS temporary folder. */
const RAM_DISK = "/dev/shm";

/** One shard's write limit, in records per second. */
const SHARD_RECORDS_PER_SECOND = 1000;

const HELP = `Usage: npm run bench -- [flags]

Times batches of valid ticks through the original Lambda's algorithm and through the processor,
behind proxies that add a per-request latency, and checks what each stored.

  --dynamo-latency MS  added to every DynamoDB request (default 10)
  --s3-latency MS      added to every S3 request (default 30)
  --batches N          timed batches per contender (default 5)
  --batch-size N       ticks per batch (default 100)
  --warm-ups N         untimed batches first (default 10)`;

const OPTIONS = {
    "dynamo-latency": { type: "string", default: "10" },
    "s3-latency": { type: "string", default: "30" },
    batches: { type: "string", default: "5" },
    "batch-size": { type: "string", default: "100" },
    "warm-ups": { type: "string", default: "10" },
} as const;

function parseOptions(argv: string[]): Options {
    const values = parseFlags(argv, OPTIONS);
    return {
        dynamoLatencyMs: numberFlag(values, "dynamo-latency", 0, 10_000),
        s3LatencyMs: numberFlag(values, "s3-latency", 0, 10_000),
        batches: numberFlag(values, "batches", 1, 10_000, true),
        batchSize: numberFlag(values, "batch-size", 1, 10_000, true),
        warmUps: numberFlag(values, "warm-ups", 0, 10_000, true),
    };
}

// ---- Events ---------------------------------------------------------------------------------

const SYMBOLS = [
    "AAPL",
    "MSFT",
    "GOOGL",
    "AMZN",
    "NVDA",
    "META",
    "TSLA",
    "BRK.B",
    "JPM",
    "V",
    "^GSPC",
    "BTC-USD",
    "EURUSD=X",
];

/** A price in plain decimal text, never ending in 0 (DynamoDB would drop the zero); every 10th with 24 decimals, beyond a double. */
function randomPrice(index: number): string {
    const whole = 1 + Math.floor(Math.random() * 999);
    const decimals = index % 10 === 0 ? 24 : 2 + Math.floor(Math.random() * 3);
    let fraction = "";
    for (let i = 0; i < decimals - 1; i++) fraction += Math.floor(Math.random() * 10);
    return `${whole}.${fraction}${1 + Math.floor(Math.random() * 9)}`;
}

interface SentTick {
    symbol: string;
    price: string;
    timestamp: string;
}

/**
 * Builds Kinesis events as an event source mapping delivers them: base64 data, 56-digit increasing
 * sequence numbers, eventID `shardId-000000000000:<seq>`, arrival time in epoch seconds.
 * Timestamps advance by one microsecond per tick, so every (symbol, timestamp) is unique.
 */
function eventFactory() {
    let sequence = 49_658_236_129_436_911_870_164_734_012_893_445_376_122_049_872_034_332_674n; // 56 digits
    let micros = BigInt(Date.UTC(2026, 10, 28, 14, 30, 0)) * 1000n;
    const sent: SentTick[] = [];
    const shardId = "shardId-000000000000";
    const next = (batchSize: number): KinesisStreamEvent => {
        const records: KinesisStreamRecord[] = [];
        for (let i = 0; i < batchSize; i++) {
            sequence += 1_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9));
            micros += 1n;
            const index = sent.length;
            const time = new Date(Number(micros / 1000n)).toISOString().slice(0, 19);
            const tick = {
                symbol: SYMBOLS[index % SYMBOLS.length],
                price: randomPrice(index),
                timestamp: `${time}.${String(micros % 1_000_000n).padStart(6, "0")}`,
            };
            sent.push(tick);
            // As the producer (module 1) writes it: json.dumps of a float price.
            const data = `{"symbol": ${JSON.stringify(tick.symbol)}, "price": ${tick.price}, "timestamp": ${JSON.stringify(tick.timestamp)}}`;
            const sequenceNumber = sequence.toString();
            records.push({
                kinesis: {
                    kinesisSchemaVersion: "1.0",
                    partitionKey: tick.symbol,
                    sequenceNumber,
                    data: Buffer.from(data, "utf8").toString("base64"),
                    approximateArrivalTimestamp: Date.now() / 1000,
                },
                eventSource: "aws:kinesis",
                eventVersion: "1.0",
                eventID: `${shardId}:${sequenceNumber}`,
                eventName: "aws:kinesis:record",
                invokeIdentityArn: "arn:aws:iam::123456789012:role/bench",
                awsRegion: EMULATOR_REGION,
                eventSourceARN: `arn:aws:kinesis:${EMULATOR_REGION}:123456789012:stream/stock-market-stream`,
            });
        }
        return { Records: records };
    };
    return { next, sent };
}

// ---- Measuring ------------------------------------------------------------------------------

interface Contender {
    name: string;
    table: string;
    bucket: string;
    /** Runs one batch; returns why it failed, or null. */
    run(event: KinesisStreamEvent): Promise<string | null>;
}

interface Result {
    name: string;
    times: number[];
    /** CPU time of this process (the handler and its SDK clients) per batch. */
    cpuTimes: number[];
    /** CPU time of the emulators and proxies per batch (their own process). */
    emulatorCpuTimes: number[];
    dynamoRequests: Map<string, number>;
    s3Requests: number;
    problems: string[];
}

/** Nearest-rank percentile of unsorted, non-empty timings. */
function percentileOf(values: number[], p: number): number {
    return percentile(
        [...values].sort((a, b) => a - b),
        p,
    )!;
}

async function measure(
    contender: Contender,
    options: Options,
    emulators: EmulatorProcess,
    events: ReturnType<typeof eventFactory>,
): Promise<Result> {
    const result: Result = {
        name: contender.name,
        times: [],
        cpuTimes: [],
        emulatorCpuTimes: [],
        dynamoRequests: new Map(),
        s3Requests: 0,
        problems: [],
    };
    const firstTick = events.sent.length;
    process.stdout.write(`${contender.name}: ${options.warmUps} warm-up, then`);
    for (let w = 0; w < options.warmUps; w++) {
        const warmUp = await contender.run(events.next(options.batchSize));
        if (warmUp) result.problems.push(`warm-up batch ${w + 1}: ${warmUp}`);
    }
    for (let b = 0; b < options.batches; b++) {
        const event = events.next(options.batchSize);
        const before = await emulators.requests();
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        const problem = await contender.run(event);
        result.times.push(performance.now() - started);
        const cpu = process.cpuUsage(cpuBefore);
        result.cpuTimes.push((cpu.user + cpu.system) / 1000);
        if (problem) result.problems.push(`batch ${b + 1}: ${problem}`);
        const after = await emulators.requests();
        for (const request of after.dynamo.slice(before.dynamo.length)) {
            const operation = request.operation ?? request.method;
            result.dynamoRequests.set(operation, (result.dynamoRequests.get(operation) ?? 0) + 1);
        }
        result.s3Requests += after.s3.length - before.s3.length;
        result.emulatorCpuTimes.push(after.cpuMs - before.cpuMs);
        process.stdout.write(` ${result.times[b].toFixed(0)} ms`);
    }
    process.stdout.write("\n");
    result.problems.push(...(await verify(contender, events.sent.slice(firstTick), emulators.direct)));
    return result;
}

/** Everything sent must be stored: each item with its exact price, one raw/ and one processed/ object per record. */
async function verify(contender: Contender, sent: SentTick[], emulators: EmulatorProcess["direct"]): Promise<string[]> {
    const problems: string[] = [];
    const dynamo = dynamoClient(emulators.dynamo);
    const s3 = s3Client(emulators.s3);
    try {
        const stored = new Map(
            (await scanTicks(dynamo, contender.table)).map(tick => [`${tick.symbol} ${tick.timestamp}`, tick]),
        );
        if (stored.size !== sent.length)
            problems.push(`${stored.size} items in ${contender.table}, expected ${sent.length}`);
        const wrong = sent.filter(tick => stored.get(`${tick.symbol} ${tick.timestamp}`)?.price !== tick.price);
        if (wrong.length)
            problems.push(
                `${wrong.length} ticks missing or with another price, e.g. ${JSON.stringify(wrong[0])} → ${JSON.stringify(stored.get(`${wrong[0].symbol} ${wrong[0].timestamp}`))}`,
            );
        for (const prefix of ["raw/", "processed/"]) {
            const count = (await listKeys(s3, contender.bucket, prefix)).length;
            if (count !== sent.length)
                problems.push(`${count} objects under ${prefix} in ${contender.bucket}, expected ${sent.length}`);
        }
        const rejected = (await listKeys(s3, contender.bucket, "rejected/")).length;
        if (rejected) problems.push(`${rejected} objects under rejected/, expected none`);
    } finally {
        dynamo.destroy();
        s3.destroy();
    }
    return problems;
}

// ---- Report ---------------------------------------------------------------------------------

function report(results: Result[], options: Options): void {
    const rows = results.map(r => {
        const median = percentileOf(r.times, 50);
        const dynamo =
            [...r.dynamoRequests]
                .map(([operation, count]) => `${+(count / options.batches).toFixed(1)} ${operation}`)
                .join(" + ") || "0";
        return {
            contender: r.name,
            median,
            "median ms": median.toFixed(1),
            "p90 ms": percentileOf(r.times, 90).toFixed(1),
            "CPU ms/batch": percentileOf(r.cpuTimes, 50).toFixed(0),
            "emulator CPU ms": percentileOf(r.emulatorCpuTimes, 50).toFixed(0),
            "DynamoDB req/batch": dynamo,
            "S3 req/batch": `${+(r.s3Requests / options.batches).toFixed(1)} PutObject`,
            "records/s": (options.batchSize / (median / 1000)).toFixed(0),
        };
    });
    const columns = [
        "contender",
        "median ms",
        "p90 ms",
        "CPU ms/batch",
        "emulator CPU ms",
        "DynamoDB req/batch",
        "S3 req/batch",
        "records/s",
    ] as const;
    const widths = columns.map(c => Math.max(c.length, ...rows.map(row => String(row[c]).length)));
    const line = (cells: string[]) =>
        cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
    console.log();
    console.log(line([...columns]));
    console.log(line(widths.map(w => "-".repeat(w))));
    for (const row of rows) console.log(line(columns.map(c => String(row[c]))));
    console.log();

    const [port, processor] = rows;
    console.log(`speed-up (ratio of medians): ${(port.median / processor.median).toFixed(1)}x`);
    // What the added latency alone costs, with infinitely fast CPUs: the port waits for 3 round trips
    // per record; the processor for one wave of puts (256 sockets) and of BatchWriteItems (16 × 25 items).
    const portFloor = options.batchSize * (2 * options.s3LatencyMs + options.dynamoLatencyMs);
    const processorFloor = Math.max(
        options.s3LatencyMs * Math.ceil((2 * options.batchSize) / 256),
        options.dynamoLatencyMs * Math.ceil(options.batchSize / (25 * 16)),
    );
    console.log(
        `latency alone (zero CPU): original port ${portFloor} ms, processor ${processorFloor} ms per batch; ` +
            `the rest is CPU on this ${os.cpus().length}-CPU machine, the emulators' included.`,
    );
    const budget = (options.batchSize / SHARD_RECORDS_PER_SECOND) * 1000;
    console.log(
        `A shard takes up to ${SHARD_RECORDS_PER_SECOND.toLocaleString("en-US")} records/s; with one batch in flight per shard, batches of ${options.batchSize} must take < ${budget.toFixed(0)} ms each to keep up.`,
    );
    for (const row of rows) {
        const share = options.batchSize / (row.median / 1000) / SHARD_RECORDS_PER_SECOND;
        const verdict =
            row.median < budget ? "keeps up" : `falls behind (${(row.median / budget).toFixed(1)}x too slow)`;
        console.log(
            `  ${row.contender}: ${row.median.toFixed(0)} ms per batch = ${(share * 100).toFixed(share < 0.1 ? 1 : 0)}% of one shard: ${verdict}`,
        );
    }
}

// ---- Main -----------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
    const options = parseOptions(argv);
    const closers: (() => Promise<void>)[] = [];
    try {
        // s3rver keeps each object as three files: on a RAM disk where there is one (Linux), so that
        // the emulator's file-system work weighs less on the timings.
        const s3rverDir = fs.existsSync(RAM_DISK) ? fs.mkdtempSync(path.join(RAM_DISK, "bench-s3rver-")) : undefined;
        const emulators = await startEmulatorProcess({
            dynamoLatencyMs: options.dynamoLatencyMs,
            s3LatencyMs: options.s3LatencyMs,
            s3Dir: s3rverDir,
        });
        closers.push(async () => {
            await emulators.close();
            if (s3rverDir) fs.rmSync(s3rverDir, { recursive: true, force: true });
        });

        const names = { original: "bench-original", processor: "bench-processor" };
        const admin = { dynamo: dynamoClient(emulators.direct.dynamo), s3: s3Client(emulators.direct.s3) };
        for (const name of Object.values(names)) {
            await createTickTable(admin.dynamo, name);
            await createRecordBucket(admin.s3, name);
        }
        admin.dynamo.destroy();
        admin.s3.destroy();

        const environment = {
            AWS_REGION: EMULATOR_REGION,
            AWS_ENDPOINT_URL_DYNAMODB: emulators.proxied.dynamo,
            AWS_ENDPOINT_URL_S3: emulators.proxied.s3,
            S3_FORCE_PATH_STYLE: "true",
            AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        };

        const original = createOriginalPortHandler({
            ...environment,
            TABLE_NAME: names.original,
            BUCKET_NAME: names.original,
        });
        Object.assign(process.env, environment, { TABLE_NAME: names.processor, BUCKET_NAME: names.processor });
        const processor = createHandlerFromEnvironment(() => {});
        const context: Pick<Context, "getRemainingTimeInMillis"> = { getRemainingTimeInMillis: () => 60_000 };

        const contenders: Contender[] = [
            {
                name: "original port",
                table: names.original,
                bucket: names.original,
                run: async event => {
                    const response = await original(event);
                    return response.statusCode === 200 ? null : `statusCode ${response.statusCode}: ${response.body}`;
                },
            },
            {
                name: "processor",
                table: names.processor,
                bucket: names.processor,
                run: async event => {
                    const { batchItemFailures } = await processor(event, context);
                    return batchItemFailures.length ? `${batchItemFailures.length} batchItemFailures` : null;
                },
            },
        ];

        console.log(
            `${options.batches} timed batches of ${options.batchSize} valid ticks per contender (after ${options.warmUps} warm-up batch${options.warmUps === 1 ? "" : "es"}); ` +
                `added latency per request: DynamoDB ${options.dynamoLatencyMs} ms, S3 ${options.s3LatencyMs} ms; ` +
                `Node ${process.version}, ${os.cpus().length} CPUs (s3rver in a process of its own, dynalite and the proxies in another; ` +
                `s3rver's files in ${s3rverDir ? RAM_DISK : os.tmpdir()}).`,
        );
        const events = eventFactory();
        const results: Result[] = [];
        for (const contender of contenders) results.push(await measure(contender, options, emulators, events));
        report(results, options);

        const problems = results.flatMap(r => r.problems.map(p => `${r.name}: ${p}`));
        if (problems.length) {
            console.error(`\nFAILED verification:\n  ${problems.join("\n  ")}`);
            return 1;
        }
        console.log(
            `\nVerified: every tick stored with its exact price, and one raw/ and one processed/ object per record, for both contenders.`,
        );
        return 0;
    } finally {
        for (const close of closers.reverse()) await close();
    }
}

runCommand({ name: "npm run bench", help: HELP, run: main });
