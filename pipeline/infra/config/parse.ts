/**
 * Reads the stack's config into settings: every key parsed by its kind, defaults applied (here and
 * nowhere else), the rules across keys checked, and every problem reported at once.
 * Pure: values come through a callback, so tests and the local run feed it without a Pulumi engine.
 */
import { ConfigError, ConfigProblem, formatProblem } from "./errors";
import { Invalid, Kind } from "./kinds";
import { RULES } from "./rules";
import { PipelineSettings, PROJECT, SettingKey, SETTINGS } from "./settings";
import { closestName, editDistance } from "./suggest";

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
    /**
     * True for `pulumi up`, false for a preview (the default): what only a deployment must not
     * have (the documentation's account in an ARN) is a problem then, a warning otherwise.
     */
    deploying?: boolean;
    /** Receives each warning, a line naming its key; warnings are dropped without it. */
    warn?: (line: string) => void;
    /** Problems of the stack's keys outside the project's namespace, reported first, with the project's. */
    otherProblems?: ConfigProblem[];
}

/** What the whole config map says besides the project's keys. */
export interface StackConfigContext extends Omit<StackContext, "keys" | "region" | "otherProblems"> {
    /**
     * The keys each provider takes, by namespace (e.g. `{ aws: ["region", "profile", …] }`,
     * read from the installed provider package): a key of such a namespace that is not among them
     * is refused with the closest one. Other namespaces are left to their owners.
     */
    providerKeys?: Record<string, readonly string[]>;
}

/** Most edits between a namespace and the project's for it to be taken as a misspelling of it. */
const NAMESPACE_EDITS = 3;

/** The known key a misspelt one most likely meant, if one is close enough. */
export function closestKey(key: string): string | undefined {
    return closestName(key, Object.keys(SETTINGS));
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
    const problems: ConfigProblem[] = [...(context.otherProblems ?? []), ...unknownKeyProblems(context.keys ?? [])];
    const settings: Partial<Record<SettingKey, unknown>> = {};
    const failed = new Set<SettingKey>();
    for (const [key, kind] of Object.entries(SETTINGS) as [SettingKey, Kind<unknown, unknown>][]) {
        const text = (read(key) ?? kind.fallback ?? "").toString().trim();
        try {
            if (text === "" && kind.missing) throw new Invalid(kind.missing);
            settings[key] = kind.parse(text);
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
    const warnings: ConfigProblem[] = [];
    // One problem per key: the first rule's (a second would only say the same key again).
    const reported = new Set(problems.map(({ key }) => key));
    for (const rule of RULES) {
        if (rule.reads.some(key => failed.has(key))) continue;
        const found = rule.check(ruleContext);
        if (!found) continue;
        const [key, problem] = found;
        const severity = rule.severity ?? "error";
        if (severity === "warning" || (severity === "deploy" && !context.deploying)) {
            warnings.push({ key, problem });
        } else if (!reported.has(key)) {
            reported.add(key);
            problems.push({ key, problem });
        }
    }
    if (problems.length > 0) throw new ConfigError(namespace, problems);
    for (const warning of warnings) context.warn?.(formatProblem(namespace, warning));
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
    context: StackConfigContext = {},
): PipelineSettings {
    const prefix = `${namespace}:`;
    const keys = Object.keys(all)
        .filter(key => key.startsWith(prefix))
        .map(key => key.slice(prefix.length));
    return parsePipelineConfig(key => all[prefix + key], namespace, {
        ...context,
        keys,
        region,
        otherProblems: foreignKeyProblems(Object.keys(all), namespace, context.providerKeys ?? {}),
    });
}

/**
 * Keys outside the project's namespace that are slips: a namespace a few edits from the project's
 * (`stock-market-pipline:memorySize`, which Pulumi would hand to nobody), or a key a provider does
 * not take (`aws:regoin`). Keys of other namespaces pass: they are their owners' to check.
 */
function foreignKeyProblems(
    keys: string[],
    namespace: string,
    providerKeys: Record<string, readonly string[]>,
): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const full of keys) {
        const colon = full.indexOf(":");
        if (colon < 0) continue;
        const [space, key] = [full.slice(0, colon), full.slice(colon + 1)];
        if (space === namespace) continue;
        const known = Object.hasOwn(providerKeys, space) ? providerKeys[space] : undefined;
        if (known) {
            if (known.includes(key)) continue;
            const near = closestName(key, known);
            const hint = near ? `did you mean ${space}:${near}?` : `the keys it takes are in its documentation`;
            problems.push({ key: full, problem: `not a key the ${space} provider takes: ${hint}` });
        } else if (editDistance(space, namespace) <= NAMESPACE_EDITS) {
            const meant = Object.hasOwn(SETTINGS, key) ? key : (closestKey(key) ?? key);
            problems.push({
                key: full,
                problem: `${space} is not this project's namespace, so nothing would read this key: did you mean ${namespace}:${meant}?`,
            });
        }
    }
    return problems;
}

/**
 * Every setting at its default, with the stream and any `overrides` given as the stack's config
 * would write them: for a program of your own that uses the components, or a test.
 * @example
 * const settings = defaultSettings("arn:aws:kinesis:us-east-1:123456789012:stream/s", { memorySize: "1769" });
 */
export function defaultSettings(
    streamArn: string,
    overrides: Partial<Record<SettingKey, string>> = {},
): PipelineSettings {
    const given: Record<string, string | undefined> = { ...overrides, streamArn };
    return parsePipelineConfig(key => given[key]);
}
