/** The Kinesis side of the local pipeline: a client that works against kinesalite, and the stream. */
import { setTimeout as sleep } from "timers/promises";
import {
    CreateStreamCommand,
    DescribeStreamSummaryCommand,
    KinesisClient,
    KinesisClientConfig,
    ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "./emulators";

export const STREAM_NAME = "stock-market-stream";

/** Addresses a stream by name (emulators, older APIs) or by ARN (a real account). */
export type StreamTarget = { StreamName: string } | { StreamARN: string };

/**
 * A client for a local endpoint: emulator credentials and region (LocalStack keeps streams per
 * region), and HTTP/1.1 (the client's default HTTP/2 handler cannot talk to kinesalite).
 */
export function localKinesisClient(endpoint: string, region = EMULATOR_REGION): KinesisClient {
    return new KinesisClient({
        region,
        credentials: EMULATOR_CREDENTIALS,
        endpoint,
        requestHandler: new NodeHttpHandler(),
    });
}

/** A client for AWS: region and credentials from the SDK's default chain (AWS_REGION, profile, role...). */
export function awsKinesisClient(config: KinesisClientConfig = {}): KinesisClient {
    return new KinesisClient(config);
}

/** Creates the stream unless it exists (a kept data folder), then waits until it is ACTIVE. */
export async function ensureStream(
    client: KinesisClient,
    name: string,
    shards: number,
): Promise<{ streamArn: string; created: boolean }> {
    let created = true;
    try {
        await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    } catch (error) {
        if ((error as Error).name !== "ResourceInUseException") throw error;
        created = false;
    }
    for (let tries = 0; tries < 100; tries++) {
        const { StreamDescriptionSummary: summary } = await client.send(
            new DescribeStreamSummaryCommand({ StreamName: name }),
        );
        if (summary?.StreamStatus === "ACTIVE") return { streamArn: summary.StreamARN!, created };
        await sleep(100);
    }
    throw new Error(`stream ${name} did not become ACTIVE`);
}

/** The ids of the stream's open shards (those a poller can still read new records from). */
export async function openShardIds(client: KinesisClient, name: string): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
        const page = await client.send(
            new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: name }),
        );
        for (const shard of page.Shards ?? []) {
            if (!shard.SequenceNumberRange?.EndingSequenceNumber) ids.push(shard.ShardId!);
        }
        nextToken = page.NextToken;
    } while (nextToken);
    return ids;
}
