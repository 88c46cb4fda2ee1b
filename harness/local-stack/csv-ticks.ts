/**
 * History from CSV files: each row becomes the record module 1 would have written for it,
 * `{"symbol":…,"price":…,"timestamp":…}`, the price as its exact CSV text (a JSON number when it
 * is one, else a string), timestamps as written. A row that cannot become a tick (a price "n/a",
 * a US date, a missing field) is sent all the same, as the producer of such a file would, and the
 * pipeline rejects it; the processor's own decoder (pipeline/runtime/tick.ts) tells beforehand
 * which rows those are, so that the run can reconcile them.
 *
 * Files are read with csv-parse, streamed, never whole: a first pass checks the header, the
 * columns and the CSV syntax and counts the rows (so that mistakes are told before the run
 * starts), the second sends them, pulling rows only as fast as they are sent. BOM, CRLF, quoted
 * fields and blank lines are handled; whitespace around unquoted fields is ignored.
 */
import * as fs from "fs";
import * as path from "path";
import type { Readable } from "stream";
import { parse, Parser } from "csv-parse";
import { decodeTick } from "../../pipeline/runtime/tick";

export const CSV_ROLES = ["symbol", "price", "timestamp"] as const;
export type CsvRole = (typeof CSV_ROLES)[number];

export interface CsvFileSpec {
    file: string;
    /** Column names by role, matched in any case; the role's own name when absent. */
    columns: Partial<Record<CsvRole, string>>;
    /** Every row's symbol, for a file without a symbol column (a download of one ticker's bars). */
    symbol?: string;
}

/** A file checked and ready to send. */
export interface CsvFile extends CsvFileSpec {
    /** Column index by role; symbol absent when `symbol` stands for it. */
    indexes: Partial<Record<CsvRole, number>>;
    /** Data rows (the header and blank lines not counted). */
    rows: number;
}

/** One row, as the record to put and what the pipeline will make of it. */
export interface CsvTick {
    /** file:line, as the progress output names a bad row. */
    where: string;
    data: Buffer;
    partitionKey: string;
    /** The tick the pipeline will store. */
    tick?: { symbol: string; timestamp: string; price: string };
    /** Why the pipeline will reject the row. */
    reason?: string;
    /** The row's time (its wall time read as UTC, ms), when it has one: what --speed paces by. */
    time?: number;
}

/** A file that cannot be sent: missing, empty, a column not found, CSV that does not parse. One line. */
export class CsvFileError extends Error {
    constructor(
        message: string,
        /** "usage": the flags name no such file or column; "content": the file's own text is at fault. */
        readonly kind: "usage" | "content" = "usage",
    ) {
        super(message);
        this.name = "CsvFileError";
    }
}

/** A record as csv-parse gives it with `info`. */
interface ParsedRecord {
    record: string[];
    info: { lines: number };
}

/** Opens a file's bytes as a stream: fs.createReadStream, or a stand-in in tests. */
export type Opener = (file: string) => Readable;

function parser(file: string, open: Opener): Parser {
    const reading = open(file);
    const parsing = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true });
    reading.on("error", error => parsing.destroy(error));
    return reading.pipe(parsing);
}

/**
 * The file's records with the line each starts on. csv-parse reports the line a record ends on,
 * and counts a CRLF inside quotes as two lines: both are undone here.
 */
async function* records(
    file: string,
    open: Opener = fs.createReadStream,
): AsyncGenerator<{ line: number; fields: string[] }> {
    let overcount = 0;
    for await (const { record, info } of parser(file, open) as AsyncIterable<ParsedRecord>) {
        const count = (pattern: RegExp) => record.reduce((sum, field) => sum + (field.match(pattern) ?? []).length, 0);
        overcount += count(/\r\n/g);
        const breaks = count(/\r\n|\r|\n/g);
        yield { line: info.lines - overcount - breaks, fields: record };
    }
}

/** A file system or csv-parse error as one line naming the file. */
function explain(file: string, error: unknown): CsvFileError {
    const err = error as NodeJS.ErrnoException & { lines?: number };
    if (err.code === "ENOENT") return new CsvFileError(`${file}: no such file`);
    if (err.code === "EISDIR") return new CsvFileError(`${file}: that is a folder; give a CSV file`);
    if (err.code === "EACCES") return new CsvFileError(`${file}: cannot read it (permission denied)`);
    if (typeof err.code === "string" && err.code.startsWith("CSV_")) {
        const where = err.lines ? `${file}:${err.lines}` : file;
        return new CsvFileError(
            `${where}: not CSV this reader can follow (${err.message.split(" at line")[0]})`,
            "content",
        );
    }
    return new CsvFileError(`${file}: ${err.message}`, "content");
}

/** The closing words of a missing-column message: how to map it, with a guess from the header. */
function mapHint(role: CsvRole, header: string[]): string {
    const guesses: Record<CsvRole, RegExp> = {
        symbol: /^(ticker|sym|code|instrument)$/i,
        price: /^(close|last|trade ?price|px)$/i,
        timestamp: /^(date|time|datetime|date ?time|ts)$/i,
    };
    const guess = header.find(name => guesses[role].test(name));
    const example = guess === undefined ? `${role}=NAME` : `${role}=${guess}`;
    const symbolToo = role === "symbol" ? " or --csv-symbol SYMBOL for a file of one symbol" : "";
    return `map one with --csv-columns ${example}${symbolToo}`;
}

