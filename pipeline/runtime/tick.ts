// Pure core of the stream processor: decodes one Kinesis record's bytes into a validated tick or a
// rejection reason (the processing contract's "A tick is valid when").
//
// This file is serialized into the Lambda by Pulumi's closure serializer, so it holds only top-level
// function declarations and constants, no classes and no module-level mutable state. Regular
// expressions are literals inside the functions so that nothing stateful is captured.
import { parse, isLosslessNumber } from "lossless-json";

/** A validated tick as stored: price is the exact decimal in plain notation (no exponent). */
export interface StoredTick {
    symbol: string;
    price: string;
    timestamp: string;
    day: string;
}
export type TickDecoding = { valid: true; tick: StoredTick } | { valid: false; reason: string };
/** The outcome of one field check: the accepted value, or why it was rejected. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** DynamoDB's Number limits: 38 significant digits, and no magnitude below 1E-130. */
const MAX_SIGNIFICANT_DIGITS = 38;
const MIN_EXPONENT = -130;
/**
 * Prices stay below 10^20: the analytics table's decimal(38,18) holds at most 20 digits before the
 * point, and Athena fails a whole query on a value it cannot hold (DynamoDB alone would take 1E+126).
 */
const MAX_EXPONENT = 19;
/** Reasons quote offending values; cap them so a 1 MB field cannot bloat a rejected/ object. */
const MAX_QUOTED = 40;

/** Decodes one Kinesis record's data bytes (already base64-decoded) into a tick or a rejection reason. */
export function decodeTick(data: Uint8Array): TickDecoding {
    const object = parseObject(data);
    if (!object.ok) return { valid: false, reason: object.reason };
    const fields = object.value;
    const symbol = validateSymbol(field(fields, "symbol"));
    if (!symbol.ok) return { valid: false, reason: symbol.reason };
    const price = parsePrice(field(fields, "price"));
    if (!price.ok) return { valid: false, reason: price.reason };
    const time = parseTimestamp(field(fields, "timestamp"));
    if (!time.ok) return { valid: false, reason: time.reason };
    const tick = { symbol: symbol.value, price: price.value, timestamp: time.value.timestamp, day: time.value.day };
    return { valid: true, tick };
}

/** The processed/ object body: {"symbol","price","timestamp","day"} in that order, price a JSON number with the exact digits. */
export function processedJson(tick: StoredTick): string {
    // The price is spliced in raw: it is already a plain JSON number, and going through a double would round it.
    return (
        `{"symbol":${JSON.stringify(tick.symbol)},"price":${tick.price},` +
        `"timestamp":${JSON.stringify(tick.timestamp)},"day":${JSON.stringify(tick.day)}}`
    );
}

