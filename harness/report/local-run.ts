/** The report of a local run (`npm run local`): the bucket's ticks, and the run's counts, throughput and latency over time. */
import type { S3Client } from "@aws-sdk/client-s3";
import { UserError } from "../cli/cli";
import { BUCKET_NAME } from "../local-stack/pipeline";
import type { RunSummary } from "../local-stack/summary";
import type { RunTimeline } from "../local-stack/timeline";
import { bucketStore } from "../query/sources";
import type { ReportFact } from "./html";
import { LiveReport } from "./live";
import { LiveServer, startLiveServer } from "./live-server";
import { writeReport, writeReportPage } from "./report";

const ms = (value: number | null) => (value === null ? "n/a" : `${Math.round(value)} ms`);

/** What the run adds to the page: its counts, throughput and latency, and how to repeat it (its seed). */
function runFacts(summary: RunSummary): ReportFact[] {
    const seconds = summary.producer.elapsedMs / 1000;
    const rate = seconds > 0 ? summary.produced / seconds : 0;
    const { p50, p90, p99 } = summary.latencyMs;
    return [
        {
            label: "records",
            value: `produced ${summary.produced}, stored ${summary.stored}, rejected ${summary.rejected}, lost ${summary.lost}`,
        },
        { label: "throughput", value: `${rate.toFixed(1)} records/s over ${seconds.toFixed(1)} s` },
        {
            label: "end-to-end latency",
            value: `p50 ${ms(p50)}, p90 ${ms(p90)}, p99 ${ms(p99)} (the emulators on this machine, not AWS)`,
        },
        {
            label: "invocations",
            value: `${summary.invocations} (${summary.functionErrors} function errors, ${summary.coldStarts} cold starts)`,
        },
        ...(summary.seed === undefined ? [] : [{ label: "seed", value: String(summary.seed) }]),
    ];
}

/**
 * Writes the run's report; returns its path, or undefined after a warning when it could not be
 * written (the run's own result stands either way).
 */
export async function runReport(
    run: { s3: S3Client; bucket: string; summary: RunSummary },
    options: { out: string; log: (line: string) => void },
): Promise<string | undefined> {
    try {
        const written = await writeReport({
            store: bucketStore(run.s3, run.bucket),
            where: `s3://${run.bucket} (local s3rver)`,
            out: options.out,
            facts: runFacts(run.summary),
            run: run.summary.run,
        });
        return written.path;
    } catch (error) {
        options.log(`warning: the report could not be written: ${(error as Error).message}`);
        return undefined;
    }
}

/**
 * `npm run local -- --live`: the report served at http://127.0.0.1:PORT/ while the run goes, and
 * after it, with its final state, until Ctrl-C. The report file is written from the same data.
 */
export class LiveSession {
    private constructor(
        private readonly live: LiveReport,
        private readonly server: LiveServer,
    ) {}

    static async start(port: number, log: (line: string) => void): Promise<LiveSession> {
        const live = await LiveReport.open(`s3://${BUCKET_NAME} (local s3rver)`, log);
        try {
            const server = await startLiveServer(live, port);
            return new LiveSession(live, server);
        } catch (error) {
            await live.close();
            if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
                throw new UserError(`--port ${port}: in use on 127.0.0.1; give another, or --port 0 for any free one`);
            throw error;
        }
    }

    get url(): string {
        return this.server.url;
    }

    /** The pipeline is up: follow its bucket and timeline (LocalPipelineOptions.onReady). */
    follow(ready: { s3: S3Client; bucket: string; timeline: RunTimeline }): void {
        this.live.follow(bucketStore(ready.s3, ready.bucket), ready.timeline);
    }

    /**
     * The run is over, the emulators still up: the page's final state, and the report file written
     * from it (LocalPipelineOptions.afterRun). Returns the file, or undefined after a warning.
     */
    async finish(
        run: { summary: RunSummary },
        options: { out: string; log: (line: string) => void },
    ): Promise<string | undefined> {
        await this.live.finish(runFacts(run.summary));
        try {
            return writeReportPage(options.out, this.live.page());
        } catch (error) {
            options.log(`warning: the report could not be written: ${(error as Error).message}`);
            return undefined;
        }
    }

    /** Serves the final state until `signal` aborts (the command's Ctrl-C). */
    async serveUntil(signal: AbortSignal): Promise<void> {
        if (!signal.aborted) await new Promise(resolve => signal.addEventListener("abort", resolve, { once: true }));
    }

    async close(): Promise<void> {
        await this.server.close();
        await this.live.close();
    }
}
