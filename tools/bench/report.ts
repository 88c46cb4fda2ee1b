/**
 * The bench's report: per contender the time and CPU per batch, the requests per batch by service
 * as the sink counted them, the cost per million ticks, the records per second per shard, and
 * whether the acceptance targets hold. Pure: timings in, lines out.
 */
import { BatchMeasurement, costPerMillionTicks, recordsPerSecondPerShard } from "../../harness/bench/cost";
import { table } from "../../harness/cli/text-table";
import { FULL_VCPU_MB, SHARD_RECORDS_PER_SECOND } from "../../harness/cost/model";
import { dollars, listPriceText } from "../../harness/cost/money";
import { LIST_PRICES } from "../../harness/cost/prices";
import { median, p90, TimingResult } from "../../harness/bench/timing";

/** The record layout must beat the original's algorithm by this factor per batch (10 ms / 30 ms latency). */
export const SPEED_UP_TARGET = 40;
/** The handler's CPU per batch of 100 ticks, at most, per layout. */
export const CPU_TARGET_MS = { record: 80, batch: 15 } as const;
export const CPU_TARGET_BATCH_SIZE = 100;
/** Memory sizes the sizing advice is given for. */
export const SIZING_MEMORY_MB = [512, 1024, FULL_VCPU_MB];

export type ContenderId = "original" | "record" | "batch";

export const CONTENDER_NAMES: Record<ContenderId, string> = {
    original: "original algorithm",
    record: "processor, record layout",
    batch: "processor, batch layout",
};

export interface ContenderSummary extends BatchMeasurement {
    id: ContenderId;
    name: string;
    p90WallMs: number;
    p90CpuMs: number;
    batches: number;
    /** Requests per batch, by `service:operation`. */
    requestsPerBatch: Record<string, number>;
    sinkCpuMsPerBatch: number;
}

export interface ReportOptions {
    memoryMb: number;
    batchSize: number;
    dynamoLatencyMs: number;
    s3LatencyMs: number;
}

export function summarize(id: ContenderId, result: TimingResult, batchSize: number): ContenderSummary {
    const batches = result.wallMs.length;
    const perBatch = (n: number) => n / batches;
    return {
        id,
        name: CONTENDER_NAMES[id],
        batchSize,
        batches,
        wallMs: median(result.wallMs),
        p90WallMs: p90(result.wallMs),
        cpuMs: median(result.inclusiveCpuMs),
        p90CpuMs: p90(result.inclusiveCpuMs),
        s3PutsPerBatch: perBatch(result.requests["s3:PutObject"] ?? 0),
        dynamodbWriteUnitsPerBatch: perBatch(result.dynamodbWriteUnits),
        requestsPerBatch: Object.fromEntries(Object.entries(result.requests).map(([op, n]) => [op, perBatch(n)])),
        sinkCpuMsPerBatch: perBatch(result.sinkCpuMs),
    };
}

const ms = (value: number) => value.toFixed(1);
const count = (value: number) => String(+value.toFixed(1));
const thousands = (value: number) => Math.round(value).toLocaleString("en-US");

/** "200 PutObject", "4 BatchWriteItem + 1 PutItem" for one service. */
function requestsOf(summary: ContenderSummary, service: "s3" | "dynamodb"): string {
    const parts = Object.entries(summary.requestsPerBatch)
        .filter(([key]) => key.startsWith(`${service}:`))
        .map(([key, n]) => `${count(n)} ${key.slice(service.length + 1)}`);
    return parts.join(" + ") || "0";
}

function timingTable(summaries: ContenderSummary[]): string[] {
    return table([
        ["contender", "median ms", "p90 ms", "CPU ms", "CPU p90", "S3 requests", "DynamoDB requests", "write units"],
        ...summaries.map(s => [
            s.name,
            ms(s.wallMs),
            ms(s.p90WallMs),
            ms(s.cpuMs),
            ms(s.p90CpuMs),
            requestsOf(s, "s3"),
            requestsOf(s, "dynamodb"),
            count(s.dynamodbWriteUnitsPerBatch),
        ]),
    ]);
}

