import { expect } from "chai";
import { dollars, listPriceText } from "../../harness/cost/money";

describe("money as the bill and the bench write it", () => {
    it("writes a price per unit, per thousand or per million, with as many decimals as it has", () => {
        const cases: [number, number, string | undefined, string][] = [
            [0.2 / 1_000_000, 1_000_000, undefined, "$0.20 per million"],
            [0.625 / 1_000_000, 1_000_000, "write units", "$0.625 per million write units"],
            [0.005 / 1000, 1000, undefined, "$0.005 per 1,000"],
            [0.007 / 10_000, 10_000, "requests", "$0.007 per 10,000 requests"],
            [0.0000133334, 1, "GB-s", "$0.0000133334 per GB-s"],
            [0.00099, 1, "GB-month", "$0.00099 per GB-month"],
            [3, 1, "dashboard-month", "$3.00 per dashboard-month"],
            [1200, 1, "TB", "$1,200.00 per TB"],
        ];
        for (const [value, per, unit, text] of cases) expect(listPriceText(value, per, unit), text).to.equal(text);
    });

    it("writes amounts to the cent, grouped by thousands, and one below a cent as such", () => {
        expect(dollars(1642.5)).to.equal("$1,642.50");
        expect(dollars(0.026)).to.equal("$0.03");
        expect(dollars(0)).to.equal("$0.00");
        expect(dollars(0.004)).to.equal("< $0.01");
    });

    it("gives amounts below ten cents a third decimal when asked for mills, as a cost per million ticks needs", () => {
        expect(dollars(12.244, "mills")).to.equal("$12.24");
        expect(dollars(0.0224, "mills")).to.equal("$0.022");
        expect(dollars(0, "mills")).to.equal("$0.000");
        expect(dollars(0.0004, "mills")).to.equal("< $0.001");
    });
});
