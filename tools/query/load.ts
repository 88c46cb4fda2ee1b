/** Reads a bucket's processed/ and rejected/ objects into the local engine's tables. */
import type { GlueTableDefinition } from "../../pipeline/analytics/tables";
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
