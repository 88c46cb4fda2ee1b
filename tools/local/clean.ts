/**
 * `npm run clean`: deletes what `npm run local --data DIR` kept, so that the next run starts from
 * empty emulators. Deletes only a folder a local run made, and never one a run is using.
 */
import * as fs from "fs";
import * as path from "path";
import { parseFlags, runCommand, UsageError, UserError } from "../cli";
import { DEFAULT_DATA_DIR, holderOf, inUse, MARKER } from "./data-dir";

const HELP = `Usage: npm run clean -- [--data DIR]

Deletes the data npm run local kept in DIR (default ${DEFAULT_DATA_DIR}): the stream, the table,
the bucket's objects, failures.jsonl, what npm run replay marked and the run's report.html. Only a folder npm run local made, and not while a run
uses it. Runs without --data keep nothing on disk and need no cleaning.

  --data DIR   the folder given to npm run local -- --data (default ${DEFAULT_DATA_DIR})
  -h, --help   this text`;

const OPTIONS = {
    data: { type: "string", default: DEFAULT_DATA_DIR },
    help: { type: "boolean", short: "h" },
} as const;

/** What a data folder holds: a folder with anything else in it is not one. */
const DATA_ENTRIES = new Set([
    MARKER,
    "run.lock",
    "kinesis",
    "dynamodb",
    "s3",
    "failures.jsonl",
    "failures.replayed.jsonl",
    "report.html",
]);

/** Disk used (allocated blocks, not file sizes: s3rver's many small files take a block each). */
function diskUse(dir: string): number {
    let bytes = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true }))
        bytes += fs.statSync(path.join(entry.parentPath, entry.name)).blocks * 512;
    return bytes;
}

async function main(argv: string[]): Promise<number> {
    const dir = String(parseFlags(argv, OPTIONS).data);
    if (!fs.existsSync(dir)) {
        console.log(`nothing to clean: ${dir} does not exist`);
        return 0;
    }
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--data ${dir}: that is a file, not a data folder`);
    const entries = fs.readdirSync(dir);
    if (!entries.includes(MARKER) && !entries.every(entry => DATA_ENTRIES.has(entry)))
        throw new UserError(
            `${dir} does not look like npm run local's data (no ${MARKER} in it): delete it yourself if you mean to`,
        );
    const holder = holderOf(dir);
    if (holder !== undefined) throw inUse(dir, holder);
    const mib = (diskUse(dir) / 1024 / 1024).toFixed(1);
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`removed ${dir}: ${mib} MiB of disk freed`);
    return 0;
}

runCommand({ name: "npm run clean", help: HELP, run: main });
