/**
 * `npm run local`: the whole pipeline on this machine, with nothing installed but the project.
 * See runLocalPipeline (harness/local-stack/pipeline.ts) for what runs; this file is the CLI.
 */
import { ConfigError, DEFAULTS, SettingKey } from "../../pipeline/infra/config";
import {
    displayPath,
    interruptOnSigint,
    numberFlag,
    outputFile,
    parseFlags,
    Command,
    UsageError,
} from "../../harness/cli/cli";
import { defaultReportFile } from "../../harness/cli/outputs";
import { LiveSession, runReport } from "../../harness/report/local-run";
import { checkCsvHistory, PRODUCER_HELP, PRODUCER_OPTIONS, producerFlags } from "../../harness/cli/producer-flags";
import { localSettings, LocalPipelineOptions, runLocalPipeline } from "../../harness/local-stack/pipeline";
import { formatSummary } from "../../harness/local-stack/summary";

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
  --starting-position LATEST|TRIM_HORIZON   where the pollers start (default: the stack's,
                     ${DEFAULTS.startingPosition})
  --batch-size N     records per invocation (default: the stack's, ${DEFAULTS.batchSize})
  --object-layout record|batch   how the function writes S3: one object per record, or a
                     few gzip NDJSON objects per batch (default: the stack's, ${DEFAULTS.objectLayout})
  --maximum-retry-attempts N   retries of a failing batch before it goes to the failure
                     destination (default: the stack's, ${DEFAULTS.maximumRetryAttempts})
  --drain-timeout S  seconds to wait, after the producer is done, for every record (default 60)
  --skip-build       reuse dist/processor instead of rebuilding the package
  --function-logs    show the function's own output (JSON logs, EMF metrics)
  --report FILE      the run's report page (npm run report, plus the run's throughput and
                     latency); default DIR/report.html with --data, else
                     reports/local-run.html
  --live             serve the report at http://127.0.0.1:PORT/ while the run goes (updated
                     every second) and after it, with its final state, until Ctrl-C
  --port N           the port for --live (default 0: any free one, printed at the start)

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
    "starting-position": { type: "string" },
    "batch-size": { type: "string" },
    "object-layout": { type: "string" },
    "maximum-retry-attempts": { type: "string" },
    "drain-timeout": { type: "string", default: "60" },
    "skip-build": { type: "boolean", default: false },
    "function-logs": { type: "boolean", default: false },
    faults: { type: "string", default: "0" },
    "crash-rate": { type: "string", default: "0" },
    report: { type: "string" },
    live: { type: "boolean", default: false },
    port: { type: "string" },
} as const;

/** The flags that set one of the stack's settings for the run, and the key each sets. */
const SETTING_FLAGS: Record<string, SettingKey> = {
    "starting-position": "startingPosition",
    "batch-size": "batchSize",
    "object-layout": "objectLayout",
    "maximum-retry-attempts": "maximumRetryAttempts",
};

/**
 * The run's settings: the stack's, with the flags' values checked by the same code as `pulumi up`
 * (so `--object-layout BATCH` gets the config's "did you mean batch?"), a problem named by its flag.
 */
function settingsFromFlags(values: Record<string, unknown>) {
    const given = Object.fromEntries(
        Object.entries(SETTING_FLAGS)
            .filter(([flag]) => values[flag] !== undefined)
            .map(([flag, key]) => [key, String(values[flag])]),
    );
    try {
        const settings = localSettings(given);
        if (settings.startingPosition === "AT_TIMESTAMP")
            throw new UsageError("--starting-position: the local run takes LATEST or TRIM_HORIZON");
        return { ...settings, startingPosition: settings.startingPosition };
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const [{ key, problem }] = error.problems;
        const flag = Object.keys(SETTING_FLAGS).find(name => SETTING_FLAGS[name] === key) ?? key;
        throw new UsageError(`--${flag}: ${problem}`);
    }
}

function parseOptions(argv: string[]): LocalPipelineOptions & { report: string; live?: { port: number } } {
    const values = parseFlags(argv, OPTIONS);
    const settings = settingsFromFlags(values);
    if (values.port !== undefined && !values.live) throw new UsageError("--port goes with --live");
    return {
        ...producerFlags(values),
        objectLayout: settings.objectLayout,
        dataDir: values.data as string | undefined,
        startingPosition: settings.startingPosition,
        batchSize: settings.batchSize,
        maximumRetryAttempts: settings.maximumRetryAttempts,
        drainTimeoutSeconds: numberFlag(values, "drain-timeout", 1, 3600),
        build: !values["skip-build"],
        functionLogs: values["function-logs"] === true,
        faults: numberFlag(values, "faults", 0, 1),
        crashRate: numberFlag(values, "crash-rate", 0, 1),
        report: reportFile(values.report as string | undefined, values.data as string | undefined),
        live: values.live
            ? { port: values.port === undefined ? 0 : numberFlag(values, "port", 0, 65535, true) }
            : undefined,
    };
}

/**
 * Where the run's report goes: a --report that cannot be written is told now, not after the run
 * (the default, in the data folder or here, is written where the run may write anyway).
 */
function reportFile(report: string | undefined, dataDir: string | undefined): string {
    if (report !== undefined) return outputFile("report", report);
    return defaultReportFile({ dataDir });
}

/** A log line, first wiping the progress line a terminal is redrawing. */
function logAboveProgress(line: string): void {
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
    console.log(line);
}

async function main(argv: string[]): Promise<number> {
    const options = await checkCsvHistory(parseOptions(argv));
    const controller = new AbortController();
    interruptOnSigint(controller, {
        first: "interrupted: stopping the producer, draining (Ctrl-C again to exit now)",
        again: "interrupted again: exiting without cleaning up",
    });
    const live = options.live ? await LiveSession.start(options.live.port, logAboveProgress) : undefined;
    if (live) console.log(`live: ${live.url} (the report as the run goes; served after it until Ctrl-C)`);
    try {
        let reportPath: string | undefined;
        const reportOptions = { out: options.report, log: logAboveProgress };
        const summary = await runLocalPipeline({
            ...options,
            signal: controller.signal,
            progress: process.stderr,
            log: logAboveProgress,
            onReady: ready => live?.follow(ready),
            afterRun: async run => {
                reportPath = live ? await live.finish(run, reportOptions) : await runReport(run, reportOptions);
            },
        });
        console.log("");
        for (const line of formatSummary(summary)) console.log(line);
        if (reportPath) console.log(`report: ${displayPath(reportPath)}`);
        const code = summary.interrupted ? 130 : summary.ok ? 0 : 1;
        if (live && !summary.interrupted) await serveFinalState(live);
        return code;
    } finally {
        await live?.close();
    }
}

/** After a run: the live page keeps its final state until Ctrl-C, which is no error. */
async function serveFinalState(live: LiveSession): Promise<void> {
    console.log(`live: the run is over; ${live.url} shows its final state until Ctrl-C`);
    const stop = new AbortController();
    process.removeAllListeners("SIGINT");
    // npm forwards the terminal's SIGINT too: a second one while closing is the same keypress.
    process.on("SIGINT", () => stop.abort());
    await live.serveUntil(stop.signal);
    console.log("live: stopped");
}

/** The command; main.ts runs it, and tests call it in-process. */
export const localCommand: Command = { name: "npm run local", help: HELP, run: main };
