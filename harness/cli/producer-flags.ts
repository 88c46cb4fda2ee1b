/** Command-line flags shared by `npm run local` and `npm run produce`, parsed and checked. */
import type { ParseArgsConfig } from "util";
import { validateSymbol } from "../../pipeline/runtime/tick";
import { asUsage, displayPath, numberFlag, suggestion, UsageError, UserError } from "./cli";
import {
    checkCsvFile,
    CSV_ROLES,
    CsvFile,
    CsvFileError,
    CsvFileSpec,
    CsvRole,
    CsvTick,
} from "../local-stack/csv-ticks";
import { newSeed, resolveSymbols, SymbolSpec } from "../local-stack/ticks";

/** Ticks from CSV files instead of synthetic ones. */
export interface CsvHistory {
    /** The files as the flags name them, in order. */
    specs: CsvFileSpec[];
    /** The same, read through once (checkCsvHistory): set before anything is sent. */
    files?: CsvFile[];
    /** Times faster than the rows' own timestamps; Infinity for --speed max. */
    speed: number;
}

export interface ProducerFlags {
    rate: number;
    duration: number;
    symbols: SymbolSpec[];
    shards: number;
    badRatio: number;
    /** Always set by producerFlags (a new one when --seed is not given); optional for library callers. */
    seed?: number;
    /** User records per Kinesis record (KPL aggregates); plain records when absent. */
    aggregate?: number;
    /** Rows of CSV files instead of synthetic ticks (then rate, duration, symbols and badRatio do not apply). */
    csv?: CsvHistory;
}

/** The flags that shape synthetic ticks, and their defaults (applied in producerFlags: --csv refuses them). */
const SYNTHETIC_DEFAULTS = { rate: "100", duration: "10", symbols: "8", "bad-ratio": "0.01" } as const;
const CSV_ONLY = ["speed", "csv-columns", "csv-symbol"] as const;

export const PRODUCER_OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
    rate: { type: "string" },
    duration: { type: "string" },
    symbols: { type: "string" },
    shards: { type: "string", default: "2" },
    "bad-ratio": { type: "string" },
    seed: { type: "string" },
    aggregate: { type: "string" },
    csv: { type: "string", multiple: true },
    "csv-columns": { type: "string" },
    "csv-symbol": { type: "string", multiple: true },
    speed: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
};

export const PRODUCER_HELP = `
  --rate N           records per second (default 100)
  --duration S       seconds of producing (default 10); rate × duration records in all
  --symbols LIST|N   comma-separated tickers (AAPL,BRK.B,^GSPC) or how many of the built-in
                     ones to use (default 8: AAPL MSFT AMZN BRK.B ^GSPC BTC-USD EURUSD=X USDJPY=X;
                     more are made up). Prices random-walk with 2 to 4 decimals.
  --bad-ratio R      share of malformed records, 0 to 1 (default 0.01): not JSON, missing price,
                     negative price, impossible date, unsafe symbol
  --seed N           the seed of the ticks: the same symbols, prices and malformed records, in
                     the same order (timestamps come from the clock); default: a new one,
                     printed at the start
  --aggregate N      send N ticks per Kinesis record, as the Kinesis Producer Library does
                     (KPL aggregates with their MD5), 1 to 1000 (default: one tick per record);
                     --rate still counts ticks

History from CSV (instead of --rate, --duration, --symbols, --bad-ratio):
  --csv FILE         send the rows of a CSV file, streamed; repeat for several files (their rows
                     go in time order); the price goes as its exact text, a row that is no tick
                     (a price "n/a", a date the contract refuses) is sent all the same and
                     rejected, its file:line shown
  --csv-columns symbol=NAME,price=NAME,timestamp=NAME
                     the columns to read (default: those named symbol, price, timestamp, in any
                     case), e.g. price=Close,timestamp=Date for a daily-bars download
  --csv-symbol SYM   the symbol of a file without a symbol column; once for every file, or once
                     per --csv, in order
  --speed N|max      replay the rows' own spacing N times faster (1: as recorded, 60: a minute
                     a second); max (default): as fast as the stream takes them
  -h, --help         this text`;

/** --csv-columns symbol=Ticker,price=Close: the column name for each role given. */
export function parseCsvColumns(text: string): Partial<Record<CsvRole, string>> {
    const columns: Partial<Record<CsvRole, string>> = {};
    for (const pair of text.split(",")) {
        const equals = pair.indexOf("=");
        const role = pair.slice(0, Math.max(equals, 0)).trim().toLowerCase();
        const name = pair.slice(equals + 1).trim();
        if (equals <= 0 || name === "")
            throw new UsageError(`--csv-columns: expected symbol=NAME,price=NAME,timestamp=NAME, got "${pair}"`);
        if (!(CSV_ROLES as readonly string[]).includes(role))
            throw new UsageError(
                `--csv-columns: no role "${role}"${suggestion(role, CSV_ROLES)}: the roles are ${CSV_ROLES.join(", ")}`,
            );
        if (columns[role as CsvRole] !== undefined) throw new UsageError(`--csv-columns: ${role} given twice`);
        columns[role as CsvRole] = name;
    }
    return columns;
}

