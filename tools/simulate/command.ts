/**
 * `npm run simulate`: the delivery simulation (harness/simulation/) over many seeded schedules,
 * in one layout or both; what it ran, what it checked, and the first violation, shrunk.
 */
import { randomInt } from "crypto";
import { performance } from "perf_hooks";
import {
    INVARIANT_NAMES,
    INVARIANTS,
    ObjectLayout,
    seedOf,
    simulate,
    SimulationResult,
    Stats,
} from "../../harness/simulation/simulate";
import { addStats, emptyCheckStats } from "../../harness/simulation/invariants";
import { Command, numberFlag, parseFlags, UsageError } from "../../harness/cli/cli";

export const DEFAULT_RUNS = 2000;
const LAYOUTS: ObjectLayout[] = ["record", "batch"];

const HELP = `Usage: npm run simulate -- [--runs N] [--layout record|batch] [--seed N] [--trace]

Runs the processor's real handler in-process, over an in-memory DynamoDB and S3 and a fake clock,
under seeded schedules of everything the Kinesis event source mapping and the services may do
(batch sizes, retries of other compositions, bisection, partial responses, lost checkpoints,
retry and age limits, the failure destination and its replays, parallelization, KPL aggregates,
faults on any request, crashes after any write), and checks the processing contract's
invariants after every schedule (see docs/simulation.md). Ends with
  N schedules, 0 violations
and exit 0; a violation prints its seed, a shrunk schedule and the command that replays it,
and exits 1.

  --runs N              schedules per layout (default ${DEFAULT_RUNS})
  --layout L            record or batch (default: both)
  --seed N              the first schedule's seed, 0 to 4294967295 (default: a random one);
                        schedule i of a run uses seed N + i
  --trace               print each schedule's trace (with --runs 1: one schedule, step by step)
  -h, --help            this text`;

const OPTIONS = {
    runs: { type: "string", default: String(DEFAULT_RUNS) },
    layout: { type: "string" },
    seed: { type: "string" },
    trace: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
} as const;

export interface SimulateFlags {
    runs: number;
    layouts: ObjectLayout[];
    seed: number;
    trace: boolean;
}

export function parseSimulateFlags(argv: string[], randomSeed = () => randomInt(2 ** 31)): SimulateFlags {
    const values = parseFlags(argv, OPTIONS);
    const layout = values.layout as string | undefined;
    if (layout !== undefined && !(LAYOUTS as string[]).includes(layout)) {
        throw new UsageError(`--layout: expected record or batch, got "${layout}"`);
    }
    return {
        runs: numberFlag(values, "runs", 1, 100_000_000, true),
        layouts: layout === undefined ? LAYOUTS : [layout as ObjectLayout],
        seed: values.seed === undefined ? randomSeed() : numberFlag(values, "seed", 0, 2 ** 32 - 1, true),
        trace: values.trace === true,
    };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** What a layout's schedules did: a line, then what happened in them. */
function formatActivity(result: SimulationResult): string[] {
    const s = result.stats;
    return [
        `${result.layout}: ${plural(result.schedules, "schedule")} in ${seconds(result.elapsedMs)}`,
        `  ${s.records} records, ${s.invocations} invocations (${s.replayInvocations} by replays), ${s.requests} requests`,
        `  ${sum(s.faults)} faults, ${s.crashes} crashes, ${s.timeouts} Lambda timeouts, ${s.handlerErrors} errors thrown`,
        `  ${s.bisections} bisections, ${s.retries.fewer + s.retries.more} retries of another composition, ` +
            `${s.lostCheckpoints} lost checkpoints`,
        `  ${sum(s.givenUp)} ranges to the failure destination (${s.givenUp.RecordAgeExceeded} for their age), ` +
            `${s.replays} replays`,
    ];
}

/** The invariants, each with how many times it was checked. */
function formatChecks(stats: Stats): string[] {
    const width = Math.max(...INVARIANT_NAMES.map(name => name.length));
    return INVARIANT_NAMES.map(
        name => `  ${name.padEnd(width)}  ${String(stats.checks[name]).padStart(9)}  ${INVARIANTS[name]}`,
    );
}

/** The violation of a failing layout: seed, what broke, the shrunk schedule and how to replay it. */
export function formatFailure(result: SimulationResult): string[] {
    const failure = result.failure!;
    const [first, ...others] = failure.violations;
    const lines = [
        `${result.layout}: VIOLATION in schedule ${result.schedules}, seed ${failure.seed}:`,
        `  ${first.invariant}: ${first.message}`,
    ];
    if (others.length > 0) lines.push(`  (and ${plural(others.length, "more violation")} in that schedule)`);
    const shrunk = failure.shrunk;
    if (shrunk) {
        lines.push(
            `${result.layout}: shrunk to ${shrunk.choices} choices (from ${shrunk.from}, in ${plural(shrunk.runs, "run")}); its trace:`,
            ...shrunk.trace.map(line => `  ${line}`),
        );
    }
    lines.push(`replay: npm run simulate -- --seed ${failure.seed} --layout ${result.layout} --runs 1`);
    return lines;
}

/** Progress on standard error once a run takes long: redrawn on a terminal, a line now and then otherwise. */
function progressReporter(layout: ObjectLayout, runs: number): (done: number) => void {
    const started = performance.now();
    const tty = process.stderr.isTTY === true;
    let next = started + 3000;
    return done => {
        const now = performance.now();
        if (now < next || done === runs) return;
        next = now + (tty ? 1000 : 5000);
        const line = `${layout}: ${done}/${runs} schedules, ${seconds(now - started)}`;
        process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    };
}

async function main(argv: string[]): Promise<number> {
    const flags = parseSimulateFlags(argv);
    const layouts = flags.layouts.join(" and ");
    console.log(
        `seed ${flags.seed}: ${plural(flags.runs, "schedule")} per layout (${layouts}), seeds ${flags.seed} to ${seedOf(flags.seed, flags.runs - 1)}`,
    );
    const total = emptyCheckStats();
    const results: SimulationResult[] = [];
    for (const layout of flags.layouts) {
        const progress = progressReporter(layout, flags.runs);
        const result = await simulate({
            layout,
            runs: flags.runs,
            seed: flags.seed,
            progress,
            trace: flags.trace ? line => console.log(`  ${line}`) : undefined,
        });
        if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
        results.push(result);
        addStats(total, result.stats);
        console.log(formatActivity(result).join("\n"));
        if (result.failure) console.log(formatFailure(result).join("\n"));
    }
    console.log(`invariants checked (times, ${layouts}):`);
    console.log(formatChecks(total).join("\n"));
    console.log(
        `documented limit (counted, not violations): ${plural(total.limit.replay, "item")} left holding an older record ` +
            `that a replay wrote again after a newer one had been stored; ${total.limit.redelivery} by a redelivery`,
    );
    const schedules = results.reduce((n, result) => n + result.schedules, 0);
    const violations = results.filter(result => result.failure).length;
    console.log(`${plural(schedules, "schedule")}, ${plural(violations, "violation")}`);
    return violations > 0 ? 1 : 0;
}

export const simulateCommand: Command = { name: "npm run simulate", help: HELP, run: main };
