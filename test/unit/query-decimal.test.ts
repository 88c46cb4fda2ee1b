// Prices as DECIMAL(38,18): exact, rounded half-up like Athena's JSON reader, overflow reported.
import { expect } from "chai";
import { formatDecimal, toDecimal } from "../../harness/query/decimal";

const asText = (text: string) => {
    const result = toDecimal(text, 38, 18);
    return result.ok ? formatDecimal(result.value) : `error: ${result.reason}`;
};

describe("a price read as DECIMAL(38,18)", () => {
    const cases: [string, string][] = [
        ["189.12", "189.120000000000000000"],
        ["0", "0.000000000000000000"],
        ["-0.0", "0.000000000000000000"],
        ["415.123456789012345678", "415.123456789012345678"],
        // 20 decimals: the 19th decides; half-up, not half-even (…678|50 would stay …678 half-even)
        ["415.12345678901234567850", "415.123456789012345679"],
        ["415.12345678901234567849", "415.123456789012345678"],
        ["1.00000000000000000050", "1.000000000000000001"],
        ["0.0000000000000000005", "0.000000000000000001"],
        ["0.0000000000000000004999", "0.000000000000000000"],
        ["-2.0000000000000000005", "-2.000000000000000001"],
        // 38 digits, 20 before the point: the largest that fits
        ["99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999"],
        ["12345678901234567890.123456789012345678", "12345678901234567890.123456789012345678"],
        ["1.5e3", "1500.000000000000000000"],
        ["1.5E-17", "0.000000000000000015"],
        ["1e-130", "0.000000000000000000"],
        ["1e-999999999", "0.000000000000000000"],
        ["0e999999999", "0.000000000000000000"],
        ["00012.5", "12.500000000000000000"],
    ];
    for (const [input, expected] of cases) {
        it(`reads ${input} as ${expected}`, () => expect(asText(input)).to.equal(expected));
    }

    const overflows = [
        "100000000000000000000",
        "123456789012345678901.5",
        "1e20",
        "1E+125",
        "1e999999999",
        // rounding carries into a 21st digit before the point
        "99999999999999999999.9999999999999999995",
    ];
    for (const input of overflows) {
        it(`reports ${input} as not fitting, naming the limit`, () => {
            expect(asText(input)).to.match(
                /^error: .* more than 20 digits before the point: does not fit DECIMAL\(38,18\)$/,
            );
        });
    }

    for (const input of ["", "abc", "1.2.3", "NaN", "Infinity", "0x10", "1e"]) {
        it(`reports ${JSON.stringify(input)} as not a number`, () =>
            expect(asText(input)).to.match(/^error: not a decimal number/));
    }
});

describe("formatDecimal", () => {
    it("writes every decimal of the scale, with a leading zero and a sign when negative", () => {
        expect(formatDecimal({ unscaled: 5n, scale: 3 })).to.equal("0.005");
        expect(formatDecimal({ unscaled: -12345n, scale: 2 })).to.equal("-123.45");
        expect(formatDecimal({ unscaled: 7n, scale: 0 })).to.equal("7");
    });
});
