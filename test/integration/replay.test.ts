import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { expect } from "chai";
import { startKinesalite } from "../../harness/aws/emulators";
import { ensureStream, localKinesisClient, openShardIds, STREAM_NAME } from "../../harness/aws/kinesis";
import type { FailureDestinationMessage } from "../../harness/event-source-mapping/poller";
import { decodeTick } from "../../pipeline/runtime/tick";
import { BUCKET_NAME, runLocalPipeline, TABLE_NAME } from "../../harness/local-stack/pipeline";
import { compareDecimals, formatSummary, RunSummary } from "../../harness/local-stack/summary";
import { resolveSymbols } from "../../harness/local-stack/ticks";
import { MARKER } from "../../harness/local-stack/data-dir";
import { CLOCK_AHEAD, runTool } from "../support/commands";
import { packageIsStale } from "../support/package";
import { openDataFolder, readWholeStream, snapshotStore, StoreSnapshot } from "../support/data-folder";
import { startKinesaliteProcess } from "../support/kinesalite-process";

const HOUR_MS = 3600_000;
const replayCli = (args: string[], options?: Parameters<typeof runTool>[2]) => runTool("replay/main.ts", args, options);

async function storeOf(dataDir: string): Promise<StoreSnapshot> {
    const folder = await openDataFolder(dataDir);
    try {
        return await snapshotStore(folder.dynamo, folder.s3, TABLE_NAME, BUCKET_NAME);
    } finally {
        await folder.close();
    }
}

