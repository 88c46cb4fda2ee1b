/**
 * Where the objects come from: a bucket through the S3 API (any endpoint the AWS SDK is pointed
 * at), or straight from the files s3rver keeps on disk, so a stopped local run can be queried.
 */
import * as fs from "fs";
import * as path from "path";
import { S3Client } from "@aws-sdk/client-s3";
import { getObject, listKeys } from "../aws/resources";
import { explainAwsError } from "../cli/aws-errors";
import { asUsage, UsageError, UserError } from "../cli/cli";

export interface ObjectStore {
    bucket: string;
    /** Every key under the prefix, sorted. */
    listKeys(prefix: string): Promise<string[]>;
    read(key: string): Promise<Buffer>;
}

/**
 * s3rver 3.7 keeps an object `a/b/c.json` of bucket B as the file `<root>/B/a/b/c.json._S3rver_object`
 * (beside `._S3rver_metadata.json` and `._S3rver_object.md5`); keys are not encoded on Linux.
 */
export const S3RVER_OBJECT_SUFFIX = "._S3rver_object";

/** A bucket in an s3rver directory (`root` holds one folder per bucket). */
export function directoryStore(root: string, bucket: string): ObjectStore {
    const bucketDir = path.join(root, bucket);
    if (!fs.statSync(bucketDir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new Error(`no bucket ${bucket} in ${root}`);
    }
    return {
        bucket,
        listKeys: async prefix => {
            const keys: string[] = [];
            walk(bucketDir, prefix, keys);
            return keys.sort();
        },
        read: key => fs.promises.readFile(path.join(bucketDir, key + S3RVER_OBJECT_SUFFIX)),
    };
}

/** Collects the keys under `prefix` below `dir`, descending only into folders the prefix allows. */
function walk(dir: string, prefix: string, keys: string[], relative = ""): void {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const name = relative + entry.name;
        if (entry.isDirectory()) {
            const folder = name + "/";
            if (folder.startsWith(prefix) || prefix.startsWith(folder))
                walk(path.join(dir, entry.name), prefix, keys, folder);
        } else if (name.endsWith(S3RVER_OBJECT_SUFFIX)) {
            const key = name.slice(0, -S3RVER_OBJECT_SUFFIX.length);
            if (key.startsWith(prefix)) keys.push(key);
        }
    }
}

/** The buckets of an s3rver directory. */
export function directoryBuckets(root: string): string[] {
    if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${root} is not a directory`);
    return fs
        .readdirSync(root, { withFileTypes: true })
        .filter(entry => entry.isDirectory())
        .map(entry => entry.name)
        .sort();
}

/** A bucket through the S3 API (ListObjects v1 with markers, which s3rver pages correctly). */
export function bucketStore(client: S3Client, bucket: string): ObjectStore {
    return {
        bucket,
        listKeys: async prefix => (await listKeys(client, bucket, prefix)).sort(),
        read: key => getObject(client, bucket, key),
    };
}

/**
 * An S3 client configured as the processor's is: the SDK's own credential chain, AWS_REGION (unless
 * `region` is given) and AWS_ENDPOINT_URL_S3, plus S3_FORCE_PATH_STYLE=true for emulators that
 * need path-style addressing.
 */
export function s3ClientFromEnvironment(region?: string, env: NodeJS.ProcessEnv = process.env): S3Client {
    return new S3Client({ region, forcePathStyle: env.S3_FORCE_PATH_STYLE === "true" });
}

/** Where `--bucket` and `--data` point: an S3 bucket, or a local run's data directory (and a bucket in it). */
export type SourceFlags = { bucket: string; data?: undefined } | { data: string; bucket?: string };

/** The flags that name a source, as `npm run query` and `npm run report` take them. */
export const SOURCE_HELP = `  --bucket NAME        a bucket through the S3 API: the AWS SDK's credentials, AWS_REGION,
                       AWS_ENDPOINT_URL_S3, S3_FORCE_PATH_STYLE=true for emulators
  --data DIR           a local run's data directory (npm run local -- --data DIR): reads the
                       files s3rver keeps in DIR/s3 (or DIR itself when it is s3rver's); with
                       several buckets there, add --bucket NAME`;

/** The source the flags name, or undefined when they name none. */
export function sourceFlags(values: Record<string, unknown>): SourceFlags | undefined {
    if (typeof values.data === "string") return { data: values.data, bucket: values.bucket as string | undefined };
    if (typeof values.bucket === "string") return { bucket: values.bucket };
    return undefined;
}

/** Opens the source; a directory that is missing or holds no bucket (or several) is a usage error. */
export function openSource(source: SourceFlags): { store: ObjectStore; where: string } {
    if (source.data === undefined)
        return {
            store: bucketStore(s3ClientFromEnvironment(), source.bucket),
            where: `s3://${source.bucket} (S3 API)`,
        };
    const nested = path.join(source.data, "s3");
    const root = fs.statSync(nested, { throwIfNoEntry: false })?.isDirectory() ? nested : source.data;
    const buckets = asUsage(() => directoryBuckets(root));
    const bucket = source.bucket ?? (buckets.length === 1 ? buckets[0] : undefined);
    if (bucket === undefined) {
        throw new UsageError(
            buckets.length === 0
                ? `no bucket in ${root}`
                : `${root} holds buckets ${buckets.join(", ")}: pick one with --bucket`,
        );
    }
    return { store: asUsage(() => directoryStore(root, bucket)), where: `${path.join(root, bucket)} (s3rver files)` };
}

/** AWS answers the user can act on (no such bucket or workgroup, access denied, no credentials, no endpoint) as one line. */
export async function awsErrorsAsUserErrors<T>(run: () => Promise<T>): Promise<T> {
    try {
        return await run();
    } catch (error) {
        const explained = explainAwsError(error);
        if (explained) throw new UserError(explained.message.split("\n")[0]);
        throw error;
    }
}
