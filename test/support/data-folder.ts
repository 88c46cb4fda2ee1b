/**
 * A local run's data folder opened after the run: its stream read from the start, and its store
 * read in full, to check record by record what a command left behind.
 */
import { createHash } from "crypto";
import * as path from "path";
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, _Record } from "@aws-sdk/client-kinesis";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { startDynalite, startKinesalite, startS3rver } from "../../harness/aws/emulators";
import { localKinesisClient, openShardIds } from "../../harness/aws/kinesis";
import { dynamoClient, getObject, listKeys, s3Client, scanTicks } from "../../harness/aws/resources";
import type { StoredTick } from "../../pipeline/runtime/tick";

export interface OpenDataFolder {
    kinesis: KinesisClient;
    dynamo: DynamoDBClient;
    s3: S3Client;
    close(): Promise<void>;
}

/** The emulators on the folder's data, as `npm run local -- --data DIR` left it. */
export async function openDataFolder(dir: string): Promise<OpenDataFolder> {
    const kinesalite = await startKinesalite(path.join(dir, "kinesis"));
    const dynalite = await startDynalite(path.join(dir, "dynamodb"));
    const s3rver = await startS3rver(path.join(dir, "s3"));
    const clients = {
        kinesis: localKinesisClient(kinesalite.endpoint),
        dynamo: dynamoClient(dynalite.endpoint),
        s3: s3Client(s3rver.endpoint),
    };
    return {
        ...clients,
        close: async () => {
            Object.values(clients).forEach(client => client.destroy());
            await Promise.all([kinesalite.close(), dynalite.close(), s3rver.close()]);
        },
    };
}

/** Every record of every shard, from the trim horizon to the tip. */
export async function readWholeStream(
    kinesis: KinesisClient,
    streamName: string,
): Promise<{ shardId: string; record: _Record }[]> {
    const all: { shardId: string; record: _Record }[] = [];
    for (const shardId of await openShardIds(kinesis, streamName)) {
        let { ShardIterator: iterator } = await kinesis.send(
            new GetShardIteratorCommand({
                StreamName: streamName,
                ShardId: shardId,
                ShardIteratorType: "TRIM_HORIZON",
            }),
        );
        while (iterator) {
            const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
            const records = page.Records ?? [];
            all.push(...records.map(record => ({ shardId, record })));
            if (records.length === 0) break;
            iterator = page.NextShardIterator;
        }
    }
    return all;
}

export interface StoreSnapshot {
    items: StoredTick[];
    /** Object key → SHA-256 of its content. */
    objects: Map<string, string>;
}

/** Every item and every object with a digest of its content: two snapshots are equal when nothing changed. */
export async function snapshotStore(
    dynamo: DynamoDBClient,
    s3: S3Client,
    tableName: string,
    bucket: string,
): Promise<StoreSnapshot> {
    const items = (await scanTicks(dynamo, tableName)).sort((a, b) =>
        `${a.symbol} ${a.timestamp}` < `${b.symbol} ${b.timestamp}` ? -1 : 1,
    );
    const objects = new Map<string, string>();
    for (const key of (await listKeys(s3, bucket)).sort())
        objects.set(
            key,
            createHash("sha256")
                .update(await getObject(s3, bucket, key))
                .digest("hex"),
        );
    return { items, objects };
}
