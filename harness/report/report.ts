/** Reads a source into the local engine and writes the report page: what `npm run report` and `npm run local` share. */
import * as fs from "fs";
import * as path from "path";
import { writeOrExplain } from "../cli/cli";
import { loadSummary, openLoadedEngine, problemLines } from "../query/load";
import type { ObjectStore } from "../query/sources";
import { buildReportData, ReportData } from "./data";
import { renderReport, ReportFact } from "./html";

export interface WriteReportOptions {
    store: ObjectStore;
    /** Where the store is, for the page and the log, e.g. s3://bucket (S3 API). */
    where: string;
    days?: readonly string[];
    out: string;
    facts?: ReportFact[];
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
    const html = renderReport({ data, source: options.where, generatedAt: new Date(), facts: options.facts });
    const out = path.resolve(options.out);
    writeOrExplain(out, () => {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, html);
    });
    return { path: out, data };
}
