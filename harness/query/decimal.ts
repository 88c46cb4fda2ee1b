/**
 * Exact decimals for DECIMAL(38,18) columns, as Athena reads them from JSON: the number's text is
 * scaled to 18 decimals, rounded half-up (Trino's Hive JSON reader does
 * `new BigDecimal(text).setScale(18, HALF_UP)`), and must then fit 38 digits, i.e. at most 20
 * before the point. No double is ever involved.
 */

/** A DECIMAL value: `unscaled` × 10^-scale. */
export interface Decimal {
    unscaled: bigint;
    scale: number;
}

export type DecimalConversion = { ok: true; value: Decimal } | { ok: false; reason: string };

const NUMBER = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$|^([+-]?)\.(\d+)(?:[eE]([+-]?\d+))?$/;

/** The text of a JSON number (or a decimal string) as DECIMAL(precision, scale), or why it cannot be one. */
export function toDecimal(text: string, precision: number, scale: number): DecimalConversion {
    const match = NUMBER.exec(text.trim());
    if (!match) return { ok: false, reason: `not a decimal number: ${JSON.stringify(text)}` };
    const sign = match[1] ?? match[5];
    const whole = match[2] ?? "";
    const fraction = match[3] ?? match[6] ?? "";
    const exponent = Number(match[4] ?? match[7] ?? "0");
    const digits = (whole + fraction).replace(/^0+/, "");
    if (digits === "") return { ok: true, value: { unscaled: 0n, scale } };
    // value = digits × 10^(exponent - fraction.length); unscaled = value × 10^scale. Neither branch
    // builds a string longer than the digits or the precision, whatever the exponent ("1e999999999").
    const shift = exponent - fraction.length + scale;
    const magnitude = shift >= 0 ? scaleUp(digits, shift, precision) : roundHalfUp(digits, -shift);
    if (magnitude === null || magnitude >= 10n ** BigInt(precision)) {
        return {
            ok: false,
            reason: `${text} has more than ${precision - scale} digits before the point: does not fit DECIMAL(${precision},${scale})`,
        };
    }
    return { ok: true, value: { unscaled: sign === "-" ? -magnitude : magnitude, scale } };
}

/** digits × 10^shift, or null when that has more than `precision` digits. */
function scaleUp(digits: string, shift: number, precision: number): bigint | null {
    return digits.length + shift > precision ? null : BigInt(digits + "0".repeat(shift));
}

/** digits ÷ 10^drop, rounded half-up (away from zero on a tie). */
function roundHalfUp(digits: string, drop: number): bigint {
    if (drop > digits.length) return 0n;
    const kept = digits.slice(0, digits.length - drop);
    const firstDropped = digits[digits.length - drop];
    return BigInt(kept === "" ? "0" : kept) + (firstDropped >= "5" ? 1n : 0n);
}

/** Plain text with every decimal of the scale, as Athena prints DECIMAL results (189.120000000000000000). */
export function formatDecimal({ unscaled, scale }: Decimal): string {
    const negative = unscaled < 0n;
    const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
    const text =
        scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
    return negative ? `-${text}` : text;
}

/**
 * A decimal's text with only the digits that carry value: 189.290000000000000000 as 189.29,
 * 190.000000000000000000 as 190, -0.500 as -0.5. The value is unchanged (no rounding); text that
 * is not a plain decimal is returned as it is.
 */
export function trimDecimalZeros(text: string): string {
    if (!/^-?\d+\.\d*$/.test(text)) return text;
    const trimmed = text.replace(/0+$/, "").replace(/\.$/, "");
    return trimmed === "-0" ? "0" : trimmed;
}
