// Table-driven tests of the pure tick decoder against the processing contract
// (/work/shared/processing-contract.md, "A tick is valid when").
import { expect } from "chai";
import { parse, isLosslessNumber } from "lossless-json";
import { decodeTick, processedJson, parsePrice, StoredTick } from "../../pipeline/runtime/tick";

/** A tick record as raw JSON text; each argument is a raw JSON fragment, so any type can be written. */
function rec(symbol: string, price: string, timestamp: string): string {
    return `{"symbol":${symbol},"price":${price},"timestamp":${timestamp}}`;
}

/** A valid AAPL tick at a fixed time with the given raw price fragment. */
function withPrice(price: string): string {
    return rec('"AAPL"', price, '"2026-11-28T14:30:00Z"');
}

/** A valid AAPL tick at price 1 with the given raw timestamp fragment. */
function withTimestamp(timestamp: string): string {
    return rec('"AAPL"', "1", timestamp);
}

function expected(symbol: string, price: string, timestamp: string): StoredTick {
    return { symbol, price, timestamp, day: timestamp.slice(0, 10) };
}

function bytes(input: string | Uint8Array): Uint8Array {
    return typeof input === "string" ? Buffer.from(input, "utf8") : input;
}

/** Test names show the input; bytes as hex, long text shortened. */
function label(input: string | Uint8Array): string {
    if (typeof input !== "string") return `bytes [${Buffer.from(input).toString("hex")}]`;
    input = input.replace(/\n/g, "\\n");
    return input.length > 110 ? `${input.slice(0, 100)}…(${input.length} chars)` : input;
}

const AT = "2026-11-28T14:30:00Z";
/** 38 significant digits, 20 of them before the point: the most a price may have. */
const DIGITS_38 = "12345678901234567890.123456789012345678";
const SYMBOL_32 = "A".repeat(32);

