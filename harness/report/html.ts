/**
 * The report as one self-contained HTML page: TradingView's Lightweight Charts (Apache-2.0) and the
 * data are inlined, so the file opens anywhere with no network. Per symbol, a candlestick chart of
 * OHLC per minute with the tick count in a pane below it; above them, a table of last prices.
 */
import * as fs from "fs";
import * as path from "path";
import type { ReportData } from "./data";

/** A line of facts shown above the charts, e.g. a local run's throughput. */
export interface ReportFact {
    label: string;
    value: string;
}

export interface ReportPage {
    data: ReportData;
    /** Where the ticks were read, e.g. s3://bucket (S3 API). */
    source: string;
    generatedAt: Date;
    /** Shown in a "This run" table when given. */
    facts?: ReportFact[];
}

// The standalone build defines the global LightweightCharts; the package's exports map does not
// list it, so it is found beside the package.json, which the map does export.
const LIBRARY = path.join(
    path.dirname(require.resolve("lightweight-charts/package.json")),
    "dist",
    "lightweight-charts.standalone.production.js",
);

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element: no "</script>" or "<!--" can close it early. */
function scriptJson(value: unknown): string {
    return JSON.stringify(value)
        .replace(/</g, "\\u003c")
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029");
}

function lastPricesTable(data: ReportData): string {
    const rows = data.symbols.map(
        s =>
            `<tr><td>${escapeHtml(s.symbol)}</td><td class="num">${escapeHtml(s.lastPrice)}</td>` +
            `<td>${escapeHtml(s.lastTimestamp)}</td><td class="num">${s.ticks}</td><td class="num">${s.candles.length}</td></tr>`,
    );
    return `<table id="last-prices">
<thead><tr><th>symbol</th><th class="num">last price</th><th>at (as written)</th><th class="num">ticks</th><th class="num">minutes</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}

function factsTable(facts: ReportFact[]): string {
    const rows = facts.map(f => `<tr><th>${escapeHtml(f.label)}</th><td>${escapeHtml(f.value)}</td></tr>`);
    return `<h2>This run</h2>\n<table id="run-facts">\n${rows.join("\n")}\n</table>`;
}

function symbolSections(data: ReportData): string {
    const sections = data.symbols
        .map(
            (s, i) =>
                `<section class="symbol" data-symbol="${escapeHtml(s.symbol)}" data-index="${i}">
<h2>${escapeHtml(s.symbol)} <small>${s.ticks} ticks, ${s.candles.length} minutes, last ${escapeHtml(s.lastPrice)}</small></h2>
<div class="chart"></div>
</section>`,
        )
        .join("\n");
    return `<div class="symbols">\n${sections}\n</div>`;
}

/** Draws every chart from the inlined data; marks each section with the number of candles drawn. */
const DRAW = `(() => {
    const data = JSON.parse(document.getElementById("report-data").textContent);
    const { createChart, CandlestickSeries, HistogramSeries } = LightweightCharts;
    const decimals = prices => Math.min(8, Math.max(2, ...prices.map(p => (p.split(".")[1] || "").length)));
    const time = minute => Date.parse(minute + ":00Z") / 1000;
    document.querySelectorAll("section.symbol").forEach(section => {
        const symbol = data.symbols[Number(section.dataset.index)];
        const chart = createChart(section.querySelector(".chart"), {
            autoSize: true,
            layout: { background: { color: "#ffffff" }, textColor: "#1f2933" },
            grid: { vertLines: { color: "#eef1f4" }, horzLines: { color: "#eef1f4" } },
            timeScale: { timeVisible: true, secondsVisible: false },
        });
        const precision = decimals(symbol.candles.flatMap(c => [c.open, c.high, c.low, c.close]));
        const candles = chart.addSeries(CandlestickSeries, {
            upColor: "#26a69a", downColor: "#ef5350", borderVisible: false,
            wickUpColor: "#26a69a", wickDownColor: "#ef5350",
            priceFormat: { type: "price", precision, minMove: Math.pow(10, -precision) },
        });
        candles.setData(symbol.candles.map(c => ({
            time: time(c.minute), open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close),
        })));
        const ticks = chart.addSeries(HistogramSeries, {
            color: "#90a4ae", priceFormat: { type: "volume" }, title: "ticks",
        }, 1);
        ticks.setData(symbol.candles.map(c => ({ time: time(c.minute), value: c.ticks })));
        chart.panes()[1].setHeight(90);
        chart.timeScale().fitContent();
        section.dataset.drawn = String(symbol.candles.length);
    });
    document.body.dataset.ready = "true";
})();`;

const STYLE = `body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin: 28px 0 8px; font-size: 18px; } h2 small { font-weight: normal; color: #616e7c; font-size: 13px; }
.meta { color: #616e7c; margin-top: 0; }
table { border-collapse: collapse; } th, td { padding: 4px 12px; border-bottom: 1px solid #e4e7eb; text-align: left; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
#run-facts th { font-weight: normal; color: #616e7c; }
.symbols { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 0 24px; }
.chart { height: 320px; border: 1px solid #e4e7eb; }
footer { margin-top: 32px; color: #616e7c; font-size: 12px; }`;

export function renderReport(page: ReportPage): string {
    const { data } = page;
    const days =
        data.days.length === 0
            ? "no days"
            : data.days.length === 1
              ? data.days[0]
              : `${data.days[0]} to ${data.days.at(-1)}`;
    const body =
        data.symbols.length === 0
            ? `<p id="no-ticks">No ticks in this source.</p>`
            : `<h2>Last prices</h2>\n${lastPricesTable(data)}\n${symbolSections(data)}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stock ticks: ${escapeHtml(days)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<h1>Stock ticks</h1>
<p class="meta">${data.symbols.length} symbols, ${escapeHtml(days)}, from ${escapeHtml(page.source)}; generated ${page.generatedAt.toISOString()}.
Times are as written in the ticks (their own offset); each record counted once.</p>
${page.facts && page.facts.length > 0 ? factsTable(page.facts) : ""}
${body}
<footer>Charts drawn with TradingView Lightweight Charts™, Copyright (c) TradingView, Inc., Apache License 2.0, <a href="https://www.tradingview.com/">tradingview.com</a>.</footer>
<script>
${fs.readFileSync(LIBRARY, "utf8")}
</script>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>
${DRAW}
</script>
</body>
</html>
`;
}
