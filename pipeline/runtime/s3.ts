/** The S3 adapter: all of a batch's objects in flight together, retried within the deadline. */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ObjectPut } from "./layouts";
import { TimeLimit, writeAll } from "./retry";

/**
 * Puts every object; retries transient errors with backoff until the deadline; the limit's signal
 * aborts the requests in flight.
 * `maxInFlight` should match the client's connection pool so no request waits for a socket
 * long enough to time out. Returns the keys that could not be written.
 */
export async function putObjects(
    client: S3Client,
    bucket: string,
    puts: ObjectPut[],
    limit: TimeLimit,
    maxInFlight: number,
    onError: (error: unknown) => void,
): Promise<Set<string>> {
    const failed = await writeAll({
        items: puts,
        deadline: limit.deadline,
        concurrency: maxInFlight,
        onError,
        send: async ([put]) => {
            await client.send(
                new PutObjectCommand({ Bucket: bucket, Key: put.key, Body: put.body, ContentType: put.contentType }),
                { abortSignal: limit.signal },
            );
        },
    });
    return new Set(failed.map(put => put.key));
}
