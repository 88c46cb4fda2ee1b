/**
 * One schedule: a stream, a mapping and services drawn from one source of choices, the real
 * handler (createHandler, its layouts, retries and response) invoked in-process over the
 * simulated services, under a fake clock (Date, setTimeout) and a Math.random that draws from
 * the same choices, both restored afterwards. The same seed (or tape) makes the same schedule.
 */
import * as FakeTimers from "@sinonjs/fake-timers";
import { createHandler, ProcessorDependencies, ProcessorHandler } from "../../pipeline/runtime/handler";
import { ChoiceSource, Choices, ChoiceStream, choiceStreams, Tapes, tapesOf } from "./choices";
import type { Stats, Violation } from "./invariants";
import { DestinationMessage, Invoke, Lane, MappingSettings, Outcome, replayMessage } from "./mapping";
import { drawStream, Stream, StreamRecord } from "./stream";
import { SIMULATED_BUCKET, ObjectLayout, ServiceSettings, SIMULATED_TABLE, World } from "./world";

export type { ObjectLayout } from "./world";

export interface ScheduleOptions {
    layout: ObjectLayout;
    /** Builds the handler of each invocation; createHandler unless a test plants a bug. */
    createHandler?: (deps: ProcessorDependencies) => ProcessorHandler;
    /** Receives the schedule's trace, line by line (slower: only for the one being shown). */
    trace?: (line: string) => void;
    /** Narrows the drawn settings to a corner a test explores more often than the draw would. */
    narrow?: (drawn: ScheduleSettings) => ScheduleSettings;
}

export interface ScheduleSettings {
    shards: number;
    recordsPerShard: number;
    /** A large schedule: longer shards, bigger batches, many item keys (several BatchWriteItem requests a batch). */
    large: boolean;
    mapping: MappingSettings;
    services: ServiceSettings;
    /** The function's timeout. */
    timeoutMs: number;
    /** The handler's S3 puts in flight at once (its connection pool). */
    s3MaxInFlight: number;
    /** Chance per round that an operator replays a message of the failure destination. */
    replayRate: number;
}

export interface ScheduleResult {
    violations: Violation[];
    stats: Stats;
    /** The choices made: replaying them makes this schedule again. */
    tapes: Tapes;
    settings: ScheduleSettings;
}

/** A round is one step of each chosen lane; a schedule that needs more has stalled. */
const MAX_ROUNDS = 5000;
/** Timer firings within one round before it is deemed stuck. */
const MAX_TIMERS_PER_ROUND = 100_000;

function drawSettings(choices: Choices): ScheduleSettings {
    const large = choices.flip(0.08);
    return {
        shards: choices.between(1, 2),
        recordsPerShard: large ? choices.between(20, 40) : choices.between(1, 14),
        large,
        mapping: {
            batchSize: large ? choices.between(10, 40) : choices.between(1, 10),
            parallelizationFactor: choices.pick([1, 1, 1, 2, 3]),
            bisectBatchOnFunctionError: !choices.flip(0.15),
            maximumRetryAttempts: choices.pick([10, 0, 1, 2, 3]),
            maximumRecordAgeInSeconds: choices.pick([21600, 60, 90]),
            lostCheckpointRate: choices.pick([0, 0.05, 0.2]),
        },
        services: {
            faultRate: choices.pick([0, 0.05, 0.15, 0.3]),
            crashRate: choices.pick([0, 0.05, 0.2]),
            outageMs: choices.pick([120_000, 20_000, 600_000]),
            latency: choices.flip(0.3),
        },
        timeoutMs: choices.pick([60_000, 3_000, 10_000, 1_000]),
        s3MaxInFlight: choices.pick([256, 2]),
        replayRate: choices.pick([0.2, 0, 0.5]),
    };
}

/** Runs `work` to its end under the fake clock: drain what is ready, then fire the next timer. */
async function settle(clock: FakeTimers.Clock, work: Promise<unknown>): Promise<void> {
    let done = false;
    const finished = work.finally(() => (done = true));
    finished.catch(() => undefined);
    for (let fired = 0; ; fired++) {
        await new Promise(resolve => setImmediate(resolve));
        if (done) return finished as Promise<void>;
        if (fired > MAX_TIMERS_PER_ROUND || clock.countTimers() === 0) {
            throw new Error("the simulation stalled: nothing left to wait for, and the work not done");
        }
        clock.next();
    }
}

class Schedule {
    readonly destination: DestinationMessage[] = [];
    private replaying = false;
    private readonly lanes: Lane[];

