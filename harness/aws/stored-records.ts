/**
 * What the bucket holds, record by record, in either object layout (the processing contract):
 * a record-layout object is one record, named by its key (`…/<sequenceNumber>[-<sub>].json`); a
 * batch-layout object (`…/<first>-<last>.ndjson.gz`, or `<first>.ndjson.gz` when written before ranges were named) holds one line per record. Used by the tests and the
 * local run to reconcile what was produced with what was stored.
 */
import { gunzipSync } from "zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { parse } from "lossless-json";
import { getObject, listKeys } from "./resources";

/** One record's copy under a prefix. */
export interface RecordCopy {
    /** `<sequenceNumber>` or `<sequenceNumber>-<subSequenceNumber>`, as the record layout's keys end. */
    id: string;
    /** The object holding it. */
    key: string;
    /**
     * Batch layout: the line, numbers kept as their exact text (prices, sub-sequence numbers).
     * Record layout: absent (the object is not read).
     */
    line?: Record<string, unknown>;
}

export interface PrefixContents {
    /** Objects under the prefix. */
    objects: number;
    /** Every record copy, in key order, then line order. */
    copies: RecordCopy[];
}

const RECORD_KEY = /\/(\d+(?:-\d+)?)\.json$/;
const BATCH_KEY = /\.ndjson\.gz$/;
/** GetObject calls in flight at once. */
const READ_CONCURRENCY = 16;

/** The lines of a batch-layout object, numbers as their exact text. */
export function ndjsonLines(gzipped: Buffer): Record<string, unknown>[] {
    return gunzipSync(gzipped)
        .toString("utf8")
        .split("\n")
        .filter(line => line !== "")
        .map(line => parse(line, null, text => text) as Record<string, unknown>);
}

/** `<sequenceNumber>[-<subSequenceNumber>]` of a batch-layout line. */
function lineId(line: Record<string, unknown>): string {
    const sub = line.subSequenceNumber;
    return sub === undefined ? String(line.sequenceNumber) : `${line.sequenceNumber}-${sub}`;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** Every record copy under `prefix`, whichever layout wrote it; other keys are ignored. */
export async function readRecordCopies(client: S3Client, bucket: string, prefix: string): Promise<PrefixContents> {
    const keys = await listKeys(client, bucket, prefix);
    const perObject = await mapLimit(keys, READ_CONCURRENCY, async (key): Promise<RecordCopy[]> => {
        const id = RECORD_KEY.exec(key)?.[1];
        if (id !== undefined) return [{ id, key }];
        if (!BATCH_KEY.test(key)) return [];
        return ndjsonLines(await getObject(client, bucket, key)).map(line => ({ id: lineId(line), key, line }));
    });
    return { objects: keys.length, copies: perObject.flat() };
}
