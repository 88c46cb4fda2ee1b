import { expect } from "chai";
import { parse } from "lossless-json";
import { UsageError } from "../../harness/cli/cli";
import { BatchMeasurement, costPerMillionTicks, recordsPerSecondPerShard } from "../../harness/bench/cost";
import { lambdaDurationMs } from "../../harness/cost/model";
import { benchBatch } from "../../harness/bench/events";
import { checkPlan, parseOptions, reproduceCommand, timingPlan } from "../../tools/bench/options";
import { ContenderSummary, formatReport, summarize, verdicts } from "../../tools/bench/report";
import type { TimingResult } from "../../harness/bench/timing";
import { planBatch } from "../../pipeline/runtime/batch";

/** The record layout as measured: 200 PUTs and 100 one-KB-or-less items per batch of 100. */
const RECORD: BatchMeasurement = {
    batchSize: 100,
    wallMs: 80,
    cpuMs: 40,
    s3PutsPerBatch: 200,
    dynamodbWriteUnitsPerBatch: 100,
};

function summary(id: ContenderSummary["id"], wallMs: number, cpuMs: number): ContenderSummary {
    return {
        ...RECORD,
        id,
        name: id,
        wallMs,
        cpuMs,
        p90WallMs: wallMs,
        p90CpuMs: cpuMs,
        batches: 1,
        requestsPerBatch: {},
        sinkCpuMsPerBatch: 0,
    };
}

describe("the bench's cost per million ticks", () => {
    it("charges S3 per PUT and DynamoDB per write unit, as counted per batch", () => {
        const cost = costPerMillionTicks(RECORD, 512);
        // 10,000 batches of 100: 2 million PUTs at $0.005 per 1,000, 1 million write units at $0.625 per million.
        expect(cost.s3).to.be.closeTo(10, 1e-9);
        expect(cost.dynamodb).to.be.closeTo(0.625, 1e-9);
        expect(cost.total).to.be.closeTo(cost.s3 + cost.dynamodb + cost.lambda, 1e-12);
    });

    it("charges Lambda for GB-seconds of the duration at the memory size, and per invocation", () => {
        const cost = costPerMillionTicks({ ...RECORD, cpuMs: 0, wallMs: 100 }, 1024);
        // 10,000 invocations of 0.1 s at 1 GB: 1,000 GB-s, plus 10,000 requests at $0.20 per million.
        expect(cost.lambda).to.be.closeTo(1000 * 0.0000133334 + 0.002, 1e-12);
    });

    it("stretches only the CPU part of a batch below one vCPU (1,769 MB), never the waiting", () => {
        expect(lambdaDurationMs({ wallMs: 80, cpuMs: 40 }, 1769)).to.equal(80);
        expect(lambdaDurationMs({ wallMs: 80, cpuMs: 40 }, 3008)).to.equal(80);
        expect(lambdaDurationMs({ wallMs: 80, cpuMs: 40 }, 1769 / 2)).to.be.closeTo(120, 1e-9);
        expect(lambdaDurationMs({ wallMs: 80, cpuMs: 0 }, 128)).to.equal(80);
    });

    it("gives the records per second of one shard with one batch in flight", () => {
        expect(recordsPerSecondPerShard({ ...RECORD, wallMs: 100, cpuMs: 0 }, 512)).to.be.closeTo(1000, 1e-9);
        expect(recordsPerSecondPerShard(RECORD, 1769)).to.be.closeTo(1250, 1e-9);
    });
});

