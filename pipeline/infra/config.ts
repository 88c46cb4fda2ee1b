/**
 * The stack's settings: parsed and validated up front, so that a wrong value fails `pulumi up`
 * (and `pulumi preview`) before any resource is touched. Every problem is reported at once, one
 * line per key, each naming its key; a misspelt key is refused with the closest known one.
 *
 * One table, SETTINGS, holds every key: its default and its check. A new key is one line there
 * (and its entry in Pulumi.yaml, which a test compares with this table).
 *
 * Pure: it reads values through a callback, so tests can feed it without a Pulumi engine.
 * The defaults here must equal those in Pulumi.yaml (a test checks), because under mocks and in
 * `npm run local` nobody applies Pulumi.yaml's defaults for us.
 */

import { OBJECT_LAYOUTS } from "../schema";

export const PROJECT = "stock-market-pipeline";

export const STARTING_POSITIONS = ["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];

/** Storage classes that make sense for raw copies kept for replay and audit. */
export const RAW_STORAGE_CLASSES = [
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
] as const;
export type RawStorageClass = (typeof RAW_STORAGE_CLASSES)[number];

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const KINESIS_STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z]{2}(-[a-z]+)+-\d:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;
// A key ARN, not an alias ARN: IAM does not authorize kms:Decrypt on a key through its alias.
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
// S3's rules for general purpose buckets: 3-63 of a-z 0-9 . -, starting and ending alphanumeric,
// and the rules below (S3 user guide, "General purpose bucket naming rules").
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Reserved by S3 for its own names (punycode, internal buckets, documentation examples). */
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
/** Reserved by S3 for access point, Object Lambda, Multi-Region, directory and table bucket names. */
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** A value a check refuses; the message says what was expected. */
class Invalid extends Error {}

/**
 * One key: `fallback` is its default as Pulumi.yaml writes it (undefined: required), `parse`
 * turns the raw string into the setting's value or throws Invalid.
 */
interface Setting<T, D> {
    fallback: D;
    parse(text: string): T;
    /** For a required key: what to say when it is missing. */
    missing?: string;
}

const integer = (fallback: number, min: number, max: number): Setting<number, number> => ({
    fallback,
    parse: text => {
        const n = Number(text);
        if (!/^-?\d+$/.test(text) || n < min || n > max)
            throw new Invalid(`expected an integer from ${min} to ${max}, got "${text}"`);
        return n;
    },
});

const boolean = (fallback: boolean): Setting<boolean, boolean> => ({
    fallback,
    parse: text => {
        if (text !== "true" && text !== "false") throw new Invalid(`expected true or false, got "${text}"`);
        return text === "true";
    },
});

/**
 * One of a list, spelt exactly as documented (upper case): "latest" is refused with a pointer to
 * LATEST rather than accepted here and refused by a tool that reads the same stack differently.
 */