function costTable(summaries: ContenderSummary[], memoryMb: number): string[] {
    return table([
        ["contender", "S3", "DynamoDB", "Lambda", `(ms per batch at ${memoryMb} MB)`, "total"],
        ...summaries.map(s => {
            const cost = costPerMillionTicks(s, memoryMb);
            return [
                s.name,
                dollars(cost.s3, "mills"),
                dollars(cost.dynamodb, "mills"),
                dollars(cost.lambda, "mills"),
                `(${thousands(cost.lambdaDurationMs)})`,
                dollars(cost.total, "mills"),
            ];
        }),
    ]);
}

function sizingTable(summaries: ContenderSummary[]): string[] {
    return table([
        ["contender", ...SIZING_MEMORY_MB.map(mb => `${mb} MB`)],
        ...summaries.map(s => [
            s.name,
            ...SIZING_MEMORY_MB.map(mb => {
                const rate = recordsPerSecondPerShard(s, mb);
                return `${thousands(rate)}${rate >= SHARD_RECORDS_PER_SECOND ? " (keeps up)" : ""}`;
            }),
        ]),
    ]);
}

/** Whether the acceptance targets hold, one line each; `ok` is false when one does not. */
export function verdicts(summaries: ContenderSummary[]): { lines: string[]; ok: boolean } {
    const byId = new Map(summaries.map(s => [s.id, s]));
    const lines: string[] = [];
    let ok = true;
    const original = byId.get("original");
    const record = byId.get("record");
    if (original && record) {
        const speedUp = original.wallMs / record.wallMs;
        const holds = speedUp >= SPEED_UP_TARGET;
        ok &&= holds;
        lines.push(
            `speed-up per batch, record layout over the original algorithm: ${speedUp.toFixed(1)}x ` +
                `(medians ${ms(original.wallMs)} / ${ms(record.wallMs)} ms; target at least ${SPEED_UP_TARGET}x): ${holds ? "holds" : "DOES NOT HOLD"}`,
        );
    }
    const cpu = (["record", "batch"] as const)
        .filter(id => byId.has(id))
        .map(id => {
            const s = byId.get(id)!;
            if (s.batchSize !== CPU_TARGET_BATCH_SIZE) return `${id} layout ${ms(s.cpuMs)} ms (targets are for 100)`;
            const holds = s.cpuMs <= CPU_TARGET_MS[id];
            ok &&= holds;
            return `${id} layout ${ms(s.cpuMs)} ms (target at most ${CPU_TARGET_MS[id]}): ${holds ? "holds" : "DOES NOT HOLD"}`;
        });
    if (cpu.length) lines.push(`handler CPU per batch of ${summaries[0].batchSize} ticks (median): ${cpu.join("; ")}`);
    return { lines, ok };
}

export function formatReport(summaries: ContenderSummary[], options: ReportOptions): string[] {
    const vcpu = Math.min(1, options.memoryMb / FULL_VCPU_MB);
    const counts = summaries.map(s => s.batches);
    const timed = `${counts.join("/")} timed ${counts.every(n => n === 1) ? "batch" : "batches"}`;
    const ticks = `${options.batchSize} ${options.batchSize === 1 ? "tick" : "ticks"}`;
    return [
        `per batch of ${ticks} (median over ${timed}; ` +
            `CPU: the handler's process, garbage collection included; requests: as the sink counted them):`,
        ...timingTable(summaries),
        "",
        `cost per million ticks at Lambda arm64 ${options.memoryMb} MB (S3 PUT ${listPriceText(LIST_PRICES.s3.putPerRequest, 1000)}; ` +
            `DynamoDB ${listPriceText(LIST_PRICES.dynamodb.perWriteUnit, 1_000_000, "write units")}; ` +
            `Lambda ${listPriceText(LIST_PRICES.lambda.perGbSecond, 1, "GB-s")} ` +
            `and ${listPriceText(LIST_PRICES.lambda.perRequest, 1_000_000, "requests")}):`,
        ...costTable(summaries, options.memoryMb),
        `(ms per batch at ${options.memoryMb} MB: the median time measured here plus the CPU time stretched to ` +
            `${vcpu.toFixed(2)} vCPU, Lambda's share at that size; one core of this machine counted as one vCPU)`,
        "",
        `records per second per shard with one batch in flight (a full shard writes ${thousands(SHARD_RECORDS_PER_SECOND)}/s), ` +
            `at ${options.dynamoLatencyMs} ms (DynamoDB) and ${options.s3LatencyMs} ms (S3) per request:`,
        ...sizingTable(summaries),
    ];
}