/** Bytes → JSON object, numbers kept as LosslessNumber so their exact text survives. */
export function parseObject(data: Uint8Array): Checked<Record<string, unknown>> {
    if (data.length === 0) return fail("data: empty");
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
        return fail("data: not valid UTF-8");
    }
    let value: unknown;
    try {
        value = parse(text); // also rejects duplicate keys, which JSON.parse would silently resolve
    } catch (error) {
        return fail(`data: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value) || isLosslessNumber(value)) {
        return fail("data: JSON is not an object");
    }
    return { ok: true, value: value as Record<string, unknown> };
}

/** symbol: 1..32 of [A-Za-z0-9.\-_^=], first a letter, digit or ^ (safe inside S3 keys: no '/', no '..'). */
export function validateSymbol(value: unknown): Checked<string> {
    if (value === undefined) return fail("symbol: missing");
    if (typeof value !== "string") return fail(`symbol: must be a string, got ${typeName(value)}`);
    if (value.length === 0) return fail("symbol: empty");
    if (value.length > 32) return fail(`symbol: longer than 32 characters (${value.length})`);
    if (!/^[A-Za-z0-9^]/.test(value)) {
        return fail(`symbol: must start with a letter, digit or ^, got ${quote(value)}`);
    }
    const bad = /[^A-Za-z0-9.\-_^=]/.exec(value);
    if (bad) return fail(`symbol: character ${JSON.stringify(bad[0])} not allowed in ${quote(value)}`);
    return { ok: true, value };
}

/**
 * price: a JSON number or a string in JSON-number grammar, not negative, storable by DynamoDB.
 * Returns the exact value in plain notation (no exponent, no sign on zero).
 */
export function parsePrice(value: unknown): Checked<string> {
    if (value === undefined) return fail("price: missing");
    let text: string;
    if (isLosslessNumber(value)) text = value.value;
    else if (typeof value === "string") text = value;
    else return fail(`price: must be a number or a decimal string, got ${typeName(value)}`);
    if (text === "") return fail("price: empty string");
    if (/^[+-]?(nan|inf(inity)?)$/i.test(text)) return fail(`price: must be finite, got ${quote(text)}`);
    const parts = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!parts) return fail(`price: not a decimal number: ${quote(text)}`);
    const [, sign, whole, fraction = "", exponent] = parts;
    const digits = whole + fraction;
    const isZero = /^0+$/.test(digits);
    if (sign === "-" && !isZero) return fail("price: must not be negative");
    // Zero keeps its written digits minus any sign; with an exponent it is just "0" (expanding "0e999999" would be huge).
    if (isZero) return { ok: true, value: exponent === undefined ? text.replace(/^-/, "") : "0" };
    const significant = digits.replace(/^0+/, "").replace(/0+$/, "");
    if (significant.length > MAX_SIGNIFICANT_DIGITS) {
        return fail(`price: ${significant.length} significant digits, at most ${MAX_SIGNIFICANT_DIGITS} allowed`);
    }
    const shift = exponentValue(exponent);
    const tooLarge = `price: 10^20 or more, past the 20 digits before the point that decimal(38,18) holds: ${quote(text)}`;
    const tooSmall = `price: below 1E${MIN_EXPONENT}, the smallest magnitude DynamoDB stores: ${quote(text)}`;
    if (shift === null) return fail(exponent!.startsWith("-") ? tooSmall : tooLarge);
    // `point`: where the decimal point falls within `digits`; `scientific`: e in d.ddd × 10^e.
    const point = whole.length + shift;
    const scientific = point - (digits.length - digits.replace(/^0+/, "").length) - 1;
    if (scientific > MAX_EXPONENT) return fail(tooLarge);
    if (scientific < MIN_EXPONENT) return fail(tooSmall);
    return { ok: true, value: plainDecimal(digits, point) };
}

/**
 * The exponent as a small integer, or null when it has so many digits that no price within a
 * 1 MB record could bring it back into range. Up to 9 digits parse exactly, so no rounding occurs.
 */
function exponentValue(exponent: string | undefined): number | null {
    if (exponent === undefined) return 0;
    const negative = exponent.startsWith("-");
    const magnitude = exponent.replace(/^[+-]/, "").replace(/^0+/, "");
    if (magnitude.length > 9) return null;
    const value = magnitude === "" ? 0 : parseInt(magnitude, 10);
    return negative ? -value : value;
}

/** Writes `digits` with the decimal point after `point` digits (may be <= 0 or past the end), in plain form. */
function plainDecimal(digits: string, point: number): string {
    let text: string;
    if (point <= 0) text = "0." + "0".repeat(-point) + digits;
    else if (point >= digits.length) text = digits + "0".repeat(point - digits.length);
    else text = digits.slice(0, point) + "." + digits.slice(point);
    // Moving the point right can expose written leading zeros ("0.012e2" gives "001.2"): keep one before ".".
    return text.replace(/^0+(?=\d)/, "");
}

/**
 * timestamp: ISO 8601 extended form naming a real date and time; stored as written.
 * day is the YYYY-MM-DD as written, in the timestamp's own offset (never converted to UTC).
 */
export function parseTimestamp(value: unknown): Checked<{ timestamp: string; day: string }> {
    if (value === undefined) return fail("timestamp: missing");
    if (typeof value !== "string") return fail(`timestamp: must be a string, got ${typeName(value)}`);
    const m =
        /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))?)?$/.exec(
            value,
        );
    if (!m) {
        return fail(`timestamp: not ISO 8601 (YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]): ${quote(value)}`);
    }
    const [, year, month, day, hour, minute, second, offsetHour, offsetMinute] = m;
    const problem =
        dateProblem(year, month, day) ??
        rangeProblem("hour", hour, 23) ??
        rangeProblem("minute", minute, 59) ??
        rangeProblem("second", second, 59) ??
        rangeProblem("offset hour", offsetHour, 23) ??
        rangeProblem("offset minute", offsetMinute, 59);
    if (problem !== null) return fail(`timestamp: ${problem}`);
    return { ok: true, value: { timestamp: value, day: value.slice(0, 10) } };
}

/** Why a YYYY, MM, DD triple is not a real proleptic Gregorian date, or null when it is. */
function dateProblem(year: string, month: string, day: string): string | null {
    const y = parseInt(year, 10);
    const mo = parseInt(month, 10);
    if (y < 1) return `year ${year} out of range`;
    if (mo < 1 || mo > 12) return `month ${month} out of range`;
    const d = parseInt(day, 10);
    if (d < 1 || d > daysInMonth(y, mo)) return `no day ${day} in ${year}-${month}`;
    return null;
}

function daysInMonth(year: number, month: number): number {
    if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
    return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Why a two-digit component exceeds `max`, or null when it is absent or in range. */
function rangeProblem(name: string, text: string | undefined, max: number): string | null {
    return text !== undefined && parseInt(text, 10) > max ? `${name} ${text} out of range` : null;
}

/** Own properties only: a tick must not pick up "symbol" etc. from Object.prototype. */
function field(fields: Record<string, unknown>, name: string): unknown {
    return Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
}

/** JSON-ish type names for reasons: LosslessNumber reads as "number", and null/array are named. */
function typeName(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (isLosslessNumber(value)) return "number";
    return typeof value;
}

function quote(text: string): string {
    return JSON.stringify(text.length > MAX_QUOTED ? text.slice(0, MAX_QUOTED) + "…" : text);
}

function fail<T>(reason: string): Checked<T> {
    return { ok: false, reason };
}
