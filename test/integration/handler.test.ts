import { createHash } from "crypto";
import { expect } from "chai";
import { parse } from "lossless-json";
import { Emulators, freshPipeline, startEmulatorsBehindProxies, TestPipeline } from "../support/pipeline";
import { aggregateOf, kinesisEvent, redelivery, sequenceNumber, tick, ticksOfOneDay } from "../support/kinesis-events";
import type { KinesisStreamRecord } from "aws-lambda";
import type { Fault, LoggedRequest, ProxiedRequest } from "../../harness/aws/fault-proxy";
import { invocationLimits } from "../../pipeline/runtime/handler";

const EXACT = "415.123456789012345678901234";
const seqs = (...ns: number[]) => ns.map(sequenceNumber);

describe("the processor against DynamoDB and S3 emulators (record layout)", function () {
    this.timeout(60_000);
    let emulators: Emulators;
    let pipeline: TestPipeline;
    before(async () => {
        emulators = await startEmulatorsBehindProxies();
    });
    after(async () => {
        await emulators?.close();
    });
    beforeEach(async () => {
        emulators.dynamoProxy.setDecide(() => "pass");
        emulators.s3Proxy.setDecide(() => "pass");
        emulators.s3Proxy.setLatency(0);
        pipeline = await freshPipeline(emulators);
    });

    describe("a valid tick", () => {
        it("is stored in the table with the exact price digits and the day as written", async () => {
            const failures = await pipeline.invoke(kinesisEvent([tick("AAPL", EXACT, "2026-11-28T23:30:00-05:00")]));
            expect(failures).to.deep.equal([]);
            expect(await pipeline.items()).to.deep.equal([
                { symbol: "AAPL", timestamp: "2026-11-28T23:30:00-05:00", price: EXACT, day: "2026-11-28" },
            ]);
        });

        it("leaves its bytes under raw/ exactly as received", async () => {
            const bytes = ` {"symbol": "BRK.B",  "price": 189.12, "timestamp": "2026-11-28T14:30:00.123456", "venue": "XNYS"}\n`;
            await pipeline.invoke(kinesisEvent([bytes]));
            const [rawKey] = await pipeline.keys("raw/");
            expect(rawKey).to.equal(`raw/arrival_day=2026-11-28/shard=shardId-000000000000/${sequenceNumber(1)}.json`);
            expect((await pipeline.object(rawKey)).toString("utf8")).to.equal(bytes);
        });

        it("leaves a processed/ object with the four fields, the price a JSON number with the exact digits", async () => {
            await pipeline.invoke(kinesisEvent([tick("^GSPC", `"${EXACT}"`, "2026-11-28T14:30:00Z")]));
            const [key] = await pipeline.keys("processed/");
            expect(key).to.equal(`processed/day=2026-11-28/symbol=^GSPC/${sequenceNumber(1)}.json`);
            const text = (await pipeline.object(key)).toString("utf8");
            expect(text).to.equal(
                `{"symbol":"^GSPC","price":${EXACT},"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28"}`,
            );
            expect((parse(text) as { price: { value: string } }).price.value).to.equal(EXACT);
            expect(await pipeline.keys("rejected/")).to.deep.equal([]);
        });
    });

    describe("an invalid record", () => {
        it("is quarantined with its reason and coordinates, and stores nothing else but its raw copy", async () => {
            const bad = '{"symbol":"../x","price":1,"timestamp":"2026-11-28"}';
            const failures = await pipeline.invoke(kinesisEvent([bad]));
            expect(failures).to.deep.equal([]);
            expect(await pipeline.items()).to.deep.equal([]);
            expect(await pipeline.keys("processed/")).to.deep.equal([]);
            const rawKeys = await pipeline.keys("raw/");
            expect(rawKeys).to.have.length(1);
            expect((await pipeline.object(rawKeys[0])).toString("utf8")).to.equal(bad);
            const [rejectedKey] = await pipeline.keys("rejected/");
            expect(rejectedKey).to.equal(
                `rejected/arrival_day=2026-11-28/shard=shardId-000000000000/${sequenceNumber(1)}.json`,
            );
            expect(JSON.parse((await pipeline.object(rejectedKey)).toString("utf8"))).to.deep.equal({
                reason: 'symbol: must start with a letter, digit or ^, got "../x"',
                sequenceNumber: sequenceNumber(1),
                partitionKey: "AAPL",
                shardId: "shardId-000000000000",
                approximateArrivalTimestamp: 1795876200.123,
                data: Buffer.from(bad).toString("base64"),
            });
        });

        it("does not stop the records after it in the batch", async () => {
            await pipeline.invoke(
                kinesisEvent([
                    tick("AAPL", "1.5", "2026-11-28T10:00:00"),
                    "not json",
                    tick("MSFT", "2.5", "2026-11-28T10:00:01"),
                    Buffer.from([0xff, 0xfe]),
                ]),
            );
            expect((await pipeline.items()).map(t => t.symbol).sort()).to.deep.equal(["AAPL", "MSFT"]);
            expect(await pipeline.keys("rejected/")).to.have.length(2);
            expect(await pipeline.keys("raw/")).to.have.length(4);
            expect(pipeline.summaries).to.deep.equal([
                { ...pipeline.summaries[0], received: 4, stored: 2, rejected: 2, failed: 0 },
            ]);
        });
    });

    it("keeps the later of two ticks with the same symbol and timestamp within one batch", async () => {
        const event = kinesisEvent([
            tick("AAPL", "100.01", "2026-11-28T10:00:00"),
            tick("AAPL", "100.02", "2026-11-28T10:00:00"),
        ]);
        event.Records.reverse(); // the sequence number decides, not the position
        expect(await pipeline.invoke(event)).to.deep.equal([]);
        expect(await pipeline.items()).to.deep.equal([
            { symbol: "AAPL", timestamp: "2026-11-28T10:00:00", price: "100.02", day: "2026-11-28" },
        ]);
        expect(await pipeline.keys("processed/")).to.have.length(2);
    });

    it("changes nothing when the same batch is delivered again", async () => {
        const event = kinesisEvent([
            tick("AAPL", "1.25", "2026-11-28T10:00:00"),
            "{}",
            tick("BTC-USD", "91234.5", "2026-11-28T10:00:00Z"),
        ]);
        await pipeline.invoke(event);
        const before = { items: await pipeline.items(), keys: await pipeline.keys() };
        const bodies = await Promise.all(before.keys.map(key => pipeline.object(key)));
        expect(await pipeline.invoke(event)).to.deep.equal([]);
        expect(await pipeline.items()).to.deep.equal(before.items);
        expect(await pipeline.keys()).to.deep.equal(before.keys);
        expect(await Promise.all(before.keys.map(key => pipeline.object(key)))).to.deep.equal(bodies);
    });

    it("writes a batch of 100 valid ticks with 4 DynamoDB requests", async () => {
        const payloads = Array.from({ length: 100 }, (_, i) => tick(`S${i}`, "10.5", "2026-11-28T10:00:00"));
        const seen = emulators.dynamoProxy.log.length;
        await pipeline.invoke(kinesisEvent(payloads));
        const requests = emulators.dynamoProxy.log.slice(seen);
        expect(requests.map(r => r.operation)).to.deep.equal([
            "BatchWriteItem",
            "BatchWriteItem",
            "BatchWriteItem",
            "BatchWriteItem",
        ]);
        expect(await pipeline.items()).to.have.length(100);
    });

    describe("aggregated records (KPL)", () => {
        it("stores all 100 ticks of 5 aggregates of 20, keyed with their sub-sequence numbers", async () => {
            const ticks = ticksOfOneDay(100);
            const event = kinesisEvent(
                Array.from({ length: 5 }, (_, i) => aggregateOf(ticks.slice(i * 20, i * 20 + 20))),
            );
            expect(await pipeline.invoke(event)).to.deep.equal([]);
            expect(await pipeline.items()).to.have.length(100);
            const ids = Array.from({ length: 5 }, (_, i) =>
                Array.from({ length: 20 }, (_, sub) => `${sequenceNumber(i + 1)}-${sub}`),
            ).flat();
            const idsOf = (keys: string[]) => keys.map(key => /\/(\d+-\d+)\.json$/.exec(key)![1]).sort();
            expect(idsOf(await pipeline.keys("raw/"))).to.deep.equal([...ids].sort());
            expect(idsOf(await pipeline.keys("processed/"))).to.deep.equal([...ids].sort());
            const rawKey = `raw/arrival_day=2026-11-28/shard=shardId-000000000000/${sequenceNumber(3)}-4.json`;
            expect((await pipeline.object(rawKey)).toString("utf8")).to.equal(ticks[44]);
            expect(pipeline.summaries[0]).to.include({ received: 5, userRecords: 100, stored: 100, failed: 0 });
        });

        it("quarantines each invalid user record on its own, with its sub-sequence number and partition key", async () => {
            const event = kinesisEvent([aggregateOf([tick("AAPL", "1", "2026-11-28T10:00:00"), '{"symbol":"MSFT"}'])]);
            expect(await pipeline.invoke(event)).to.deep.equal([]);
            expect((await pipeline.items()).map(t => t.symbol)).to.deep.equal(["AAPL"]);
            const [rejectedKey] = await pipeline.keys("rejected/");
            expect(rejectedKey).to.match(new RegExp(`/${sequenceNumber(1)}-1\\.json$`));
            expect(JSON.parse((await pipeline.object(rejectedKey)).toString("utf8"))).to.deep.include({
                reason: "price: missing",
                sequenceNumber: sequenceNumber(1),
                subSequenceNumber: 1,
                partitionKey: "MSFT",
                data: Buffer.from('{"symbol":"MSFT"}').toString("base64"),
            });
        });

        it("quarantines an aggregate with a wrong MD5 whole, as one invalid record", async () => {
            const data = aggregateOf(ticksOfOneDay(20));
            data[data.length - 3] ^= 0x10;
            expect(await pipeline.invoke(kinesisEvent([data]))).to.deep.equal([]);
            expect(await pipeline.items()).to.deep.equal([]);
            expect(await pipeline.keys("processed/")).to.deep.equal([]);
            const [rawKey] = await pipeline.keys("raw/");
            expect(rawKey).to.match(new RegExp(`/${sequenceNumber(1)}\\.json$`));
            expect(await pipeline.object(rawKey)).to.deep.equal(data);
            const [rejectedKey] = await pipeline.keys("rejected/");
            const rejection = JSON.parse((await pipeline.object(rejectedKey)).toString("utf8"));
            expect(rejection.reason).to.match(/^aggregate: MD5/);
            expect(rejection).to.not.have.property("subSequenceNumber");
            expect(Buffer.from(rejection.data, "base64")).to.deep.equal(data);
        });

        it("reports a user record's failed write on its aggregate's sequence number, and the redelivery stores the whole aggregate once", async () => {
            const event = kinesisEvent([
                aggregateOf(ticksOfOneDay(20, 0)),
                aggregateOf(ticksOfOneDay(20, 20)),
                aggregateOf(ticksOfOneDay(20, 40)),
            ]);
            const failing = `${sequenceNumber(2)}-7.json`;
            emulators.s3Proxy.setDecide(request =>
                decodeURIComponent(request.url).includes(failing) ? "error" : "pass",
            );
            expect(await pipeline.invoke(event, 1500)).to.deep.equal(seqs(2));
            expect(pipeline.summaries[0]).to.include({ stored: 40, failed: 20 });

            emulators.s3Proxy.setDecide(() => "pass");
            expect(await pipeline.invoke({ Records: event.Records.slice(1) })).to.deep.equal([]);
            expect(await pipeline.items()).to.have.length(60);
            expect(await pipeline.keys("raw/")).to.have.length(60);
            expect(await pipeline.keys("processed/")).to.have.length(60);
        });
    });

    describe("under faults", () => {
        const s3KeyOf = (request: ProxiedRequest) => decodeURIComponent(request.url.split("?")[0]);
        const failingFor =
            (seq: string) =>
            (request: ProxiedRequest): Fault =>
                s3KeyOf(request).includes(seq) ? "error" : "pass";

        it("reports exactly the record whose S3 write keeps failing, and stores it on redelivery", async () => {
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("AAPL", "2", "2026-11-28T10:00:01"),
                tick("AAPL", "3", "2026-11-28T10:00:02"),
            ]);
            emulators.s3Proxy.setDecide(failingFor(sequenceNumber(2)));
            expect(await pipeline.invoke(event, 1500)).to.deep.equal(seqs(2));
            expect(pipeline.summaries[0]).to.include({ stored: 2, failed: 1 });

            emulators.s3Proxy.setDecide(() => "pass");
            const redelivered = { Records: event.Records.slice(1) }; // from the lowest reported record on
            expect(await pipeline.invoke(redelivered)).to.deep.equal([]);
            expect((await pipeline.items()).map(t => t.price)).to.deep.equal(["1", "2", "3"]);
            expect(await pipeline.keys("processed/")).to.have.length(3);
        });

        it("retries transient S3 errors within the invocation", async () => {
            let failuresLeft = 3;
            emulators.s3Proxy.setDecide(() => (failuresLeft-- > 0 ? "error" : "pass"));
            expect(await pipeline.invoke(kinesisEvent([tick("AAPL", "1", "2026-11-28T10:00:00")]))).to.deep.equal([]);
            expect(await pipeline.keys()).to.have.length(2);
        });

        it("retries throttling and reset connections, before and after the write, storing every record exactly once", async () => {
            const s3Faults: Fault[] = ["throttle", "reset-after-write", "throttle", "reset"];
            const dynamoFaults: Fault[] = ["throttle", "reset-after-write"];
            emulators.s3Proxy.setDecide(() => s3Faults.shift() ?? "pass");
            emulators.dynamoProxy.setDecide(() => dynamoFaults.shift() ?? "pass");
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("MSFT", "2", "2026-11-28T10:00:00"),
            ]);
            expect(await pipeline.invoke(event)).to.deep.equal([]);
            expect(s3Faults.concat(dynamoFaults), "every fault was met").to.deep.equal([]);
            const errors = pipeline.summaries[0].errors!;
            expect(errors).to.have.keys("ProvisionedThroughputExceededException", "SlowDown", "TimeoutError");
            expect(errors.TimeoutError, "the SDK's name for a reset connection").to.match(/ECONNRESET/);
            expect((await pipeline.items()).map(t => `${t.symbol} ${t.price}`).sort()).to.deep.equal([
                "AAPL 1",
                "MSFT 2",
            ]);
            expect(await pipeline.keys("raw/")).to.have.length(2);
            expect(await pipeline.keys("processed/")).to.have.length(2);
        });

        it("retries UnprocessedItems until they are written", async () => {
            let rounds = 0;
            emulators.dynamoProxy.setDecide(() =>
                rounds++ < 2 ? { unprocessed: item => item.symbol.S === "MSFT" } : "pass",
            );
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("MSFT", "2.000000000000000000000000000000000001", "2026-11-28T10:00:00"),
            ]);
            expect(await pipeline.invoke(event)).to.deep.equal([]);
            expect(rounds).to.equal(3);
            expect((await pipeline.items()).map(t => t.price).sort()).to.deep.equal([
                "1",
                "2.000000000000000000000000000000000001",
            ]);
        });

        it("reports exactly the ticks DynamoDB keeps leaving unprocessed, not the invalid or stored ones", async () => {
            emulators.dynamoProxy.setDecide(() => ({ unprocessed: item => item.symbol.S === "MSFT" }));
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("MSFT", "2", "2026-11-28T10:00:00"),
                "[]",
                tick("MSFT", "3", "2026-11-28T10:00:01"),
            ]);
            expect(await pipeline.invoke(event, 1500)).to.deep.equal(seqs(2, 4));
            expect((await pipeline.items()).map(t => t.symbol)).to.deep.equal(["AAPL"]);

            emulators.dynamoProxy.setDecide(() => "pass");
            expect(await pipeline.invoke({ Records: event.Records.slice(1) })).to.deep.equal([]);
            expect((await pipeline.items()).map(t => `${t.symbol} ${t.price}`).sort()).to.deep.equal([
                "AAPL 1",
                "MSFT 2",
                "MSFT 3",
            ]);
        });

        it("reports a failed DynamoDB write even when its S3 objects were written", async () => {
            emulators.dynamoProxy.setDecide(() => "error");
            const event = kinesisEvent([tick("AAPL", "1", "2026-11-28T10:00:00"), "null"]);
            expect(await pipeline.invoke(event, 1500)).to.deep.equal(seqs(1));
            expect(await pipeline.keys("processed/")).to.have.length(1);
            expect(await pipeline.keys("rejected/")).to.have.length(1);
        });

        it("reports a record S3 refuses for good at once, without retrying it, and says why in the log line", async () => {
            const refused = sequenceNumber(2);
            emulators.s3Proxy.setDecide(request => (s3KeyOf(request).includes(refused) ? "refuse" : "pass"));
            const seen = emulators.s3Proxy.log.length;
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("AAPL", "2", "2026-11-28T10:00:01"),
            ]);
            // An hour to the deadline: a handler that waited for it would outlast the test's timeout.
            expect(await pipeline.invoke(event, 3_600_000)).to.deep.equal([refused]);
            const attempts = emulators.s3Proxy.log.slice(seen).filter(r => s3KeyOf(r).includes(refused));
            expect(attempts, "one attempt per object of the refused record").to.have.length(2);
            expect(pipeline.summaries[0].errors).to.have.property("AccessDenied");
        });

        it("isolates a tick DynamoDB refuses for good: only its record is reported, the rest of its request is written", async () => {
            const mentionsMsft = (request: ProxiedRequest) => request.body.toString("utf8").includes('"MSFT"');
            emulators.dynamoProxy.setDecide(request => (mentionsMsft(request) ? "refuse" : "pass"));
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("MSFT", "2", "2026-11-28T10:00:00"),
                tick("IBM", "3", "2026-11-28T10:00:00"),
            ]);
            expect(await pipeline.invoke(event, 30_000)).to.deep.equal(seqs(2));
            expect((await pipeline.items()).map(t => t.symbol).sort()).to.deep.equal(["AAPL", "IBM"]);
            expect(pipeline.summaries[0].errors).to.have.property("ValidationException");
        });

        it("gives up a request S3 never answers after the request timeout, and reports its record", async () => {
            const held = sequenceNumber(2);
            let release!: () => void;
            const never = new Promise<void>(resolve => (release = resolve));
            emulators.s3Proxy.setDecide(async (request): Promise<Fault> => {
                if (!s3KeyOf(request).includes(held)) return "pass";
                await never;
                return "reset";
            });
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("AAPL", "2", "2026-11-28T10:00:01"),
            ]);
            try {
                // The deadline (4.5 s away) passes before the request timeout (5 s): no second attempt.
                // A handler without a request timeout would outlast the test's timeout.
                expect(await pipeline.invoke(event, 9_000)).to.deep.equal([held]);
                expect(pipeline.summaries[0].errors).to.have.property("TimeoutError");
            } finally {
                release();
            }
        });

        it("stops at the deadline with the batch half written and reports exactly the records not yet written", async () => {
            const payloads = Array.from({ length: 150 }, (_, i) => tick(`S${i}`, "1", "2026-11-28T10:00:00"));
            const event = kinesisEvent(payloads);
            // 300 puts, 256 at a time, each held by the proxy until the handler's deadline has passed:
            // however fast or slow the machine, the first wave is written after the deadline and the
            // last 44 puts are never started. The wave has until the handler aborts what is in
            // flight (2.4 s after the deadline) to be written, which even a loaded machine does.
            const gate = deadlineGate(HALF_WRITTEN_REMAINING_MS);
            emulators.s3Proxy.setDecide(async (): Promise<Fault> => {
                await gate.passed;
                return "pass";
            });
            const invocation = pipeline.invoke(event, HALF_WRITTEN_REMAINING_MS);
            gate.start();
            const reported = await invocation;
            expect(reported.length).to.be.above(0);
            expect(reported.length, "the first wave was written").to.be.below(150);

            const processed = new Set((await pipeline.keys("processed/")).map(key => key.match(/(\d{56})\.json$/)![1]));
            const raw = new Set((await pipeline.keys("raw/")).map(key => key.match(/(\d{56})\.json$/)![1]));
            const unstored = event.Records.map(r => r.kinesis.sequenceNumber).filter(
                seq => !processed.has(seq) || !raw.has(seq),
            );
            expect([...reported].sort()).to.deep.equal(unstored.sort());

            emulators.s3Proxy.setDecide(() => "pass");
            expect(await pipeline.invoke({ Records: redelivery(event.Records, reported) })).to.deep.equal([]);
            expect(await pipeline.keys("processed/")).to.have.length(150);
        });

        it("stores every valid record exactly once when a share of all requests fail, reporting only unstored ones", async () => {
            // Each attempt's fate is drawn from its key and attempt number, never from the order of
            // arrival, and the third attempt of a key within an invocation is held until the deadline
            // has passed: each invocation tries everything up to three times, then stops at the
            // deadline, however fast or slow the machine. The same records fail on every run.
            const faults = keyedFaults();
            // Drawn from the key within the bucket: the bucket's name depends on the tests run before.
            const objectKeyOf = (request: ProxiedRequest) => s3KeyOf(request).split("/").slice(2).join("/");
            emulators.s3Proxy.setDecide(request => faults.s3(objectKeyOf(request)));
            emulators.dynamoProxy.setDecide(request => faults.dynamo(request));

            const payloads = Array.from({ length: 60 }, (_, i) =>
                i % 10 === 7
                    ? `{"symbol":"BAD","price":-${i}}`
                    : tick(`S${i % 7}`, `${i}.5`, `2026-11-28T10:00:${String(i % 50).padStart(2, "0")}`),
            );
            const event = kinesisEvent(payloads);
            const itemKeyOf = new Map(
                payloads.flatMap((p, i) =>
                    p.includes("BAD")
                        ? []
                        : [
                              [sequenceNumber(i + 1), `${JSON.parse(p).symbol} ${JSON.parse(p).timestamp}`] as [
                                  string,
                                  string,
                              ],
                          ],
                ),
            );
            let pending = event.Records;
            let reportedInAll = 0;
            for (let attempt = 0; pending.length > 0; attempt++) {
                expect(attempt, "redeliveries").to.be.below(50);
                const s3Seen = emulators.s3Proxy.log.length;
                const dynamoSeen = emulators.dynamoProxy.log.length;
                const invocation = pipeline.invoke({ Records: pending }, KEYED_FAULTS_REMAINING_MS);
                faults.newInvocation();
                const reported = await invocation;
                reportedInAll += reported.length;
                assertReportedExactlyUnstored(
                    pending,
                    itemKeyOf,
                    reported,
                    emulators.s3Proxy.log.slice(s3Seen),
                    emulators.dynamoProxy.log.slice(dynamoSeen),
                );
                pending = redelivery(pending, reported);
            }

            expect(reportedInAll, "records reported along the way").to.be.above(0);
            emulators.s3Proxy.setDecide(() => "pass");
            emulators.dynamoProxy.setDecide(() => "pass");
            const items = await pipeline.items();
            const expectedKeys = new Set(
                payloads
                    .filter(p => !p.includes("BAD"))
                    .map(p => JSON.parse(p))
                    .map(t => `${t.symbol} ${t.timestamp}`),
            );
            expect(items.map(t => `${t.symbol} ${t.timestamp}`).sort()).to.deep.equal([...expectedKeys].sort());
            expect(await pipeline.keys("raw/")).to.have.length(60);
            expect(await pipeline.keys("processed/")).to.have.length(54);
            expect(await pipeline.keys("rejected/")).to.have.length(6);
        });
    });
});

