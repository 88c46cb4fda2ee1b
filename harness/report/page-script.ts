/**
 * The report page's own script, run in the browser: it draws everything from the page's state
 * (the `page-data` JSON element, see html.ts) with Lightweight Charts, lets the reader switch the
 * candle interval without a network, and, on a live page, polls `state.json` (and `report.json`
 * when the candles changed) twice a second and redraws. All text goes in through textContent,
 * never as HTML. Plain ES2020, no template literals, so that it can sit in this string.
 */
export const PAGE_SCRIPT = String.raw`(function () {
    "use strict";
    var LC = LightweightCharts;
    var page = JSON.parse(document.getElementById("page-data").textContent);
    var chosenInterval = null;
    var views = new Map();
    var runCharts = null;
    var version = 0;
    var UP = "#26a69a", DOWN = "#ef5350";

    function plural(n, one, many) { return n + " " + (n === 1 ? one : many || one + "s"); }
    function byId(id) { return document.getElementById(id); }
    function make(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text !== undefined && text !== null) node.textContent = String(text);
        return node;
    }
    function wallSeconds(wall) { return Date.parse(wall.slice(0, 23) + "Z") / 1000; }
    function wallText(wall) { return wall.slice(0, 19).replace("T", " "); }
    /** "9.8 s", "26 s", "7 min 59 s", "3 h 5 min", "365 days": rounded first, so never "7 min 60 s". */
    function duration(seconds) {
        if (seconds < 9.95) return seconds.toFixed(1) + " s";
        var whole = Math.round(seconds);
        if (whole < 60) return whole + " s";
        if (whole < 3600) return Math.floor(whole / 60) + " min" + (whole % 60 ? " " + (whole % 60) + " s" : "");
        var minutes = Math.round(seconds / 60);
        if (minutes < 48 * 60) return Math.floor(minutes / 60) + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
        return plural(Math.round(seconds / 86400), "day");
    }
    function decimals(prices) {
        var most = 2;
        prices.forEach(function (p) { most = Math.max(most, (p.split(".")[1] || "").length); });
        return Math.min(8, most);
    }
    function intervalOf(report) {
        var names = report.intervals.map(function (i) { return i.name; });
        var name = chosenInterval !== null && names.indexOf(chosenInterval) >= 0 ? chosenInterval : report.interval;
        return report.intervals.filter(function (i) { return i.name === name; })[0];
    }

    function renderMeta(report) {
        var days = report.days.length === 0 ? "no days" : report.days.length === 1 ? report.days[0]
            : report.days[0] + " to " + report.days[report.days.length - 1];
        byId("meta").textContent = plural(report.symbols.length, "symbol") + ", " + days + ", from " + page.source +
            "; generated " + page.generatedAt + ". Times are as written in the ticks (their own offset); " +
            "each record counted once.";
        document.title = "Stock ticks: " + days;
    }

    function renderStatus() {
        var status = byId("live-status");
        if (!page.live) return;
        status.hidden = false;
        var run = page.run;
        var text;
        if (page.lostContact) text = "The command has stopped: this is the last state it sent.";
        else if (!run || run.status === "starting") text = "Live: starting the emulators and the function.";
        else if (run.status === "finished") text = "Live: the run is over; this is its final state. The command serves this page until Ctrl-C.";
        else text = "Live: " + run.status + ", " + duration(run.elapsedSeconds) + " in; updated " + new Date().toLocaleTimeString() + ".";
        status.textContent = text;
        status.dataset.status = page.lostContact ? "lost" : run ? run.status : "starting";
    }

    function renderCounts(run) {
        var counts = byId("counts");
        counts.textContent = "";
        var items = [["produced", run.produced], ["stored", run.stored], ["rejected", run.rejected], ["in flight", run.inFlight]];
        if (run.failedToDestination > 0) items.push(["failed to destination", run.failedToDestination]);
        items.forEach(function (item) {
            var span = make("span", "count");
            span.dataset.count = item[0].replace(/ /g, "-");
            span.append(make("b", null, item[1]), " " + item[0]);
            counts.append(span);
        });
    }

    function renderFacts(facts) {
        var table = byId("run-facts");
        table.textContent = "";
        facts.forEach(function (fact) {
            var row = make("tr");
            row.append(make("th", null, fact.label), make("td", null, fact.value));
            table.append(row);
        });
        table.hidden = facts.length === 0;
    }

    function lineChart(id) {
        return LC.createChart(byId(id), {
            autoSize: true,
            layout: { background: { color: "#ffffff" }, textColor: "#1f2933", attributionLogo: false },
            grid: { vertLines: { color: "#eef1f4" }, horzLines: { color: "#eef1f4" } },
            timeScale: { timeVisible: true, secondsVisible: true },
        });
    }
    function line(chart, color) {
        return chart.addSeries(LC.LineSeries, {
            color: color, lineWidth: 2, lastValueVisible: false, priceLineVisible: false,
            priceFormat: { type: "price", precision: 0, minMove: 1 },
        });
    }

    function renderRun(run) {
        var section = byId("run");
        if (!run) { section.hidden = true; return; }
        section.hidden = false;
        renderCounts(run);
        renderFacts(page.facts || []);
        if (!runCharts) {
            var throughput = lineChart("chart-throughput");
            var latency = lineChart("chart-latency");
            var age = lineChart("chart-iterator-age");
            runCharts = {
                charts: [throughput, latency, age],
                produced: line(throughput, "#3e4c59"), stored: line(throughput, UP), rejected: line(throughput, DOWN),
                p50: line(latency, "#2f80ed"), p99: line(latency, "#f2994a"),
                age: line(age, "#9b51e0"),
            };
        }
        var points = run.timeline;
        function series(field) {
            return points.map(function (p) { return p[field] === null ? { time: p.at } : { time: p.at, value: p[field] }; });
        }
        runCharts.produced.setData(series("produced"));
        runCharts.stored.setData(series("stored"));
        runCharts.rejected.setData(series("rejected"));
        runCharts.p50.setData(series("latencyP50Ms"));
        runCharts.p99.setData(series("latencyP99Ms"));
        runCharts.age.setData(series("iteratorAgeMs"));
        runCharts.charts.forEach(function (chart) { chart.timeScale().fitContent(); });
        section.dataset.points = String(points.length);
    }

    function renderLastPrices(report) {
        var body = byId("last-prices").querySelector("tbody");
        body.textContent = "";
        report.symbols.forEach(function (s) {
            var row = make("tr");
            var span = wallSeconds(s.lastTime) - wallSeconds(s.firstTime);
            row.append(
                make("td", null, s.symbol), make("td", "num", s.lastPrice), make("td", null, s.lastTimestamp),
                make("td", "num", s.ticks), make("td", "num", s.ticks === 1 ? "" : duration(span)));
            body.append(row);
        });
        byId("prices").hidden = report.symbols.length === 0;
    }

    function renderIntervalSwitch(report) {
        var interval = intervalOf(report);
        byId("candles").hidden = report.symbols.length === 0;
        byId("no-ticks").hidden = report.symbols.length > 0;
        if (!interval) return;
        byId("interval-label").textContent = interval.label;
        var group = byId("interval-switch");
        group.textContent = "";
        report.intervals.forEach(function (i) {
            var button = make("button", i.name === interval.name ? "chosen" : "", i.name);
            button.type = "button";
            button.title = i.label + " candles";
            button.dataset.interval = i.name;
            button.setAttribute("aria-pressed", String(i.name === interval.name));
            button.addEventListener("click", function () { chosenInterval = i.name; renderCandles(page.report); });
            group.append(button);
        });
    }

    function legendText(candle) {
        return "O " + candle.open + "  H " + candle.high + "  L " + candle.low + "  C " + candle.close + "  " +
            plural(candle.ticks, "tick") + "  " + wallText(candle.time);
    }

    function symbolView(symbol, index) {
        var section = make("section", "symbol");
        section.dataset.symbol = symbol;
        var heading = make("h3");
        var about = make("small");
        heading.append(make("span", "name", symbol), " ", about);
        var legend = make("div", "legend");
        var container = make("div", "chart");
        section.append(heading, legend, container);
        // In the document first: a chart measures its container when it is made.
        var holder = byId("symbols");
        holder.insertBefore(section, holder.children[index] || null);
        var chart = LC.createChart(container, {
            autoSize: true,
            layout: { background: { color: "#ffffff" }, textColor: "#1f2933", attributionLogo: false },
            grid: { vertLines: { color: "#eef1f4" }, horzLines: { color: "#eef1f4" } },
            timeScale: { timeVisible: true, secondsVisible: true },
        });
        var candles = chart.addSeries(LC.CandlestickSeries, {
            upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
            lastValueVisible: false, priceLineVisible: false,
        });
        var ticks = chart.addSeries(LC.HistogramSeries, {
            color: "#90a4ae", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false,
        }, 1);
        chart.panes()[1].setHeight(80);
        var view = { section: section, about: about, legend: legend, chart: chart, candles: candles, ticks: ticks, byTime: new Map(), last: null };
        chart.subscribeCrosshairMove(function (param) {
            var candle = param.time !== undefined ? view.byTime.get(param.time) : undefined;
            legend.textContent = candle ? legendText(candle) : view.last ? legendText(view.last) : "";
        });
        return view;
    }

    function renderCandles(report) {
        renderIntervalSwitch(report);
        var interval = intervalOf(report);
        if (!interval) return;
        report.symbols.forEach(function (s, index) {
            var view = views.get(s.symbol);
            if (!view) { view = symbolView(s.symbol, index); views.set(s.symbol, view); }
            var list = s.candles[interval.name] || [];
            var prices = [];
            list.forEach(function (c) { prices.push(c.open, c.high, c.low, c.close); });
            var precision = decimals(prices);
            view.candles.applyOptions({ priceFormat: { type: "price", precision: precision, minMove: Math.pow(10, -precision) } });
            view.chart.applyOptions({ timeScale: { timeVisible: interval.seconds < 86400, secondsVisible: interval.seconds < 60 } });
            view.byTime = new Map();
            view.candles.setData(list.map(function (c) {
                var t = wallSeconds(c.time);
                view.byTime.set(t, c);
                return { time: t, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) };
            }));
            view.ticks.setData(list.map(function (c) { return { time: wallSeconds(c.time), value: c.ticks }; }));
            view.chart.timeScale().fitContent();
            view.last = list.length ? list[list.length - 1] : null;
            view.legend.textContent = view.last ? legendText(view.last) : "";
            var span = wallSeconds(s.lastTime) - wallSeconds(s.firstTime);
            view.about.textContent = (s.ticks === 1 ? "1 tick" : plural(s.ticks, "tick") + " over " + duration(span)) +
                ", last " + s.lastPrice + "; " + plural(list.length, "candle");
            view.section.dataset.ticks = String(s.ticks);
            view.section.dataset.drawn = String(list.length);
        });
    }

    function renderRejected(report) {
        var rejected = report.rejected;
        byId("rejected-summary").textContent = rejected.total === 0 ? "No rejected records."
            : plural(rejected.total, "record") + " rejected, " + plural(rejected.reasons.length, "kind") + " of reason:";
        var body = byId("rejected-reasons").querySelector("tbody");
        body.textContent = "";
        rejected.reasons.forEach(function (r) {
            var row = make("tr");
            var samples = make("td", "samples");
            r.samples.forEach(function (sample) {
                var item = make("div", "sample");
                var where = "partition key " + sample.partitionKey + ", sequence number " + sample.sequenceNumber +
                    (sample.subSequenceNumber !== undefined ? "-" + sample.subSequenceNumber : "") +
                    (sample.encoding === "base64" ? " (bytes in base64: not UTF-8)" : "");
                item.append(make("code", null, sample.data), make("div", "where", sample.reason + "; " + where));
                samples.append(item);
            });
            row.append(make("td", null, r.reason), make("td", "num", r.count), samples);
            body.append(row);
        });
        byId("rejected-reasons").hidden = rejected.reasons.length === 0;
    }

    /** Draws the run's part, and the report's when it changed: a chart the reader zoomed is redrawn only then. */
    function render(reportChanged) {
        renderMeta(page.report);
        renderStatus();
        renderRun(page.run);
        if (reportChanged) {
            renderLastPrices(page.report);
            renderCandles(page.report);
            renderRejected(page.report);
        }
        version++;
        document.body.dataset.version = String(version);
        document.body.dataset.ready = "true";
    }

    function fetchJson(url) {
        return fetch(url, { cache: "no-store" }).then(function (response) {
            if (!response.ok) throw new Error(url + ": HTTP " + response.status);
            return response.json();
        });
    }

    var lastState = null;
    function poll() {
        fetchJson("state.json").then(function (state) {
            var wanted = state.reportVersion !== page.reportVersion ? fetchJson("report.json") : Promise.resolve(null);
            return wanted.then(function (report) {
                var text = JSON.stringify(state);
                if (!report && text === lastState && !page.lostContact) return;
                lastState = text;
                page.run = state.run;
                page.facts = state.facts;
                page.generatedAt = state.generatedAt;
                page.lostContact = false;
                if (report) { page.report = report; page.reportVersion = state.reportVersion; }
                render(report !== null);
            });
        }).catch(function () {
            page.lostContact = true;
            renderStatus();
        }).then(function () { setTimeout(poll, page.live.pollMs); });
    }

    render(true);
    if (page.live) setTimeout(poll, page.live.pollMs);
})();`;
