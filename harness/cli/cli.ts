/**
 * What every `npm run` command shares: flag parsing, and one way to end. A mistake the user can
 * fix ends in one line that says what is wrong and what to do, never a stack trace: exit 2 for a
 * usage error, 1 for anything else the user can fix; an unexpected error still prints its stack.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import { closestName } from "../../pipeline/infra/config/suggest";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** A bad flag or argument: one line, a pointer to --help, exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/**
 * Any other mistake the user can fix (a missing build, a busy data folder, an endpoint that does
 * not answer): one line that says what to do, exit 1.
 */
export class UserError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UserError";
    }
}

/** A command's entry point: `run` gets the arguments after `npm run <name> --` and returns the exit code. */
export interface Command {
    /** As the user types it, e.g. "npm run local". */
    name: string;
    /** The text `--help` prints. */
    help: string;
    run(argv: string[]): Promise<number>;
}

/**
 * `--rate -5` as `--rate=-5`: Node's parser takes a value that starts with "-" for a flag and
 * refuses it as ambiguous, which would hide the command's own range check.
 */
function attachNegativeNumbers(argv: string[], options: OptionSpecs): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const name = /^--([^=]+)$/.exec(argv[i])?.[1];
        const next = argv[i + 1];
        if (name && options[name]?.type === "string" && next !== undefined && /^-\.?\d/.test(next)) {
            out.push(`${argv[i]}=${next}`);
            i++;
        } else {
            out.push(argv[i]);
        }
    }
    return out;
}

/**
 * `npm run local --rate 200` (no `--`): npm keeps the flags for itself, exports each as
 * npm_config_<name>, and passes on only their values, or nothing. Say so rather than run without them.
 */
function flagsTakenByNpm(options: OptionSpecs): string[] {
    if (!process.env.npm_lifecycle_event) return [];
    return Object.keys(options)
        .filter(name => name !== "help" && process.env[`npm_config_${name.replace(/-/g, "_")}`] !== undefined)
        .map(name => `--${name}`);
}

/** " (did you mean --duration?)" for Node's "Unknown option '--duraton'", when a flag is close; else "". */
function didYouMean(parserError: string, options: OptionSpecs): string {
    const unknown = /^Unknown option '--([^'=]+)/.exec(parserError)?.[1];
    if (unknown === undefined) return "";
    const known = closestName(unknown, [...new Set([...Object.keys(options), "help"])]);
    return known === undefined ? "" : ` (did you mean --${known}?)`;
}

/**
 * " (did you mean ohlc-minute?)" when a name the user typed is close to one of `known`, else "":
 * for values that name something, such as a named query.
 */
export function suggestion(name: string, known: readonly string[]): string {
    const closest = closestName(name, known);
    return closest === undefined ? "" : ` (did you mean ${closest}?)`;
}

/**
 * Parses argv against the options, turning the parser's errors into UsageErrors; an unknown flag
 * gets the closest known one ("did you mean --duration?"), before the command reads anything.
 */
export function parseFlags(argv: string[], options: OptionSpecs): FlagValues {
    const taken = flagsTakenByNpm(options);
    if (taken.length > 0)
        throw new UsageError(`npm took ${taken.join(", ")} for itself: put the command's flags after --`);
    try {
        const args = attachNegativeNumbers(argv, options);
        return parseArgs({ args, options, allowPositionals: false, strict: true }).values as FlagValues;
    } catch (error) {
        const message = (error as Error).message;
        // A flag followed by another flag ("--duration --skip-build"): the value is missing, which
        // Node words as a three-line question about dashes.
        const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
        if (ambiguous) throw new UsageError(`Option '${ambiguous[1]} <value>' argument missing`);
        const line = message.replace(/\. To specify a positional argument.*$/s, "").split("\n")[0];
        throw new UsageError(line + didYouMean(line, options));
    }
}

