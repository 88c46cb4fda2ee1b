import { expect } from "chai";
import { compareDecimals, percentile } from "../../tools/local/summary";

describe("the local run's arithmetic", () => {
    it("compares prices as exact decimals, beyond a double's precision", () => {
        expect(compareDecimals("415.123456789012345678901234", "415.1234567890123")).to.equal(1);
        expect(compareDecimals("185.2", "185.20")).to.equal(0);
        expect(compareDecimals("9.99", "10.0")).to.equal(-1);
        expect(compareDecimals("0.0850", "0.085")).to.equal(0);
    });

    it("takes nearest-rank percentiles", () => {
        const values = Array.from({ length: 100 }, (_, i) => i + 1);
        expect([percentile(values, 50), percentile(values, 90), percentile(values, 99)]).to.deep.equal([50, 90, 99]);
        expect(percentile([7], 99)).to.equal(7);
        expect(percentile([], 50)).to.equal(null);
    });
});
