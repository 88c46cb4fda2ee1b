import type { _Record } from "@aws-sdk/client-kinesis";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { KinesisStreamEvent } from "aws-lambda";
import { expect } from "chai";
import type { InvocationOutcome } from "../../harness/event-source-mapping/checkpoint";
import { cutIntoEvents } from "../../harness/lambda/limits";
import { lambdaInvoker } from "../../harness/replay/invoke";
import { BatchRange, parseFailureMessage, rangeKey } from "../../harness/replay/messages";
import { regionOfQueueUrl } from "../../tools/replay/command";
import { eventRecords, formatTotals, replay, replayExitCode, ReplayOptions } from "../../harness/replay/replay-ranges";
import { MessageSource, PendingMessage, QueueSource, SqsSender } from "../../harness/replay/sources";
import { missingRecords, RangeRead } from "../../harness/replay/stream";
import { parseStackOutputs } from "../../harness/cli/stack-outputs";

const STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/stock-market-stream";
const seq = (n: number) => `4965${String(n).padStart(52, "0")}`;
const tick = (n: number) => `{"symbol":"AAPL","price":${n}.5,"timestamp":"2026-11-28T10:00:00.${n}"}`;

function range(first: number, last: number): BatchRange {
    return {
        streamArn: STREAM_ARN,
        shardId: "shardId-000000000001",
        startSequenceNumber: seq(first),
        endSequenceNumber: seq(last),
        batchSize: last - first + 1,
    };
}

function record(n: number, data = tick(n)): _Record {
    return {
        SequenceNumber: seq(n),
        PartitionKey: "AAPL",
        Data: Buffer.from(data),
        ApproximateArrivalTimestamp: new Date(Date.UTC(2026, 10, 28, 10, 0, n)),
    };
}

const message = (r: BatchRange) =>
    JSON.stringify({ requestContext: { condition: "RetryAttemptsExhausted" }, KinesisBatchInfo: r });

describe("the failure destination's messages (npm run replay)", () => {
    it("reads Lambda's on-failure record for a Kinesis batch", () => {
        const parsed = parseFailureMessage(message(range(3, 9)));
        expect(parsed).to.deep.equal({
            range: range(3, 9),
            context: {
                condition: "RetryAttemptsExhausted",
                approximateInvokeCount: undefined,
                functionError: undefined,
            },
        });
    });

    it("says what is wrong with a message that is not one", () => {
        const broken = (info: object) =>
            (parseFailureMessage(JSON.stringify({ KinesisBatchInfo: info })) as { error: string }).error;
        expect((parseFailureMessage("{") as { error: string }).error).to.equal("not JSON");
        expect((parseFailureMessage('{"Records":[]}') as { error: string }).error).to.match(/no KinesisBatchInfo/);
        expect(broken({ ...range(1, 2), streamArn: "arn:aws:sqs:x" })).to.match(/streamArn/);
        expect(broken({ ...range(1, 2), startSequenceNumber: 12 })).to.match(/startSequenceNumber/);
        expect(broken({ ...range(1, 2), startSequenceNumber: seq(3) })).to.match(/comes after/);
        expect(broken({ ...range(1, 2), batchSize: 0 })).to.match(/batchSize/);
    });

    it("knows a range again by its stream, shard and sequence numbers", () => {
        expect(rangeKey(range(1, 2))).to.equal(rangeKey({ ...range(1, 2) }));
        expect(rangeKey(range(1, 2))).to.not.equal(rangeKey(range(1, 3)));
    });
});

describe("the records a range lost to the stream's retention", () => {
    it("finds nothing missing when the stream holds the whole range", () => {
        expect(missingRecords(range(1, 3), [record(1), record(2), record(3)])).to.equal(undefined);
    });

    it("counts the whole range gone when the stream holds none of it", () => {
        expect(missingRecords(range(1, 3), [])).to.deep.include({ count: 3, from: seq(1), to: seq(3) });
    });

    it("counts the trimmed start of the range, up to the first record still held", () => {
        const gone = missingRecords(range(1, 5), [record(4), record(5)])!;
        expect(gone).to.deep.include({ count: 3, from: seq(1) });
        expect(gone.why).to.include(`the first record still held is ${seq(4)}`);
    });
});