/** Runs `parse` (a check of a flag's value), turning its Error into a UsageError. */
export function asUsage<T>(parse: () => T): T {
    try {
        return parse();
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
    if (!ok) {
        const expected = integer ? "an integer" : "a number";
        throw new UsageError(`--${name}: expected ${expected} from ${min} to ${max}, got "${text}"`);
    }
    return value;
}

/**
 * `--seed N` (0 to 2^31 - 1), or a random seed when the flag is not given: the command prints
 * either, so that a run can be repeated.
 */
export function seedFlag(values: Record<string, unknown>, random: () => number = Math.random): number {
    return values.seed === undefined
        ? Math.floor(random() * 2 ** 31)
        : numberFlag(values, "seed", 0, 2 ** 31 - 1, true);
}

/**
 * A path as a command prints it: relative when it lies inside the current folder (`report.html`,
 * `dist/processor/`), absolute otherwise, never a climb such as `../../tmp/x`.
 */
export function displayPath(file: string, cwd = process.cwd()): string {
    const relative = path.relative(cwd, path.resolve(cwd, file));
    if (relative === "") return ".";
    return relative.startsWith("..") || path.isAbsolute(relative) ? path.resolve(cwd, file) : relative;
}

/** The file's stat, or undefined when there is none (or a file stands where a folder of its path should). */
function statOf(file: string): fs.Stats | undefined {
    try {
        return fs.statSync(file);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw error;
    }
}

/** The nearest entry that exists on the way up from `file` (itself included): a folder, or a file in the way. */
function nearestExisting(file: string): { path: string; isDirectory: boolean } {
    for (let current = path.resolve(file); ; current = path.dirname(current)) {
        const stat = statOf(current);
        if (stat) return { path: current, isDirectory: stat.isDirectory() };
        if (path.dirname(current) === current) return { path: current, isDirectory: true };
    }
}

/** Whether the process may create entries in an existing folder. */
function writable(dir: string): boolean {
    try {
        fs.accessSync(dir, fs.constants.W_OK);
        return true;
    } catch {
        return false;
    }
}

/**
 * Checks, before any work, that a file can be written where `--flag` says (its folders are
 * created when missing): a folder in its place, a file in the way of its folders, or a folder
 * that cannot be written is a usage error. Returns the absolute path.
 */
export function outputFile(flag: string, file: string): string {
    const out = path.resolve(file);
    const stat = statOf(out);
    if (stat?.isDirectory()) throw new UsageError(`--${flag} ${file}: that is a folder; give a file name`);
    if (stat && !writable(out)) throw new UsageError(`--${flag} ${file}: cannot write that file (permission denied)`);
    checkParents(flag, file, path.dirname(out));
    return out;
}

/** As outputFile, for a folder that is created if missing: a file in its place is a usage error. */
export function outputFolder(flag: string, dir: string): string {
    const out = path.resolve(dir);
    const stat = statOf(out);
    if (stat && !stat.isDirectory()) throw new UsageError(`--${flag} ${dir}: that is a file; give a folder`);
    checkParents(flag, dir, out);
    return out;
}

function checkParents(flag: string, given: string, dir: string): void {
    const existing = nearestExisting(dir);
    if (!existing.isDirectory) throw new UsageError(`--${flag} ${given}: ${existing.path} is a file, not a folder`);
    if (!writable(existing.path))
        throw new UsageError(`--${flag} ${given}: cannot write in ${existing.path} (permission denied)`);
}

/** Runs `write`, turning a file system error (EACCES, ENOSPC, EISDIR…) into one line naming the file. */
export function writeOrExplain<T>(what: string, write: () => T): T {
    try {
        return write();
    } catch (error) {
        const err = error as NodeJS.ErrnoException;
        if (typeof err?.code === "string" && err.syscall)
            throw new UserError(`cannot write ${what}: ${err.message.split(",")[0]}`);
        throw error;
    }
}

/**
 * Ctrl-C: the first aborts `controller` (the command stops and reports), the second exits at once.
 * A second SIGINT within a moment of the first is the same keypress: npm forwards the terminal's
 * SIGINT to the command, which got it already as part of the foreground process group.
 */
export function interruptOnSigint(
    controller: AbortController,
    say: { first: string; again: string } = {
        first: "interrupted: stopping (Ctrl-C again to exit now)",
        again: "interrupted again: exiting now",
    },
): void {
    let firstAt = 0;
    process.on("SIGINT", () => {
        if (controller.signal.aborted && Date.now() - firstAt < 500) return;
        if (controller.signal.aborted) {
            console.error(`\n${say.again}`);
            process.exit(130);
        }
        firstAt = Date.now();
        console.error(`\n${say.first}`);
        controller.abort();
    });
}

/** What a failed command prints, and its exit code. */
export function failure(command: Pick<Command, "name">, error: unknown): { message: string; code: number } {
    const err = error as Error | undefined;
    if (err instanceof UsageError) {
        return { message: `${command.name}: ${err.message} (${command.name} -- --help for the usage)`, code: 2 };
    }
    if (err instanceof UserError) return { message: `${command.name}: ${err.message}`, code: 1 };
    if (err?.name === "AbortError") return { message: `${command.name}: interrupted`, code: 130 };
    return { message: err?.stack ?? String(error), code: 1 };
}

/** Runs a command as the process: `--help`, its exit code, and one line for a mistake. */
export function runCommand(command: Command, argv = process.argv.slice(2)): void {
    // The AWS SDK's seven-line notice that releases from 2027 need Node.js 22 would bury the one
    // line a mistake gets; docs/local-runs.md says so, and setting the variable to false shows it again.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(command.help);
        return;
    }
    command.run(argv).then(exitNow, error => {
        const { message, code } = failure(command, error);
        console.error(message);
        exitNow(code);
    });
}

/**
 * Ends the process as soon as the command is done, whatever handles are left. Node's own exit
 * first closes every handle and waits for each to say it closed; a chaos run was seen spinning in
 * that wait forever after its summary (one run in five: Environment::CleanupHandles), which would
 * hang a terminal or a CI job. The commands close what they open; this is the last resort.
 * Nothing printed is lost: stdout and stderr are synchronous on Linux, for files, pipes and TTYs.
 */
function exitNow(code: number): never {
    process.exit(code);
}
