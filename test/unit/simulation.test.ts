import { expect } from "chai";
import type { KinesisStreamBatchResponse } from "aws-lambda";
import * as batchPlanning from "../../pipeline/runtime/batch";
import * as layouts from "../../pipeline/runtime/layouts";
import * as replayRanges from "../../harness/replay/replay-ranges";
import { createHandler, ProcessorDependencies, ProcessorHandler } from "../../pipeline/runtime/handler";
import { runSchedule, ScheduleSettings } from "../../harness/simulation/schedule";
import { Invariant, ObjectLayout, simulate, SimulationResult } from "../../harness/simulation/simulate";
import { formatFailure } from "../../tools/simulate/command";

/** What CI runs per layout (the issue asks for at least 2,000), from a fixed seed: CI is deterministic. */
const CI_RUNS = 2000;
const CI_SEED = 2026;

/**
 * Where lanes, replays and lost checkpoints meet: parallelization, batches of two records or more
 * given up at once, many crashes and faults, every round a replay, lost checkpoints often. The
 * draw reaches this corner about once in 10,000 schedules; a test narrows to it to explore it.
 */
const PARALLEL_REPLAYS = (drawn: ScheduleSettings): ScheduleSettings => ({
    ...drawn,
    mapping: {
        ...drawn.mapping,
        parallelizationFactor: Math.max(2, drawn.mapping.parallelizationFactor),
        batchSize: Math.max(2, drawn.mapping.batchSize),
        maximumRetryAttempts: 0,
        lostCheckpointRate: 0.5,
    },
    services: { ...drawn.services, crashRate: 0.3, faultRate: 0.3 },
    replayRate: 1,
});
/** Schedules in that corner per CI run: each explores more than a drawn one. */
const CORNER_RUNS = 1000;

const failureText = (result: SimulationResult) => (result.failure ? formatFailure(result).join("\n") : "");

/** Replaces a module's export for the test: callers in other modules look it up at each call. */
function patchExport<T extends object, K extends keyof T>(module: T, name: K, replacement: T[K]): () => void {
    const original = module[name];
    (module as Record<K, T[K]>)[name] = replacement;
    return () => ((module as Record<K, T[K]>)[name] = original);
}

interface Mutation {
    what: string;
    layouts: ObjectLayout[];
    /** The invariant whose violation shows the bug. */
    caughtBy: Invariant;
    /** Plants the bug by patching module exports; returns the undo. */
    plant?: () => () => void;
    /** Plants the bug around the handler or its clients. */
    createHandler?: (deps: ProcessorDependencies) => ProcessorHandler;
    /** The corner of the settings where the bug shows, when the draw seldom reaches it. */
    narrow?: (drawn: ScheduleSettings) => ScheduleSettings;
}

const MUTATIONS: Mutation[] = [
    {
        what: "batch objects keyed by <first> alone",
        layouts: ["batch"],
        caughtBy: "keptLines",
        plant: () => {
            const real = layouts.plannedObjects;
            return patchExport(layouts, "plannedObjects", (layout, plans) =>
                real(layout, plans).map(put => ({ ...put, key: put.key.replace(/-\d+(\.ndjson\.gz)$/, "$1") })),
            );
        },
    },
    {
        what: "a replay that invokes a range holding other lanes' records in one event",
        layouts: ["batch"],
        caughtBy: "keptLines",
        plant: () => patchExport(replayRanges, "replayEvents", records => [records]),
        narrow: PARALLEL_REPLAYS,
    },
    {
        what: "a handler that drops one failure from its response",
        layouts: ["record", "batch"],
        caughtBy: "acknowledged",
        createHandler: deps => {
            const handler = createHandler(deps);
            return async (event, context) => {
                const { batchItemFailures } = (await handler(event, context)) as KinesisStreamBatchResponse;
                return { batchItemFailures: batchItemFailures.slice(1) };
            };
        },
    },
    {
        what: "retries that ignore UnprocessedItems",
        layouts: ["record", "batch"],
        caughtBy: "acknowledged",
        // The handler's DynamoDB client hands it every BatchWriteItem answer without UnprocessedItems.
        createHandler: deps =>
            createHandler({
                ...deps,
                dynamo: {
                    send: async (command: unknown, options: unknown) => {
                        const answer = await (deps.dynamo.send as (c: unknown, o: unknown) => Promise<object>)(
                            command,
                            options,
                        );
                        return { ...answer, UnprocessedItems: {} };
                    },
                } as unknown as ProcessorDependencies["dynamo"],
            }),
    },
    {
        what: "latest wins reversed (the earliest record of a key wins)",
        layouts: ["record", "batch"],
        caughtBy: "latestWins",
        plant: () =>
            patchExport(batchPlanning, "latestPerKey", plans => {
                const winners = new Map<string, batchPlanning.TickPlan>();
                for (const plan of plans) {
                    if (!plan.tick) continue;
                    const key = batchPlanning.tickKey(plan.tick);
                    const current = winners.get(key);
                    if (!current || batchPlanning.compareRecords(plan, current) < 0) winners.set(key, plan);
                }
                return [...winners.values()];
            }),
    },
];