const valid: Array<{ input: string; tick: StoredTick }> = [
    // the contract's example, and every symbol shape
    {
        input: '{"symbol": "AAPL", "price": 189.12, "timestamp": "2026-11-28T14:30:00.123456"}',
        tick: expected("AAPL", "189.12", "2026-11-28T14:30:00.123456"),
    },
    { input: rec('"BRK.B"', '"172.50"', `"${AT}"`), tick: expected("BRK.B", "172.50", AT) },
    { input: rec('"^GSPC"', "6032.38", `"${AT}"`), tick: expected("^GSPC", "6032.38", AT) },
    { input: rec('"BTC-USD"', "97123.456789", `"${AT}"`), tick: expected("BTC-USD", "97123.456789", AT) },
    { input: rec('"EURUSD=X"', "1.0523", `"${AT}"`), tick: expected("EURUSD=X", "1.0523", AT) },
    { input: rec('"7203.T"', "2650", `"${AT}"`), tick: expected("7203.T", "2650", AT) },
    { input: rec('"brk_b"', "1", `"${AT}"`), tick: expected("brk_b", "1", AT) },
    { input: rec('"X"', "1", `"${AT}"`), tick: expected("X", "1", AT) },
    { input: rec(`"${SYMBOL_32}"`, "1", `"${AT}"`), tick: expected(SYMBOL_32, "1", AT) },
    // prices: exact digits kept, exponents expanded exactly, zero unsigned
    { input: withPrice("415.123456789012345678901234"), tick: expected("AAPL", "415.123456789012345678901234", AT) },
    { input: withPrice('"415.123456789012345678901234"'), tick: expected("AAPL", "415.123456789012345678901234", AT) },
    { input: withPrice('"0.5"'), tick: expected("AAPL", "0.5", AT) },
    { input: withPrice("1.5e3"), tick: expected("AAPL", "1500", AT) },
    { input: withPrice('"1.5E-3"'), tick: expected("AAPL", "0.0015", AT) },
    { input: withPrice("12e-1"), tick: expected("AAPL", "1.2", AT) },
    { input: withPrice("1E+2"), tick: expected("AAPL", "100", AT) },
    { input: withPrice("0.012e2"), tick: expected("AAPL", "1.2", AT) },
    { input: withPrice("1.50e1"), tick: expected("AAPL", "15.0", AT) },
    { input: withPrice("123e-5"), tick: expected("AAPL", "0.00123", AT) },
    { input: withPrice(DIGITS_38), tick: expected("AAPL", DIGITS_38, AT) },
    {
        input: withPrice(`"0.00${DIGITS_38.replace(".", "")}000"`),
        tick: expected("AAPL", `0.00${DIGITS_38.replace(".", "")}000`, AT),
    },
    { input: withPrice("0"), tick: expected("AAPL", "0", AT) },
    { input: withPrice("-0"), tick: expected("AAPL", "0", AT) },
    { input: withPrice('"-0.0"'), tick: expected("AAPL", "0.0", AT) },
    { input: withPrice("0e5"), tick: expected("AAPL", "0", AT) },
    // just below 10^20: the most decimal(38,18) holds before the point
    { input: withPrice("1e19"), tick: expected("AAPL", "1" + "0".repeat(19), AT) },
    { input: withPrice(`9.${"9".repeat(37)}E+19`), tick: expected("AAPL", "9".repeat(20) + "." + "9".repeat(18), AT) },
    {
        input: withPrice(`"${"9".repeat(20)}.${"9".repeat(18)}"`),
        tick: expected("AAPL", `${"9".repeat(20)}.${"9".repeat(18)}`, AT),
    },
    { input: withPrice("1e-130"), tick: expected("AAPL", "0." + "0".repeat(129) + "1", AT) },
    // timestamps: every shape, stored as written, day as written (never shifted to UTC)
    { input: withTimestamp('"2026-11-28"'), tick: expected("AAPL", "1", "2026-11-28") },
    { input: withTimestamp('"2026-11-28T14:30"'), tick: expected("AAPL", "1", "2026-11-28T14:30") },
    { input: withTimestamp('"2026-11-28 14:30"'), tick: expected("AAPL", "1", "2026-11-28 14:30") },
    { input: withTimestamp('"2026-11-28 14:30:59"'), tick: expected("AAPL", "1", "2026-11-28 14:30:59") },
    { input: withTimestamp('"2026-11-28T14:30:00.1"'), tick: expected("AAPL", "1", "2026-11-28T14:30:00.1") },
    { input: withTimestamp('"2026-11-28T14:30:00.123"'), tick: expected("AAPL", "1", "2026-11-28T14:30:00.123") },
    {
        input: withTimestamp('"2026-11-28T14:30:00.123456789"'),
        tick: expected("AAPL", "1", "2026-11-28T14:30:00.123456789"),
    },
    { input: withTimestamp('"2026-11-28T14:30Z"'), tick: expected("AAPL", "1", "2026-11-28T14:30Z") },
    { input: withTimestamp('"2026-11-28T14:30:00.5Z"'), tick: expected("AAPL", "1", "2026-11-28T14:30:00.5Z") },
    { input: withTimestamp('"2026-11-28T14:30:00+05:30"'), tick: expected("AAPL", "1", "2026-11-28T14:30:00+05:30") },
    { input: withTimestamp('"2026-11-28T23:30:00-05:00"'), tick: expected("AAPL", "1", "2026-11-28T23:30:00-05:00") },
    { input: withTimestamp('"2026-11-28T00:15+14:00"'), tick: expected("AAPL", "1", "2026-11-28T00:15+14:00") },
    { input: withTimestamp('"2024-02-29T12:00:00Z"'), tick: expected("AAPL", "1", "2024-02-29T12:00:00Z") },
    { input: withTimestamp('"2000-02-29"'), tick: expected("AAPL", "1", "2000-02-29") },
    { input: withTimestamp('"0001-01-01T00:00:00"'), tick: expected("AAPL", "1", "0001-01-01T00:00:00") },
    {
        input: withTimestamp('"9999-12-31T23:59:59.999999999+23:59"'),
        tick: expected("AAPL", "1", "9999-12-31T23:59:59.999999999+23:59"),
    },
    // the envelope: extra fields ignored, any key order, whitespace, non-ASCII elsewhere
    {
        input: '{"symbol":"AAPL","price":1,"timestamp":"2026-11-28","volume":100,"meta":{"src":[1,"x"]},"note":"café"}',
        tick: expected("AAPL", "1", "2026-11-28"),
    },
    {
        input: '\n {"timestamp":"2026-11-28T09:00","price":"3.25","symbol":"MSFT"} \n',
        tick: expected("MSFT", "3.25", "2026-11-28T09:00"),
    },
];

