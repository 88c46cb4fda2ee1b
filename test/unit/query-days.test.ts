import { expect } from "chai";
import { MAX_DAYS, parseDays } from "../../harness/query/days";

describe("--days", () => {
    it("takes a list of days, sorted and each once", () => {
        expect(parseDays("2026-11-29,2026-11-28,2026-11-29")).to.deep.equal(["2026-11-28", "2026-11-29"]);
    });

    it("takes an inclusive range across a month and a leap day", () => {
        expect(parseDays("2028-02-28..2028-03-01")).to.deep.equal(["2028-02-28", "2028-02-29", "2028-03-01"]);
    });

    it("mixes ranges and days", () => {
        expect(parseDays("2026-11-28..2026-11-29, 2026-12-01")).to.deep.equal([
            "2026-11-28",
            "2026-11-29",
            "2026-12-01",
        ]);
    });

    const mistakes: [string, RegExp][] = [
        ["2026-02-30", /"2026-02-30" is not a date YYYY-MM-DD/],
        ["28-11-2026", /is not a date/],
        ["2026-11-28,", /empty item/],
        ["2026-11-30..2026-11-28", /ends before it starts/],
        ["2026-11-28..2026-11-29..2026-11-30", /not a day or a range/],
        ["2000-01-01..2026-01-01", new RegExp(`more than ${MAX_DAYS} days`)],
    ];
    for (const [spec, message] of mistakes) {
        it(`refuses ${spec} with a message saying why`, () => expect(() => parseDays(spec)).to.throw(message));
    }
});
