/**
 * Lambda's payload limits for a synchronous invocation, which the event source mapping and
 * `npm run replay` keep to, and the Runtime API stand-in enforces.
 */
import type { KinesisStreamRecord } from "aws-lambda";

/** The most a synchronous invocation's event may weigh (Lambda's Invoke: 6 MB, that is 6 MiB). */
export const REQUEST_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** The most a response may weigh: Lambda's runtime API takes 6 MiB and 100 bytes. */
export const RESPONSE_PAYLOAD_LIMIT = 6 * 1024 * 1024 + 100;

/**
 * Records cut into events of at most `limit` bytes (as `{"Records":[…]}` JSON), in stream order,
 * each as full as it can be: Lambda invokes a batch once its payload reaches 6 MB ("You cannot
 * modify this limit"). A record too big for an event of its own goes alone, and its invocation
 * fails (RuntimeApi.invoke refuses it, as Lambda does).
 */
export function cutIntoEvents(records: KinesisStreamRecord[], limit = REQUEST_PAYLOAD_LIMIT): KinesisStreamRecord[][] {
    const events: KinesisStreamRecord[][] = [];
    const envelope = Buffer.byteLength(JSON.stringify({ Records: [] }));
    let bytes = envelope;
    for (const record of records) {
        const size = Buffer.byteLength(JSON.stringify(record));
        const current = events[events.length - 1];
        const separator = current?.length ? 1 : 0;
        if (current && bytes + separator + size <= limit) {
            current.push(record);
            bytes += separator + size;
        } else {
            events.push([record]);
            bytes = envelope + size;
        }
    }
    return events;
}