const NOT_ISO = "timestamp: not ISO 8601 (YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]): ";
const NOT_JSON = /^data: not valid JSON \(.+\)$/;
const TOO_LARGE = "price: 10^20 or more, past the 20 digits before the point that decimal(38,18) holds: ";
const TOO_SMALL = "price: below 1E-130, the smallest magnitude DynamoDB stores: ";

const invalid: Array<{ input: string | Uint8Array; reason: string | RegExp }> = [
    // data
    { input: new Uint8Array(0), reason: "data: empty" },
    { input: Buffer.from([0xff, 0xfe]), reason: "data: not valid UTF-8" },
    {
        input: Buffer.concat([Buffer.from('{"symbol":"A'), Buffer.from([0xc3]), Buffer.from('"}')]),
        reason: "data: not valid UTF-8",
    },
    { input: "AAPL,189.12,2026-11-28", reason: NOT_JSON },
    { input: '{"symbol":"AAPL","price":1,"timestamp":"2026-11-28",}', reason: NOT_JSON },
    { input: '{"symbol":"AAPL","price":1,"timestamp":"2026-11-28"', reason: NOT_JSON },
    {
        input: '{"symbol":"AAPL","symbol":"MSFT","price":1,"timestamp":"2026-11-28"}',
        reason: /^data: not valid JSON \(.*[Dd]uplicate key.*\)$/,
    },
    { input: withPrice("NaN"), reason: NOT_JSON },
    { input: withPrice("Infinity"), reason: NOT_JSON },
    { input: withPrice("-Infinity"), reason: NOT_JSON },
    { input: '[{"symbol":"AAPL","price":1,"timestamp":"2026-11-28"}]', reason: "data: JSON is not an object" },
    { input: "null", reason: "data: JSON is not an object" },
    { input: '"AAPL"', reason: "data: JSON is not an object" },
    { input: "42", reason: "data: JSON is not an object" },
    // symbol
    { input: '{"price":1,"timestamp":"2026-11-28"}', reason: "symbol: missing" },
    { input: '{"__proto__":{"symbol":"AAPL"},"price":1,"timestamp":"2026-11-28"}', reason: "symbol: missing" },
    { input: rec("42", "1", `"${AT}"`), reason: "symbol: must be a string, got number" },
    { input: rec("null", "1", `"${AT}"`), reason: "symbol: must be a string, got null" },
    { input: rec('["AAPL"]', "1", `"${AT}"`), reason: "symbol: must be a string, got array" },
    { input: rec('""', "1", `"${AT}"`), reason: "symbol: empty" },
    { input: rec(`"${"A".repeat(33)}"`, "1", `"${AT}"`), reason: "symbol: longer than 32 characters (33)" },
    { input: rec('"../x"', "1", `"${AT}"`), reason: 'symbol: must start with a letter, digit or ^, got "../x"' },
    { input: rec('"-AAPL"', "1", `"${AT}"`), reason: 'symbol: must start with a letter, digit or ^, got "-AAPL"' },
    { input: rec('"ÄPPL"', "1", `"${AT}"`), reason: 'symbol: must start with a letter, digit or ^, got "ÄPPL"' },
    { input: rec('"A/B"', "1", `"${AT}"`), reason: 'symbol: character "/" not allowed in "A/B"' },
    { input: rec('"AA PL"', "1", `"${AT}"`), reason: 'symbol: character " " not allowed in "AA PL"' },
    { input: rec('"AAPL\\n"', "1", `"${AT}"`), reason: 'symbol: character "\\n" not allowed in "AAPL\\n"' },
    // price: missing, mistyped, not a number, not finite
    { input: '{"symbol":"AAPL","timestamp":"2026-11-28"}', reason: "price: missing" },
    { input: withPrice("true"), reason: "price: must be a number or a decimal string, got boolean" },
    { input: withPrice("null"), reason: "price: must be a number or a decimal string, got null" },
    { input: withPrice('{"amount":1}'), reason: "price: must be a number or a decimal string, got object" },
    { input: withPrice("[1]"), reason: "price: must be a number or a decimal string, got array" },
    { input: withPrice('"NaN"'), reason: 'price: must be finite, got "NaN"' },
    { input: withPrice('"Infinity"'), reason: 'price: must be finite, got "Infinity"' },
    { input: withPrice('"-inf"'), reason: 'price: must be finite, got "-inf"' },
    { input: withPrice('""'), reason: "price: empty string" },
    { input: withPrice('"abc"'), reason: 'price: not a decimal number: "abc"' },
    { input: withPrice('"1,5"'), reason: 'price: not a decimal number: "1,5"' },
    { input: withPrice('" 1.5"'), reason: 'price: not a decimal number: " 1.5"' },
    { input: withPrice('"+1.5"'), reason: 'price: not a decimal number: "+1.5"' },
    { input: withPrice('"01.5"'), reason: 'price: not a decimal number: "01.5"' },
    { input: withPrice('".5"'), reason: 'price: not a decimal number: ".5"' },
    { input: withPrice('"1e"'), reason: 'price: not a decimal number: "1e"' },
    { input: withPrice('"0x10"'), reason: 'price: not a decimal number: "0x10"' },
    // price: negative, too many digits, out of range
    { input: withPrice("-1.5"), reason: "price: must not be negative" },
    { input: withPrice('"-0.01"'), reason: "price: must not be negative" },
    { input: withPrice("-1e-999"), reason: "price: must not be negative" },
    {
        input: withPrice("1.0000000000000000000000000000000000000001"),
        reason: "price: 41 significant digits, at most 38 allowed",
    },
    { input: withPrice(DIGITS_38 + "9"), reason: "price: 39 significant digits, at most 38 allowed" },
    { input: withPrice("1e20"), reason: TOO_LARGE + '"1e20"' },
    { input: withPrice("100000000000000000000"), reason: TOO_LARGE + '"100000000000000000000"' },
    { input: withPrice('"100000000000000000000.0"'), reason: TOO_LARGE + '"100000000000000000000.0"' },
    { input: withPrice("0.1e21"), reason: TOO_LARGE + '"0.1e21"' },
    { input: withPrice("10e19"), reason: TOO_LARGE + '"10e19"' },
    { input: withPrice("1e125"), reason: TOO_LARGE + '"1e125"' },
    { input: withPrice("1e126"), reason: TOO_LARGE + '"1e126"' },
    { input: withPrice("1e-131"), reason: TOO_SMALL + '"1e-131"' },
    { input: withPrice("0.1e-130"), reason: TOO_SMALL + '"0.1e-130"' },
    { input: withPrice('"1e99999999999"'), reason: TOO_LARGE + '"1e99999999999"' },
    { input: withPrice('"1e-99999999999"'), reason: TOO_SMALL + '"1e-99999999999"' },
    // timestamp: missing, mistyped, wrong shape
    { input: '{"symbol":"AAPL","price":1}', reason: "timestamp: missing" },
    { input: withTimestamp("1764340200"), reason: "timestamp: must be a string, got number" },
    { input: withTimestamp("1764340200123"), reason: "timestamp: must be a string, got number" },
    { input: withTimestamp("null"), reason: "timestamp: must be a string, got null" },
    { input: withTimestamp('"1764340200"'), reason: NOT_ISO + '"1764340200"' },
    { input: withTimestamp('"28-11-2026"'), reason: NOT_ISO + '"28-11-2026"' },
    { input: withTimestamp('"28/11/2026 14:30"'), reason: NOT_ISO + '"28/11/2026 14:30"' },
    { input: withTimestamp('"2026/11/28"'), reason: NOT_ISO + '"2026/11/28"' },
    { input: withTimestamp('"20261128T143000Z"'), reason: NOT_ISO + '"20261128T143000Z"' },
    { input: withTimestamp('"2026-11-28t14:30:00"'), reason: NOT_ISO + '"2026-11-28t14:30:00"' },
    { input: withTimestamp('"2026-11-28T14:30:00z"'), reason: NOT_ISO + '"2026-11-28T14:30:00z"' },
    { input: withTimestamp('"2026-11-28T14:30:00.1234567890"'), reason: NOT_ISO + '"2026-11-28T14:30:00.1234567890"' },
    { input: withTimestamp('"2026-11-28T14:30:00."'), reason: NOT_ISO + '"2026-11-28T14:30:00."' },
    { input: withTimestamp('"2026-11-28T14:30.5"'), reason: NOT_ISO + '"2026-11-28T14:30.5"' },
    { input: withTimestamp('"2026-11-28T14"'), reason: NOT_ISO + '"2026-11-28T14"' },
    { input: withTimestamp('"2026-11-28+05:00"'), reason: NOT_ISO + '"2026-11-28+05:00"' },
    { input: withTimestamp('"2026-11-28Z"'), reason: NOT_ISO + '"2026-11-28Z"' },
    { input: withTimestamp('"2026-11-28T14:30:00+0500"'), reason: NOT_ISO + '"2026-11-28T14:30:00+0500"' },
    { input: withTimestamp('"2026-11-28  14:30"'), reason: NOT_ISO + '"2026-11-28  14:30"' },
    { input: withTimestamp('"2026-11-28T14:30:00 "'), reason: NOT_ISO + '"2026-11-28T14:30:00 "' },
    { input: withTimestamp('""'), reason: NOT_ISO + '""' },
    // timestamp: impossible dates and times
    { input: withTimestamp('"2026-02-30"'), reason: "timestamp: no day 30 in 2026-02" },
    { input: withTimestamp('"2026-02-29T10:00:00Z"'), reason: "timestamp: no day 29 in 2026-02" },
    { input: withTimestamp('"1900-02-29"'), reason: "timestamp: no day 29 in 1900-02" },
    { input: withTimestamp('"2026-04-31"'), reason: "timestamp: no day 31 in 2026-04" },
    { input: withTimestamp('"2026-11-00"'), reason: "timestamp: no day 00 in 2026-11" },
    { input: withTimestamp('"2026-13-01"'), reason: "timestamp: month 13 out of range" },
    { input: withTimestamp('"2026-00-10"'), reason: "timestamp: month 00 out of range" },
    { input: withTimestamp('"0000-01-01"'), reason: "timestamp: year 0000 out of range" },
    { input: withTimestamp('"2026-11-28T25:00:00"'), reason: "timestamp: hour 25 out of range" },
    { input: withTimestamp('"2026-11-28T24:00"'), reason: "timestamp: hour 24 out of range" },
    { input: withTimestamp('"2026-11-28T14:60"'), reason: "timestamp: minute 60 out of range" },
    { input: withTimestamp('"2026-11-28T14:30:60"'), reason: "timestamp: second 60 out of range" },
    { input: withTimestamp('"2026-11-28T14:30:00+24:00"'), reason: "timestamp: offset hour 24 out of range" },
    { input: withTimestamp('"2026-11-28T14:30:00-05:60"'), reason: "timestamp: offset minute 60 out of range" },
    // the first problem in field order wins
    { input: rec('"A/B"', "-1", "1764340200"), reason: 'symbol: character "/" not allowed in "A/B"' },
    { input: rec('"AAPL"', "-1", "1764340200"), reason: "price: must not be negative" },
];

