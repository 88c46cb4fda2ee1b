/** What every `npm run` command shares: flag parsing and the errors a user can fix. */
import { parseArgs, ParseArgsConfig } from "util";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** Thrown for a bad flag; the CLIs print the message and the usage. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Parses argv against the options, turning parseArgs' errors into UsageErrors. */
export function parseFlags(argv: string[], options: OptionSpecs): Record<string, string | boolean | undefined> {
    try {
        return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<
            string,
            string | boolean | undefined
        >;
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

export function numberFlag(
    values: Record<string, unknown>,
    name: string,
    min: number,
    max: number,
    integer = false,
): number {
    const text = String(values[name]);
    const value = Number(text);
    const ok =
        text.trim() !== "" &&
        Number.isFinite(value) &&
        value >= min &&
        value <= max &&
        (!integer || Number.isInteger(value));
    if (!ok)
        throw new UsageError(
            `--${name}: expected ${integer ? "an integer" : "a number"} from ${min} to ${max}, got "${text}"`,
        );
    return value;
}
