/**
 * Runs a command as `npm run <name>` runs it: its own Node.js process with ts-node (transpile
 * only), from the project's root, with the arguments the user typed after `--`.
 */
import { spawn, SpawnOptions } from "child_process";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface CommandResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

export interface CommandOptions {
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    /** Called with the process once started (to signal it) and with each chunk of stdout. */
    onStart?: (child: ReturnType<typeof spawn>) => void;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
    /** Its own process group, as a shell's foreground job: signal the group with process.kill(-pid). */
    detached?: boolean;
}

/** e.g. runTool("tools/local/local.ts", ["--rate", "-5"]) for `npm run local -- --rate -5`. */
export function runTool(script: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    return run(process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], options);
}

/** npm itself, e.g. runNpm(["run", "local", "--rate", "200"]): what the user typed, word for word. */
export function runNpm(args: string[], options: CommandOptions = {}): Promise<CommandResult> {
    return run("npm", args, options);
}

function run(command: string, args: string[], options: CommandOptions): Promise<CommandResult> {
    const script = `${command} ${args.join(" ")}`;
    const spawnOptions: SpawnOptions = {
        cwd: ROOT,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: options.detached,
    };
    const child = spawn(command, args, spawnOptions);
    options.onStart?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", chunk => {
        stdout += chunk;
        options.onStdout?.(stdout, child);
    });
    child.stderr!.on("data", chunk => (stderr += chunk));
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(
                new Error(
                    `${script} ${args.join(" ")} did not finish in ${options.timeoutMs} ms:\n${stdout}\n${stderr}`,
                ),
            );
        }, options.timeoutMs ?? 60_000);
        child.once("error", reject);
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
    });
}

/** The non-empty lines a command printed to stderr. */
export function errorLines(result: CommandResult): string[] {
    return result.stderr.split("\n").filter(line => line.trim() !== "");
}
