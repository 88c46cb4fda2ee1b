import { gunzipSync } from "zlib";
import { expect } from "chai";
import { parse } from "lossless-json";
import { ndjsonLines } from "../../harness/aws/stored-records";
import type { LoggedRequest, ProxiedRequest } from "../../harness/aws/fault-proxy";
import { Emulators, freshPipeline, startEmulatorsBehindProxies, TestPipeline } from "../support/pipeline";
import { aggregateOf, ARRIVAL, kinesisEvent, sequenceNumber, tick, ticksOfOneDay } from "../support/kinesis-events";

const EXACT = "415.123456789012345678901234";
const SHARD = "shardId-000000000000";
const FIRST = sequenceNumber(1);
/** The objects' name for a batch of records 1 to `last`. */
const range = (last: number) => `${FIRST}-${sequenceNumber(last)}.ndjson.gz`;
const objectKey = (request: ProxiedRequest) => decodeURIComponent(request.url.split("?")[0]).replace(/^\/[^/]+\//, "");
const puts = (log: LoggedRequest[]) => log.filter(request => request.method === "PUT");

describe("the processor against DynamoDB and S3 emulators (batch layout)", function () {
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
        pipeline = await freshPipeline(emulators, "batch");
    });

    /** Invokes and returns what the S3 and DynamoDB proxies saw meanwhile. */
    async function invokeCounting(event: ReturnType<typeof kinesisEvent>) {
        const s3Seen = emulators.s3Proxy.log.length;
        const dynamoSeen = emulators.dynamoProxy.log.length;
        const failures = await pipeline.invoke(event);
        return {
            failures,
            s3: emulators.s3Proxy.log.slice(s3Seen),
            dynamo: emulators.dynamoProxy.log.slice(dynamoSeen),
        };
    }

    it("writes a batch of 100 valid ticks of one day with 2 S3 PUTs and 4 DynamoDB requests", async () => {
        const { failures, s3, dynamo } = await invokeCounting(kinesisEvent(ticksOfOneDay(100)));
        expect(failures).to.deep.equal([]);
        expect(s3.map(request => `${request.method} ${objectKey(request)}`)).to.have.members([
            `PUT raw/arrival_day=2026-11-28/shard=${SHARD}/${range(100)}`,
            `PUT processed/day=2026-11-28/shard=${SHARD}/${range(100)}`,
        ]);
        expect(dynamo.map(request => request.operation)).to.deep.equal(Array(4).fill("BatchWriteItem"));
        expect(await pipeline.items()).to.have.length(100);
        expect(pipeline.summaries[0]).to.include({ received: 100, objects: 2, stored: 100, failed: 0 });
    });

    it("writes a batch with invalid records with 3 S3 PUTs", async () => {
        const payloads = ticksOfOneDay(100);
        payloads[10] = "not json";
        payloads[70] = '{"symbol":"A/B","price":1,"timestamp":"2026-11-28"}';
        const { s3 } = await invokeCounting(kinesisEvent(payloads));
        expect(puts(s3).map(request => objectKey(request).split("/")[0])).to.have.members([
            "raw",
            "processed",
            "rejected",
        ]);
        expect(await pipeline.items()).to.have.length(98);
    });

    it("stores gzip NDJSON as application/x-ndjson with no Content-Encoding", async () => {
        const { s3 } = await invokeCounting(kinesisEvent([tick("AAPL", "1", "2026-11-28T10:00:00")]));
        for (const request of puts(s3)) {
            expect(request.headers["content-type"], objectKey(request)).to.equal("application/x-ndjson");
            expect(request.headers, objectKey(request)).to.not.have.property("content-encoding");
        }
        const [rawKey] = await pipeline.keys("raw/");
        expect((await pipeline.object(rawKey)).subarray(0, 2)).to.deep.equal(Buffer.from([0x1f, 0x8b]));
    });

    it("keeps every record's bytes in raw/, as base64 lines in sequence order", async () => {
        const bytes = [` {"symbol": "BRK.B",  "price": 189.12, "timestamp": "2026-11-28T14:30:00"}\n`, "[]"];
        const event = kinesisEvent([...bytes, Buffer.from([0xff, 0xfe])]);
        await pipeline.invoke(event);
        const [rawKey] = await pipeline.keys("raw/");
        expect(rawKey).to.equal(`raw/arrival_day=2026-11-28/shard=${SHARD}/${range(3)}`);
        const lines = ndjsonLines(await pipeline.object(rawKey));
        expect(lines.map(line => Buffer.from(line.data as string, "base64"))).to.deep.equal([
            ...bytes.map(text => Buffer.from(text)),
            Buffer.from([0xff, 0xfe]),
        ]);
        expect(lines[0]).to.deep.equal({
            sequenceNumber: FIRST,
            partitionKey: "AAPL",
            approximateArrivalTimestamp: String(ARRIVAL),
            data: Buffer.from(bytes[0]).toString("base64"),
        });
    });

    it("stores a valid tick's item and processed/ line with the exact price digits, by the tick's own day", async () => {
        await pipeline.invoke(
            kinesisEvent([tick("^GSPC", `"${EXACT}"`, "2026-11-28T23:30:00-05:00"), tick("AAPL", "2", "2026-11-29")]),
        );
        expect((await pipeline.items()).find(item => item.symbol === "^GSPC")).to.deep.equal({
            symbol: "^GSPC",
            timestamp: "2026-11-28T23:30:00-05:00",
            price: EXACT,
            day: "2026-11-28",
        });
        const keys = await pipeline.keys("processed/");
        expect(keys).to.deep.equal([
            `processed/day=2026-11-28/shard=${SHARD}/${range(2)}`,
            `processed/day=2026-11-29/shard=${SHARD}/${range(2)}`,
        ]);
        const [line] = ndjsonLines(await pipeline.object(keys[0]));
        expect(line).to.deep.equal({
            symbol: "^GSPC",
            price: EXACT,
            timestamp: "2026-11-28T23:30:00-05:00",
            day: "2026-11-28",
            sequenceNumber: FIRST,
            shardId: SHARD,
        });
    });

    it("quarantines invalid records as rejected/ lines with reason and coordinates, and no item", async () => {
        const bad = '{"symbol":"../x","price":1,"timestamp":"2026-11-28"}';
        expect(await pipeline.invoke(kinesisEvent([tick("AAPL", "1", "2026-11-28T10:00:00"), bad]))).to.deep.equal([]);
        expect(await pipeline.items()).to.have.length(1);
        const [key] = await pipeline.keys("rejected/");
        expect(key).to.equal(`rejected/arrival_day=2026-11-28/shard=${SHARD}/${range(2)}`);
        expect(ndjsonLines(await pipeline.object(key))).to.deep.equal([
            {
                reason: 'symbol: must start with a letter, digit or ^, got "../x"',
                sequenceNumber: sequenceNumber(2),
                partitionKey: "AAPL",
                shardId: SHARD,
                approximateArrivalTimestamp: String(ARRIVAL),
                data: Buffer.from(bad).toString("base64"),
            },
        ]);
    });

    it("stores a price just below 10^20 exactly, and quarantines 10^20, which decimal(38,18) cannot hold", async () => {
        const edge = `${"9".repeat(20)}.${"9".repeat(18)}`;
        const event = kinesisEvent([
            tick("AAPL", edge, "2026-11-28T10:00:00"),
            tick("AAPL", "1e20", "2026-11-28T10:00:01"),
        ]);
        expect(await pipeline.invoke(event)).to.deep.equal([]);
        expect((await pipeline.items()).map(item => item.price)).to.deep.equal([edge]);
        const [rejected] = (await pipeline.copies("rejected/")).copies;
        expect(rejected.line?.reason).to.match(/^price: 10\^20 or more/);
    });

    it("writes no rejected/ object when every record is valid", async () => {
        await pipeline.invoke(kinesisEvent(ticksOfOneDay(3)));
        expect(await pipeline.keys("rejected/")).to.deep.equal([]);
    });

    it("keeps the later of two ticks with the same symbol and timestamp, and both processed/ lines", async () => {
        const event = kinesisEvent([
            tick("AAPL", "100.01", "2026-11-28T10:00:00"),
            tick("AAPL", "100.02", "2026-11-28T10:00:00"),
        ]);
        event.Records.reverse();
        expect(await pipeline.invoke(event)).to.deep.equal([]);
        expect((await pipeline.items()).map(item => item.price)).to.deep.equal(["100.02"]);
        expect((await pipeline.copies("processed/")).copies).to.have.length(2);
    });

    it("changes nothing when the same batch is delivered again", async () => {
        const event = kinesisEvent([tick("AAPL", "1.25", "2026-11-28T10:00:00"), "{}", ...ticksOfOneDay(5)]);
        await pipeline.invoke(event);
        const before = { items: await pipeline.items(), keys: await pipeline.keys() };
        const bodies = await Promise.all(before.keys.map(key => pipeline.object(key)));
        expect(await pipeline.invoke(event)).to.deep.equal([]);
        expect(await pipeline.items()).to.deep.equal(before.items);
        expect(await pipeline.keys()).to.deep.equal(before.keys);
        expect(await Promise.all(before.keys.map(key => pipeline.object(key)))).to.deep.equal(bodies);
    });

    it("keeps every line when a shorter redelivery starts at the same record as a stored batch", async () => {
        // Stored as 0-99 and 100-199; then a retry after a timeout reads 100-149 again: its objects
        // must not replace those of 100-199, whose last 50 records have no other copy.
        const ticks = ticksOfOneDay(200);
        expect(await pipeline.invoke(kinesisEvent(ticks.slice(0, 100), 1))).to.deep.equal([]);
        expect(await pipeline.invoke(kinesisEvent(ticks.slice(100), 101))).to.deep.equal([]);
        expect(await pipeline.invoke(kinesisEvent(ticks.slice(100, 150), 101))).to.deep.equal([]);
        const ids = (prefix: string) => pipeline.copies(prefix).then(({ copies }) => new Set(copies.map(c => c.id)));
        const all = Array.from({ length: 200 }, (_, i) => sequenceNumber(i + 1));
        expect([...(await ids("raw/"))].sort()).to.deep.equal([...all].sort());
        expect([...(await ids("processed/"))].sort()).to.deep.equal([...all].sort());
        expect(await pipeline.items()).to.have.length(200);
    });

    describe("aggregated records (KPL)", () => {
        it("stores all 100 ticks of 5 aggregates of 20 as lines with their sub-sequence numbers", async () => {
            const ticks = ticksOfOneDay(100);
            const event = kinesisEvent(
                Array.from({ length: 5 }, (_, i) => aggregateOf(ticks.slice(i * 20, i * 20 + 20))),
            );
            const { failures, s3 } = await invokeCounting(event);
            expect(failures).to.deep.equal([]);
            expect(puts(s3)).to.have.length(2);
            expect(await pipeline.items()).to.have.length(100);
            const ids = Array.from({ length: 100 }, (_, i) => `${sequenceNumber(Math.floor(i / 20) + 1)}-${i % 20}`);
            for (const prefix of ["raw/", "processed/"]) {
                expect(
                    (await pipeline.copies(prefix)).copies.map(copy => copy.id),
                    prefix,
                ).to.deep.equal(ids);
            }
            const raw = (await pipeline.copies("raw/")).copies[44].line!;
            expect(raw).to.deep.include({
                sequenceNumber: sequenceNumber(3),
                subSequenceNumber: "4",
                partitionKey: "S2",
            });
            expect(Buffer.from(raw.data as string, "base64").toString()).to.equal(ticks[44]);
        });

        it("quarantines an aggregate with a wrong MD5 whole: one rejected/ line, its raw/ line all its bytes", async () => {
            const data = aggregateOf(ticksOfOneDay(20));
            data[data.length - 1] ^= 0x01;
            expect(await pipeline.invoke(kinesisEvent([data]))).to.deep.equal([]);
            expect(await pipeline.items()).to.deep.equal([]);
            const [rejected] = (await pipeline.copies("rejected/")).copies;
            expect(rejected.id).to.equal(FIRST);
            expect(rejected.line!.reason).to.match(/^aggregate: MD5/);
            const raw = (await pipeline.copies("raw/")).copies;
            expect(raw.map(copy => Buffer.from(copy.line!.data as string, "base64"))).to.deep.equal([data]);
            expect(await pipeline.keys("processed/")).to.deep.equal([]);
        });
    });

    describe("under faults", () => {
        it("reports the batch's first record when a processed/ object keeps failing, and the redelivery stores it all once", async () => {
            const event = kinesisEvent([...ticksOfOneDay(5), tick("AAPL", "9", "2026-11-30T10:00:00")]);
            emulators.s3Proxy.setDecide(request => (objectKey(request).includes("day=2026-11-30") ? "error" : "pass"));
            expect(await pipeline.invoke(event, 1500)).to.deep.equal([FIRST]);
            expect(pipeline.summaries[0]).to.include({ stored: 0, failed: 6 });

            emulators.s3Proxy.setDecide(() => "pass");
            expect(await pipeline.invoke(event)).to.deep.equal([]);
            expect((await pipeline.copies("processed/")).copies.map(copy => copy.id)).to.deep.equal(
                [1, 2, 3, 4, 5, 6].map(sequenceNumber),
            );
            expect((await pipeline.copies("raw/")).copies).to.have.length(6);
            expect(await pipeline.items()).to.have.length(6);
        });

        it("reports the batch's first record when a DynamoDB write keeps failing, though every object was written", async () => {
            emulators.dynamoProxy.setDecide(request =>
                request.body.toString("utf8").includes('"S4"') ? "throttle" : "pass",
            );
            const event = kinesisEvent(ticksOfOneDay(10), 5);
            expect(await pipeline.invoke(event, 1500)).to.deep.equal([sequenceNumber(5)]);
            expect(pipeline.summaries[0].errors).to.have.property("ProvisionedThroughputExceededException");
            emulators.dynamoProxy.setDecide(() => "pass");
            expect(await pipeline.invoke(event)).to.deep.equal([]);
            expect(await pipeline.items()).to.have.length(10);
        });

        it("retries resets, throttling and 500s within the invocation", async () => {
            const faults = ["reset", "throttle", "error"] as const;
            let s3Calls = 0;
            let dynamoCalls = 0;
            emulators.s3Proxy.setDecide(() => faults[s3Calls++] ?? "pass");
            emulators.dynamoProxy.setDecide(() => faults[dynamoCalls++] ?? "pass");
            expect(await pipeline.invoke(kinesisEvent(ticksOfOneDay(30)))).to.deep.equal([]);
            expect(s3Calls).to.be.above(3);
            expect(dynamoCalls).to.be.above(3);
            expect(await pipeline.items()).to.have.length(30);
            expect(Object.keys(pipeline.summaries[0].errors ?? {})).to.have.length.above(1);
        });
    });

    it("writes exactly the contract's line fields, in order", async () => {
        await pipeline.invoke(kinesisEvent([aggregateOf([tick("AAPL", "1", "2026-11-28T10:00:00"), "x"])]));
        const firstLine = async (prefix: string) => {
            const [key] = await pipeline.keys(prefix);
            const text = gunzipSync(await pipeline.object(key)).toString("utf8");
            return Object.keys(parse(text.split("\n")[0]) as object);
        };
        expect(await firstLine("raw/")).to.deep.equal([
            "sequenceNumber",
            "subSequenceNumber",
            "partitionKey",
            "approximateArrivalTimestamp",
            "data",
        ]);
        expect(await firstLine("processed/")).to.deep.equal([
            "symbol",
            "price",
            "timestamp",
            "day",
            "sequenceNumber",
            "subSequenceNumber",
            "shardId",
        ]);
        expect(await firstLine("rejected/")).to.deep.equal([
            "reason",
            "sequenceNumber",
            "subSequenceNumber",
            "partitionKey",
            "shardId",
            "approximateArrivalTimestamp",
            "data",
        ]);
    });
});
