/**
 * `npm run bench:cpu`: the handler's own CPU per batch for SDK tuning variants side by side
 * (pipeline/runtime/sdk-tuning.ts), against the sink (harness/sink/) with no latency by default.
 * The bench (`npm run bench`) times what Lambda runs; this compares what each tuning buys.
 *
 * A variant is `baseline` (no tuning), `tuned` (every tuning: what Lambda runs), `+name` (that
 * tuning alone), `-name` (all but that one), or `package`: the deployment package in
 * dist/processor/ as `npm run build:lambda` left it (the code Pulumi serialized, all tunings on).
 * Each variant runs in its own processes (harness/bench/contender-process.ts); `--processes N` pools N
 * of them per variant, since medians differ between processes by several ms (heap layout, JIT).
 */
import { Command, numberFlag, outputFolder, parseFlags, seedFlag, UsageError } from "../../harness/cli/cli";
import { tuningOf } from "../../harness/bench/contender-process";
import { table } from "../../harness/cli/text-table";
import { ContenderSpec, median, p90, timeAgainstSink, TimingResult } from "../../harness/bench/timing";
import type { ObjectLayout } from "../../pipeline/schema";
import { ensureLambdaRuntime } from "../../harness/lambda/runtime-install";

const HELP = `Usage: npm run bench:cpu -- [flags]

The processor's CPU per batch for SDK tuning variants side by side, each in processes of its own,
against the signature-checking sink. Fails if the sink saw an invalid signature.

  --variants LIST      among baseline, tuned, package, +name, -name (default baseline,tuned);
                       names: reuseSigner, dropNoOpMiddleware, dropTelemetry, passThroughRetry,
                       fastConfig
  --object-layout L    record or batch (default record)
  --warm-ups N         untimed batches first (default 40)
  --batches N          timed batches per process (default 90)
  --batch-size N       ticks per batch (default 100)
  --processes N        processes per variant, pooled (default 1)
  --s3-latency MS      the sink's latency per S3 request (default 0)
  --dynamo-latency MS  the sink's latency per DynamoDB request (default 0)
  --seed N             makes the same ticks and order again (default: random, printed)
  --cpu-prof DIR       writes a V8 CPU profile of each process into DIR
  -h, --help           this text`;

const OPTIONS = {
    variants: { type: "string", default: "baseline,tuned" },
    "object-layout": { type: "string", default: "record" },
    "warm-ups": { type: "string", default: "40" },
    batches: { type: "string", default: "90" },
    "batch-size": { type: "string", default: "100" },
    processes: { type: "string", default: "1" },
    "s3-latency": { type: "string", default: "0" },
    "dynamo-latency": { type: "string", default: "0" },
    seed: { type: "string" },
    "cpu-prof": { type: "string" },
} as const;

function parseOptions(argv: string[]) {
    const values = parseFlags(argv, OPTIONS);
    const variants = String(values.variants).split(",").filter(Boolean);
    if (variants.length === 0) throw new UsageError("--variants: name at least one variant");
    variants.filter(variant => variant !== "package").forEach(tuningOf); // an unknown name fails here
    const objectLayout = String(values["object-layout"]);
    if (objectLayout !== "record" && objectLayout !== "batch")
        throw new UsageError(`--object-layout: expected record or batch, got "${objectLayout}"`);
    return {
        variants,
        objectLayout: objectLayout as ObjectLayout,
        warmUps: numberFlag(values, "warm-ups", 0, 10_000, true),
        batches: numberFlag(values, "batches", 1, 10_000, true),
        batchSize: numberFlag(values, "batch-size", 1, 10_000, true),
        processes: numberFlag(values, "processes", 1, 16, true),
        latencyMs: {
            s3: numberFlag(values, "s3-latency", 0, 10_000, true),
            dynamodb: numberFlag(values, "dynamo-latency", 0, 10_000, true),
        },
        seed: seedFlag(values),
        cpuProfileDir:
            values["cpu-prof"] === undefined ? undefined : outputFolder("cpu-prof", values["cpu-prof"] as string),
    };
}

type Options = ReturnType<typeof parseOptions>;

function reproduceCommand(o: Options): string {
    return (
        `npm run bench:cpu -- --seed ${o.seed} --variants ${o.variants.join(",")} --object-layout ${o.objectLayout} ` +
        `--warm-ups ${o.warmUps} --batches ${o.batches} --batch-size ${o.batchSize} --processes ${o.processes} ` +
        `--s3-latency ${o.latencyMs.s3} --dynamo-latency ${o.latencyMs.dynamodb}`
    );
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const stats = (values: number[]) => [median(values), p90(values), mean(values)].map(v => v.toFixed(1));

function report(options: Options, results: TimingResult[]): string[] {
    const rows = options.variants.map(variant => {
        const own = results.filter(result => result.name === variant);
        const pooled = (pick: (result: TimingResult) => number[]) => own.flatMap(pick);
        const fast = own.map(result => (result.fastConfig ? String(result.fastConfig.every(Boolean)) : "?"));
        return [
            variant,
            ...stats(pooled(r => r.cpuMs)),
            ...stats(pooled(r => r.inclusiveCpuMs)),
            median(pooled(r => r.wallMs)).toFixed(1),
            String(own.reduce((sum, r) => sum + r.problems.length, 0)),
            fast.join(","),
            own.map(r => median(r.cpuMs).toFixed(1)).join(" "),
        ];
    });
    return table([
        [
            "variant",
            "call median",
            "p90",
            "mean",
            "incl. median",
            "p90",
            "mean",
            "wall median",
            "failed",
            "fast configs",
            "per process",
        ],
        ...rows,
    ]);
}

async function main(argv: string[]): Promise<number> {
    const options = parseOptions(argv);
    console.log(
        `npm run bench:cpu: ${options.variants.join(", ")} (${options.objectLayout} layout), ${options.processes} process(es) each; ` +
            `${options.warmUps} warm-up + ${options.batches} timed batches of ${options.batchSize} ticks; seed ${options.seed}`,
    );
    console.log(`reproduce with: ${reproduceCommand(options)}`);
    const runtime = await ensureLambdaRuntime({ log: line => console.log(line) });
    console.log(`function runtime: ${runtime.description}, CPU measured in each variant's process`);
    // Each variant's processes one after another, in the order given.
    const specs: ContenderSpec[] = options.variants.flatMap(variant =>
        Array.from({ length: options.processes }, () => ({
            name: variant,
            kind: variant === "package" ? ("package" as const) : ("processor" as const),
            tuning: variant,
            objectLayout: options.objectLayout,
            warmUps: options.warmUps,
            batches: options.batches,
        })),
    );
    let shown = -1;
    const { results, stats: seen } = await timeAgainstSink(specs, options, (done, total) => {
        if (Math.floor((10 * done) / total) === shown) return;
        shown = Math.floor((10 * done) / total);
        process.stderr.write(`${done}/${total} batches\n`);
    });
    console.log("CPU ms per batch of the handler's process: in the call, and including what it left for after (GC)");
    for (const line of report(options, results)) console.log(line);
    console.log(
        `sink: ${JSON.stringify(seen.requests)}; invalid signatures ${seen.invalidSignatures}, header problems ${seen.headerProblems}`,
    );
    for (const problem of seen.problemSamples) console.log(`  ${problem}`);
    const failed = results.some(result => result.problems.length > 0);
    return seen.invalidSignatures === 0 && seen.headerProblems === 0 && !failed ? 0 : 1;
}

/** The command; main.ts runs it. */
export const benchCpuCommand: Command = { name: "npm run bench:cpu", help: HELP, run: main };
