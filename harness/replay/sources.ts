/**
 * Where `npm run replay` finds the batches given up: the stack's SQS failure queue, or a local
 * run's `failures.jsonl`. A message is removed (deleted from the queue, or marked replayed in
 * `failures.replayed.jsonl` beside the file) only once its whole range is stored.
 */
import * as fs from "fs";
import * as path from "path";
import {
    ChangeMessageVisibilityCommand,
    DeleteMessageCommand,
    ReceiveMessageCommand,
    SQSClient,
} from "@aws-sdk/client-sqs";
import { BatchRange, GiveUpContext, parseFailureMessage, rangeKey } from "./messages";

/** A message to replay. */
export interface PendingMessage {
    /** Where it came from, for the report: "line 3", "message 0f3c…". */
    label: string;
    range: BatchRange;
    context: GiveUpContext;
}

/** A message that is not a Kinesis on-failure record: left where it is. */
export interface UnreadableMessage {
    label: string;
    error: string;
}

export interface MessageSource {
    /** "DIR/failures.jsonl", "https://sqs…/queue". */
    describe: string;
    /** The messages, one at a time (a queue is read as it is worked through). */
    messages(): AsyncIterable<PendingMessage | UnreadableMessage>;
    /** The message's range is stored: remove it, or mark it done. */
    done(message: PendingMessage, stored: { stored: number; rejected: number }): Promise<void>;
    /** Called once at the end: messages not done become visible again. */
    finish(): Promise<void>;
    /** Messages skipped because an earlier replay stored them already (file source). */
    alreadyReplayed: number;
}

export const FAILURES_FILE = "failures.jsonl";
export const REPLAYED_FILE = "failures.replayed.jsonl";

/**
 * A local run's failures.jsonl, which the run appends to and replay never rewrites: a replayed
 * message is marked by a line in failures.replayed.jsonl, naming its range and when it was
 * replayed, so a second replay skips it.
 */
export class FileSource implements MessageSource {
    readonly describe: string;
    alreadyReplayed = 0;
    private readonly file: string;
    private readonly marks: string;

    constructor(dataDir: string) {
        this.file = path.join(dataDir, FAILURES_FILE);
        this.marks = path.join(dataDir, REPLAYED_FILE);
        this.describe = this.file;
    }

    /** False when the folder has no failures.jsonl (no local run gave anything up there). */
    exists(): boolean {
        return fs.existsSync(this.file);
    }

    replayedKeys(): Set<string> {
        if (!fs.existsSync(this.marks)) return new Set();
        const keys = new Set<string>();
        for (const line of fs.readFileSync(this.marks, "utf8").split("\n")) {
            if (!line.trim()) continue;
            try {
                keys.add((JSON.parse(line) as { range: string }).range);
            } catch {
                // A line cut short by an interrupted write marks nothing: that range is replayed again.
            }
        }
        return keys;
    }

    async *messages(): AsyncIterable<PendingMessage | UnreadableMessage> {
        if (!this.exists()) return; // the run gave nothing up
        const replayed = this.replayedKeys();
        const seen = new Set<string>();
        const lines = fs.readFileSync(this.file, "utf8").split("\n");
        for (const [index, line] of lines.entries()) {
            if (!line.trim()) continue;
            const label = `line ${index + 1}`;
            const parsed = parseFailureMessage(line);
            if ("error" in parsed) {
                yield { label, error: parsed.error };
                continue;
            }
            const key = rangeKey(parsed.range);
            if (replayed.has(key) || seen.has(key)) {
                this.alreadyReplayed++;
                continue;
            }
            seen.add(key);
            yield { label, ...parsed };
        }
    }

    async done(message: PendingMessage, stored: { stored: number; rejected: number }): Promise<void> {
        const mark = { replayedAt: new Date().toISOString(), range: rangeKey(message.range), ...stored };
        fs.appendFileSync(this.marks, `${JSON.stringify(mark)}\n`);
    }

    async finish(): Promise<void> {}
}

/** The subset of SQSClient the queue source uses (a stand-in in unit tests). */
export type SqsSender = Pick<SQSClient, "send">;

/**
 * The stack's failure queue, read until it has nothing more to give: each message is kept
 * invisible while it is replayed (`visibilityTimeoutSeconds`), deleted once its range is stored,
 * and made visible again at the end otherwise, for the next replay or for the operator.
 */
export class QueueSource implements MessageSource {
    readonly describe: string;
    alreadyReplayed = 0;
    private readonly kept: { receiptHandle: string }[] = [];
    private readonly receipts = new Map<PendingMessage, string>();

    constructor(
        private readonly sqs: SqsSender,
        private readonly queueUrl: string,
        private readonly visibilityTimeoutSeconds = 900,
    ) {
        this.describe = queueUrl;
    }

    async *messages(): AsyncIterable<PendingMessage | UnreadableMessage> {
        const seen = new Set<string>();
        for (;;) {
            const { Messages = [] } = await this.sqs.send(
                new ReceiveMessageCommand({
                    QueueUrl: this.queueUrl,
                    MaxNumberOfMessages: 10,
                    WaitTimeSeconds: 2,
                    VisibilityTimeout: this.visibilityTimeoutSeconds,
                }),
            );
            if (Messages.length === 0) return;
            for (const message of Messages) {
                const receiptHandle = message.ReceiptHandle!;
                const label = `message ${message.MessageId}`;
                // SQS delivers at least once: a second copy is left for the first one's fate.
                if (seen.has(message.MessageId!)) {
                    this.kept.push({ receiptHandle });
                    continue;
                }
                seen.add(message.MessageId!);
                const parsed = parseFailureMessage(message.Body ?? "");
                if ("error" in parsed) {
                    this.kept.push({ receiptHandle });
                    yield { label, error: parsed.error };
                    continue;
                }
                const pending: PendingMessage = { label, ...parsed };
                this.receipts.set(pending, receiptHandle);
                yield pending;
                // Not done by now: kept, visible again at the end.
                if (this.receipts.has(pending)) this.kept.push({ receiptHandle });
                this.receipts.delete(pending);
            }
        }
    }

    async done(message: PendingMessage, _stored?: { stored: number; rejected: number }): Promise<void> {
        const receiptHandle = this.receipts.get(message);
        if (!receiptHandle) throw new Error(`${message.label} was not received from ${this.queueUrl}`);
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }));
        this.receipts.delete(message);
    }

    async finish(): Promise<void> {
        for (const { receiptHandle } of this.kept.splice(0)) {
            await this.sqs.send(
                new ChangeMessageVisibilityCommand({
                    QueueUrl: this.queueUrl,
                    ReceiptHandle: receiptHandle,
                    VisibilityTimeout: 0,
                }),
            );
        }
    }
}
