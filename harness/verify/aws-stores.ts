/**
 * What `npm run verify` checks through, on AWS (or emulators at the SDK's endpoint variables):
 * the bucket and the table as the canary checks see them, and a check up front that both exist
 * and can be read, so that a wrong name fails before any canary is put on the stream.
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsCommand, S3Client } from "@aws-sdk/client-s3";
import { explainAwsError } from "../cli/aws-errors";
import { UserError } from "../cli/cli";
import type { CanaryItems, CanaryObjects } from "./store";

export function s3Store(s3: S3Client, bucket: string): CanaryObjects {
    return {
        get: async key => {
            try {
                const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
                return Buffer.from(await Body!.transformToByteArray());
            } catch (error) {
                if ((error as Error).name === "NoSuchKey" || (error as Error).name === "NotFound") return undefined;
                throw error;
            }
        },
        // ListObjects (v1) with a marker: works on every S3, s3rver included.
        list: async (prefix, marker) => {
            const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }));
            return { keys: (page.Contents ?? []).map(object => object.Key!), truncated: page.IsTruncated === true };
        },
        delete: async key => {
            await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        },
    };
}

export function dynamoStore(dynamo: DynamoDBClient, tableName: string): CanaryItems {
    const key = (symbol: string, timestamp: string) => ({ symbol: { S: symbol }, timestamp: { S: timestamp } });
    return {
        price: async (symbol, timestamp) => {
            const { Item } = await dynamo.send(
                new GetItemCommand({ TableName: tableName, Key: key(symbol, timestamp), ConsistentRead: true }),
            );
            return Item?.price?.N;
        },
        delete: async (symbol, timestamp) => {
            await dynamo.send(new DeleteItemCommand({ TableName: tableName, Key: key(symbol, timestamp) }));
        },
    };
}

/** A key no tick has: ticks' timestamps are ISO 8601. */
const UNUSED_KEY = { symbol: { S: "ZZCANARY-ACCESS-CHECK" }, timestamp: { S: "-" } };

/**
 * The table and the bucket exist and these credentials may read them: a GetItem on an unused key
 * and a listing of one key (the permissions the canaries' checks need anyway).
 */
export async function checkStore(
    dynamo: DynamoDBClient,
    s3: S3Client,
    stack: { tableName: string; bucketName: string; region: string },
): Promise<void> {
    const nothingPut = "nothing was put on the stream";
    const explained = (error: unknown, target: string) => {
        const line = explainAwsError(error, { target })?.message;
        return line ? new UserError(`${line}; ${nothingPut}`) : error;
    };
    await dynamo.send(new GetItemCommand({ TableName: stack.tableName, Key: UNUSED_KEY })).catch(error => {
        if (error?.name === "ResourceNotFoundException")
            throw new UserError(
                `no table ${stack.tableName} in ${stack.region} (tableName, --table-name); ${nothingPut}`,
            );
        throw explained(error, `table ${stack.tableName}`);
    });
    await s3.send(new ListObjectsCommand({ Bucket: stack.bucketName, MaxKeys: 1 })).catch(error => {
        if (error?.name === "NoSuchBucket")
            throw new UserError(`no bucket ${stack.bucketName} (bucketName, --bucket-name); ${nothingPut}`);
        throw explained(error, `bucket ${stack.bucketName}`);
    });
}
