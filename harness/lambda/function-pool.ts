/**
 * The function's execution environments: like Lambda, one process per concurrent invocation
 * (here, one per shard), reused while it stays healthy. A process that timed out or died is
 * thrown away and the next invocation gets a fresh one (a cold start), as Lambda does.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { LambdaProcess, LambdaProcessOptions } from "./process";

/** Thrown when an invocation outlives the function's timeout (Lambda's "Task timed out"). */
export class FunctionTimeout extends Error {
    constructor(seconds: number) {
        super(`Task timed out after ${seconds.toFixed(2)} seconds`);
        this.name = "FunctionTimeout";
    }
}

export class FunctionPool {
    private readonly idle: LambdaProcess[] = [];
    private readonly all = new Set<LambdaProcess>();
    private closed = false;
    /** Processes started, including replacements: cold starts. */
    coldStarts = 0;

    constructor(
        private readonly options: LambdaProcessOptions,
        private readonly timeoutMs: number,
    ) {}

    /** Invokes the handler; rejects with the function's error, a FunctionTimeout, or a crash. */
    async invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
        const lambda = this.takeIdle() ?? (await this.start());
        let healthy = true;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new FunctionTimeout(this.timeoutMs / 1000)), this.timeoutMs);
        });
        const invocation = lambda.invoke(event, this.timeoutMs);
        invocation.catch(() => undefined); // settles after a timeout too: nobody waits for it then
        try {
            return await Promise.race([invocation, timeout]);
        } catch (error) {
            // A handled error leaves the process usable; a timeout or a crash does not.
            healthy = !(error instanceof FunctionTimeout) && !/process exited/.test((error as Error).message);
            throw error;
        } finally {
            clearTimeout(timer);
            this.release(lambda, healthy);
        }
    }

    async close(): Promise<void> {
        this.closed = true;
        this.idle.length = 0;
        await Promise.all([...this.all].map(lambda => lambda.stop()));
        this.all.clear();
    }

    private takeIdle(): LambdaProcess | undefined {
        for (let lambda = this.idle.pop(); lambda; lambda = this.idle.pop()) {
            // A process can die while idle (Ctrl-C in a terminal signals the function's processes too).
            if (lambda.alive) return lambda;
            void this.discard(lambda);
        }
        return undefined;
    }

    private async start(): Promise<LambdaProcess> {
        if (this.closed) throw new Error("the function pool is closed");
        const lambda = await LambdaProcess.start(this.options);
        this.coldStarts++;
        this.all.add(lambda);
        if (this.closed) await this.discard(lambda);
        return lambda;
    }

    private release(lambda: LambdaProcess, healthy: boolean): void {
        if (healthy && !this.closed) this.idle.push(lambda);
        else void this.discard(lambda);
    }

    private async discard(lambda: LambdaProcess): Promise<void> {
        this.all.delete(lambda);
        await lambda.stop();
    }
}
