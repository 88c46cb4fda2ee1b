/**
 * The bench's machinery, not its timings: the contenders in their own processes against the sink
 * (what the report's request counts come from), and the correctness run on the emulators.
 */
import { expect } from "chai";
import { checkOnEmulators } from "../../harness/bench/check";
import { timeAgainstSink } from "../../harness/bench/timing";

describe("the bench", function () {
    this.timeout(120_000);

    describe("timing the contenders against the sink", () => {
        it("counts each contender's own requests and write units per timed batch, every request validly signed", async () => {
            const progress: number[] = [];
            const { results, stats } = await timeAgainstSink(
                [
                    { name: "original", kind: "original", objectLayout: "record", warmUps: 0, batches: 1 },
                    { name: "record", kind: "processor", objectLayout: "record", warmUps: 1, batches: 2 },
                    { name: "batch", kind: "processor", objectLayout: "batch", warmUps: 1, batches: 2 },
                ],
                { seed: 1, batchSize: 100, latencyMs: { dynamodb: 0, s3: 0 } },
                done => progress.push(done),
            );

            expect(progress).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
            const [original, record, batch] = results;
            expect(original.requests).to.deep.equal({ "s3:PutObject": 200, "dynamodb:PutItem": 100 });
            expect(record.requests).to.deep.equal({ "s3:PutObject": 400, "dynamodb:BatchWriteItem": 8 });
            expect(batch.requests).to.deep.equal({ "s3:PutObject": 4, "dynamodb:BatchWriteItem": 8 });
            expect(results.map(r => r.dynamodbWriteUnits)).to.deep.equal([100, 200, 200]);
            for (const result of results) {
                expect(result.problems, result.name).to.deep.equal([]);
                expect(result.wallMs, result.name).to.have.length(result === original ? 1 : 2);
                expect(result.inclusiveCpuMs, result.name).to.have.length(result.wallMs.length);
                expect(Math.min(...result.cpuMs), result.name).to.be.above(0);
            }
            expect(stats.problemSamples).to.deep.equal([]);
            expect([stats.invalidSignatures, stats.headerProblems]).to.deep.equal([0, 0]);
        });
    });

    it("finds every tick each contender wrote to the emulators, record by record for the processor", async () => {
        const lines: string[] = [];
        const results = await checkOnEmulators(
            [
                { name: "original", kind: "original" },
                { name: "record", kind: "processor", objectLayout: "record" },
                { name: "batch", kind: "processor", objectLayout: "batch" },
            ],
            { seed: 5, batchSize: 20, batches: 2 },
            line => lines.push(line),
        );
        expect(results.map(result => result.problems)).to.deep.equal([[], [], []]);
        expect(results[0].verified).to.equal(
            "40 of 40 items with their exact price, 40 raw/ and 40 processed/ objects",
        );
        expect(results[1].verified).to.match(
            /^40 of 40 ticks reconciled one by one: .* \(40 \+ 40 objects, 0 rejected\/\)$/,
        );
        expect(results[2].verified).to.match(
            /^40 of 40 ticks reconciled one by one: .* \(2 \+ 2 objects, 0 rejected\/\)$/,
        );
        expect(lines).to.have.length(3);
    });
});
