/**
 * The kinds of value a setting takes, each a parser from the raw config string: the small
 * language SETTINGS (settings.ts) is written in. A kind refuses a value by throwing `Invalid`
 * with what it expected; `type` names the kind for the config reference (docs/config.md).
 */

/** A value a kind refuses; the message says what was expected. */
export class Invalid extends Error {}

/**
 * One kind of value: `fallback` is the default as Pulumi.yaml writes it (undefined: required),
 * `parse` turns the raw string into the setting's value or throws Invalid.
 */
export interface Kind<T, D> {
    fallback: D;
    parse(text: string): T;
    /** The type as the config reference shows it, e.g. `integer 1 to 10000`. */
    type: string;
    /** For a required key: what to say when it is missing. */
    missing?: string;
}

/**
 * A kind that may also be left empty (undefined then): an option that is off unless set. Its
 * `type` is the inner one's, "or empty".
 */
function orEmpty<T>(type: string, parse: (text: string) => T): Kind<T | undefined, ""> {
    return { fallback: "", type: `${type}, or empty`, parse: text => (text === "" ? undefined : parse(text)) };
}

export const integer = (fallback: number, min: number, max: number): Kind<number, number> => ({
    fallback,
    type: `integer, ${min} to ${max}`,
    parse: text => {
        const n = Number(text);
        if (!/^-?\d+$/.test(text) || n < min || n > max)
            throw new Invalid(`expected an integer from ${min} to ${max}, got "${text}"`);
        return n;
    },
});

/** A whole number from `min`, or empty (undefined then): an option that is off unless set. */
export const optionalInteger = (min: number, max: number): Kind<number | undefined, ""> => {
    const whole = integer(min, min, max);
    return orEmpty(whole.type, text => whole.parse(text));
};

export const boolean = (fallback: boolean): Kind<boolean, boolean> => ({
    fallback,
    type: "boolean",
    parse: text => {
        if (text !== "true" && text !== "false") throw new Invalid(`expected true or false, got "${text}"`);
        return text === "true";
    },
});

/**
 * One of a list, spelt exactly as documented (upper case): "latest" is refused with a pointer to
 * LATEST rather than accepted here and refused by a tool that reads the same stack differently.
 */
export function oneOf<T extends string | number>(allowed: readonly T[], fallback: T): Kind<T, T> {
    return {
        fallback,
        type: `one of ${allowed.join(", ")}`,
        parse: text => {
            const found = allowed.find(value => String(value) === text);
            if (found !== undefined) return found;
            const differentCase = allowed.find(value => String(value).toLowerCase() === text.toLowerCase());
            const hint = differentCase === undefined ? "" : ` (did you mean ${differentCase}?)`;
            throw new Invalid(`expected one of ${allowed.join(", ")}, got "${text}"${hint}`);
        },
    };
}

/** True for a day of the calendar (no 2026-02-30): Date.UTC rolls an impossible day over into the next month. */
function isRealDay(year: string, month: string, day: string): boolean {
    const time = Date.UTC(Number(year), Number(month) - 1, Number(day));
    return new Date(time).toISOString().slice(0, 10) === `${year}-${month}-${day}`;
}

/** A real calendar day, YYYY-MM-DD. */
export const day = (fallback: string): Kind<string, string> => ({
    fallback,
    type: "day, YYYY-MM-DD",
    parse: text => {
        const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
        if (!match || !isRealDay(match[1], match[2], match[3]))
            throw new Invalid(`expected a day YYYY-MM-DD, got "${text}"`);
        return text;
    },
});

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 instant that exists: a real day, a time of 00:00:00 to 23:59:59 and an offset of at
 * most ±23:59. The pattern alone let 2026-02-30T00:00:00Z through to `pulumi up`, which AWS refuses.
 */
function isRealInstant(text: string): boolean {
    const match = ISO_INSTANT.exec(text);
    if (!match) return false;
    const [, year, month, dayOfMonth, hours, minutes, seconds, offsetHours = "00", offsetMinutes = "00"] = match;
    return (
        isRealDay(year, month, dayOfMonth) &&
        Number(hours) <= 23 &&
        Number(minutes) <= 59 &&
        Number(seconds) <= 59 &&
        Number(offsetHours) <= 23 &&
        Number(offsetMinutes) <= 59
    );
}

/** An optional RFC 3339 instant (see `isRealInstant`). */
export const instant = (expected: string): Kind<string | undefined, ""> =>
    orEmpty("RFC 3339 instant", text => {
        if (!isRealInstant(text)) throw new Invalid(`${expected}, got "${text}"`);
        return text;
    });

/** A string that may be left empty (undefined then), else must match. */
export const optional = (pattern: RegExp, expected: string, type: string): Kind<string | undefined, ""> =>
    orEmpty(type, text => {
        if (!pattern.test(text)) throw new Invalid(`${expected}, got "${text}"`);
        return text;
    });

export const required = (
    pattern: RegExp,
    expected: string,
    missing: string,
    type: string,
): Kind<string, undefined> => ({
    fallback: undefined,
    missing,
    type: `${type}, required`,
    parse: text => {
        if (!pattern.test(text)) throw new Invalid(`${expected}, got "${text}"`);
        return text;
    },
});

// S3's rules for general purpose buckets: 3-63 of a-z 0-9 . -, starting and ending alphanumeric,
// and the rules below (S3 user guide, "General purpose bucket naming rules").
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Reserved by S3 for its own names (punycode, internal buckets, documentation examples). */
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
/** Reserved by S3 for access point, Object Lambda, Multi-Region, directory and table bucket names. */
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Why S3 would refuse `name` for a general purpose bucket, or undefined when it would take it. */
function bucketNameProblem(name: string): string | undefined {
    if (!BUCKET_NAME.test(name))
        return "expected a bucket name: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or digit";
    if (name.includes("..")) return "expected a bucket name without two dots in a row";
    if (IP_ADDRESS.test(name)) return "expected a bucket name that is not formatted as an IP address";
    const prefix = RESERVED_BUCKET_PREFIXES.find(reserved => name.startsWith(reserved));
    if (prefix) return `expected a bucket name that does not start with ${prefix} (reserved by S3)`;
    const suffix = RESERVED_BUCKET_SUFFIXES.find(reserved => name.endsWith(reserved));
    if (suffix) return `expected a bucket name that does not end with ${suffix} (reserved by S3)`;
    return undefined;
}

/** An optional bucket name S3 will take (see `bucketNameProblem`). */
export const bucketName: Kind<string | undefined, ""> = orEmpty("S3 bucket name", text => {
    const problem = bucketNameProblem(text);
    if (problem) throw new Invalid(`${problem}, got "${text}"`);
    return text;
});
