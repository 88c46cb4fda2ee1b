/**
 * Which invocations to kill, and when (`npm run local -- --crash-rate 0.05`): that share of them,
 * each at a point inside its expected duration, so that some of its writes are done and others
 * not, as when Lambda ends an environment that ran out of memory or time.
 *
 * The kills are spread, not drawn one by one: the gap to the next kill is 0.5 to 1.5 times
 * 1/rate invocations, drawn from the seed, so that a run of n invocations sees about n × rate of
 * them (never none once n reaches 1.5/rate), and the same seed kills the same invocations, in
 * the order the function receives them.
 */
import type { KinesisStreamEvent } from "aws-lambda";
import { seededUniform } from "../aws/chaos";

export class CrashPlan {
    private invocations = 0;
    private planned = 0;
    private nextKill: number;
    /** A moving average of how long invocations take, ms: kills land within it. */
    private typicalMs = 200;

    /** @param rate share of invocations to kill, 0 to 1 */
    constructor(
        private readonly seed: number,
        private readonly rate: number,
    ) {
        this.nextKill = rate > 0 ? this.gap() : Infinity;
    }

    /** Milliseconds into this invocation at which to kill its process, or undefined to let it run. */
    killAfterMs(event: KinesisStreamEvent): number | undefined {
        if (this.rate <= 0 || event.Records.length === 0) return undefined;
        this.invocations++;
        if (this.invocations < this.nextKill) return undefined;
        this.planned++;
        this.nextKill += this.gap();
        return Math.round(this.typicalMs * (0.2 + 0.6 * seededUniform(this.seed, "when", this.planned)));
    }

    /** Learns from an invocation that ran to its end. */
    observe(durationMs: number): void {
        this.typicalMs = 0.8 * this.typicalMs + 0.2 * durationMs;
    }

    private gap(): number {
        return Math.max(1, Math.round((0.5 + seededUniform(this.seed, "gap", this.planned)) / this.rate));
    }
}
