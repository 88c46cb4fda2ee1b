/**
 * `npm run clean`: deletes what the commands wrote: the data `npm run local --data DIR` kept (so
 * that the next run starts from empty emulators) and the pages under reports/. Deletes only a data folder a local run made, and never one a run is using.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, parseFlags, UsageError, UserError } from "../../harness/cli/cli";
import { REPORTS_DIR } from "../../harness/cli/outputs";
import {
    DATA_ENTRIES,
    DEFAULT_DATA_DIR,
    foreignEntries,
    holderOf,
    inUse,
    MARKER,
    nameEntries,
} from "../../harness/local-stack/data-dir";

const HELP = `Usage: npm run clean -- [--data DIR]

Deletes what the commands wrote:
  - the data npm run local kept in DIR (default ${DEFAULT_DATA_DIR}): the stream, the table, the
    bucket's objects, failures.jsonl, what npm run replay marked, and the run's report.html; then
    DIR itself once empty. Only in a folder npm run local made, holding nothing else, and not
    while a run uses it;
  - the report pages under ${REPORTS_DIR}/ (npm run local without --data, npm run report --bucket).
The built package in dist/ stays: npm run build:lambda rewrites it.

  --data DIR   the folder given to npm run local -- --data (default ${DEFAULT_DATA_DIR})
  -h, --help   this text`;

const OPTIONS = {
    data: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

/** Disk used (allocated blocks, not file sizes: s3rver's many small files take a block each). */
function diskUse(file: string): number {
    const stat = fs.statSync(file);
    let bytes = stat.blocks * 512;
    if (stat.isDirectory())
        for (const entry of fs.readdirSync(file, { withFileTypes: true, recursive: true }))
            bytes += fs.statSync(path.join(entry.parentPath, entry.name)).blocks * 512;
    return bytes;
}

/** Deletes a local run's data folder; returns what was freed, or why nothing was. */
function cleanDataFolder(dir: string, explicit: boolean): string | undefined {
    if (!fs.existsSync(dir)) return explicit ? `nothing to clean: ${dir} does not exist` : undefined;
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--data ${dir}: that is a file, not a data folder`);
    if (!fs.existsSync(path.join(dir, MARKER)))
        throw new UserError(
            `${dir} does not look like npm run local's data (no ${MARKER} in it): delete it yourself if you mean to`,
        );
    // Someone's own files in the folder stay where they are, and so does the folder.
    const foreign = foreignEntries(dir);
    if (foreign.length > 0)
        throw new UserError(
            `${dir} also holds files npm run local did not make (${nameEntries(foreign)}): move them out first, or delete the folder yourself`,
        );
    const holder = holderOf(dir);
    if (holder !== undefined) throw inUse(dir, holder);
    const ours = fs.readdirSync(dir).filter(entry => DATA_ENTRIES.has(entry));
    const bytes = ours.reduce((sum, entry) => sum + diskUse(path.join(dir, entry)), 0);
    // The marker last: a clean interrupted midway leaves a folder clean still recognizes.
    for (const entry of ours.filter(entry => entry !== MARKER))
        fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    fs.rmSync(path.join(dir, MARKER), { force: true });
    fs.rmdirSync(dir);
    return `removed ${dir}: ${mib(bytes)} of disk freed`;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Removes a folder the commands own outright (reports/); returns what was freed. */
function cleanOwnFolder(dir: string): string | undefined {
    if (!fs.existsSync(dir)) return undefined;
    const bytes = diskUse(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return `removed ${dir}/: ${mib(bytes)} of disk freed`;
}

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const dir = (values.data as string | undefined) ?? DEFAULT_DATA_DIR;
    // The data folder first: a folder that cannot be cleaned stops everything, before any deletion.
    const lines = [cleanDataFolder(dir, values.data !== undefined), cleanOwnFolder(REPORTS_DIR)];
    const done = lines.filter((line): line is string => line !== undefined);
    for (const line of done.length > 0 ? done : ["nothing to clean"]) console.log(line);
    return 0;
}

/** The command; main.ts runs it. */
export const cleanCommand: Command = { name: "npm run clean", help: HELP, run: main };