/** --speed 1, 60, 0.5 or max. */
function parseSpeed(values: Record<string, unknown>): number {
    if (values.speed === undefined || values.speed === "max") return Infinity;
    return numberFlag(values, "speed", 0.001, 1_000_000);
}

/** The CSV files the flags name, with their columns and symbols, not yet read. */
function csvSpecs(values: Record<string, unknown>): CsvFileSpec[] {
    const files = values.csv as string[];
    const symbols = (values["csv-symbol"] as string[] | undefined) ?? [];
    if (symbols.length > 1 && symbols.length !== files.length)
        throw new UsageError(
            `--csv-symbol: give one for every file, or one per --csv (${files.length}), not ${symbols.length}`,
        );
    for (const symbol of symbols) {
        const checked = validateSymbol(symbol);
        if (!checked.ok) throw new UsageError(`--csv-symbol: ${checked.reason}`);
    }
    const columns = values["csv-columns"] === undefined ? {} : parseCsvColumns(values["csv-columns"] as string);
    return files.map((file, i) => ({ file, columns, symbol: symbols.length > 1 ? symbols[i] : symbols[0] }));
}

export function producerFlags(values: Record<string, unknown>): ProducerFlags {
    const csv = values.csv !== undefined;
    if (csv) {
        const synthetic = Object.keys(SYNTHETIC_DEFAULTS).find(name => values[name] !== undefined);
        if (synthetic !== undefined)
            throw new UsageError(`--${synthetic}: not with --csv, whose rows are the ticks (pace them with --speed)`);
    } else {
        const csvOnly = CSV_ONLY.find(name => values[name] !== undefined);
        if (csvOnly !== undefined) throw new UsageError(`--${csvOnly} goes with --csv FILE`);
    }
    const given = {
        ...SYNTHETIC_DEFAULTS,
        ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
    };
    const symbols = asUsage(() => resolveSymbols(String(given.symbols)));
    return {
        rate: numberFlag(given, "rate", 0.1, 100_000),
        duration: numberFlag(given, "duration", 0.1, 86_400),
        symbols,
        shards: numberFlag(values, "shards", 1, 500, true),
        badRatio: numberFlag(given, "bad-ratio", 0, 1),
        seed: values.seed === undefined ? newSeed() : numberFlag(values, "seed", 0, 2 ** 32 - 1, true),
        aggregate: values.aggregate === undefined ? undefined : numberFlag(values, "aggregate", 1, 1000, true),
        ...(csv ? { csv: { specs: csvSpecs(values), speed: parseSpeed(values) } } : {}),
    };
}

/**
 * Reads the --csv files through once, before anything starts: their columns and CSV syntax, and
 * how many rows each holds. A missing file or column is a usage error, a file that is not CSV a
 * user error, each in one line.
 */
export async function checkCsvHistory<T extends ProducerFlags>(flags: T): Promise<T> {
    if (!flags.csv) return flags;
    const files: CsvFile[] = [];
    for (const spec of flags.csv.specs) {
        try {
            files.push(await checkCsvFile(spec));
        } catch (error) {
            if (!(error instanceof CsvFileError)) throw error;
            const message = error.message.startsWith("--") ? error.message : `--csv ${error.message}`;
            throw error.kind === "usage" ? new UsageError(message) : new UserError(message);
        }
    }
    return { ...flags, csv: { ...flags.csv, files } };
}

/** "300 rows from ticks.csv, 252 rows from bars.csv (speed max: …)": what a CSV run sends. */
export function describeCsvHistory(csv: CsvHistory): string {
    const files = (csv.files ?? []).map(
        file => `${file.rows} ${file.rows === 1 ? "row" : "rows"} from ${displayPath(file.file)}`,
    );
    const order = files.length > 1 ? ", in time order" : "";
    const speed = Number.isFinite(csv.speed)
        ? `speed ${csv.speed}: the rows' own spacing${csv.speed === 1 ? "" : `, ${csv.speed} times faster`}`
        : "speed max: as fast as the stream takes them";
    return `${files.join(", ")}${order} (${speed})`;
}

/** At most this many bad rows are named in the progress output; the summary counts them all. */
const BAD_ROWS_SHOWN = 20;

/** Names each bad CSV row as it is sent (file:line and why the pipeline will reject it), up to BAD_ROWS_SHOWN. */
export function badRowReporter(log: (line: string) => void): (tick: CsvTick) => void {
    let seen = 0;
    return tick => {
        seen++;
        if (seen <= BAD_ROWS_SHOWN) log(`${tick.where}: ${tick.reason} (sent all the same: the pipeline rejects it)`);
        if (seen === BAD_ROWS_SHOWN + 1) log(`more rows that are no tick follow; the summary counts them all`);
    };
}
