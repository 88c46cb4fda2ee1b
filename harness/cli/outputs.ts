/**
 * Where commands write what they make, so that everything lands in one of two places and
 * `npm run clean` can take it all back: beside the data a page was made from (a local run's
 * `--data` folder), or else under `reports/` in the project.
 */
import * as path from "path";

/** Pages made from no data folder: a local run in memory, a report of a bucket. */
export const REPORTS_DIR = "reports";

/** The report page's default place: `DIR/report.html` for a data folder, else `reports/<name>.html`. */
export function defaultReportFile(source: { dataDir?: string; bucket?: string }): string {
    if (source.dataDir !== undefined) return path.join(source.dataDir, "report.html");
    return path.join(REPORTS_DIR, source.bucket === undefined ? "local-run.html" : `${source.bucket}.html`);
}