describe("the event a replay sends", () => {
    it("carries the records' original sequence numbers, arrival times, shard and stream", () => {
        const [event] = eventRecords(range(7, 7), [record(7)]);
        expect(event).to.deep.include({
            eventSource: "aws:kinesis",
            eventID: `shardId-000000000001:${seq(7)}`,
            eventSourceARN: STREAM_ARN,
            awsRegion: "eu-west-1",
        });
        expect(event.kinesis).to.deep.include({
            sequenceNumber: seq(7),
            partitionKey: "AAPL",
            approximateArrivalTimestamp: Date.UTC(2026, 10, 28, 10, 0, 7) / 1000,
        });
        expect(Buffer.from(event.kinesis.data, "base64").toString()).to.equal(tick(7));
    });

    it("splits a range into events below the payload limit, keeping stream order", () => {
        const records = eventRecords(
            range(1, 10),
            Array.from({ length: 10 }, (_, i) => record(i + 1)),
        );
        const threeRecords = Buffer.byteLength(JSON.stringify({ Records: records.slice(0, 3) }));
        const chunks = cutIntoEvents(records, threeRecords);
        expect(chunks.map(chunk => chunk.length)).to.deep.equal([3, 3, 3, 1]);
        expect(chunks.flat()).to.deep.equal(records);
    });
});

/** A source over fixed messages that records what was marked done. */
function fakeSource(messages: (PendingMessage | { label: string; error: string })[]) {
    const done: string[] = [];
    let finished = false;
    const source: MessageSource = {
        describe: "fake",
        alreadyReplayed: 0,
        async *messages() {
            yield* messages;
        },
        done: async message => {
            done.push(message.label);
        },
        finish: async () => {
            finished = true;
        },
    };
    return { source, done, finished: () => finished };
}

const pending = (label: string, r: BatchRange): PendingMessage => ({ label, range: r, context: {} });

function options(
    source: MessageSource,
    reads: Record<string, RangeRead>,
    invoke: (event: KinesisStreamEvent) => Promise<InvocationOutcome>,
    lines: string[],
): ReplayOptions {
    return {
        source,
        read: async r => reads[r.startSequenceNumber],
        invoke,
        attempts: 3,
        doneVerb: "done",
        log: line => lines.push(line),
    };
}

