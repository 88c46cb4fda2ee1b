/**
 * `npm run report`: one self-contained HTML page of the ticks a bucket holds, built with the query
 * layer on the local engine: per symbol candles at the interval the span calls for (switchable in
 * the page), the last prices, and the rejected records by reason.
 */
import { asUsage, Command, displayPath, outputFile, parseFlags, UsageError, UserError } from "../../harness/cli/cli";
import { parseDays } from "../../harness/query/days";
import { awsErrorsAsUserErrors, openSource, SOURCE_HELP, sourceFlags } from "../../harness/query/sources";
import { writeReport } from "../../harness/report/report";
import { defaultReportFile } from "../../harness/cli/outputs";

const HELP = `Usage: npm run report -- SOURCE [--days DAYS] [--out FILE] [--screenshot PNG]

Writes one HTML page (the chart library inlined: it opens with no network) with, per symbol,
candles (open, high, low, close, ticks per candle) at the interval that gives 30 to 120 of them,
1 second to 1 day, switchable in the page; the last prices; and the rejected records by reason,
two samples each. The same SQL as npm run query and Athena (each record counted once).

Source (one):
${SOURCE_HELP}
Options:
  --days DAYS          only these days: 2026-11-28,2026-11-29 or 2026-11-28..2026-11-30
  --out FILE           where to write the page (default: DIR/report.html for --data DIR,
                       reports/NAME.html for --bucket NAME)
  --screenshot PNG     also save a picture of the page, taken in headless Chromium
  -h, --help           this text`;

const OPTIONS = {
    bucket: { type: "string" },
    data: { type: "string" },
    days: { type: "string" },
    out: { type: "string" },
    screenshot: { type: "string" },
} as const;

/** The harness's "no Chromium here" (code NO_CHROMIUM) as the one line the user acts on. */
function noChromiumAsUserError(error: unknown): never {
    if ((error as { code?: string })?.code === "NO_CHROMIUM")
        throw new UserError(`--screenshot: ${(error as Error).message}`);
    throw error;
}

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const source = sourceFlags(values);
    if (!source) throw new UsageError("give a source: --bucket NAME or --data DIR");
    const days = values.days === undefined ? undefined : asUsage(() => parseDays(values.days as string));
    // Where the command writes, and the browser a picture needs, are checked before any reading.
    const out = outputFile(
        "out",
        (values.out as string | undefined) ?? defaultReportFile({ dataDir: source.data, bucket: source.bucket }),
    );
    const screenshot =
        values.screenshot === undefined ? undefined : outputFile("screenshot", values.screenshot as string);
    // Loaded only when asked for: the page itself needs no browser.
    const browser = screenshot === undefined ? undefined : await import("../../harness/browser/chromium");
    try {
        browser?.chromiumPath();
    } catch (error) {
        noChromiumAsUserError(error);
    }
    const { store, where } = openSource(source);
    const { path: written, data } = await awsErrorsAsUserErrors(() =>
        writeReport({ store, where, days, out, note: line => console.error(line) }),
    );
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    const interval = data.intervals.find(i => i.name === data.interval);
    const candles = interval ? `, ${interval.label} candles` : "";
    console.log(
        `report: ${displayPath(written)} (${count(data.symbols.length, "symbol")}, ${count(data.days.length, "day")}${candles})`,
    );
    if (browser && screenshot) {
        const png = await browser.screenshotPage(written, screenshot).catch(noChromiumAsUserError);
        console.log(`screenshot: ${displayPath(png)}`);
    }
    if (days && data.days.length === 0) {
        console.error(`npm run report: no ticks on the days --days ${values.days} names: the page is empty`);
        return 1;
    }
    return 0;
}

/** The command; main.ts runs it. */
export const reportCommand: Command = { name: "npm run report", help: HELP, run: main };
