/** Reads a source into the local engine and writes the report page: what `npm run report` and `npm run local` share. */
import * as fs from "fs";
import * as path from "path";
import { writeOrExplain } from "../cli/cli";
import { loadSummary, openLoadedEngine, problemLines } from "../query/load";
import type { ObjectStore } from "../query/sources";
import type { RunState } from "../local-stack/timeline";
import { buildReportData, ReportData } from "./data";
import { renderReport, ReportFact, ReportPage } from "./html";

export interface WriteReportOptions {
    store: ObjectStore;
    /** Where the store is, for the page and the log, e.g. s3://bucket (S3 API). */
    where: string;
    days?: readonly string[];
    out: string;
    facts?: ReportFact[];
    /** A local run's state: the page gets its Run section. */
    run?: RunState;
    /** Progress, the load's summary and its warnings. */
    note?: (line: string) => void;
    signal?: AbortSignal;
}

export async function writeReport(options: WriteReportOptions): Promise<{ path: string; data: ReportData }> {
    const { engine, report } = await openLoadedEngine(options.store, {
        days: options.days,
        progress: options.note,
        signal: options.signal,
    });
    let data: ReportData;
    try {
        options.note?.(loadSummary(options.where, options.days, report));
        for (const line of problemLines(report)) options.note?.(line);
        data = await buildReportData(engine);
    } finally {
        engine.close();
    }
    const written = writeReportPage(options.out, {
        data,
        source: options.where,
        generatedAt: new Date(),
        facts: options.facts,
        run: options.run,
    });
    return { path: written, data };
}

/** Writes the page (its folders created); a file system error becomes one line. Returns the absolute path. */
export function writeReportPage(out: string, page: ReportPage): string {
    const file = path.resolve(out);
    writeOrExplain(file, () => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, renderReport(page));
    });
    return file;
}