describe("replaying messages", () => {
    const ok = async () => ({ response: { batchItemFailures: [] } });

    it("invokes with the whole range, counts valid ticks stored and invalid ones rejected, and marks the message done", async () => {
        const { source, done, finished } = fakeSource([pending("a", range(1, 3))]);
        const events: string[][] = [];
        const lines: string[] = [];
        const totals = await replay(
            options(
                source,
                { [seq(1)]: { records: [record(1), record(2, "not json"), record(3)] } },
                async event => {
                    events.push(event.Records.map(r => r.kinesis.sequenceNumber));
                    return ok();
                },
                lines,
            ),
        );
        expect(events).to.deep.equal([[seq(1), seq(2), seq(3)]]);
        expect(totals).to.include({
            batches: 1,
            records: 3,
            stored: 2,
            rejected: 1,
            stillFailing: 0,
            gone: 0,
            done: 1,
        });
        expect(done).to.deep.equal(["a"]);
        expect(finished()).to.equal(true);
        expect(lines).to.deep.equal([
            `a: shardId-000000000001 ${seq(1)} to ${seq(3)} (3 records): stored 2, rejected 1; done`,
        ]);
        expect(formatTotals(totals)).to.equal(
            "replayed 1 batches, 3 records: stored 2, rejected 1, still failing 0, gone 0",
        );
        expect(replayExitCode(totals)).to.equal(0);
    });

    it("invokes a record per event when the range holds other lanes' records, so that no event shares the lane batch's first and last", async () => {
        // The mapping (parallelizationFactor 2) gave up records 1 and 3 of a lane; record 2, another lane's, lies between.
        const { source, done } = fakeSource([pending("a", { ...range(1, 3), batchSize: 2 })]);
        const events: string[][] = [];
        const totals = await replay(
            options(
                source,
                { [seq(1)]: { records: [record(1), record(2), record(3)] } },
                async event => {
                    events.push(event.Records.map(r => r.kinesis.sequenceNumber));
                    return ok();
                },
                [],
            ),
        );
        expect(events).to.deep.equal([[seq(1)], [seq(2)], [seq(3)]]);
        expect(totals).to.include({ records: 3, stored: 3, stillFailing: 0, done: 1 });
        expect(done).to.deep.equal(["a"]);
    });

    it("retries from the lowest reported failure, as the event source mapping would, until it is stored", async () => {
        const { source, done } = fakeSource([pending("a", range(1, 4))]);
        const events: string[][] = [];
        let calls = 0;
        const totals = await replay(
            options(
                source,
                { [seq(1)]: { records: [record(1), record(2), record(3), record(4)] } },
                async event => {
                    events.push(event.Records.map(r => r.kinesis.sequenceNumber));
                    return calls++ === 0 ? { response: { batchItemFailures: [{ itemIdentifier: seq(3) }] } } : ok();
                },
                [],
            ),
        );
        expect(events).to.deep.equal([
            [seq(1), seq(2), seq(3), seq(4)],
            [seq(3), seq(4)],
        ]);
        expect(totals).to.include({ stored: 4, stillFailing: 0, done: 1 });
        expect(done).to.deep.equal(["a"]);
    });

    it("counts records still failing after the attempts, keeps their message and exits 1", async () => {
        const { source, done } = fakeSource([pending("a", range(1, 2))]);
        const lines: string[] = [];
        let calls = 0;
        const totals = await replay(
            options(
                source,
                { [seq(1)]: { records: [record(1), record(2)] } },
                async () => {
                    calls++;
                    return { error: Object.assign(new Error("boom"), { name: "Runtime.ExitError" }) };
                },
                lines,
            ),
        );
        expect(calls).to.equal(3);
        expect(totals).to.include({ stored: 0, stillFailing: 2, done: 0 });
        expect(done).to.deep.equal([]);
        expect(lines[0]).to.include(
            `still failing 2 from ${seq(1)} (function error Runtime.ExitError: boom); kept for a later replay`,
        );
        expect(replayExitCode(totals)).to.equal(1);
    });

    it("replays what the stream still holds of a range, reports the rest as gone, and keeps the message", async () => {
        const { source, done } = fakeSource([pending("a", range(1, 3))]);
        const gone = { count: 2, from: seq(1), why: "trimmed" };
        const totals = await replay(options(source, { [seq(1)]: { records: [record(3)], gone } }, ok, []));
        expect(totals).to.include({ records: 1, stored: 1, gone: 2, done: 0 });
        expect(done).to.deep.equal([]);
        expect(replayExitCode(totals)).to.equal(1);
    });

    it("invokes nothing and marks nothing in a dry run", async () => {
        const { source, done } = fakeSource([pending("a", range(1, 2))]);
        const lines: string[] = [];
        const totals = await replay({
            ...options(source, { [seq(1)]: { records: [record(1), record(2)] } }, () => expect.fail("invoked"), lines),
            invoke: undefined,
            dryRun: true,
        });
        expect(done).to.deep.equal([]);
        expect(lines[0]).to.match(/: would replay 2 records$/);
        expect(formatTotals(totals, true)).to.equal("would replay 1 batches, 2 records (gone 0)");
    });

    it("skips a message that is not an on-failure record, says so, and exits 1", async () => {
        const { source } = fakeSource([{ label: "line 1", error: "not JSON" }]);
        const lines: string[] = [];
        const totals = await replay(options(source, {}, ok, lines));
        expect(lines).to.deep.equal(["line 1: skipped, not JSON; left in place"]);
        expect(totals.unreadable).to.equal(1);
        expect(replayExitCode(totals)).to.equal(1);
    });
});

