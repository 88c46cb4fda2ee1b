/**
 * Runs the project's commands as a user does (`npm run <name> -- …`, here `node -r ts-node/register`
 * on the same file), in a child process, and collects what they print.
 */
import { ChildProcess, spawn } from "child_process";
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
    child.stderr.on("data", chunk => (stderr += chunk));
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