describe("the bench's verdicts", () => {
    it("holds the speed-up and the CPU targets when they are met", () => {
        const { ok, lines } = verdicts([
            summary("original", 7000, 400),
            summary("record", 100, 80),
            summary("batch", 40, 15),
        ]);
        expect(ok).to.equal(true);
        expect(lines[0]).to.match(/^speed-up per batch, record layout over the original algorithm: 70\.0x .*: holds$/);
        expect(lines[1]).to.match(
            /record layout 80\.0 ms \(target at most 80\): holds; batch layout 15\.0 ms .*: holds$/,
        );
    });

    it("says which target does not hold", () => {
        const { ok, lines } = verdicts([summary("original", 3900, 400), summary("record", 100, 81)]);
        expect(ok).to.equal(false);
        expect(lines[0]).to.match(/39\.0x .*DOES NOT HOLD$/);
        expect(lines[1]).to.match(/record layout 81\.0 ms \(target at most 80\): DOES NOT HOLD$/);
    });

    it("summarizes medians, the inclusive CPU and the requests per batch the sink counted", () => {
        const result: TimingResult = {
            name: "batch",
            wallMs: [30, 50, 40],
            cpuMs: [4, 6, 5],
            inclusiveCpuMs: [5, 7, 6],
            requests: { "s3:PutObject": 6, "dynamodb:BatchWriteItem": 12 },
            dynamodbItems: 300,
            dynamodbWriteUnits: 300,
            sinkCpuMs: 3,
            problems: [],
            fastConfig: null,
        };
        const s = summarize("batch", result, 100);
        expect(s).to.deep.include({ wallMs: 40, cpuMs: 6, s3PutsPerBatch: 2, dynamodbWriteUnitsPerBatch: 100 });
        expect(s.requestsPerBatch).to.deep.equal({ "s3:PutObject": 2, "dynamodb:BatchWriteItem": 4 });
        const report = formatReport([s], { memoryMb: 512, batchSize: 100, dynamoLatencyMs: 10, s3LatencyMs: 30 });
        expect(report.join("\n")).to.match(
            /processor, batch layout +40\.0 +50\.0 +6\.0 +7\.0 +2 PutObject +4 BatchWriteItem +100/,
        );
        expect(report[0]).to.match(/^per batch of 100 ticks \(median over 3 timed batches;/);
        const one = summarize("batch", { ...result, wallMs: [40], cpuMs: [5], inclusiveCpuMs: [6] }, 100);
        expect(
            formatReport([one], { memoryMb: 512, batchSize: 100, dynamoLatencyMs: 10, s3LatencyMs: 30 })[0],
        ).to.match(/median over 1 timed batch;/);
    });
});

describe("the bench's flags", () => {
    it("prints a command that repeats the run with the same seed and settings", () => {
        const options = parseOptions(["--seed", "42", "--contenders", "batch,record", "--memory", "1024"]);
        expect(options.contenders).to.deep.equal(["record", "batch"]);
        expect(parseOptions(reproduceCommand(options).split(" ").slice(4))).to.deep.equal(options);
    });

    it("repeats and describes only the contenders that run, with counts in the right number", () => {
        const options = parseOptions(["--seed", "1", "--contenders", "batch", "--batches", "1", "--warm-ups", "1"]);
        expect(reproduceCommand(options)).not.to.include("--original");
        expect(timingPlan(options)).to.equal("1 warm-up and 1 timed batch per processor layout");
        const original = parseOptions(["--contenders", "original", "--check-batches", "1", "--batch-size", "1"]);
        expect(reproduceCommand(original)).not.to.match(/--batches|--warm-ups/);
        expect(timingPlan(original)).to.equal("1 warm-up and 5 timed batches of the original's algorithm");
        expect(checkPlan(original)).to.equal("1 batch of 1 tick per contender");
        expect(timingPlan(parseOptions([]))).to.equal(
            "40 warm-ups and 60 timed batches per processor layout, 1 warm-up and 5 timed batches of the original's algorithm, interleaved",
        );
    });

    it("refuses an unknown contender and a memory size Lambda does not offer, as usage errors", () => {
        expect(() => parseOptions(["--contenders", "record,fast"])).to.throw(UsageError, /--contenders/);
        expect(() => parseOptions(["--memory", "64"])).to.throw(UsageError, /--memory: expected an integer from 128/);
    });
});

describe("the bench's batches", () => {
    it("are the same for the same seed and index, and differ otherwise", () => {
        const data = (seed: number, index: number) =>
            benchBatch(seed, index, 5).event.Records.map(record => record.kinesis.data);
        expect(data(7, 3)).to.deep.equal(data(7, 3));
        expect(data(7, 3)).to.not.deep.equal(data(8, 3));
        expect(data(7, 3)).to.not.deep.equal(data(7, 4));
    });

    it("hold valid ticks of one day with distinct keys and increasing sequence numbers, prices sent exactly", () => {
        const batches = [0, 1].map(index => benchBatch(1, index, 100));
        const plans = batches.flatMap(batch => planBatch(batch.event.Records));
        expect(plans.every(plan => plan.tick !== undefined)).to.equal(true);
        expect(new Set(plans.map(plan => plan.tick!.day))).to.deep.equal(new Set(["2026-11-28"]));
        expect(new Set(plans.map(plan => `${plan.tick!.symbol} ${plan.tick!.timestamp}`)).size).to.equal(200);
        const sequences = plans.map(plan => BigInt(plan.sequenceNumber));
        expect(sequences.every((n, i) => i === 0 || n > sequences[i - 1])).to.equal(true);
        const records = batches.flatMap(batch => batch.records);
        expect(plans.map(plan => plan.tick!.price)).to.deep.equal(records.map(record => record.tick!.price));
        expect(records.some(record => record.tick!.price.split(".")[1].length === 24)).to.equal(true);
        expect(parse(records[0].data.toString())).to.have.property("symbol", records[0].tick!.symbol);
    });
});
