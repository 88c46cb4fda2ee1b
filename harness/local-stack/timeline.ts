/**
 * What a local run records as it goes, once a second: ticks produced, stored and rejected in that
 * second, the end-to-end latency of the ticks acknowledged in it (p50 and p99), and the iterator
 * age of the shard furthest behind. The report's Run section charts it, and `--live` serves it
 * while the run goes.
 */
import type { ProgressSnapshot } from "./progress";
import { percentile } from "./summary";

export interface TimelinePoint {
    /** The second it covers, as epoch seconds (its end), strictly increasing. */
    at: number;
    produced: number;
    stored: number;
    rejected: number;
    /** Of the ticks acknowledged in that second; null when none was. */
    latencyP50Ms: number | null;
    latencyP99Ms: number | null;
    /** The shard furthest behind, when the second ended. */
    iteratorAgeMs: number;
}

/** Starting the stack, producing, waiting for the records in flight, reading the store back, done. */
export type RunStatus = "starting" | "producing" | "draining" | "reconciling" | "finished";

/** The run now: its totals so far, and every second recorded. */
export interface RunState extends Omit<ProgressSnapshot, "iteratorAgeMs"> {
    status: RunStatus;
    /** Since producing started (0 before). */
    elapsedSeconds: number;
    timeline: TimelinePoint[];
}

/** Where the timeline reads from: the progress counts, and the latencies recorded so far in order. */
export interface TimelineSource {
    snapshot(): ProgressSnapshot;
    /** Latencies (ms) recorded from index `start` on; the count so far is `start` + their number. */
    latenciesFrom(start: number): number[];
}

export class RunTimeline {
    private readonly points: TimelinePoint[] = [];
    private status: RunStatus = "starting";
    private startedAt?: number;
    private stoppedAt?: number;
    private timer?: NodeJS.Timeout;
    private last = { produced: 0, stored: 0, rejected: 0, latencies: 0 };
    private source?: TimelineSource;

    constructor(private readonly clock: () => number = Date.now) {}

    /** Starts recording a point a second from `source` (producing has begun). */
    start(source: TimelineSource, everyMs = 1000): void {
        this.source = source;
        this.status = "producing";
        this.startedAt = this.clock();
        const first = source.snapshot();
        this.last = { produced: first.produced, stored: first.stored, rejected: first.rejected, latencies: 0 };
        this.timer = setInterval(() => this.record(), everyMs);
        this.timer.unref();
    }

    /** The producer is done: what follows is the drain. */
    draining(): void {
        if (this.status === "producing") this.status = "draining";
    }

    /** Records the last (partial) second and stops recording: the run reads the store back now. */
    stop(): void {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
        if (this.source && this.stoppedAt === undefined) this.record();
        this.stoppedAt ??= this.clock();
        this.status = "reconciling";
    }

    /** The run is over, its summary and report made. */
    finished(): void {
        this.stop();
        this.status = "finished";
    }

    /** Records one point: what happened since the previous one. */
    record(): void {
        if (!this.source) return;
        const now = this.source.snapshot();
        const latencies = this.source.latenciesFrom(this.last.latencies).sort((a, b) => a - b);
        const previous = this.points[this.points.length - 1];
        this.points.push({
            at: Math.max(Math.round(this.clock() / 1000), (previous?.at ?? 0) + 1),
            produced: now.produced - this.last.produced,
            stored: now.stored - this.last.stored,
            rejected: now.rejected - this.last.rejected,
            latencyP50Ms: percentile(latencies, 50),
            latencyP99Ms: percentile(latencies, 99),
            iteratorAgeMs: now.iteratorAgeMs,
        });
        this.last = {
            produced: now.produced,
            stored: now.stored,
            rejected: now.rejected,
            latencies: this.last.latencies + latencies.length,
        };
    }

    state(): RunState {
        const now = this.source?.snapshot() ?? {
            produced: 0,
            stored: 0,
            rejected: 0,
            inFlight: 0,
            failedToDestination: 0,
            iteratorAgeMs: 0,
        };
        return {
            status: this.status,
            elapsedSeconds:
                this.startedAt === undefined ? 0 : ((this.stoppedAt ?? this.clock()) - this.startedAt) / 1000,
            produced: now.produced,
            stored: now.stored,
            rejected: now.rejected,
            inFlight: now.inFlight,
            failedToDestination: now.failedToDestination,
            timeline: [...this.points],
        };
    }
}
