/**
 * `npm run bench`: the original Lambda's algorithm (harness/bench/original-port.ts: three sequential
 * round trips per record) against the processor in both object layouts, each in a Node.js process
 * of its own (one warm Lambda container), timed against the sink (harness/sink/): S3 and DynamoDB
 * stand-ins in another process that answer each request at once after a per-request latency, and
 * check every request's signature. What is timed is our code, not an emulator's.
 *
 * Before that, each contender writes a few batches to dynalite and s3rver, and what they hold is
 * checked record by record (check.ts): the emulators are kept for correctness only.
 *
 * The run prints how to reproduce it (its seed and flags), its progress, then per contender the
 * time and CPU per batch, the requests per batch by service, the cost per million ticks
 * (cost.ts), the records per second per shard, and whether the acceptance targets hold (report.ts).
 */
import * as os from "os";
import type { SinkStats } from "../../harness/sink/sink-server";
import { Command } from "../../harness/cli/cli";
import { checkOnEmulators } from "../../harness/bench/check";
import { ensureLambdaRuntime } from "../../harness/lambda/runtime-install";
import { checkPlan, HELP, Options, parseOptions, reproduceCommand, timingPlan } from "./options";
import { CONTENDER_NAMES, ContenderId, formatReport, summarize, verdicts } from "./report";
import { ContenderSpec, timeAgainstSink } from "../../harness/bench/timing";

const load = () => os.loadavg().map(value => value.toFixed(2));

/** One line redrawn on a terminal, a line every tenth otherwise (logs, pipes). */
function progressLine(label: string): (done: number, total: number) => void {
    const tty = process.stderr.isTTY === true;
    let lastTenth = -1;
    return (done, total) => {
        const line = `${label}: ${done}/${total} batches (load average ${load()[0]})`;
        if (tty) process.stderr.write(`\r\x1b[2K${line}${done === total ? "\n" : ""}`);
        else if (Math.floor((10 * done) / total) > lastTenth) {
            lastTenth = Math.floor((10 * done) / total);
            process.stderr.write(`${line}\n`);
        }
    };
}

function signatureLine(stats: SinkStats): { line: string; ok: boolean } {
    const total = Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
    const ok = stats.invalidSignatures === 0 && stats.headerProblems === 0;
    const samples = stats.problemSamples.map(problem => `\n  ${problem}`).join("");
    return {
        line:
            `signatures: the sink recomputed the SigV4 signature of each of ${total.toLocaleString("en-US")} requests: ` +
            `${stats.invalidSignatures} invalid, ${stats.headerProblems} with a header S3 or DynamoDB would refuse${samples}`,
        ok,
    };
}

/** Each contender as the timing starts it: the original's algorithm has batch counts of its own. */
function contenderSpec(options: Options, id: ContenderId): ContenderSpec {
    const original = id === "original";
    return {
        name: id,
        kind: original ? "original" : "processor",
        objectLayout: id === "batch" ? "batch" : "record",
        warmUps: original ? options.originalWarmUps : options.warmUps,
        batches: original ? options.originalBatches : options.batches,
    };
}

async function main(argv: string[]): Promise<number> {
    const options = parseOptions(argv);
    console.log(
        `npm run bench: seed ${options.seed}; Node ${process.version}, ${os.cpus().length} CPUs, ` +
            `load average ${load().join(" ")} (1, 5, 15 min) at the start`,
    );
    console.log(`reproduce with: ${reproduceCommand(options)}`);
    // The contenders run as the function does: their CPU is measured inside that runtime's process.
    const runtime = await ensureLambdaRuntime({ log: line => console.log(line) });
    console.log(`function runtime: ${runtime.description}, one process per contender`);

    const problems: string[] = [];
    if (options.checkBatches > 0) {
        console.log(`\ncorrectness: ${checkPlan(options)} written to dynalite and s3rver, then read back:`);
        const checks = await checkOnEmulators(
            options.contenders.map(id => ({
                name: CONTENDER_NAMES[id],
                kind: id === "original" ? ("original" as const) : ("processor" as const),
                objectLayout: id === "batch" ? ("batch" as const) : ("record" as const),
            })),
            { seed: options.seed, batchSize: options.batchSize, batches: options.checkBatches },
            line => console.log(line),
        );
        problems.push(...checks.flatMap(check => check.problems.map(problem => `${check.name}: ${problem}`)));
    }

    console.log(
        `\ntiming against the sink (its own process) at ${options.dynamoLatencyMs} ms per DynamoDB and ${options.s3LatencyMs} ms per S3 request: ` +
            timingPlan(options),
    );
    const { results, stats } = await timeAgainstSink(
        options.contenders.map(id => contenderSpec(options, id)),
        {
            seed: options.seed,
            batchSize: options.batchSize,
            latencyMs: { dynamodb: options.dynamoLatencyMs, s3: options.s3LatencyMs },
            cpuProfileDir: options.cpuProfileDir,
        },
        progressLine("timing"),
    );
    problems.push(...results.flatMap(result => result.problems.map(problem => `${result.name}: ${problem}`)));
    const summaries = results.map(result => summarize(result.name as ContenderId, result, options.batchSize));

    console.log();
    for (const line of formatReport(summaries, options)) console.log(line);
    console.log();
    const targets = verdicts(summaries);
    for (const line of targets.lines) console.log(line);
    const signatures = signatureLine(stats);
    console.log(signatures.line);
    console.log(
        `load average ${load().join(" ")} (1, 5, 15 min) at the end; reproduce with: ${reproduceCommand(options)}`,
    );
    if (options.cpuProfileDir) console.log(`CPU profiles of the contenders' processes: ${options.cpuProfileDir}/`);

    if (problems.length > 0) {
        console.error(`\nFAILED: ${problems.length} problem(s):\n  ${problems.slice(0, 20).join("\n  ")}`);
        return 1;
    }
    return signatures.ok ? 0 : 1;
}

/** The command; main.ts runs it. */
export const benchCommand: Command = { name: "npm run bench", help: HELP, run: main };
