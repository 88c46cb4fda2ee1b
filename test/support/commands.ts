/**
 * Runs the project's commands as a user does (`npm run <name> -- …`, here `node -r ts-node/register`
 * on the same file), in a child process, and collects what they print.
 */
import { ChildProcess, spawn } from "child_process";
import { Command, failure } from "../../harness/cli/cli";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
/** Preload that moves a process's clock forward by CLOCK_OFFSET_MS. */
export const CLOCK_AHEAD = path.join(__dirname, "clock-ahead.cjs");

export interface CommandResult {
    status: number | null;
    stdout: string;
    stderr: string;
    /** stdout's lines, without the Node.js warnings the AWS SDK prints on stderr. */
    lines: string[];
}

export interface CommandOptions {
    /** Added to this process's environment; undefined removes a variable. */
    env?: Record<string, string | undefined>;
    /** Files required first (e.g. CLOCK_AHEAD). */
    preload?: string[];
    timeoutMs?: number;
    /** Its standard input. */
    input?: string;
    /** The folder it runs in (default: the project, as npm run does). */
    cwd?: string;
    /** Its own process group, as a shell's foreground job: signal the group with process.kill(-pid). */
    detached?: boolean;
    /** Called with all of stdout so far, each time more arrives, and the process (to signal it). */
    onStdout?: (stdout: string, child: ChildProcess) => void;
    /** The same for stderr, where commands write their progress. */
    onStderr?: (stderr: string, child: ChildProcess) => void;
}

/** Runs tools/<script> with the arguments, as `npm run` runs it. */
export function runTool(script: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    return runScript(path.join(ROOT, "tools", script), args, options);
}

/** Runs a TypeScript file of the project in a Node.js process of its own, as ts-node does for npm run. */
export function runScript(file: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    const preloads = (options.preload ?? []).flatMap(preload => ["-r", preload]);
    return run(
        process.execPath,
        [...preloads, "-r", require.resolve("ts-node/register/transpile-only"), file, ...args],
        // The project's TypeScript settings, wherever the command runs.
        { ...options, env: { TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), ...options.env } },
    );
}

/** npm itself, e.g. runNpm(["run", "local", "--rate", "200"]): what the user typed, word for word. */
export function runNpm(args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    return run("npm", args, options);
}

function run(command: string, args: string[], options: CommandOptions): Promise<CommandResult> {
    const child = spawn(command, args, {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, ...options.env },
        stdio: ["pipe", "pipe", "pipe"],
        detached: options.detached,
    });
    child.stdin.end(options.input ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", chunk => {
        stdout += chunk;
        options.onStdout?.(stdout, child);
    });
    child.stderr.on("data", chunk => {
        stderr += chunk;
        options.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", status => {
            clearTimeout(timer);
            resolve({ status, stdout, stderr, lines: stdout.split("\n").filter(line => line.trim() !== "") });
        });
    });
}

/** The non-empty lines a command printed to stderr. */
export function errorLines(result: Pick<CommandResult, "stderr">): string[] {
    return result.stderr.split("\n").filter(line => line.trim() !== "");
}

/** What a command did when run in this process: its exit code, the lines it printed, the error line. */
export interface InProcessResult {
    code: number;
    stdout: string[];
    /** The one line runCommand prints for a mistake (none when the command succeeded). */
    errorLine?: string;
}

/**
 * Runs a command in this process as runCommand does, but without exiting: for checking the one
 * line a mistake gets without paying for a process that loads the whole command first. What
 * it prints with console.log is kept, not shown.
 */
export async function runInProcess(command: Command, argv: string[]): Promise<InProcessResult> {
    const { status, lines, stderr } = await runCommandHere(command, argv);
    const errorLine = stderr.split("\n").filter(Boolean).pop();
    return { code: status!, stdout: lines, ...(status !== 0 && errorLine ? { errorLine } : {}) };
}

/**
 * Runs a command in this process as runCommand runs it in its own, with `env` over this
 * process's environment meanwhile: what it prints on stdout and stderr (console.log and
 * console.error), a mistake's one line included, and its exit code.
 */
export async function runCommandHere(
    command: Command,
    argv: string[],
    env: Record<string, string | undefined> = {},
): Promise<CommandResult> {
    const printed = { stdout: "", stderr: "" };
    const original = { log: console.log, error: console.error };
    const saved = Object.fromEntries(Object.keys(env).map(name => [name, process.env[name]]));
    const setEnv = (values: Record<string, string | undefined>) => {
        for (const [name, value] of Object.entries(values)) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
        }
    };
    console.log = (...args: unknown[]) => void (printed.stdout += `${args.map(String).join(" ")}\n`);
    console.error = (...args: unknown[]) => void (printed.stderr += `${args.map(String).join(" ")}\n`);
    setEnv(env);
    let status: number;
    try {
        status = await command.run(argv);
    } catch (error) {
        const { message, code } = failure(command, error);
        printed.stderr += `${message}\n`;
        status = code;
    } finally {
        console.log = original.log;
        console.error = original.error;
        setEnv(saved);
    }
    const lines = printed.stdout.split("\n").filter(line => line.trim() !== "");
    return { status, ...printed, lines };
}

/**
 * Every command of package.json's scripts, by script name, loaded in this process from its
 * tools/<command>/command.ts: the Command it exports as `<name>Command` (a factory of one,
 * `<name>Command` or `<name>CommandWith`, is called with no options).
 */
export function projectCommands(scripts: Record<string, string>): Map<string, Command> {
    const commands = new Map<string, Command>();
    for (const [name, file] of Object.entries(scripts)) {
        const folder = path.dirname(file);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = Object.entries(require(path.join(ROOT, "tools", folder, "command.ts")) as object);
        const candidates = exported
            .filter(([exportName]) => /Command(With)?$/.test(exportName))
            .map(([, value]) => (typeof value === "function" ? value({}) : value));
        const command = candidates.find(
            (value): value is Command =>
                typeof value === "object" && value !== null && "help" in value && "run" in value && "name" in value,
        );
        if (command) commands.set(name, command);
    }
    return commands;
}
