/**
 * `npm run bench`'s flags, and the command line that repeats a run.
 */
import { numberFlag, outputFolder, parseFlags, seedFlag, UsageError } from "../../harness/cli/cli";
import { CONTENDER_NAMES, ContenderId } from "./report";

export interface Options {
    seed: number;
    contenders: ContenderId[];
    batches: number;
    warmUps: number;
    originalBatches: number;
    originalWarmUps: number;
    batchSize: number;
    dynamoLatencyMs: number;
    s3LatencyMs: number;
    memoryMb: number;
    checkBatches: number;
    cpuProfileDir?: string;
}

const CONTENDER_IDS = Object.keys(CONTENDER_NAMES) as ContenderId[];

export const HELP = `Usage: npm run bench -- [flags]

Times batches of valid ticks through the original Lambda's algorithm and through the processor in
both object layouts, each in a process of its own, against a sink in another process that answers
every S3 and DynamoDB request after a fixed latency and checks its signature. First each contender
writes a few batches to the emulators (dynalite, s3rver), and what they hold is checked record by
record. Prints time, CPU and requests per batch, cost per million ticks and throughput per shard.

  --seed N               makes the same ticks and order again (default: random, printed)
  --contenders LIST      among original, record, batch (default: all three)
  --batches N            timed batches per processor layout (default 60)
  --warm-ups N           untimed batches first, per processor layout (default 40)
  --original-batches N   timed batches of the original's algorithm (default 5; about 7 s each)
  --original-warm-ups N  untimed batches of the original's algorithm first (default 1)
  --batch-size N         ticks per batch (default 100)
  --dynamo-latency MS    the sink's latency per DynamoDB request (default 10)
  --s3-latency MS        the sink's latency per S3 request (default 30)
  --memory MB            the function's memorySize the cost is computed for (default 512)
  --check-batches N      batches per contender written to the emulators and checked (default 3)
  --cpu-prof DIR         writes a V8 CPU profile of each contender's process into DIR
  -h, --help             this text`;

const OPTIONS = {
    seed: { type: "string" },
    contenders: { type: "string", default: CONTENDER_IDS.join(",") },
    batches: { type: "string", default: "60" },
    "warm-ups": { type: "string", default: "40" },
    "original-batches": { type: "string", default: "5" },
    "original-warm-ups": { type: "string", default: "1" },
    "batch-size": { type: "string", default: "100" },
    "dynamo-latency": { type: "string", default: "10" },
    "s3-latency": { type: "string", default: "30" },
    memory: { type: "string", default: "512" },
    "check-batches": { type: "string", default: "3" },
    "cpu-prof": { type: "string" },
} as const;

function parseContenders(text: string): ContenderId[] {
    const ids = text.split(",").filter(Boolean);
    const unknown = ids.find(id => !CONTENDER_IDS.includes(id as ContenderId));
    if (unknown !== undefined || ids.length === 0)
        throw new UsageError(`--contenders: expected some of ${CONTENDER_IDS.join(", ")}, got "${text}"`);
    return CONTENDER_IDS.filter(id => ids.includes(id)); // in the report's order, each once
}

export function parseOptions(argv: string[]): Options {
    const values = parseFlags(argv, OPTIONS);
    return {
        seed: seedFlag(values),
        contenders: parseContenders(String(values.contenders)),
        batches: numberFlag(values, "batches", 1, 10_000, true),
        warmUps: numberFlag(values, "warm-ups", 0, 10_000, true),
        originalBatches: numberFlag(values, "original-batches", 1, 1000, true),
        originalWarmUps: numberFlag(values, "original-warm-ups", 0, 1000, true),
        batchSize: numberFlag(values, "batch-size", 1, 10_000, true),
        dynamoLatencyMs: numberFlag(values, "dynamo-latency", 0, 10_000, true),
        s3LatencyMs: numberFlag(values, "s3-latency", 0, 10_000, true),
        memoryMb: numberFlag(values, "memory", 128, 10_240, true),
        checkBatches: numberFlag(values, "check-batches", 0, 1000, true),
        // Checked now: a bad folder would otherwise fail after the correctness phase.
        cpuProfileDir:
            values["cpu-prof"] === undefined ? undefined : outputFolder("cpu-prof", values["cpu-prof"] as string),
    };
}

const timesOriginal = (options: Pick<Options, "contenders">) => options.contenders.includes("original");
const timesProcessor = (options: Pick<Options, "contenders">) => options.contenders.some(id => id !== "original");

/** The command line that repeats this run: the same ticks, order and settings (none for a contender not run). */
export function reproduceCommand(options: Options): string {
    const flags = [
        `--seed ${options.seed}`,
        `--contenders ${options.contenders.join(",")}`,
        ...(timesProcessor(options) ? [`--batches ${options.batches}`, `--warm-ups ${options.warmUps}`] : []),
        ...(timesOriginal(options)
            ? [`--original-batches ${options.originalBatches}`, `--original-warm-ups ${options.originalWarmUps}`]
            : []),
        `--batch-size ${options.batchSize}`,
        `--dynamo-latency ${options.dynamoLatencyMs}`,
        `--s3-latency ${options.s3LatencyMs}`,
        `--memory ${options.memoryMb}`,
        `--check-batches ${options.checkBatches}`,
    ];
    return `npm run bench -- ${flags.join(" ")}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the timing phase runs, per contender kind that takes part. */
export function timingPlan(options: Options): string {
    const parts = [
        ...(timesProcessor(options)
            ? [
                  `${plural(options.warmUps, "warm-up")} and ${plural(options.batches, "timed batch", "timed batches")} per processor layout`,
              ]
            : []),
        ...(timesOriginal(options)
            ? [
                  `${plural(options.originalWarmUps, "warm-up")} and ${plural(options.originalBatches, "timed batch", "timed batches")} of the original's algorithm`,
              ]
            : []),
    ];
    return `${parts.join(", ")}${options.contenders.length > 1 ? ", interleaved" : ""}`;
}

/** What the correctness phase runs. */
export function checkPlan(options: Options): string {
    return `${plural(options.checkBatches, "batch", "batches")} of ${plural(options.batchSize, "tick")} per contender`;
}
