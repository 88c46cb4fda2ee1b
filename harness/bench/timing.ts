/**
 * Times contenders against the sink: rounds in which every contender with batches left runs one,
 * in a new seeded order each round, so that the drifts of a shared machine hit all contenders
 * alike. The sink's counts are read around each timed batch, so each contender's requests are its
 * own. timeAgainstSink is the whole run both bench commands make: the sink, the contenders'
 * processes, the timing, and stopping them all.
 */
import type { ObjectLayout } from "../../pipeline/schema";
import { lambdaEnvironment } from "../lambda/environment";
import { SinkProcess, startSinkProcess } from "../sink/sink-process";
import type { SinkStats } from "../sink/sink-server";
import { percentile } from "../local-stack/summary";
import { seededRandom } from "../local-stack/ticks";
import { ContenderKind, ContenderProcess, InvocationResult, startContender } from "./contender-process";

export interface TimedContender {
    name: string;
    process: ContenderProcess;
    /** Untimed batches first: a warm container's JIT and caches. */
    warmUps: number;
    /** Timed batches. */
    batches: number;
}

export interface TimingResult {
    name: string;
    /** Per timed batch, ms. */
    wallMs: number[];
    cpuMs: number[];
    /** CPU per timed batch including what it left for after returning (see InvocationResult). */
    inclusiveCpuMs: number[];
    /** Per `service:operation`, over the timed batches. */
    requests: Record<string, number>;
    dynamodbItems: number;
    dynamodbWriteUnits: number;
    /** The sink's CPU over the timed batches, ms. */
    sinkCpuMs: number;
    problems: string[];
    /** Whether the clients' configs stayed in V8's fast mode, as last seen (diagnostic). */
    fastConfig: boolean[] | null;
}

export interface Progress {
    (done: number, total: number): void;
}

/** Nearest-rank percentile of unsorted, non-empty values. */
export function percentileOf(values: number[], p: number): number {
    return percentile(
        [...values].sort((a, b) => a - b),
        p,
    )!;
}

export const median = (values: number[]) => percentileOf(values, 50);
export const p90 = (values: number[]) => percentileOf(values, 90);

function emptyResult(name: string): TimingResult {
    return {
        name,
        wallMs: [],
        cpuMs: [],
        inclusiveCpuMs: [],
        requests: {},
        dynamodbItems: 0,
        dynamodbWriteUnits: 0,
        sinkCpuMs: 0,
        problems: [],
        fastConfig: null,
    };
}

/** Runs every contender's batches (the same batch indexes for all: the same ticks) and collects the timings. */
export async function timeContenders(
    contenders: TimedContender[],
    sink: SinkProcess,
    seed: number,
    progress: Progress,
): Promise<TimingResult[]> {
    const results = contenders.map(contender => emptyResult(contender.name));
    const runs = contenders.map(contender => contender.warmUps + contender.batches);
    const total = runs.reduce((sum, n) => sum + n, 0);
    const shuffle = seededRandom(seed ^ 0x5eed);
    let done = 0;
    for (let round = 0; round < Math.max(...runs); round++) {
        const order = contenders
            .map((_, i) => ({ i, key: shuffle() }))
            .filter(({ i }) => round < runs[i])
            .sort((a, b) => a.key - b.key);
        for (const { i } of order) {
            const timed = round >= contenders[i].warmUps;
            await runBatch(contenders[i], results[i], round, timed, sink);
            progress(++done, total);
        }
    }
    // The last timed batch's inclusive CPU ends when the next call would start.
    for (const [i, contender] of contenders.entries()) {
        const last = await contender.process.closeLast();
        if (contender.batches > 0 && last !== null) results[i].inclusiveCpuMs.push(last);
    }
    return results;
}

async function runBatch(
    contender: TimedContender,
    result: TimingResult,
    index: number,
    timed: boolean,
    sink: SinkProcess,
): Promise<void> {
    const before = timed ? await sink.stats() : null;
    const invocation: InvocationResult = await contender.process.run(index);
    if (invocation.problem) result.problems.push(`batch ${index + 1}: ${invocation.problem}`);
    result.fastConfig = invocation.fastConfig;
    // The previous batch's inclusive CPU closes now: keep it if that batch was timed.
    if (index > contender.warmUps && invocation.previousInclusiveCpuMs !== null)
        result.inclusiveCpuMs.push(invocation.previousInclusiveCpuMs);
    if (!before) return;
    const after = await sink.stats();
    result.wallMs.push(invocation.wallMs);
    result.cpuMs.push(invocation.cpuMs);
    for (const [operation, count] of Object.entries(after.requests)) {
        const added = count - (before.requests[operation] ?? 0);
        if (added) result.requests[operation] = (result.requests[operation] ?? 0) + added;
    }
    result.dynamodbItems += after.dynamodbItems - before.dynamodbItems;
    result.dynamodbWriteUnits += after.dynamodbWriteUnits - before.dynamodbWriteUnits;
    result.sinkCpuMs += after.cpuMs - before.cpuMs;
}

/** Lambda's credentials are temporary: its session token is signed into every request, and the sink checks it. */
const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEOz//////////wEaCXVzLWVhc3QtMSJHMEUCIQD-bench-session-token";

/** A contender to start in a process of its own and time. */
export interface ContenderSpec {
    /** Its result's name. */
    name: string;
    kind: ContenderKind;
    /** For `processor`: the SDK tuning (see tuningOf); what Lambda runs when left out. */
    tuning?: string;
    /** The OBJECT_LAYOUT its environment gives it. */
    objectLayout: ObjectLayout;
    warmUps: number;
    batches: number;
}

export interface SinkTimingOptions {
    seed: number;
    batchSize: number;
    /** The sink's latency per request, by service, ms. */
    latencyMs: { dynamodb: number; s3: number };
    /** Writes a V8 CPU profile of each contender's process into this folder. */
    cpuProfileDir?: string;
}

/**
 * Starts the sink, then each contender's process in turn (one warm Lambda container, its
 * environment pointing at the sink), times them all (timeContenders), and reads what the sink
 * counted. Every process started, and the sink, is stopped whatever happens.
 */
export async function timeAgainstSink(
    specs: ContenderSpec[],
    options: SinkTimingOptions,
    progress: Progress,
): Promise<{ results: TimingResult[]; stats: SinkStats }> {
    const sink = await startSinkProcess({ latencyMs: options.latencyMs, signing: { sessionToken: SESSION_TOKEN } });
    const processes: ContenderProcess[] = [];
    try {
        const contenders: TimedContender[] = [];
        for (const spec of specs) {
            const process = await startContender({
                kind: spec.kind,
                tuning: spec.tuning,
                seed: options.seed,
                batchSize: options.batchSize,
                environment: lambdaEnvironment({
                    endpoints: sink.endpoints,
                    tableName: "StockMarketData",
                    bucketName: "stock-market-data-bench",
                    objectLayout: spec.objectLayout,
                    sessionToken: SESSION_TOKEN,
                }),
                cpuProfileDir: options.cpuProfileDir,
            });
            processes.push(process);
            contenders.push({ name: spec.name, process, warmUps: spec.warmUps, batches: spec.batches });
        }
        const results = await timeContenders(contenders, sink, options.seed, progress);
        return { results, stats: await sink.stats() };
    } finally {
        await Promise.all(processes.map(process => process.stop()));
        await sink.close();
    }
}