    private readonly choices: Choices;

    constructor(
        streams: Record<ChoiceStream, Choices>,
        private readonly settings: ScheduleSettings,
        private readonly stream: Stream,
        private readonly world: World,
        private readonly options: ScheduleOptions,
    ) {
        this.choices = streams.mapping;
        this.lanes = this.stream.shards.flatMap((records, shard) => this.lanesOf(shard, records));
    }

    /** The shard's lanes: each partition key goes to one (PF = 1: one lane, the whole shard). */
    private lanesOf(shard: number, records: StreamRecord[]): Lane[] {
        const factor = this.settings.mapping.parallelizationFactor;
        const laneOf = new Map<string, number>();
        for (const record of records) {
            if (!laneOf.has(record.partitionKey)) laneOf.set(record.partitionKey, this.choices.int(factor));
        }
        return Array.from({ length: factor }, (_, lane) => {
            const mine = records.filter(record => laneOf.get(record.partitionKey) === lane);
            const name = factor === 1 ? `s${shard}` : `s${shard}/lane${lane}`;
            return new Lane(name, mine, this.settings.mapping, this.choices, this.world, this.destination, this.invoke);
        }).filter(lane => !lane.done);
    }

    /** The real handler, invoked with records; a crash or Lambda's timeout is a function error. */
    readonly invoke: Invoke = async (kind, records, label) => {
        const { world } = this;
        const invocation = world.startInvocation(kind, records);
        world.stats.invocations++;
        if (kind === "replay") world.stats.replayInvocations++;
        world.trace(() => `inv#${invocation.id} ${label}: ${invocation.expected.map(record => record.name).join(" ")}`);
        if (invocation.crashAfter === 0) {
            world.stats.crashes++;
            invocation.kill("crashed at start");
            world.trace(() => `inv#${invocation.id}: crashed at start`);
            return { error: new Error("crashed at start") };
        }
        const handler = (this.options.createHandler ?? createHandler)({
            tableName: SIMULATED_TABLE,
            bucketName: SIMULATED_BUCKET,
            dynamo: invocation.dynamo as ProcessorDependencies["dynamo"],
            s3: invocation.s3 as ProcessorDependencies["s3"],
            s3MaxInFlight: this.settings.s3MaxInFlight,
            objectLayout: this.options.layout,
            observe: () => undefined,
        });
        const started = Date.now();
        const timeoutMs = this.settings.timeoutMs;
        const timeout = setTimeout(() => {
            world.stats.timeouts++;
            world.trace(() => `inv#${invocation.id}: Lambda's timeout`);
            invocation.kill(`Task timed out after ${timeoutMs / 1000} seconds`);
        }, timeoutMs);
        const context = { getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()) };
        const answer: Promise<Outcome> = handler({ Records: records.map(record => record.event) }, context).then(
            response => ({ response }),
            error => {
                world.stats.handlerErrors++;
                return { error: error as Error };
            },
        );
        const outcome = await Promise.race([answer, invocation.died.then(cause => ({ error: new Error(cause) }))]);
        clearTimeout(timeout);
        if ("response" in outcome && !invocation.dead) {
            invocation.dead = true; // answered: nothing of it runs any more
            this.checkResponse(invocation.id, records, outcome.response);
            world.trace(() => `inv#${invocation.id}: response ${JSON.stringify(outcome.response)}`);
            return outcome;
        }
        const error = "error" in outcome ? outcome.error : new Error("died");
        world.trace(() => `inv#${invocation.id}: function error: ${error.message}`);
        return { error };
    };

    private checkResponse(id: number, records: StreamRecord[], response: unknown): void {
        this.world.stats.checks.responses++;
        const failures = (response as { batchItemFailures?: unknown })?.batchItemFailures;
        if (!Array.isArray(failures)) {
            this.world.violate("responses", `inv#${id} answered ${JSON.stringify(response)}`);
            return;
        }
        const batch = new Set(records.map(record => record.sequenceNumber));
        for (const failure of failures) {
            const identifier = (failure as { itemIdentifier?: unknown })?.itemIdentifier;
            if (typeof identifier !== "string" || !batch.has(identifier)) {
                this.world.violate(
                    "responses",
                    `inv#${id} reported ${JSON.stringify(failure)}, not a record of its batch`,
                );
            }
        }
    }

    private replay(message: DestinationMessage): Promise<void> {
        return replayMessage(message, this.destination, this.stream.shards, this.world, this.invoke);
    }

    /** Rounds of concurrent lane steps (and now and then a replay) until every lane is through its records. */
    async run(clock: FakeTimers.Clock): Promise<void> {
        for (let round = 0; ; round++) {
            const ready = this.lanes.filter(lane => !lane.done);
            if (ready.length === 0) break;
            if (round >= MAX_ROUNDS)
                throw new Error(`the mapping did not get through the stream in ${MAX_ROUNDS} rounds`);
            const first = this.choices.int(ready.length);
            const steps = ready.filter((_, i) => i === first || this.choices.flip(0.5)).map(lane => lane.step());
            if (!this.replaying && this.destination.length > 0 && this.choices.flip(this.settings.replayRate)) {
                const message = this.destination[this.choices.int(this.destination.length)];
                this.replaying = true;
                steps.push(this.replay(message).finally(() => (this.replaying = false)));
            }
            await settle(clock, Promise.all(steps));
        }
        // The outage is over; the operator replays what is left until the destination is empty.
        this.world.calm = true;
        this.world.trace(() => "the outage is over: faults and crashes stop; replaying the failure destination");
        for (let pass = 0; pass < 2 && this.destination.length > 0; pass++) {
            for (const message of [...this.destination]) await settle(clock, this.replay(message));
        }
        this.world.stats.checks.drained++;
        if (this.destination.length > 0) {
            const left = this.destination.map(m => `s${m.shard}#${m.first}..${m.last}`).join(", ");
            this.world.violate("drained", `the failure destination still holds ${left} after the replays`);
        }
        this.world.finalChecks();
    }
}