describe("npm run replay on a local run's data folder", function () {
    this.timeout(300_000);
    let dataDir: string;
    let run: RunSummary;
    let messages: FailureDestinationMessage[];

    before(async () => {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "replay-test-"));
        run = await runLocalPipeline({
            rate: 100,
            duration: 3,
            shards: 2,
            badRatio: 0.05,
            seed: 3,
            symbols: resolveSymbols("8"),
            dataDir,
            faults: 0.5,
            maximumRetryAttempts: 0,
            build: packageIsStale(),
        });
        messages = fs
            .readFileSync(path.join(dataDir, "failures.jsonl"), "utf8")
            .split("\n")
            .filter(Boolean)
            .map(line => JSON.parse(line));
    });
    after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    it("first, the local run with faults and no retries sends records to the failure destination, losing none", () => {
        expect(run.failedToDestination).to.be.above(0);
        expect(run.inFailureDestination).to.be.above(0);
        expect(run.lost).to.equal(0);
        expect(run.ok).to.equal(true);
        expect(messages).to.have.length(run.failures.length);
        const lines = formatSummary(run);
        expect(lines).to.include(
            `to store the ${run.inFailureDestination} records in the failure destination: npm run replay -- --data ${dataDir}`,
        );
    });

    it("replays every message: a line each, then still failing 0, gone 0, and exit 0", async () => {
        const result = await replayCli(["--data", dataDir, "--skip-build"]);
        expect(result.status, result.stdout + result.stderr).to.equal(0);
        const records = messages.reduce((sum, message) => sum + message.KinesisBatchInfo.batchSize, 0);
        const perMessage = result.lines.filter(line => /^line \d+: shardId-/.test(line));
        expect(perMessage).to.have.length(messages.length);
        for (const line of perMessage) expect(line).to.match(/; marked replayed in failures\.replayed\.jsonl$/);
        expect(result.lines[result.lines.length - 1]).to.match(
            new RegExp(
                `^replayed ${messages.length} batches, ${records} records: stored \\d+, rejected \\d+, still failing 0, gone 0$`,
            ),
        );
    });

    it("leaves the store holding every record of the stream exactly once, item by item and object by object", async () => {
        const folder = await openDataFolder(dataDir);
        let stream: Awaited<ReturnType<typeof readWholeStream>>;
        let store: StoreSnapshot;
        try {
            stream = await readWholeStream(folder.kinesis, STREAM_NAME);
            store = await snapshotStore(folder.dynamo, folder.s3, TABLE_NAME, BUCKET_NAME);
        } finally {
            await folder.close();
        }
        expect(stream).to.have.length(run.produced);
        const items = new Map(store.items.map(item => [`${item.symbol}\u0000${item.timestamp}`, item]));
        const keysEndingIn = (prefix: string, seq: string) =>
            [...store.objects.keys()].filter(key => key.startsWith(prefix) && key.endsWith(`/${seq}.json`));
        const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
        let valid = 0;
        for (const { shardId, record } of stream) {
            const seq = record.SequenceNumber!;
            const raw = keysEndingIn("raw/", seq);
            expect(raw, `raw/ of ${seq}`).to.have.length(1);
            expect(raw[0]).to.include(`/shard=${shardId}/`);
            expect(store.objects.get(raw[0]), `raw/ bytes of ${seq}`).to.equal(sha256(record.Data!));
            const decoded = decodeTick(record.Data!);
            if (decoded.valid) {
                valid++;
                const item = items.get(`${decoded.tick.symbol}\u0000${decoded.tick.timestamp}`);
                expect(item, `item of ${seq}`).to.not.equal(undefined);
                expect(compareDecimals(item!.price, decoded.tick.price), `price of ${seq}`).to.equal(0);
                expect(keysEndingIn("processed/", seq), `processed/ of ${seq}`).to.have.length(1);
                expect(keysEndingIn("rejected/", seq), `rejected/ of ${seq}`).to.have.length(0);
            } else {
                expect(keysEndingIn("rejected/", seq), `rejected/ of ${seq}`).to.have.length(1);
                expect(keysEndingIn("processed/", seq), `processed/ of ${seq}`).to.have.length(0);
            }
        }
        const under = (prefix: string) => [...store.objects.keys()].filter(key => key.startsWith(prefix)).length;
        expect(under("raw/")).to.equal(stream.length);
        expect(under("processed/")).to.equal(valid);
        expect(under("rejected/")).to.equal(stream.length - valid);
        expect(store.items).to.have.length(valid);
    });

    it("changes nothing when run a second time: every message is marked replayed", async () => {
        const before = await storeOf(dataDir);
        const result = await replayCli(["--data", dataDir, "--skip-build"]);
        expect(result.status, result.stdout + result.stderr).to.equal(0);
        expect(result.lines).to.include(
            `${messages.length} messages skipped: replayed before (failures.replayed.jsonl)`,
        );
        expect(result.lines[result.lines.length - 1]).to.equal(
            "replayed 0 batches, 0 records: stored 0, rejected 0, still failing 0, gone 0",
        );
        expect(await storeOf(dataDir)).to.deep.equal(before);
    });

    it("writes the same items and objects again when the marks are gone: replaying is idempotent", async () => {
        const before = await storeOf(dataDir);
        fs.rmSync(path.join(dataDir, "failures.replayed.jsonl"));
        const result = await replayCli(["--data", dataDir, "--skip-build"]);
        expect(result.status, result.stdout + result.stderr).to.equal(0);
        expect(result.lines[result.lines.length - 1]).to.match(
            new RegExp(`^replayed ${messages.length} batches, .*still failing 0, gone 0$`),
        );
        expect(await storeOf(dataDir)).to.deep.equal(before);
    });
});

