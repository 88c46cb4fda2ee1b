import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { expect } from "chai";
import { Emulator, startKinesalite } from "../../harness/aws/emulators";
import { FailureDestinationMessage, PollerSettings, ShardPoller } from "../../harness/event-source-mapping/poller";
import { ensureStream, localKinesisClient, openShardIds } from "../../harness/aws/kinesis";

describe("a shard poller on kinesalite", function () {
    this.timeout(30_000);
    let kinesalite: Emulator;
    let kinesis: KinesisClient;
    let streamArn: string;
    let shardId: string;
    let streamCount = 0;
    let streamName: string;

    before(async () => {
        kinesalite = await startKinesalite();
        kinesis = localKinesisClient(kinesalite.endpoint);
    });
    after(async () => {
        kinesis?.destroy();
        await kinesalite?.close();
    });
    beforeEach(async () => {
        streamName = `poller-test-${++streamCount}`;
        streamArn = (await ensureStream(kinesis, streamName, 1)).streamArn;
        [shardId] = await openShardIds(kinesis, streamName);
    });

    async function put(count: number): Promise<string[]> {
        const records = Array.from({ length: count }, (_, i) => ({
            Data: Buffer.from(`{"n":${i}}`),
            PartitionKey: "p",
        }));
        const { Records } = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: records }));
        return Records!.map(record => record.SequenceNumber!);
    }

    /** Runs a poller with a fake function until `done` holds, and returns what it saw. */
    async function poll(
        settings: Partial<PollerSettings>,
        invoke: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>,
        done: (seen: { acknowledged: string[]; gaveUp: FailureDestinationMessage[] }) => boolean,
    ) {
        const seen = {
            acknowledged: [] as string[],
            gaveUp: [] as FailureDestinationMessage[],
            given: [] as string[],
            batches: [] as string[][],
        };
        const poller = new ShardPoller(
            kinesis,
            {
                streamName,
                streamArn,
                shardId,
                region: "us-east-1",
                functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
            },
            {
                batchSize: 100,
                startingPosition: "TRIM_HORIZON",
                maximumRetryAttempts: 10,
                maximumRecordAgeInSeconds: 86400,
                idlePollMs: 20,
                ...settings,
            },
            {
                invoke: event => {
                    seen.batches.push(event.Records.map(record => record.kinesis.sequenceNumber));
                    return invoke(event);
                },
                acknowledged: sequenceNumbers => seen.acknowledged.push(...sequenceNumbers),
                gaveUp: (message, sequenceNumbers) => {
                    seen.gaveUp.push(message);
                    seen.given.push(...sequenceNumbers);
                },
                invoked: () => undefined,
                warn: message => {
                    throw new Error(message);
                },
            },
        );
        await poller.start();
        const deadline = Date.now() + 10_000;
        while (!done(seen) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
        await poller.stop();
        return seen;
    }

    it("builds the event Lambda would: base64 data, eventID shard:sequence, the stream's ARN", async () => {
        const [sequenceNumber] = await put(1);
        let event: KinesisStreamEvent | undefined;
        await poll(
            {},
            async received => {
                event = received;
                return { batchItemFailures: [] };
            },
            seen => seen.acknowledged.length === 1,
        );
        const [record] = event!.Records;
        expect(record).to.deep.include({
            eventSource: "aws:kinesis",
            eventName: "aws:kinesis:record",
            eventID: `${shardId}:${sequenceNumber}`,
            eventSourceARN: streamArn,
        });
        expect(Buffer.from(record.kinesis.data, "base64").toString()).to.equal('{"n":0}');
        expect(record.kinesis.approximateArrivalTimestamp).to.be.closeTo(Date.now() / 1000, 30);
    });

    it("redelivers from the lowest reported failure and acknowledges every record exactly once", async () => {
        const sequenceNumbers = await put(10);
        let failedOnce = false;
        const seen = await poll(
            {},
            async () => {
                if (failedOnce) return { batchItemFailures: [] };
                failedOnce = true;
                return {
                    batchItemFailures: [{ itemIdentifier: sequenceNumbers[7] }, { itemIdentifier: sequenceNumbers[4] }],
                };
            },
            s => s.acknowledged.length >= 10,
        );
        expect(seen.batches[0]).to.deep.equal(sequenceNumbers);
        expect(seen.batches[1]).to.deep.equal(sequenceNumbers.slice(4));
        expect(seen.acknowledged).to.deep.equal(sequenceNumbers);
    });

    it("sends a batch that keeps failing to the failure destination after the retry bound, then moves past it", async () => {
        const poisoned = await put(5);
        let healthy: string[] = [];
        const seen = await poll(
            { maximumRetryAttempts: 2 },
            async event => {
                if (event.Records.some(record => poisoned.includes(record.kinesis.sequenceNumber)))
                    throw new Error("poison");
                return { batchItemFailures: [] };
            },
            s => {
                if (s.gaveUp.length === 1 && healthy.length === 0)
                    put(3).then(numbers => {
                        healthy = numbers;
                    });
                return healthy.length > 0 && s.acknowledged.length === 3;
            },
        );
        expect(seen.batches.slice(0, 3)).to.deep.equal([poisoned, poisoned, poisoned]);
        expect(seen.given).to.deep.equal(poisoned);
        expect(seen.acknowledged).to.deep.equal(healthy);
        const [message] = seen.gaveUp;
        expect(message.requestContext).to.include({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 });
        expect(message.responseContext).to.include({ functionError: "Unhandled" });
        expect(message.KinesisBatchInfo).to.include({
            shardId,
            streamArn,
            startSequenceNumber: poisoned[0],
            endSequenceNumber: poisoned[4],
            batchSize: 5,
        });
    });

    it("bisects a batch on a function error until the poison record is alone, storing every other record once", async () => {
        const numbers = await put(8);
        const poison = numbers[5];
        const seen = await poll(
            { maximumRetryAttempts: 4, bisectBatchOnFunctionError: true },
            async event => {
                if (event.Records.some(record => record.kinesis.sequenceNumber === poison)) throw new Error("poison");
                return { batchItemFailures: [] };
            },
            s => s.gaveUp.length === 1 && s.acknowledged.length === 7,
        );
        expect(seen.batches).to.deep.equal([
            // Splitting spends no retry: the halves are first tries too.
            numbers, // fails
            numbers.slice(0, 4), // done
            numbers.slice(4), // fails
            numbers.slice(4, 6), // fails
            [numbers[4]], // done
            [poison], // fails
            [poison], // fails (retry 1)
            [poison], // fails (retry 2)
            [poison], // fails (retry 3)
            [poison], // fails (retry 4): given up
            [numbers[6], numbers[7]], // done
        ]);
        expect(seen.given).to.deep.equal([poison]);
        expect(seen.acknowledged).to.deep.equal(numbers.filter(n => n !== poison));
        expect(seen.gaveUp[0].requestContext).to.include({ approximateInvokeCount: 5 });
        expect(seen.gaveUp[0].KinesisBatchInfo).to.include({
            startSequenceNumber: poison,
            endSequenceNumber: poison,
            batchSize: 1,
        });
    });

    it("starts at LATEST after the records already in the stream", async () => {
        await put(3);
        const acknowledged: string[] = [];
        const poller = new ShardPoller(
            kinesis,
            { streamName, streamArn, shardId, region: "us-east-1", functionArn: "f" },
            {
                batchSize: 100,
                startingPosition: "LATEST",
                maximumRetryAttempts: 1,
                maximumRecordAgeInSeconds: -1,
                idlePollMs: 20,
            },
            {
                invoke: async () => ({ batchItemFailures: [] }),
                acknowledged: numbers => acknowledged.push(...numbers),
                gaveUp: () => undefined,
                invoked: () => undefined,
                warn: () => undefined,
            },
        );
        await poller.start();
        const later = await put(2);
        const deadline = Date.now() + 10_000;
        while (acknowledged.length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
        await poller.stop();
        expect(acknowledged).to.deep.equal(later);
    });
});
