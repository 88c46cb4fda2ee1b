/**
 * `npm run local`: the whole pipeline on this machine, with nothing installed but the project.
 * See runLocalPipeline (tools/local/run.ts) for what runs; this file is the CLI.
 */
import * as path from "path";
import { OBJECT_LAYOUTS, ObjectLayout } from "../../pipeline/schema";
import { displayPath, interruptOnSigint, numberFlag, outputFile, parseFlags, runCommand, UsageError } from "../cli";
import { runReport } from "../report/local-run";
import { PRODUCER_HELP, PRODUCER_OPTIONS, producerFlags } from "./args";
import { LocalPipelineOptions, runLocalPipeline } from "./run";
import { formatSummary } from "./summary";

const HELP = `Usage: npm run local -- [flags]

Runs Kinesis (kinesalite), DynamoDB (dynalite) and S3 (s3rver) in-process, the processor's
deployment package as Lambda runs it, an event source mapping per shard with the stack's
settings, and a producer; prints progress, then a summary reconciled with what DynamoDB and S3
hold. Exits 0 only when no record was lost (a record in the failure destination is not lost:
npm run replay brings it back).

Producer:
  --shards N         shards of the stream (default 2)${PRODUCER_HELP}

Pipeline:
  --data DIR         keep the emulators' data in DIR between runs (default: in memory);
                     the failure destination's messages go to DIR/failures.jsonl
  --starting-position LATEST|TRIM_HORIZON   where the pollers start (default LATEST, as the stack)
  --batch-size N     records per invocation (default: the stack's, 100)
  --object-layout record|batch   how the function writes S3: one object per record, or a
                     few gzip NDJSON objects per batch (default: the stack's, record)
  --maximum-retry-attempts N   retries of a failing batch before it goes to the failure
                     destination (default: the stack's, 10)
  --drain-timeout S  seconds to wait, after the producer is done, for every record (default 60)
  --skip-build       reuse dist/processor instead of rebuilding the package
  --function-logs    show the function's own output (JSON logs, EMF metrics)
  --report FILE      the run's report page (npm run report, plus the run's throughput and
                     latency); default DIR/report.html with --data, else report.html

Chaos (drawn from --seed: a run prints its seed, and the same seed repeats its faults and crashes):
  --faults RATE      share of the function's requests to DynamoDB and S3 answered with a fault,
                     0 to 1 (default 0): 500s, throttling, connections reset (half before the
                     request reaches the service, half after it wrote), UnprocessedItems, and
                     errors the processor does not retry (403, 400)
  --crash-rate R     share of invocations whose process is killed midway, 0 to 1 (default 0), as
                     an out-of-memory or timeout kill; the event source mapping retries and bisects

Ctrl-C stops the producer, drains for a few seconds, prints the summary and shuts down.`;

const OPTIONS = {
    ...PRODUCER_OPTIONS,
    data: { type: "string" },
    "starting-position": { type: "string", default: "LATEST" },
    "batch-size": { type: "string" },
    "object-layout": { type: "string", default: "record" },
    "maximum-retry-attempts": { type: "string" },
    "drain-timeout": { type: "string", default: "60" },
    "skip-build": { type: "boolean", default: false },
    "function-logs": { type: "boolean", default: false },
    faults: { type: "string", default: "0" },
    "crash-rate": { type: "string", default: "0" },
    report: { type: "string" },
} as const;

function parseOptions(argv: string[]): LocalPipelineOptions & { report: string } {
    const values = parseFlags(argv, OPTIONS);
    // Spelt as the stack's config spells it (upper case), like every enumeration of the project.
    const startingPosition = String(values["starting-position"]);
    if (startingPosition !== "LATEST" && startingPosition !== "TRIM_HORIZON") {
        const upper = startingPosition.toUpperCase();
        const hint = upper === "LATEST" || upper === "TRIM_HORIZON" ? ` (did you mean ${upper}?)` : "";
        throw new UsageError(`--starting-position: expected LATEST or TRIM_HORIZON, got "${startingPosition}"${hint}`);
    }
    const objectLayout = String(values["object-layout"]);
    if (!(OBJECT_LAYOUTS as readonly string[]).includes(objectLayout)) {
        const lower = objectLayout.toLowerCase();
        const hint = (OBJECT_LAYOUTS as readonly string[]).includes(lower) ? ` (did you mean ${lower}?)` : "";
        throw new UsageError(`--object-layout: expected ${OBJECT_LAYOUTS.join(" or ")}, got "${objectLayout}"${hint}`);
    }
    return {
        ...producerFlags(values),
        objectLayout: objectLayout as ObjectLayout,
        dataDir: values.data as string | undefined,
        startingPosition,
        batchSize: values["batch-size"] === undefined ? undefined : numberFlag(values, "batch-size", 1, 10_000, true),
        maximumRetryAttempts:
            values["maximum-retry-attempts"] === undefined
                ? undefined
                : numberFlag(values, "maximum-retry-attempts", 0, 10_000, true),
        drainTimeoutSeconds: numberFlag(values, "drain-timeout", 1, 3600),
        build: !values["skip-build"],
        functionLogs: values["function-logs"] === true,
        faults: numberFlag(values, "faults", 0, 1),
        crashRate: numberFlag(values, "crash-rate", 0, 1),
        report: reportFile(values.report as string | undefined, values.data as string | undefined),
    };
}

/**
 * Where the run's report goes: a --report that cannot be written is told now, not after the run
 * (the default, in the data folder or here, is written where the run may write anyway).
 */
function reportFile(report: string | undefined, dataDir: string | undefined): string {
    if (report !== undefined) return outputFile("report", report);
    return path.join(dataDir ?? ".", "report.html");
}

/** A log line, first wiping the progress line a terminal is redrawing. */
function logAboveProgress(line: string): void {
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
    console.log(line);
}

async function main(argv: string[]): Promise<number> {
    const options = parseOptions(argv);
    const controller = new AbortController();
    interruptOnSigint(controller, {
        first: "interrupted: stopping the producer, draining (Ctrl-C again to exit now)",
        again: "interrupted again: exiting without cleaning up",
    });
    let reportPath: string | undefined;
    const summary = await runLocalPipeline({
        ...options,
        signal: controller.signal,
        progress: process.stderr,
        log: logAboveProgress,
        afterRun: async run => {
            reportPath = await runReport(run, { out: options.report, seed: options.seed, log: logAboveProgress });
        },
    });
    console.log("");
    for (const line of formatSummary(summary)) console.log(line);
    if (reportPath) console.log(`report: ${displayPath(reportPath)}`);
    if (summary.interrupted) return 130;
    return summary.ok ? 0 : 1;
}

runCommand({ name: "npm run local", help: HELP, run: main });
