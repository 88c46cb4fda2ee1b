import { expect } from "chai";
import { deaggregate } from "../../pipeline/runtime/kpl";
import { Ledger, putRecordId } from "../../harness/local-stack/ledger";
import { kinesisEntries, PutRecord } from "../../harness/local-stack/producer";
import { DEFAULT_SYMBOLS, seededRandom, TickGenerator } from "../../harness/local-stack/ticks";

const generate = (n: number) => {
    const generator = new TickGenerator(DEFAULT_SYMBOLS, 0.2, seededRandom(3));
    return Array.from({ length: n }, () => generator.next(1_795_876_200_000));
};

describe("the local producer's Kinesis records", () => {
    it("sends one tick per record by default, keyed by its symbol", () => {
        const ticks = generate(3);
        expect(kinesisEntries(ticks).map(entry => [entry.data, entry.partitionKey, entry.aggregated])).to.deep.equal(
            ticks.map(tick => [tick.data, tick.partitionKey, false]),
        );
    });

    it("packs N ticks per record as KPL aggregates the processor unpacks to the same bytes and keys", () => {
        const ticks = generate(7);
        const entries = kinesisEntries(ticks, 3);
        expect(entries.map(entry => entry.ticks.length)).to.deep.equal([3, 3, 1]);
        expect(entries.map(entry => entry.partitionKey)).to.deep.equal([0, 3, 6].map(i => ticks[i].partitionKey));
        const unpacked = entries.flatMap(entry => {
            const result = deaggregate(entry.data);
            if (!result.ok) throw new Error(result.reason);
            return result.records;
        });
        expect(unpacked).to.deep.equal(ticks.map(tick => ({ partitionKey: tick.partitionKey, data: tick.data })));
    });
});

describe("the local run's ledger", () => {
    const putRecords = (sequenceNumber: string, count: number, aggregated: boolean): PutRecord[] =>
        generate(count).map((tick, index) => ({
            ...tick,
            sequenceNumber,
            ...(aggregated ? { subSequenceNumber: index } : {}),
            shardId: "shardId-000000000000",
        }));

    it("settles every tick of an aggregate with its Kinesis record, even when told before the put returns", () => {
        const ledger = new Ledger();
        ledger.acknowledge(["100"], 1_795_876_200_500);
        ledger.register([...putRecords("100", 20, true), ...putRecords("101", 1, false)]);
        expect(ledger.produced).to.equal(21);
        expect(ledger.acknowledgedValid + ledger.acknowledgedMalformed).to.equal(20);
        expect(ledger.inFlight).to.equal(1);
        ledger.giveUp(["101"]);
        expect(ledger.inFlight).to.equal(0);
        expect(ledger.entries().map(putRecordId)).to.include.members(["100-0", "100-19", "101"]);
    });

    it("counts a redelivered acknowledgement once", () => {
        const ledger = new Ledger();
        ledger.register(putRecords("7", 5, true));
        ledger.acknowledge(["7"]);
        ledger.acknowledge(["7"]);
        expect(ledger.acknowledgedValid + ledger.acknowledgedMalformed).to.equal(5);
        expect(ledger.latencies()).to.have.length(5);
    });
});
