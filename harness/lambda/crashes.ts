/**
 * Which invocations to kill, and when (`npm run local -- --crash-rate 0.05`): a share of them, each
 * at a point inside its expected duration, so that some of its writes are done and others not, as
 * when Lambda ends an environment that ran out of memory or time.
 *
 * Drawn from a hash of the run's seed, the batch (its first and last sequence numbers and size)
 * and how many times that batch was invoked before: a retry draws again, and the same batch is
 * killed at the same point in another run with the same seed.
 */
import type { KinesisStreamEvent } from "aws-lambda";
import { seededUniform } from "../aws/chaos";

export class CrashPlan {
    private readonly seen = new Map<string, number>();
    /** A moving average of how long invocations take, ms: kills land within it. */
    private typicalMs = 200;

    /** @param rate share of invocations to kill, 0 to 1 */
    constructor(
        private readonly seed: number,
        private readonly rate: number,
    ) {}

    /** Milliseconds into this invocation at which to kill its process, or undefined to let it run. */
    killAfterMs(event: KinesisStreamEvent): number | undefined {
        const records = event.Records;
        if (this.rate <= 0 || records.length === 0) return undefined;
        const batch = `${records[0].kinesis.sequenceNumber}-${records[records.length - 1].kinesis.sequenceNumber}-${records.length}`;
        const occurrence = this.seen.get(batch) ?? 0;
        this.seen.set(batch, occurrence + 1);
        if (seededUniform(this.seed, "crash?", batch, occurrence) >= this.rate) return undefined;
        return Math.round(this.typicalMs * (0.2 + 0.6 * seededUniform(this.seed, "when", batch, occurrence)));
    }

    /** Learns from an invocation that ran to its end. */
    observe(durationMs: number): void {
        this.typicalMs = 0.8 * this.typicalMs + 0.2 * durationMs;
    }
}