describe("decodeTick", () => {
    describe("accepts a valid tick and stores it exactly", () => {
        for (const { input, tick } of valid) {
            it(`accepts ${label(input)}`, () => {
                expect(decodeTick(bytes(input))).to.deep.equal({ valid: true, tick });
            });
        }
    });

    describe("rejects an invalid record with the reason for its first problem", () => {
        for (const { input, reason } of invalid) {
            it(`rejects ${label(input)} (${reason instanceof RegExp ? reason.source : reason})`, () => {
                const result = decodeTick(bytes(input));
                expect(result.valid).to.equal(false);
                if (result.valid) return;
                if (reason instanceof RegExp) expect(result.reason).to.match(reason);
                else expect(result.reason).to.equal(reason);
            });
        }
    });

    it("has at least 25 valid and 35 invalid rows", () => {
        expect(valid.length).to.be.at.least(25);
        expect(invalid.length).to.be.at.least(35);
    });

    it("starts every reason with the field name and ': '", () => {
        for (const { input } of invalid) {
            const result = decodeTick(bytes(input));
            if (!result.valid) expect(result.reason).to.match(/^(data|symbol|price|timestamp): /);
        }
    });

    it("stores every valid price in plain notation: no exponent, no sign", () => {
        for (const { input } of valid) {
            const result = decodeTick(bytes(input));
            if (result.valid) expect(result.tick.price).to.match(/^(0|[1-9]\d*)(\.\d+)?$/);
        }
    });

    it("quotes at most 40 characters of an offending value in a reason", () => {
        const result = decodeTick(bytes(withPrice(`"${"x".repeat(10_000)}"`)));
        expect(result).to.deep.equal({ valid: false, reason: `price: not a decimal number: "${"x".repeat(40)}…"` });
    });
});