describe("the failure queue as a source (SQS)", () => {
    /** An SQS stand-in: a queue of bodies, and the calls made. */
    function fakeSqs(bodies: string[]) {
        const calls: { name: string; input: any }[] = [];
        let next = 0;
        const sqs: SqsSender = {
            send: (async (command: { constructor: { name: string }; input: any }) => {
                calls.push({ name: command.constructor.name, input: command.input });
                if (command.constructor.name !== "ReceiveMessageCommand") return {};
                const batch = bodies.slice(next, next + 2).map((Body, i) => ({
                    Body,
                    MessageId: `m${next + i}`,
                    ReceiptHandle: `r${next + i}`,
                }));
                next += batch.length;
                return { Messages: batch };
            }) as SqsSender["send"],
        };
        return { sqs, calls };
    }

    it("reads until the queue is empty, deletes a message once stored, and makes the others visible again at the end", async () => {
        const { sqs, calls } = fakeSqs([message(range(1, 1)), "junk", message(range(2, 2))]);
        const source = new QueueSource(sqs, "https://sqs.eu-west-1.amazonaws.com/123456789012/failures");
        const seen: string[] = [];
        for await (const m of source.messages()) {
            seen.push(m.label);
            if ("range" in m && m.range.startSequenceNumber === seq(1))
                await source.done(m, { stored: 1, rejected: 0 });
        }
        await source.finish();
        expect(seen).to.deep.equal(["message m0", "message m1", "message m2"]);
        const names = calls.map(call => call.name);
        expect(names.filter(name => name === "ReceiveMessageCommand")).to.have.length(3);
        expect(
            calls.filter(call => call.name === "DeleteMessageCommand").map(call => call.input.ReceiptHandle),
        ).to.deep.equal(["r0"]);
        const released = calls.filter(call => call.name === "ChangeMessageVisibilityCommand");
        expect(released.map(call => [call.input.ReceiptHandle, call.input.VisibilityTimeout])).to.deep.equal([
            ["r1", 0],
            ["r2", 0],
        ]);
        expect(calls[0].input).to.include({ MaxNumberOfMessages: 10, VisibilityTimeout: 900 });
    });

    it("finds the queue's region in its URL", () => {
        expect(regionOfQueueUrl("https://sqs.eu-west-1.amazonaws.com/123456789012/q")).to.equal("eu-west-1");
        expect(regionOfQueueUrl("https://us-east-2.queue.amazonaws.com/123456789012/q")).to.equal("us-east-2");
        expect(regionOfQueueUrl("http://127.0.0.1:9324/000000000000/q")).to.equal(undefined);
    });
});

describe("invoking the deployed function (lambda:InvokeFunction)", () => {
    const event = { Records: [] } as KinesisStreamEvent;
    const client = (answer: object) => ({ send: async () => answer }) as unknown as LambdaClient;

    it("returns the function's response", async () => {
        const payload = Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: seq(1) }] }));
        expect(await lambdaInvoker(client({ StatusCode: 200, Payload: payload }), "f")(event)).to.deep.equal({
            response: { batchItemFailures: [{ itemIdentifier: seq(1) }] },
        });
    });

    it("turns a function error (thrown, timed out, out of memory) into an error outcome", async () => {
        const payload = Buffer.from(JSON.stringify({ errorType: "Runtime.ExitError", errorMessage: "signal: killed" }));
        const outcome = await lambdaInvoker(
            client({ StatusCode: 200, FunctionError: "Unhandled", Payload: payload }),
            "f",
        )(event);
        expect("error" in outcome && [outcome.error.name, outcome.error.message]).to.deep.equal([
            "Runtime.ExitError",
            "signal: killed",
        ]);
    });
});

describe("stack outputs (pulumi stack output --json)", () => {
    it("keeps the string outputs and leaves out secrets shown as [secret]", () => {
        expect(
            parseStackOutputs(JSON.stringify({ tableName: "T", functionName: "f", alarmTopicArn: "[secret]", n: 3 })),
        ).to.deep.equal({ tableName: "T", functionName: "f" });
    });

    it("refuses what is not a JSON object, in one line", () => {
        expect(() => parseStackOutputs("Current stack outputs (3):", "out.txt")).to.throw(/^out.txt is not JSON/);
        expect(() => parseStackOutputs("[1]")).to.throw(/not a JSON object/);
    });
});
