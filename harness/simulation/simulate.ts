/**
 * Runs many schedules in one layout: schedule i of a run with seed S is the schedule of seed
 * S + i, so `--seed S` runs the same ones again and `--seed S+i --runs 1` that one alone. The
 * first schedule that breaks an invariant ends the run; it is shrunk and traced.
 */
import { performance } from "perf_hooks";
import { addStats, emptyCheckStats, Stats, Violation } from "./invariants";
import { runSchedule, ScheduleOptions } from "./schedule";
import { shrink, tapeSize } from "./shrink";
import type { Tapes } from "./choices";
import type { ObjectLayout } from "./world";

export { INVARIANTS, INVARIANT_NAMES } from "./invariants";
export type { Invariant, Stats, Violation } from "./invariants";
export type { ObjectLayout } from "./world";

export interface SimulationOptions extends Omit<ScheduleOptions, "layout" | "trace"> {
    layout: ObjectLayout;
    runs: number;
    /** The first schedule's seed (a 32-bit unsigned integer). */
    seed: number;
    /** Told after each schedule; for progress. */
    progress?: (done: number) => void;
    /** Shrink the failing schedule (default true), within this many ms (default 15 s). */
    shrink?: boolean;
    shrinkMs?: number;
    /** Which violations end the run (all by default): a test may wait for the one it plants. */
    failOn?: (violation: Violation) => boolean;
    /** Receives the trace of every schedule run (not of the shrinking runs): for --runs 1. */
    trace?: (line: string) => void;
}

export interface FailedSchedule {
    seed: number;
    violations: Violation[];
    /** The smallest schedule found that fails the same way, with its trace. */
    shrunk?: { choices: number; from: number; runs: number; violations: Violation[]; trace: string[] };
}

export interface SimulationResult {
    layout: ObjectLayout;
    /** Schedules run (the failing one included). */
    schedules: number;
    stats: Stats;
    failure?: FailedSchedule;
    elapsedMs: number;
}

export const seedOf = (first: number, index: number) => (first + index) >>> 0;

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
    const started = performance.now();
    const stats = emptyCheckStats();
    const scheduleOptions: ScheduleOptions = {
        layout: options.layout,
        createHandler: options.createHandler,
        narrow: options.narrow,
        trace: options.trace,
    };
    for (let index = 0; index < options.runs; index++) {
        const seed = seedOf(options.seed, index);
        const result = await runSchedule({ seed }, scheduleOptions);
        addStats(stats, result.stats);
        options.progress?.(index + 1);
        if (!result.violations.some(options.failOn ?? (() => true))) continue;
        const failure: FailedSchedule = { seed, violations: result.violations };
        if (options.shrink !== false) failure.shrunk = await shrinkFailure(result.tapes, result.violations[0], options);
        return { layout: options.layout, schedules: index + 1, stats, failure, elapsedMs: performance.now() - started };
    }
    return { layout: options.layout, schedules: options.runs, stats, elapsedMs: performance.now() - started };
}

/** Shrinks a failing schedule's tape, keeping the kind of its first violation, then traces the result. */
async function shrinkFailure(
    tapes: Tapes,
    first: Violation,
    options: SimulationOptions,
): Promise<FailedSchedule["shrunk"]> {
    const schedule = { layout: options.layout, createHandler: options.createHandler, narrow: options.narrow };
    const shrunk = await shrink(
        tapes,
        async candidate => {
            const result = await runSchedule({ tapes: candidate }, schedule);
            return result.violations.some(v => v.invariant === first.invariant) ? result.tapes : undefined;
        },
        { runs: 3000, until: performance.now() + (options.shrinkMs ?? 15_000) },
    );
    const trace: string[] = [];
    const result = await runSchedule({ tapes: shrunk.tapes }, { ...schedule, trace: line => trace.push(line) });
    return {
        choices: tapeSize(shrunk.tapes),
        from: tapeSize(tapes),
        runs: shrunk.runs,
        violations: result.violations,
        trace,
    };
}
