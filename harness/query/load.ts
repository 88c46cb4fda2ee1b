/** Reads a bucket's processed/ and rejected/ objects into the local engine's tables. */
import { GLUE_TABLES, GlueTableDefinition } from "../../pipeline/analytics/tables";
import { LocalEngine } from "./engine";
import { objectRows, partitionOf } from "./rows";
import type { ObjectStore } from "./sources";

export interface LoadOptions {
    store: ObjectStore;
    tables: readonly GlueTableDefinition[];
    /** Only these partitions (day= for ticks, arrival_day= for rejected); all when absent. */
    days?: readonly string[];
    /** Keep one copy per record in the tables (default true). */
    deduplicate?: boolean;
    /** Objects read at once (default 16). */
    concurrency?: number;
    /** Called as objects are read: done so far, and in all. */
    onProgress?: (done: number, total: number) => void;
    /** Aborting stops reading and rejects with an AbortError. */
    signal?: AbortSignal;
}

export interface LoadReport {
    objects: number;
    /** Rows per table, after deduplication. */
    rows: Record<string, number>;
    /** Copies of a record dropped per table (a record written in two objects). */
    duplicates: Record<string, number>;
    /** Values loaded as NULL, lines or objects skipped: one line each. */
    problems: string[];
}

export async function loadTables(engine: LocalEngine, options: LoadOptions): Promise<LoadReport> {
    const report: LoadReport = { objects: 0, rows: {}, duplicates: {}, problems: [] };
    const work: { table: GlueTableDefinition; key: string }[] = [];
    for (const table of options.tables) {
        report.rows[table.name] = 0;
        for (const key of await tableKeys(options.store, table, options.days)) {
            if (partitionOf(table, key) === null)
                report.problems.push(
                    `${uri(options.store, key)}: not under ${table.prefix}${table.partitionKey.name}=YYYY-MM-DD/, skipped`,
                );
            else work.push({ table, key });
        }
    }
    await forEachLimited(work, options.concurrency ?? 16, async ({ table, key }) => {
        if (options.signal?.aborted) throw Object.assign(new Error("interrupted"), { name: "AbortError" });
        const loaded = objectRows(table, key, uri(options.store, key), await options.store.read(key));
        engine.append(table.name, loaded.rows);
        report.rows[table.name] += loaded.rows.length;
        report.problems.push(...loaded.problems);
        report.objects++;
        options.onProgress?.(report.objects, work.length);
    });
    engine.finishLoading();
    for (const table of options.tables) {
        report.duplicates[table.name] = options.deduplicate === false ? 0 : await engine.deduplicate(table);
        report.rows[table.name] -= report.duplicates[table.name];
    }
    return report;
}

/** The table's keys: under each day's partition prefix when days are given, else under the table's prefix. */
async function tableKeys(store: ObjectStore, table: GlueTableDefinition, days?: readonly string[]): Promise<string[]> {
    if (!days) return store.listKeys(table.prefix);
    const perDay = await Promise.all(
        days.map(day => store.listKeys(`${table.prefix}${table.partitionKey.name}=${day}/`)),
    );
    return perDay.flat();
}

function uri(store: ObjectStore, key: string): string {
    return `s3://${store.bucket}/${key}`;
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await run(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Keeps an engine's tables up to date with a store that grows, as a live page needs: each
 * catchUp reads only the objects it has not read yet (keys are never rewritten with other
 * contents: a redelivery writes the same bytes under the same key). An object with nothing readable
 * in it (still being written, or damaged) is tried again next time. The
 * tables are not deduplicated: the report's queries count each record once themselves.
 */
export class StoreFollower {
    private readonly read = new Set<string>();

    constructor(
        private readonly engine: LocalEngine,
        private readonly store: ObjectStore,
        private readonly tables: readonly GlueTableDefinition[] = GLUE_TABLES,
    ) {}

    /** Loads the objects that appeared since the last call; returns how many were loaded. */
    async catchUp(concurrency = 16): Promise<number> {
        const work: { table: GlueTableDefinition; key: string }[] = [];
        for (const table of this.tables)
            for (const key of await this.store.listKeys(table.prefix))
                if (!this.read.has(key) && partitionOf(table, key) !== null) work.push({ table, key });
        if (work.length === 0) return 0;
        await this.engine.startLoading();
        let loaded = 0;
        try {
            await forEachLimited(work, concurrency, async ({ table, key }) => {
                const body = await this.store.read(key).catch(() => undefined);
                if (body === undefined) return;
                const rows = objectRows(table, key, uri(this.store, key), body);
                // Nothing readable in it: not written whole yet, perhaps; a value it cannot hold is loaded as NULL, as ever.
                if (rows.rows.length === 0 && rows.problems.length > 0) return;
                this.engine.append(table.name, rows.rows);
                this.read.add(key);
                loaded++;
            });
        } finally {
            this.engine.finishLoading();
        }
        return loaded;
    }
}

/** SQL the engine cannot run (DuckDB's parser or binder error), found before any object was read. */
export class InvalidSql extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidSql";
    }
}

export interface OpenOptions {
    /** Only these partitions; all when absent. */
    days?: readonly string[];
    /** Progress lines, about once a second. */
    progress?: (line: string) => void;
    signal?: AbortSignal;
    /** Checked before any object is read, so a mistake in it shows at once (DuckDB's error is thrown). */
    sql?: string;
}

/** A local engine holding the store's tables, loaded and deduplicated. The caller closes the engine. */
export async function openLoadedEngine(
    store: ObjectStore,
    options: OpenOptions = {},
): Promise<{ engine: LocalEngine; report: LoadReport }> {
    const engine = await LocalEngine.open(GLUE_TABLES);
    try {
        if (options.sql !== undefined)
            await engine.check(options.sql).catch(error => {
                throw new InvalidSql((error as Error).message);
            });
        let lastProgress = Date.now();
        const report = await loadTables(engine, {
            store,
            tables: GLUE_TABLES,
            days: options.days,
            signal: options.signal,
            onProgress: (done, total) => {
                if (!options.progress || Date.now() - lastProgress < 1000) return;
                lastProgress = Date.now();
                options.progress(`reading objects: ${done}/${total}`);
            },
        });
        return { engine, report };
    } catch (error) {
        engine.close();
        throw error;
    }
}

/** One line on what was read: objects, rows per table, duplicate copies dropped. */
export function loadSummary(where: string, days: readonly string[] | undefined, report: LoadReport): string {
    const tables = Object.entries(report.rows).map(([name, rows]) => {
        const copies = report.duplicates[name];
        const dropped = copies ? `, ${copies} duplicate ${copies === 1 ? "copy" : "copies"} dropped` : "";
        return `${name} ${rows} rows${dropped}`;
    });
    const scope = days
        ? ` for ${days.length === 1 ? days[0] : `${days.length} days (${days[0]}..${days[days.length - 1]})`}`
        : "";
    return `read ${report.objects} objects from ${where}${scope}: ${tables.join(", ")}`;
}

const MAX_PROBLEMS_SHOWN = 20;

/** The load's problems as warning lines, at most 20 and a count of the rest. */
export function problemLines(report: LoadReport): string[] {
    const shown = report.problems.slice(0, MAX_PROBLEMS_SHOWN).map(problem => `warning: ${problem}`);
    const rest = report.problems.length - MAX_PROBLEMS_SHOWN;
    return rest > 0 ? [...shown, `warning: ... and ${rest} more`] : shown;
}
