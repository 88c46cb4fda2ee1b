/**
 * The report of a run while it goes (`npm run local -- --live`): the run's state from its
 * timeline, and the report's data from the bucket, refreshed at least once a second while a page
 * asks for it, by loading only the objects that appeared since (the same query layer and SQL as
 * the written report). Nobody watching, it reads and rebuilds nothing: listing the bucket and
 * running the report's queries every second would take CPU from the emulators and the function,
 * and so lengthen the latency the run measures. The run's end gets one last rebuild either way.
 */
import { GLUE_TABLES } from "../../pipeline/analytics/tables";
import { LocalEngine } from "../query/engine";
import { StoreFollower } from "../query/load";
import type { ObjectStore } from "../query/sources";
import type { RunState, RunTimeline } from "../local-stack/timeline";
import { buildReportData, ReportData } from "./data";
import { PageState, pageState, renderReport, ReportFact, ReportPage } from "./html";

/** How often the page asks for the state. */
const POLL_MS = 500;

export interface LiveTiming {
    /** The report's data is rebuilt at least this often while watched (when a rebuild is quicker). */
    refreshMs: number;
    /** A page that asked within this long is still watching (a background tab asks once a second). */
    watchedMs: number;
}

const TIMING: LiveTiming = { refreshMs: 1000, watchedMs: 5000 };

const EMPTY: ReportData = { days: [], intervals: [], interval: "1s", symbols: [], rejected: { total: 0, reasons: [] } };

export class LiveReport {
    private data: ReportData = EMPTY;
    private reportVersion = 0;
    private generatedAt = new Date();
    private facts: ReportFact[] = [];
    private timeline?: RunTimeline;
    private follower?: StoreFollower;
    private refreshing?: Promise<void>;
    /** Objects were loaded since the data was last built (or it never was). */
    private behind = true;
    private askedAt = -Infinity;
    private wake?: () => void;
    private stopped = false;
    private warned = false;

    private constructor(
        private readonly engine: LocalEngine,
        /** Where the ticks are read, as the page names it. */
        private readonly source: string,
        private readonly warn: (line: string) => void,
        private readonly timing: LiveTiming,
    ) {}

    static async open(
        source: string,
        warn: (line: string) => void,
        timing: Partial<LiveTiming> = {},
    ): Promise<LiveReport> {
        return new LiveReport(await LocalEngine.open(GLUE_TABLES), source, warn, { ...TIMING, ...timing });
    }

    /** The run is up: follow its bucket and its timeline, refreshing until `stop`. */
    follow(store: ObjectStore, timeline: RunTimeline): void {
        this.follower = new StoreFollower(this.engine, store);
        this.timeline = timeline;
        this.refreshing = this.loop();
    }

    private async loop(): Promise<void> {
        while (!this.stopped) {
            const started = Date.now();
            if (this.watched())
                await this.refresh().catch(error => {
                    if (this.warned) return;
                    this.warned = true;
                    this.warn(`warning: the live page could not read the bucket: ${(error as Error).message}`);
                });
            await this.rest(Math.max(0, this.timing.refreshMs - (Date.now() - started)));
        }
    }

    /** Waits `ms`, or less when woken: a page that starts watching, or stop. */
    private async rest(ms: number): Promise<void> {
        if (this.stopped) return;
        await new Promise<void>(resolve => {
            const timer = setTimeout(resolve, ms);
            this.wake = () => {
                clearTimeout(timer);
                resolve();
            };
        });
        this.wake = undefined;
    }

    private watched(): boolean {
        return Date.now() - this.askedAt < this.timing.watchedMs;
    }

    /** A page asked for something: refresh for it now if nobody was watching, and while it keeps asking. */
    private asked(): void {
        const wasWatched = this.watched();
        this.askedAt = Date.now();
        if (!wasWatched) this.wake?.();
    }

    /** Loads what is new and, when something was (or the data was never built), rebuilds the report's data. */
    async refresh(): Promise<void> {
        if (!this.follower) return;
        if ((await this.follower.catchUp()) > 0) this.behind = true;
        if (!this.behind) return;
        this.data = await buildReportData(this.engine);
        this.behind = false;
        this.generatedAt = new Date();
        this.reportVersion++;
    }

    /** Stops refreshing: call before the emulators stop. */
    async stop(): Promise<void> {
        this.stopped = true;
        this.wake?.();
        await this.refreshing;
    }

    /** Stops refreshing after one last refresh, while the emulators still run: the run's final state. */
    async finish(facts: ReportFact[]): Promise<void> {
        await this.stop();
        await this.refresh();
        this.facts = facts;
    }

    /** The page as it stands, for the report file: the same data the live page shows. */
    page(live = false): ReportPage {
        return {
            data: this.data,
            source: this.source,
            generatedAt: this.generatedAt,
            facts: this.facts,
            run: this.run(),
            live: live ? { pollMs: POLL_MS, reportVersion: this.reportVersion } : undefined,
        };
    }

    /** GET /: the page, with the state it starts from. */
    html(): string {
        this.asked();
        return renderReport(this.page(true));
    }

    /** GET /state.json: everything but the candles, and which version of them is current. */
    state(): Omit<PageState, "report"> {
        this.asked();
        const state: Partial<PageState> = pageState(this.page(true));
        delete state.report;
        return state as Omit<PageState, "report">;
    }

    /** GET /report.json: the candles, last prices and rejected records. */
    report(): ReportData {
        this.asked();
        return this.data;
    }

    private run(): RunState | undefined {
        return this.timeline?.state();
    }

    async close(): Promise<void> {
        await this.stop();
        this.engine.close();
    }
}
