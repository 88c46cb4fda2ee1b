/**
 * The folder `npm run local --data DIR` keeps the emulators' data in: one run at a time, local
 * run or replay (a lock file with the run's pid), and a marker so that `npm run clean` deletes
 * only folders a local run made.
 */
import * as fs from "fs";
import * as path from "path";
import { UsageError, UserError } from "../cli/cli";

/** Written into every data folder; `npm run clean` refuses a folder without it. */
export const MARKER = ".stock-market-pipeline-local-data";
const LOCK = "run.lock";
/** Where docs/local-runs.md suggests keeping local data, and what `npm run clean` removes by default. */
export const DEFAULT_DATA_DIR = ".local-data";

/** Everything a local run or a replay writes into the folder: `npm run clean` removes these and nothing else. */
export const DATA_ENTRIES: ReadonlySet<string> = new Set([
    MARKER,
    LOCK,
    "kinesis",
    "dynamodb",
    "s3",
    "failures.jsonl",
    "failures.replayed.jsonl",
    "report.html",
]);

/** What the folder holds that a local run did not put there. */
export function foreignEntries(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .filter(entry => !DATA_ENTRIES.has(entry))
        .sort();
}

/** "a, b, c" or "a, b, c and 7 more": a folder's entries named in one line. */
export function nameEntries(entries: string[], shown = 5): string {
    const named = entries.slice(0, shown).join(", ");
    return entries.length > shown ? `${named} and ${entries.length - shown} more` : named;
}

const isAlive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
};

/** The pid of the run that holds the folder, if one is still running. */
export function holderOf(dir: string): number | undefined {
    let pid: number;
    try {
        pid = Number(fs.readFileSync(path.join(dir, LOCK), "utf8").trim());
    } catch {
        return undefined;
    }
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/**
 * Creates the folder if need be, refuses a file, a folder another run holds, and a folder of
 * someone's files (not empty, and no marker: \`npm run clean\` must never be led to it), and takes
 * the lock; returns the function that releases it.
 */
export function claimDataDir(dir: string): () => void {
    if (fs.existsSync(dir)) {
        if (!fs.statSync(dir).isDirectory())
            throw new UsageError(`--data ${dir}: that is a file; give a folder (it is created if missing)`);
        const entries = fs.readdirSync(dir);
        if (entries.length > 0 && !entries.includes(MARKER))
            throw new UsageError(
                `--data ${dir}: that folder holds other files (${nameEntries(entries.sort())}); give a new or empty folder`,
            );
    }
    try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(
            path.join(dir, MARKER),
            "Data of npm run local; npm run clean -- --data <this folder> removes it.\n",
        );
    } catch (error) {
        throw new UserError(`--data ${dir}: cannot use it as the data folder (${(error as Error).message})`);
    }
    const lock = path.join(dir, LOCK);
    try {
        fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = holderOf(dir);
        if (holder !== undefined) throw inUse(dir, holder);
        fs.writeFileSync(lock, `${process.pid}\n`); // left by a run that was killed
    }
    return () => fs.rmSync(lock, { force: true });
}

export const inUse = (dir: string, pid?: number) =>
    new UserError(
        `--data ${dir} is in use by another run${pid ? ` (pid ${pid})` : ""}: wait for it to end, or give another --data folder`,
    );