const DROPS_A_FAILURE = MUTATIONS.find(mutation => mutation.what.includes("drops one failure"))!;

describe("the delivery simulation (npm run simulate)", function () {
    this.timeout(120_000);

    for (const layout of ["record", "batch"] as const) {
        it(`holds every invariant over ${CI_RUNS} schedules in the ${layout} layout, exploring every kind of event`, async () => {
            const result = await simulate({ layout, runs: CI_RUNS, seed: CI_SEED });
            expect(result.failure, failureText(result)).to.equal(undefined);
            expect(result.schedules).to.equal(CI_RUNS);
            const { stats } = result;
            // A simulation that never crashes, bisects or replays would pass without showing anything.
            for (const [what, count] of Object.entries({
                crashes: stats.crashes,
                bisections: stats.bisections,
                "shorter retries": stats.retries.fewer,
                "longer retries": stats.retries.more,
                "lost checkpoints": stats.lostCheckpoints,
                "ranges given up after the retries": stats.givenUp.RetryAttemptsExhausted,
                "ranges given up for their age": stats.givenUp.RecordAgeExceeded,
                replays: stats.replayInvocations,
                "UnprocessedItems answers": stats.faults["dynamodb:unprocessed"],
                "resets after the write": stats.faults["s3:reset-after-write"],
                "slow answers": stats.faults["s3:slow"],
            })) {
                expect(count, what).to.be.above(0);
            }
            for (const [invariant, checks] of Object.entries(stats.checks)) expect(checks, invariant).to.be.above(0);
        });
    }

    it(`holds every invariant over ${CORNER_RUNS} schedules where lanes, replays and lost checkpoints meet (batch layout)`, async () => {
        const result = await simulate({ layout: "batch", runs: CORNER_RUNS, seed: CI_SEED, narrow: PARALLEL_REPLAYS });
        expect(result.failure, failureText(result)).to.equal(undefined);
        expect(result.stats.lostCheckpoints).to.be.above(0);
        expect(result.stats.replayInvocations).to.be.above(0);
    });

    describe(`catches planted bugs within ${CI_RUNS} schedules`, () => {
        for (const mutation of MUTATIONS) {
            for (const layout of mutation.layouts) {
                it(`finds ${mutation.what} (${layout} layout), as a violation of ${mutation.caughtBy}`, async () => {
                    const undo = mutation.plant?.() ?? (() => undefined);
                    let result: SimulationResult;
                    try {
                        result = await simulate({
                            layout,
                            runs: mutation.narrow ? CORNER_RUNS : CI_RUNS,
                            seed: CI_SEED,
                            shrink: false,
                            createHandler: mutation.createHandler,
                            narrow: mutation.narrow,
                            // A key without its range's end also breaks objectKeys: wait for the loss itself.
                            failOn: violation => violation.invariant === mutation.caughtBy,
                        });
                    } finally {
                        undo();
                    }
                    expect(result.failure, "no schedule failed").not.to.equal(undefined);
                    expect(result.failure!.violations.map(v => v.invariant)).to.include(mutation.caughtBy);
                });
            }
        }
    });

    it("makes the same schedule from the same seed: the same decisions, the same trace", async () => {
        const traceOf = async (seed: number) => {
            const lines: string[] = [];
            const result = await runSchedule({ seed }, { layout: "batch", trace: line => lines.push(line) });
            return { lines, tapes: result.tapes };
        };
        const [first, again, other] = [await traceOf(7), await traceOf(7), await traceOf(8)];
        expect(first.lines.length).to.be.above(5);
        expect(again).to.deep.equal(first);
        expect(other.lines).not.to.deep.equal(first.lines);
        const replayed = await runSchedule({ tapes: first.tapes }, { layout: "batch" });
        expect(replayed.tapes).to.deep.equal(first.tapes);
    });

    it("shrinks a failing schedule to a smaller one that fails the same way, and traces it", async () => {
        const dropsFailure = DROPS_A_FAILURE.createHandler;
        const result = await simulate({
            layout: "record",
            runs: CI_RUNS,
            seed: CI_SEED,
            createHandler: dropsFailure,
            shrinkMs: 5000,
        });
        const shrunk = result.failure?.shrunk;
        expect(shrunk, "shrunk").not.to.equal(undefined);
        expect(shrunk!.choices).to.be.below(shrunk!.from);
        expect(shrunk!.violations.map(v => v.invariant)).to.include(result.failure!.violations[0].invariant);
        expect(shrunk!.trace.join("\n")).to.match(/VIOLATION/);
        expect(formatFailure(result).at(-1)).to.equal(
            `replay: npm run simulate -- --seed ${result.failure!.seed} --layout record --runs 1`,
        );
    });

    it("gives back the real clock and Math.random after a schedule, even one that fails", async () => {
        const random = Math.random;
        const { setTimeout: realSetTimeout } = globalThis;
        await runSchedule({ seed: 3 }, { layout: "record", createHandler: DROPS_A_FAILURE.createHandler });
        expect(Math.random).to.equal(random);
        expect(globalThis.setTimeout).to.equal(realSetTimeout);
        expect(Math.abs(Date.now() - new Date().getTime())).to.be.below(1000);
    });
});
