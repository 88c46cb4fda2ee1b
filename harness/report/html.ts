/**
 * The report as one self-contained HTML page: TradingView's Lightweight Charts (Apache-2.0), the
 * page's script and its state are inlined, so the file opens anywhere with no network. The script
 * (page-script.ts) draws, per symbol, candles at the interval chosen from the span (switchable in
 * the page: every offered interval's candles are embedded) with the ticks per candle in a pane
 * below; the last prices; the rejected records by reason; and for a local run its counts and its
 * charts over time. Served live (live-server.ts), the same page polls for new state.
 */
import * as fs from "fs";
import * as path from "path";
import type { ReportData } from "./data";
import { PAGE_SCRIPT } from "./page-script";
import type { RunState } from "../local-stack/timeline";

/** A line of facts shown in the Run section, e.g. a local run's latency percentiles. */
export interface ReportFact {
    label: string;
    value: string;
}

export interface ReportPage {
    data: ReportData;
    /** Where the ticks were read, e.g. s3://bucket (S3 API). */
    source: string;
    generatedAt: Date;
    /** Shown in the Run section's table when given. */
    facts?: ReportFact[];
    /** A local run's counts and what it recorded each second: the Run section. */
    run?: RunState;
    /** Served by the live server: the page polls state.json (and report.json) this often. */
    live?: { pollMs: number; reportVersion: number };
}

/** What the page's script reads from its `page-data` element, and a live page from state.json. */
export interface PageState {
    report: ReportData;
    source: string;
    /** ISO 8601. */
    generatedAt: string;
    facts: ReportFact[];
    run: RunState | null;
    live: { pollMs: number } | false;
    reportVersion: number;
}

// The standalone build defines the global LightweightCharts; the package's exports map does not
// list it, so it is found beside the package.json, which the map does export.
const LIBRARY = path.join(
    path.dirname(require.resolve("lightweight-charts/package.json")),
    "dist",
    "lightweight-charts.standalone.production.js",
);
let library: string | undefined;

/** The chart library's code, read once: the live server renders the page on every GET /. */
function chartLibrary(): string {
    return (library ??= fs.readFileSync(LIBRARY, "utf8"));
}

/** JSON that is safe inside a <script> element: no "</script>" or "<!--" can close it early. */
function scriptJson(value: unknown): string {
    return JSON.stringify(value)
        .replace(/</g, "\\u003c")
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029");
}

export function pageState(page: ReportPage): PageState {
    return {
        report: page.data,
        source: page.source,
        generatedAt: page.generatedAt.toISOString(),
        facts: page.facts ?? [],
        run: page.run ?? null,
        live: page.live ? { pollMs: page.live.pollMs } : false,
        reportVersion: page.live?.reportVersion ?? 0,
    };
}

const STYLE = `body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin: 28px 0 8px; font-size: 18px; } h3 { margin: 20px 0 2px; font-size: 16px; }
h3 small { font-weight: normal; color: #616e7c; font-size: 13px; }
.meta { color: #616e7c; margin-top: 0; }
#live-status { background: #e3f8ff; border-left: 4px solid #2f80ed; padding: 6px 10px; }
#live-status[data-status="finished"] { background: #e3f9e5; border-color: #26a69a; }
#live-status[data-status="lost"] { background: #fff3c4; border-color: #f2994a; }
table { border-collapse: collapse; } th, td { padding: 4px 12px; border-bottom: 1px solid #e4e7eb; text-align: left; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
#run-facts th { font-weight: normal; color: #616e7c; }
#counts .count { margin-right: 18px; font-size: 15px; } #counts b { font-variant-numeric: tabular-nums; }
.run-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 0 24px; }
.run-charts figure { margin: 12px 0 0; } .run-charts figcaption { color: #616e7c; }
.key { display: inline-block; width: 12px; height: 3px; margin: 0 4px 3px 10px; vertical-align: middle; }
.run-chart { height: 200px; border: 1px solid #e4e7eb; }
#interval-switch button { margin: 0 4px 4px 0; padding: 2px 10px; border: 1px solid #cbd2d9; background: #fff; border-radius: 4px; cursor: pointer; }
#interval-switch button.chosen { background: #1f2933; color: #fff; border-color: #1f2933; }
.symbols { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 0 24px; }
.legend { font: 12px/1.6 ui-monospace, SFMono-Regular, Menlo, monospace; color: #3e4c59; min-height: 19px; white-space: pre; }
.chart { height: 320px; border: 1px solid #e4e7eb; }
#rejected-reasons code { font-size: 12px; word-break: break-all; } .sample + .sample { margin-top: 6px; }
.sample .where { color: #616e7c; font-size: 12px; }
footer { margin-top: 32px; color: #616e7c; font-size: 12px; }`;

const RUN_SECTION = `<section id="run" hidden>
<h2>Run</h2>
<p id="counts"></p>
<table id="run-facts"></table>
<div class="run-charts">
<figure><figcaption>Ticks a second <span class="key" style="background:#3e4c59"></span>produced <span class="key" style="background:#26a69a"></span>stored <span class="key" style="background:#ef5350"></span>rejected</figcaption><div class="run-chart" id="chart-throughput"></div></figure>
<figure><figcaption>End-to-end latency, ms <span class="key" style="background:#2f80ed"></span>p50 <span class="key" style="background:#f2994a"></span>p99</figcaption><div class="run-chart" id="chart-latency"></div></figure>
<figure><figcaption>Iterator age, ms <span class="key" style="background:#9b51e0"></span>shard furthest behind</figcaption><div class="run-chart" id="chart-iterator-age"></div></figure>
</div>
</section>`;

const BODY = `<h1>Stock ticks</h1>
<p class="meta" id="meta"></p>
<p id="live-status" hidden></p>
${RUN_SECTION}
<section id="prices" hidden>
<h2>Last prices</h2>
<table id="last-prices">
<thead><tr><th>symbol</th><th class="num">last price</th><th>at (as written)</th><th class="num">ticks</th><th class="num">span</th></tr></thead>
<tbody></tbody>
</table>
</section>
<section id="candles" hidden>
<h2><span id="interval-label"></span> candles</h2>
<div id="interval-switch" role="group" aria-label="candle interval"></div>
<div class="symbols" id="symbols"></div>
</section>
<p id="no-ticks" hidden>No ticks in this source.</p>
<section id="rejected">
<h2>Rejected</h2>
<p id="rejected-summary"></p>
<table id="rejected-reasons" hidden>
<thead><tr><th>reason</th><th class="num">records</th><th>first two</th></tr></thead>
<tbody></tbody>
</table>
</section>
<footer>Charts drawn with TradingView Lightweight Charts™, Copyright (c) TradingView, Inc., Apache License 2.0, <a href="https://www.tradingview.com/">tradingview.com</a>.</footer>`;

export function renderReport(page: ReportPage): string {
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stock ticks</title>
<style>
${STYLE}
</style>
</head>
<body>
${BODY}
<script>
${chartLibrary()}
</script>
<script type="application/json" id="page-data">${scriptJson(pageState(page))}</script>
<script>
${PAGE_SCRIPT}
</script>
</body>
</html>
`;
}
