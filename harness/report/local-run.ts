/** The report of a local run (`npm run local`): the bucket's ticks, and the run's counts, throughput and latency over time. */
import type { S3Client } from "@aws-sdk/client-s3";
import type { RunSummary } from "../local-stack/summary";
import { bucketStore } from "../query/sources";
import type { ReportFact } from "./html";
import { writeReport } from "./report";

const ms = (value: number | null) => (value === null ? "n/a" : `${Math.round(value)} ms`);

/** What the run adds to the page: its counts, throughput and latency, and how to repeat it. */
export function runFacts(summary: RunSummary, seed?: number): ReportFact[] {
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
        ...(seed === undefined ? [] : [{ label: "seed", value: String(seed) }]),
    ];
}

/**
 * Writes the run's report; returns its path, or undefined after a warning when it could not be
 * written (the run's own result stands either way).
 */
export async function runReport(
    run: { s3: S3Client; bucket: string; summary: RunSummary },
    options: { out: string; seed?: number; log: (line: string) => void },
): Promise<string | undefined> {
    try {
        const written = await writeReport({
            store: bucketStore(run.s3, run.bucket),
            where: `s3://${run.bucket} (local s3rver)`,
            out: options.out,
            facts: runFacts(run.summary, options.seed),
            run: run.summary.run,
        });
        return written.path;
    } catch (error) {
        options.log(`warning: the report could not be written: ${(error as Error).message}`);
        return undefined;
    }
}