/** Which column holds each role, from the header; throws CsvFileError naming what is missing. */
export function resolveColumns(spec: CsvFileSpec, header: string[]): Partial<Record<CsvRole, number>> {
    const find = (name: string) => header.findIndex(column => column.toLowerCase() === name.toLowerCase());
    const columns = `its columns: ${header.join(", ")}`;
    const indexes: Partial<Record<CsvRole, number>> = {};
    for (const role of CSV_ROLES) {
        const mapped = spec.columns[role];
        const index = find(mapped ?? role);
        if (role === "symbol" && spec.symbol !== undefined) {
            if (mapped !== undefined)
                throw new CsvFileError(`--csv-symbol and --csv-columns symbol=${mapped}: give one of them`);
            if (index >= 0)
                throw new CsvFileError(
                    `${spec.file} has a symbol column (${header[index]}): --csv-symbol is for files without one`,
                );
            continue;
        }
        if (index >= 0) indexes[role] = index;
        else if (mapped !== undefined)
            throw new CsvFileError(`--csv-columns ${role}=${mapped}: ${spec.file} has no such column (${columns})`);
        else throw new CsvFileError(`${spec.file} has no ${role} column (${columns}): ${mapHint(role, header)}`);
    }
    return indexes;
}

/**
 * Checks a file before anything is sent: its header and columns, its CSV syntax all through (one
 * streaming pass), and counts its rows. Throws CsvFileError.
 */
export async function checkCsvFile(spec: CsvFileSpec): Promise<CsvFile> {
    let indexes: Partial<Record<CsvRole, number>> | undefined;
    let rows = 0;
    try {
        for await (const { fields } of records(spec.file)) {
            if (indexes === undefined)
                indexes = resolveColumns(
                    spec,
                    fields.map(name => name.trim()),
                );
            else rows++;
        }
    } catch (error) {
        throw error instanceof CsvFileError ? error : explain(spec.file, error);
    }
    if (indexes === undefined)
        throw new CsvFileError(`${spec.file}: empty: expected a header line such as symbol,price,timestamp`, "content");
    return { ...spec, indexes, rows };
}

/** A JSON number, as the contract reads prices: such text goes on the stream as it is. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Kinesis partition keys are 1 to 256 characters. */
const partitionKeyOf = (symbol: string | undefined, file: string) =>
    (symbol !== undefined && symbol !== "" ? symbol : path.basename(file)).slice(0, 256);

/** A tick's wall time as ms since the epoch (read as UTC: only differences pace the replay). */
export function wallTimeMs(timestamp: string): number | undefined {
    const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?/.exec(timestamp);
    if (!match) return undefined;
    const [, day, minute = "00:00", second = "00", fraction = ""] = match;
    const ms = Date.parse(`${day}T${minute}:${second}.${fraction.padEnd(3, "0").slice(0, 3)}Z`);
    return Number.isNaN(ms) ? undefined : ms;
}

/** One row as the record module 1 would have written, and what the pipeline will make of it. */
function rowTick(file: CsvFile, line: number, fields: string[]): CsvTick {
    const value = (role: CsvRole) => {
        const index = file.indexes[role];
        return index === undefined ? undefined : fields[index];
    };
    const symbol = file.symbol ?? value("symbol");
    const price = value("price");
    const timestamp = value("timestamp");
    const parts: string[] = [];
    if (symbol !== undefined) parts.push(`"symbol":${JSON.stringify(symbol)}`);
    if (price !== undefined) parts.push(`"price":${JSON_NUMBER.test(price) ? price : JSON.stringify(price)}`);
    if (timestamp !== undefined) parts.push(`"timestamp":${JSON.stringify(timestamp)}`);
    const data = Buffer.from(`{${parts.join(",")}}`);
    const decoded = decodeTick(data);
    const tick = decoded.valid
        ? { symbol: decoded.tick.symbol, timestamp: decoded.tick.timestamp, price: decoded.tick.price }
        : undefined;
    return {
        where: `${file.file}:${line}`,
        data,
        partitionKey: partitionKeyOf(symbol, file.file),
        ...(decoded.valid ? { tick, time: wallTimeMs(decoded.tick.timestamp) } : { reason: decoded.reason }),
    };
}

/** A checked file's rows as records, read as they are pulled. */
export async function* fileTicks(file: CsvFile, open?: Opener): AsyncGenerator<CsvTick> {
    let header = true;
    try {
        for await (const { line, fields } of records(file.file, open)) {
            if (header) header = false;
            else yield rowTick(file, line, fields);
        }
    } catch (error) {
        throw error instanceof CsvFileError ? error : explain(file.file, error);
    }
}

/**
 * Several files' rows as one stream in time order, each file in its own order: at each step the
 * row with the earliest time among the files' next rows. A row without a time keeps its file's
 * last one (or goes first), so it stays where the file has it.
 */
export async function* mergeByTime(sources: AsyncIterator<CsvTick>[]): AsyncGenerator<CsvTick> {
    const heads = await Promise.all(sources.map(source => source.next()));
    const last: number[] = sources.map(() => -Infinity);
    const timeOf = (i: number) => (heads[i].value as CsvTick).time ?? last[i];
    for (;;) {
        let next = -1;
        for (let i = 0; i < heads.length; i++) if (!heads[i].done && (next < 0 || timeOf(i) < timeOf(next))) next = i;
        if (next < 0) return;
        const tick = heads[next].value as CsvTick;
        last[next] = timeOf(next);
        yield { ...tick, time: Number.isFinite(last[next]) ? last[next] : undefined };
        heads[next] = await sources[next].next();
    }
}

/** Every checked file's rows, in time order across files. */
export function csvTicks(files: CsvFile[]): AsyncGenerator<CsvTick> {
    return mergeByTime(files.map(file => fileTicks(file)));
}