function oneOf<T extends string | number>(allowed: readonly T[], fallback: T): Setting<T, T> {
    return {
        fallback,
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

/** A real calendar day, YYYY-MM-DD (partition projection's first day). */
const day = (fallback: string): Setting<string, string> => ({
    fallback,
    parse: text => {
        const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
        if (!match || !isRealDay(match[1], match[2], match[3]))
            throw new Invalid(`expected a day YYYY-MM-DD, got "${text}"`);
        return text;
    },
});

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
const instant = (expected: string): Setting<string | undefined, ""> => ({
    fallback: "",
    parse: text => {
        if (text === "") return undefined;
        if (!isRealInstant(text)) throw new Invalid(`${expected}, got "${text}"`);
        return text;
    },
});

/** A string that may be left empty (undefined then), else must match. */
const optional = (pattern: RegExp, expected: string): Setting<string | undefined, ""> => ({
    fallback: "",
    parse: text => {
        if (text === "") return undefined;
        if (!pattern.test(text)) throw new Invalid(`${expected}, got "${text}"`);
        return text;
    },
});

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
const bucketName: Setting<string | undefined, ""> = {
    fallback: "",
    parse: text => {
        if (text === "") return undefined;
        const problem = bucketNameProblem(text);
        if (problem) throw new Invalid(`${problem}, got "${text}"`);
        return text;
    },
};

const required = (pattern: RegExp, expected: string, missing: string): Setting<string, undefined> => ({
    fallback: undefined,
    missing,
    parse: text => {
        if (!pattern.test(text)) throw new Invalid(`${expected}, got "${text}"`);
        return text;
    },
});

/** Every key of the project's namespace. Pulumi.yaml declares the same keys, defaults and meaning. */
export const SETTINGS = {
    streamArn: required(
        KINESIS_STREAM_ARN,
        "expected a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
        "required: the ARN of the existing Kinesis stream (pulumi config set streamArn arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
    ),
    streamKmsKeyArn: optional(KMS_KEY_ARN, "expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID, not an alias)"),
    tableName: optional(TABLE_NAME, "expected 3-255 characters of A-Z a-z 0-9 _ . -"),
    bucketName,
    dayIndex: boolean(false),
    batchSize: integer(100, 1, 10000),
    maximumBatchingWindowInSeconds: integer(0, 0, 300),
    startingPosition: oneOf(STARTING_POSITIONS, "LATEST"),
    startingPositionTimestamp: instant("expected an RFC 3339 instant that exists, such as 2026-11-28T00:00:00Z"),
    parallelizationFactor: integer(1, 1, 10),
    // Finite on purpose: -1 (forever) would let one poisoned batch block its shard until the
    // records expire from the stream.
    maximumRetryAttempts: integer(10, 0, 10000),
    // Well inside the stream's retention (24 h by default): a record given up on for its age
    // can still be read again from the stream, using the coordinates in the failure queue.
    maximumRecordAgeInSeconds: integer(21600, 60, 604800),
    memorySize: integer(512, 128, 10240),
    timeout: integer(60, 1, 900),
    logRetentionDays: oneOf(LOG_RETENTION_DAYS, 30),
    alarmEmail: optional(EMAIL, "expected an email address"),
    iteratorAgeAlarmSeconds: integer(60, 1, 604800),
    rawArchiveAfterDays: integer(30, 0, 36500),
    rawArchiveStorageClass: oneOf(RAW_STORAGE_CLASSES, "STANDARD_IA"),
    protectData: boolean(false),
    objectLayout: oneOf(OBJECT_LAYOUTS, "record"),
    analytics: boolean(true),
    analyticsFirstDay: day("2026-01-01"),
    athenaBytesScannedCutoffGiB: integer(10, 1, 1048576),
    athenaResultsExpirationDays: integer(7, 1, 3650),
};

type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;
export type PipelineSettings = { -readonly [K in SettingKey]: ReturnType<Settings[K]["parse"]> };
type OptionalKey = { [K in SettingKey]: Settings[K]["fallback"] extends undefined ? never : K }[SettingKey];

/** Every optional setting's default; the same values stand in Pulumi.yaml. */
export const DEFAULTS = Object.fromEntries(
    Object.entries(SETTINGS)
        .filter(([, setting]) => setting.fallback !== undefined)
        .map(([key, setting]) => [key, setting.fallback]),
) as { readonly [K in OptionalKey]: Settings[K]["fallback"] };

/**
 * Today's date where it is latest (UTC+14), YYYY-MM-DD: a tick's day is the date written in its
 * own offset, so no tick can have a later day yet.
 */
export function latestToday(now: number): string {
    return new Date(now + 14 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The region of an ARN (arn:PARTITION:SERVICE:REGION:...). */
const regionOf = (arn: string) => arn.split(":")[3];

/** What a rule sees: the settings each parsed alone, the stack's aws:region, and the time (epoch ms). */
interface RuleContext {
    settings: PipelineSettings;
    region?: string;
    now: number;
}

/** A check across keys: it runs only when each key it reads parsed; a problem names its key. */
interface Rule {
    reads: SettingKey[];
    check(context: RuleContext): [SettingKey, string] | undefined;
}

/** A rule that the ARN under `key` is in the stack's region; `why(arnRegion, region)` says why it must be. */
const sameRegion = (
    key: "streamArn" | "streamKmsKeyArn",
    what: string,
    why: (arnRegion: string, region: string) => string,
): Rule => ({
    reads: [key],
    check: ({ settings, region }) => {
        const arn = settings[key];
        if (!arn || !region || regionOf(arn) === region) return undefined;
        return [
            key,
            `${what} is in ${regionOf(arn)} but the stack deploys to aws:region ${region}: ${why(regionOf(arn), region)}`,
        ];
    },
});

const RULES: Rule[] = [
    {
        reads: ["startingPosition", "startingPositionTimestamp"],
        check: ({ settings: { startingPosition, startingPositionTimestamp } }) => {
            if (startingPosition === "AT_TIMESTAMP" && !startingPositionTimestamp)
                return ["startingPositionTimestamp", "required when startingPosition is AT_TIMESTAMP"];
            if (startingPosition !== "AT_TIMESTAMP" && startingPositionTimestamp)
                return [
                    "startingPositionTimestamp",
                    `only allowed when startingPosition is AT_TIMESTAMP, not ${startingPosition}`,
                ];
            return undefined;
        },
    },
    {
        // S3 refuses transitions to the infrequent-access classes before an object is 30 days old.
        reads: ["rawArchiveAfterDays", "rawArchiveStorageClass"],
        check: ({ settings: { rawArchiveAfterDays: days, rawArchiveStorageClass: storageClass } }) =>
            days > 0 && days < 30 && storageClass.endsWith("_IA")
                ? [
                      "rawArchiveAfterDays",
                      `${storageClass} needs at least 30 days (or 0 to keep raw/ in STANDARD), got ${days}`,
                  ]
                : undefined,
    },
    {
        // Projection runs from the first day to tomorrow: a later first day leaves the tables no day.
        reads: ["analyticsFirstDay"],
        check: ({ settings: { analyticsFirstDay }, now }) => {
            const today = latestToday(now);
            return analyticsFirstDay > today
                ? ["analyticsFirstDay", `expected a day not after today (${today}), got "${analyticsFirstDay}"`]
                : undefined;
        },
    },
    sameRegion(
        "streamArn",
        "the stream",
        (arnRegion, region) =>
            `an event source mapping cannot read a stream in another region (set aws:region to ${arnRegion}, or use a stream in ${region})`,
    ),
    sameRegion(
        "streamKmsKeyArn",
        "the stream's KMS key",
        (_, region) =>
            `a stream is encrypted with a key of its own region, so this key is not the stream's ` +
            `(set the ARN of the key the stream in ${region} is encrypted with)`,
    ),
];

/** One bad key: `config NAMESPACE:KEY: what is wrong`. */
export interface ConfigProblem {
    key: string;
    problem: string;
}

/** Thrown with every problem of the stack's config; the message has one line per problem. */
export class ConfigError extends Error {
    constructor(
        readonly namespace: string,
        readonly problems: ConfigProblem[],
    ) {
        super(problems.map(({ key, problem }) => `config ${namespace}:${key}: ${problem}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** Reads one raw setting; undefined when the stack does not set it. */
export type ConfigReader = (key: string) => string | undefined;

/** What else the stack says, beyond the values of the keys this project knows. */
export interface StackContext {
    /** Every key the stack sets in the project's namespace (without the prefix), to catch typos. */
    keys?: Iterable<string>;
    /** The region the stack deploys to (aws:region), which the stream must be in. */
    region?: string;
    /** The time to check days against, epoch ms; now by default. */
    now?: number;
}

/**
 * Optimal string alignment distance (Levenshtein plus swapped neighbours), case-insensitive:
 * small enough to keep here rather than ship a dependency with the program.
 */
export function editDistance(a: string, b: string): number {
    const [s, t] = [a.toLowerCase(), b.toLowerCase()];
    const d = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
    for (let j = 1; j <= t.length; j++) d[0][j] = j;
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const cost = s[i - 1] === t[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[s.length][t.length];
}

/** The known key a misspelt one most likely meant, if one is close enough. */
export function closestKey(key: string, known: readonly string[] = Object.keys(SETTINGS)): string | undefined {
    const ranked = known.map(name => ({ name, distance: editDistance(key, name) }));
    ranked.sort((a, b) => a.distance - b.distance);
    const best = ranked[0];
    return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.name : undefined;
}

function unknownKeyProblems(keys: Iterable<string>): ConfigProblem[] {
    return (
        [...keys]
            // Own keys only: `in` would take toString or constructor (Object.prototype's) for known keys.
            .filter(key => !Object.hasOwn(SETTINGS, key))
            .map(key => {
                const near = closestKey(key);
                const hint = near ? `did you mean ${near}?` : "the keys are listed in Pulumi.yaml";
                return { key, problem: `unknown key: ${hint}` };
            })
    );
}

/**
 * Parses and validates every setting, and reports every problem at once.
 * @param read returns the raw string for a key (e.g. `key => new pulumi.Config().get(key)`).
 * @param namespace the config namespace, for error messages (the Pulumi project name).
 * @param context the stack's other keys and its region, when known.
 * @throws ConfigError listing each bad key.
 */
export function parsePipelineConfig(
    read: ConfigReader,
    namespace = PROJECT,
    context: StackContext = {},
): PipelineSettings {
    const problems: ConfigProblem[] = unknownKeyProblems(context.keys ?? []);
    const settings: Partial<Record<SettingKey, unknown>> = {};
    const failed = new Set<SettingKey>();
    for (const [key, setting] of Object.entries(SETTINGS) as [SettingKey, Setting<unknown, unknown>][]) {
        const text = (read(key) ?? setting.fallback ?? "").toString().trim();
        try {
            if (text === "" && setting.missing) throw new Invalid(setting.missing);
            settings[key] = setting.parse(text);
        } catch (error) {
            if (!(error instanceof Invalid)) throw error;
            problems.push({ key, problem: error.message });
            failed.add(key);
        }
    }
    const ruleContext = {
        settings: settings as PipelineSettings,
        region: context.region,
        now: context.now ?? Date.now(),
    };
    for (const rule of RULES) {
        if (rule.reads.some(key => failed.has(key))) continue;
        const problem = rule.check(ruleContext);
        if (problem) problems.push({ key: problem[0], problem: problem[1] });
    }
    if (problems.length > 0) throw new ConfigError(namespace, problems);
    return settings as PipelineSettings;
}

/**
 * Parses a whole stack's config as Pulumi hands it to the program (`pulumi.runtime.allConfig()`:
 * `namespace:key` to string): the project's keys, and aws:region unless `region` is given.
 */
export function parseStackConfig(
    all: Record<string, string>,
    namespace = PROJECT,
    region: string | undefined = all["aws:region"],
): PipelineSettings {
    const prefix = `${namespace}:`;
    const keys = Object.keys(all)
        .filter(key => key.startsWith(prefix))
        .map(key => key.slice(prefix.length));
    return parsePipelineConfig(key => all[prefix + key], namespace, { keys, region });
}
