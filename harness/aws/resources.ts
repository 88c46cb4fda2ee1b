/**
 * The table, bucket and stream on the emulators, made from the same definitions as the Pulumi
 * components (pipeline/schema.ts), and readers that check what the processor stored.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import { CreateBucketCommand, GetObjectCommand, ListObjectsCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { DAY_INDEX, TABLE_KEY, tableAttributes } from "../../pipeline/schema";
import type { StoredTick } from "../../pipeline/runtime/tick";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "./emulators";

const common = { region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS };

export function dynamoClient(endpoint: string): DynamoDBClient {
    return new DynamoDBClient({ ...common, endpoint });
}

export function s3Client(endpoint: string): S3Client {
    // s3rver serves path-style only; its keep-alive handling wants a plain HTTP/1.1 handler.
    return new S3Client({ ...common, endpoint, forcePathStyle: true, requestHandler: new NodeHttpHandler() });
}

/** The table as StockStorage declares it: symbol + timestamp, on demand. */
export async function createTickTable(client: DynamoDBClient, name: string, withDayIndex = false): Promise<void> {
    await client.send(
        new CreateTableCommand({
            TableName: name,
            BillingMode: "PAY_PER_REQUEST",
            AttributeDefinitions: tableAttributes(withDayIndex).map(a => ({
                AttributeName: a.name,
                AttributeType: a.type,
            })),
            KeySchema: [
                { AttributeName: TABLE_KEY.partitionKey, KeyType: "HASH" },
                { AttributeName: TABLE_KEY.sortKey, KeyType: "RANGE" },
            ],
            GlobalSecondaryIndexes: withDayIndex
                ? [
                      {
                          IndexName: DAY_INDEX.name,
                          KeySchema: [
                              { AttributeName: DAY_INDEX.partitionKey, KeyType: "HASH" },
                              { AttributeName: DAY_INDEX.sortKey, KeyType: "RANGE" },
                          ],
                          Projection: { ProjectionType: "ALL" },
                      },
                  ]
                : undefined,
        }),
    );
}

export async function createRecordBucket(client: S3Client, name: string): Promise<void> {
    await client.send(new CreateBucketCommand({ Bucket: name }));
}

/** Every item, prices as their exact decimal text (DynamoDB's own, not a double). */
export async function scanTicks(client: DynamoDBClient, tableName: string): Promise<StoredTick[]> {
    const doc = DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: true } });
    const ticks: StoredTick[] = [];
    for await (const page of paginateScan({ client: doc }, { TableName: tableName })) {
        for (const item of page.Items ?? []) {
            ticks.push({ symbol: item.symbol, timestamp: item.timestamp, price: item.price.value, day: item.day });
        }
    }
    return ticks;
}

/** Every key under a prefix. ListObjects (v1) with markers: s3rver's v2 pagination needs DES, gone from Node 17+. */
export async function listKeys(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    do {
        const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }));
        const found = (page.Contents ?? []).map(object => object.Key!);
        keys.push(...found);
        marker = page.IsTruncated ? found[found.length - 1] : undefined;
    } while (marker);
    return keys;
}

export async function getObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await Body!.transformToByteArray());
}
