/**
 * The report of a run while it goes (`npm run local -- --live`): the run's state from its
 * timeline, and the report's data from the bucket, refreshed at least once a second by loading
 * only the objects that appeared since (the same query layer and SQL as the written report).
 */
import { setTimeout as sleep } from "timers/promises";
import { GLUE_TABLES } from "../../pipeline/analytics/tables";
import { LocalEngine } from "../query/engine";
import { StoreFollower } from "../query/load";
import type { ObjectStore } from "../query/sources";
import type { RunState, RunTimeline } from "../local-stack/timeline";
import { buildReportData, ReportData } from "./data";
import { PageState, pageState, renderReport, ReportFact, ReportPage } from "./html";

/** How often the page asks for the state. */
export const POLL_MS = 500;
/** The report's data is rebuilt at least this often while the run goes (when a rebuild is quicker). */
export const REFRESH_MS = 1000;

const EMPTY: ReportData = { days: [], intervals: [], interval: "1s", symbols: [], rejected: { total: 0, reasons: [] } };

export class LiveReport {
    private data: ReportData = EMPTY;
    private reportVersion = 0;
    private generatedAt = new Date();
    private facts: ReportFact[] = [];
    private timeline?: RunTimeline;
    private follower?: StoreFollower;
    private refreshing?: Promise<void>;
    private stopped = false;
    private warned = false;

    private constructor(
        private readonly engine: LocalEngine,
        /** Where the ticks are read, as the page names it. */
        private readonly source: string,
        private readonly warn: (line: string) => void,
    ) {}

    static async open(source: string, warn: (line: string) => void): Promise<LiveReport> {
        return new LiveReport(await LocalEngine.open(GLUE_TABLES), source, warn);
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
            await this.refresh().catch(error => {
                if (this.warned) return;
                this.warned = true;
                this.warn(`warning: the live page could not read the bucket: ${(error as Error).message}`);
            });
            await sleep(Math.max(0, REFRESH_MS - (Date.now() - started)));
        }
    }

    /** Loads what is new and, when something was, rebuilds the report's data. */
    async refresh(): Promise<void> {
        if (!this.follower) return;
        const loaded = await this.follower.catchUp();
        if (loaded === 0 && this.reportVersion > 0) return;
        this.data = await buildReportData(this.engine);
        this.generatedAt = new Date();
        this.reportVersion++;
    }

    /** Stops refreshing: call before the emulators stop. */
    async stop(): Promise<void> {
        this.stopped = true;
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
        return renderReport(this.page(true));
    }

    /** GET /state.json: everything but the candles, and which version of them is current. */
    state(): Omit<PageState, "report"> {
        const state: Partial<PageState> = pageState(this.page(true));
        delete state.report;
        return state as Omit<PageState, "report">;
    }

    /** GET /report.json: the candles, last prices and rejected records. */
    report(): ReportData {
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
