import { expect } from "chai";
import { decodeTick } from "../../pipeline/runtime/tick";
import { compareDecimals } from "../../harness/local-stack/summary";
import { MALFORMED_KINDS, resolveSymbols, seededRandom, TickGenerator } from "../../harness/local-stack/ticks";

describe("the local producer's ticks", () => {
    const generate = (count: number, badRatio: number) => {
        const generator = new TickGenerator(resolveSymbols("8"), badRatio, seededRandom(1));
        return Array.from({ length: count }, (_, i) => generator.next(Date.parse("2026-11-28T14:30:00Z") + i));
    };

    it("writes valid ticks the processing contract accepts, with the exact price sent", () => {
        for (const record of generate(500, 0)) {
            const decoded = decodeTick(record.data);
            expect(decoded.valid, record.data.toString()).to.equal(true);
            if (decoded.valid) expect(compareDecimals(decoded.tick.price, record.tick!.price)).to.equal(0);
        }
    });

    it("writes prices as JSON numbers with 2 to 4 decimals and timestamps with microseconds", () => {
        for (const record of generate(200, 0)) {
            expect(record.data.toString()).to.match(
                /"price":\d+\.\d{2,4},"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"/,
            );
        }
    });

    it("never repeats a symbol and timestamp, so every valid tick is its own item", () => {
        const keys = generate(2000, 0).map(record => `${record.tick!.symbol} ${record.tick!.timestamp}`);
        expect(new Set(keys).size).to.equal(keys.length);
    });

    it("writes malformed records of every kind, each of which the contract rejects", () => {
        const malformed = generate(2000, 0.5).filter(record => record.malformed);
        expect(new Set(malformed.map(record => record.malformed))).to.have.all.keys(...MALFORMED_KINDS);
        for (const record of malformed) expect(decodeTick(record.data).valid, record.data.toString()).to.equal(false);
    });

    it("spreads malformed records so that n records hold exactly floor(n × bad-ratio)", () => {
        expect(generate(1000, 0.01).filter(record => record.malformed)).to.have.length(10);
        expect(generate(333, 0.05).filter(record => record.malformed)).to.have.length(16);
    });

    it("refuses symbols the contract would reject", () => {
        expect(() => resolveSymbols("AAPL,../etc")).to.throw(/symbol/);
    });
});