/** Deadline at 3 s, in-flight requests aborted at 5.4 s (see invocationLimits). */
const HALF_WRITTEN_REMAINING_MS = 6_000;
/** Room for two rounds of attempts before the deadline (half of it) even on a loaded machine. */
const KEYED_FAULTS_REMAINING_MS = 3_000;
const FIRST_ATTEMPT_HELD = 3;
/** Makes the first two invocations leave a record unstored each (the draws are fixed, so every run does). */
const FAULT_SALT = 5;

/** A number in [0, 1) drawn from `text` alone. */
function draw(text: string): number {
    return createHash("sha256").update(`${FAULT_SALT} ${text}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Faults drawn from each write's key and attempt number (counted over the whole test, so that a
 * redelivery draws anew): S3 puts fail 20% of the time; a BatchWriteItem leaves each of its items
 * unprocessed half of the time in 20% of requests and fails whole in 15% of the rest. Within one
 * invocation, the FIRST_ATTEMPT_HELD-th attempt of a key is held until the deadline has passed.
 * Call `newInvocation()` right after starting each invocation.
 */
function keyedFaults() {
    const attempts = new Map<string, number>(); // over the test: what the fate is drawn from
    const inInvocation = new Map<string, number>(); // within the current invocation: what is held
    let gate = deadlineGate(KEYED_FAULTS_REMAINING_MS);
    const count = (key: string) => {
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        inInvocation.set(key, (inInvocation.get(key) ?? 0) + 1);
        return { total: attempts.get(key)!, here: inInvocation.get(key)! };
    };
    const heldIfLate = async (here: number, fault: Fault): Promise<Fault> => {
        if (here >= FIRST_ATTEMPT_HELD) await gate.passed;
        return fault;
    };
    return {
        newInvocation() {
            inInvocation.clear();
            gate = deadlineGate(KEYED_FAULTS_REMAINING_MS);
            gate.start();
        },
        s3(key: string): Promise<Fault> {
            const { total, here } = count(key);
            return heldIfLate(here, draw(`s3 ${key} ${total}`) < 0.2 ? "error" : "pass");
        },
        dynamo(request: ProxiedRequest): Promise<Fault> {
            if (request.operation !== "BatchWriteItem") return Promise.resolve("pass");
            const body = JSON.parse(request.body.toString("utf8"));
            const items = (
                Object.values(body.RequestItems)[0] as { PutRequest: { Item: Record<string, { S: string }> } }[]
            ).map(write => `${write.PutRequest.Item.symbol.S} ${write.PutRequest.Item.timestamp.S}`);
            const counted = items.map(key => ({ key, ...count(key) }));
            const first = counted[0];
            const here = Math.max(...counted.map(c => c.here));
            const totals = new Map(counted.map(c => [c.key, c.total]));
            const unprocessed = (item: Record<string, { S: string }>) => {
                const key = `${item.symbol.S} ${item.timestamp.S}`;
                return draw(`item ${key} ${totals.get(key)}`) < 0.5;
            };
            const fault: Fault =
                draw(`unprocessed ${first.key} ${first.total}`) < 0.2
                    ? { unprocessed }
                    : draw(`error ${first.key} ${first.total}`) < 0.15
                      ? "error"
                      : "pass";
            return heldIfLate(here, fault);
        },
    };
}

/**
 * A promise that settles once the deadline of an invocation with `remainingMs` left has passed.
 * Call `start()` right after starting the invocation: the handler read the clock before, so its
 * deadline (invocationLimits) is at the latest the one computed here.
 */
function deadlineGate(remainingMs: number): { passed: Promise<void>; start(): void } {
    let open!: () => void;
    const passed = new Promise<void>(resolve => (open = resolve));
    return {
        passed,
        start: () => {
            const { deadline } = invocationLimits({ getRemainingTimeInMillis: () => remainingMs }, Date.now());
            setTimeout(open, deadline - Date.now() + 1);
        },
    };
}

/**
 * From what the proxies saw in one invocation: a record is stored when the last attempt of each of
 * its objects and of its item passed. The handler must report exactly the records that are not.
 */
function assertReportedExactlyUnstored(
    batch: KinesisStreamRecord[],
    itemKeyOf: Map<string, string>,
    reported: string[],
    s3Log: LoggedRequest[],
    dynamoLog: LoggedRequest[],
) {
    const objectPassed = new Map<string, boolean>(); // object key → its last attempt passed
    for (const request of s3Log.filter(r => r.method === "PUT"))
        objectPassed.set(decodeURIComponent(request.url.split("?")[0]), request.fault === "pass");
    const itemPassed = new Map<string, boolean>(); // "symbol timestamp" → its last attempt passed
    for (const request of dynamoLog.filter(r => r.operation === "BatchWriteItem")) {
        const held = new Set(request.heldBack.map(item => `${item.symbol.S} ${item.timestamp.S}`));
        const body = JSON.parse(request.body.toString("utf8"));
        for (const writes of Object.values(body.RequestItems) as {
            PutRequest: { Item: Record<string, { S: string }> };
        }[][]) {
            for (const {
                PutRequest: { Item },
            } of writes) {
                const key = `${Item.symbol.S} ${Item.timestamp.S}`;
                itemPassed.set(key, request.fault !== "error" && !held.has(key));
            }
        }
    }
    const unstored = batch
        .map(r => r.kinesis.sequenceNumber)
        .filter(seq => {
            const objects = [...objectPassed].filter(([key]) => key.endsWith(`/${seq}.json`));
            const itemKey = itemKeyOf.get(seq);
            return (
                objects.length < 2 ||
                objects.some(([, passed]) => !passed) ||
                (itemKey !== undefined && itemPassed.get(itemKey) !== true)
            );
        });
    expect([...reported].sort(), "reported records = records with a write not stored").to.deep.equal(unstored.sort());
}