/** Runs one schedule from a seed or a tape. */
export async function runSchedule(source: ChoiceSource, options: ScheduleOptions): Promise<ScheduleResult> {
    const streams = choiceStreams(source);
    const drawn = drawSettings(streams.settings);
    const settings = options.narrow?.(drawn) ?? drawn;
    const stream = drawStream(streams.stream, {
        shards: settings.shards,
        recordsPerShard: settings.recordsPerShard,
        aggregatesOfOneKey: settings.mapping.parallelizationFactor > 1,
        manyKeys: settings.large,
    });
    const lastArrival = Math.max(
        ...stream.shards.flat().map(record => record.event.kinesis.approximateArrivalTimestamp),
    );
    // The mapping starts a second after the last record arrived, or behind a backlog that brings
    // the oldest records near maximumRecordAgeInSeconds.
    const backlogMs = streams.settings.pick([1000, 45_000, 85_000]);
    const clock = FakeTimers.install({
        now: Math.ceil(lastArrival * 1000) + backlogMs,
        toFake: ["setTimeout", "clearTimeout", "Date"],
    });
    const random = Math.random;
    Math.random = () => streams.random.float();
    const world = new World(streams.services, stream, options.layout, settings.services, options.trace);
    try {
        if (options.trace) describeSchedule(settings, stream, options.trace);
        const schedule = new Schedule(streams, settings, stream, world, options);
        await schedule.run(clock);
    } catch (error) {
        world.violate("drained", `the schedule could not finish: ${(error as Error).message}`);
    } finally {
        Math.random = random;
        clock.uninstall();
    }
    return { violations: world.violations, stats: world.stats, tapes: tapesOf(streams), settings };
}

function describeSchedule(settings: ScheduleSettings, stream: Stream, trace: (line: string) => void): void {
    const { mapping, services } = settings;
    trace(
        `mapping: batchSize ${mapping.batchSize}, parallelizationFactor ${mapping.parallelizationFactor}, ` +
            `bisect ${mapping.bisectBatchOnFunctionError}, maximumRetryAttempts ${mapping.maximumRetryAttempts}, ` +
            `maximumRecordAgeInSeconds ${mapping.maximumRecordAgeInSeconds}, lost checkpoints ${mapping.lostCheckpointRate}`,
    );
    trace(
        `function: timeout ${settings.timeoutMs / 1000} s, ${settings.s3MaxInFlight} puts in flight; services: faults ${services.faultRate}, ` +
            `crashes ${services.crashRate}, outage ${services.outageMs / 1000} s, latency ${services.latency}; replays ${settings.replayRate}`,
    );
    for (const record of stream.shards.flat()) {
        for (const expected of record.expected) {
            const what = expected.tick
                ? `${expected.tick.symbol}@${expected.tick.timestamp} ${expected.tick.price}`
                : `invalid ${JSON.stringify(expected.data.toString("latin1").slice(0, 40))}`;
            trace(`record ${expected.name} = ${expected.id} key ${record.partitionKey}: ${what}`);
        }
    }
}