describe("npm run replay with records past the stream's retention", function () {
    this.timeout(120_000);
    let dataDir: string;

    beforeEach(() => {
        // A data folder as npm run local makes one: with its marker, filled below.
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "replay-gone-"));
        fs.writeFileSync(path.join(dataDir, MARKER), "");
    });
    afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    /** Puts ticks on the folder's one-shard stream, with kinesalite's clock moved forward by `clockOffsetMs`. */
    async function put(
        count: number,
        clockOffsetMs = 0,
    ): Promise<{ streamArn: string; shardId: string; seqs: string[] }> {
        const kinesisDir = path.join(dataDir, "kinesis");
        fs.mkdirSync(kinesisDir, { recursive: true });
        const kinesalite = clockOffsetMs
            ? await startKinesaliteProcess(kinesisDir, clockOffsetMs)
            : await startKinesalite(kinesisDir);
        const kinesis = localKinesisClient(kinesalite.endpoint);
        try {
            const { streamArn } = await ensureStream(kinesis, STREAM_NAME, 1);
            const [shardId] = await openShardIds(kinesis, STREAM_NAME);
            const Records = Array.from({ length: count }, (_, i) => ({
                Data: Buffer.from(`{"symbol":"AAPL","price":${i + 1},"timestamp":"2026-11-28T10:00:0${i}"}`),
                PartitionKey: "AAPL",
            }));
            const answer = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM_NAME, Records }));
            return { streamArn, shardId, seqs: answer.Records!.map(record => record.SequenceNumber!) };
        } finally {
            kinesis.destroy();
            await kinesalite.close();
        }
    }

    /** failures.jsonl with one message, as the event source mapping writes it, for the range. */
    function giveUp(streamArn: string, shardId: string, seqs: string[]): void {
        const message = {
            requestContext: {
                requestId: "r",
                functionArn: "f",
                condition: "RetryAttemptsExhausted",
                approximateInvokeCount: 1,
            },
            responseContext: { statusCode: 200, executedVersion: "$LATEST" },
            version: "1.0",
            timestamp: new Date().toISOString(),
            KinesisBatchInfo: {
                shardId,
                startSequenceNumber: seqs[0],
                endSequenceNumber: seqs[seqs.length - 1],
                approximateArrivalOfFirstRecord: new Date().toISOString(),
                approximateArrivalOfLastRecord: new Date().toISOString(),
                batchSize: seqs.length,
                streamArn,
            },
        };
        fs.writeFileSync(path.join(dataDir, "failures.jsonl"), `${JSON.stringify(message)}\n`);
    }

    it("reports a range whose records the stream trimmed as gone, by range, exits 1 and keeps the message", async () => {
        const { streamArn, shardId, seqs } = await put(4);
        giveUp(streamArn, shardId, seqs);
        // A day and an hour later, past the stream's 24-hour retention: kinesalite trims them.
        const result = await replayCli(["--data", dataDir, "--skip-build"], {
            preload: [CLOCK_AHEAD],
            env: { CLOCK_OFFSET_MS: String(25 * HOUR_MS) },
        });
        expect(result.status, result.stdout + result.stderr).to.equal(1);
        expect(result.lines).to.include(
            `line 1: ${shardId} ${seqs[0]} to ${seqs[3]} (4 records): stored 0, rejected 0, ` +
                `gone 4: ${seqs[0]} to ${seqs[3]}, no longer in the stream: older than its retention period (trimmed); kept for a later replay`,
        );
        expect(result.lines[result.lines.length - 1]).to.equal(
            "replayed 1 batches, 0 records: stored 0, rejected 0, still failing 0, gone 4",
        );
        expect(fs.existsSync(path.join(dataDir, "failures.replayed.jsonl"))).to.equal(false);
    });

    it("reports the trimmed start of a range as gone and lists the rest to replay (--dry-run)", async () => {
        const older = await put(3);
        // Put a day less two minutes later, then replay a minute past the older records' retention.
        const younger = await put(2, 24 * HOUR_MS - 120_000);
        const seqs = [...older.seqs, ...younger.seqs];
        giveUp(older.streamArn, older.shardId, seqs);
        const result = await replayCli(["--data", dataDir, "--dry-run"], {
            preload: [CLOCK_AHEAD],
            env: { CLOCK_OFFSET_MS: String(24 * HOUR_MS + 60_000) },
        });
        expect(result.status, result.stdout + result.stderr).to.equal(1);
        expect(result.lines).to.include(
            `line 1: ${older.shardId} ${seqs[0]} to ${seqs[4]} (5 records): would replay 2 records, ` +
                `gone 3: from ${seqs[0]}, no longer in the stream: older than its retention period (trimmed); the first record still held is ${seqs[3]}`,
        );
        expect(result.lines[result.lines.length - 1]).to.equal("would replay 1 batches, 2 records (gone 3)");
        expect(fs.existsSync(path.join(dataDir, "failures.replayed.jsonl"))).to.equal(false);
    });
});