describe("parsePrice", () => {
    it("keeps the digits a double would round (JSON.parse gives 415.1234567890123)", () => {
        expect(JSON.parse("415.123456789012345678901234")).to.equal(415.1234567890123);
        expect(parsePrice(parse("415.123456789012345678901234"))).to.deep.equal({
            ok: true,
            value: "415.123456789012345678901234",
        });
    });
});

describe("processedJson", () => {
    it("writes symbol, price, timestamp, day in that order with the price as a raw JSON number", () => {
        const tick = expected("AAPL", "189.12", "2026-11-28T14:30:00.123456");
        expect(processedJson(tick)).to.equal(
            '{"symbol":"AAPL","price":189.12,"timestamp":"2026-11-28T14:30:00.123456","day":"2026-11-28"}',
        );
    });

    it("writes a 27-digit price without rounding", () => {
        const tick = expected("AAPL", "415.123456789012345678901234", AT);
        expect(processedJson(tick)).to.equal(
            '{"symbol":"AAPL","price":415.123456789012345678901234,"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28"}',
        );
    });

    it("escapes the string fields as JSON", () => {
        const tick = { symbol: 'A"B', price: "1", timestamp: "x\\y", day: "d" };
        expect(processedJson(tick)).to.equal('{"symbol":"A\\"B","price":1,"timestamp":"x\\\\y","day":"d"}');
    });

    describe("round-trips every valid tick exactly through lossless-json", () => {
        for (const { input, tick } of valid) {
            it(`round-trips the tick from ${label(input)}`, () => {
                const text = processedJson(tick);
                const back = parse(text) as Record<string, unknown>;
                expect(Object.keys(back)).to.deep.equal(["symbol", "price", "timestamp", "day"]);
                expect(isLosslessNumber(back.price)).to.equal(true);
                expect(String(back.price)).to.equal(tick.price);
                expect({ ...back, price: String(back.price) }).to.deep.equal(tick);
                // The processed/ body is itself a valid tick record that decodes to the same tick.
                expect(decodeTick(Buffer.from(text, "utf8"))).to.deep.equal({ valid: true, tick });
            });
        }
    });
});
