/**
 * Runs the project's commands as a user does (`npm run <name> -- …`, here `node -r ts-node/register`
 * on the same file), in a child process, and collects what they print.
 */
import { spawn } from "child_process";
import * as fs from "fs";
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

/**
 * Runs tools/<script> with the arguments; `preload` files are required first (e.g. CLOCK_AHEAD);
 * `input` is its standard input.
 */
export function runTool(
    script: string,
    args: string[],
    options: { env?: Record<string, string>; preload?: string[]; timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
    const preloads = (options.preload ?? []).flatMap(file => ["-r", file]);
    const child = spawn(
        process.execPath,
        [...preloads, "-r", "ts-node/register/transpile-only", path.join(ROOT, "tools", script), ...args],
        { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] },
    );
    child.stdin.end(options.input ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", chunk => (stdout += chunk));
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

/** Newest modification time of the files under a folder. */
function newestMtime(dir: string): number {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true }))
        if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    return newest;
}

/**
 * True when dist/processor must be built (again) before a test runs it: missing, or older than
 * the code it is built from (pipeline/). Saves rebuilding it in every test file.
 */
export function packageIsStale(): boolean {
    const handler = path.join(ROOT, "dist", "processor", "__index.js");
    if (!fs.existsSync(handler)) return true;
    return fs.statSync(handler).mtimeMs < newestMtime(path.join(ROOT, "pipeline"));
}
