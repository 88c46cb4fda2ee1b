/**
 * The function's execution environments: like Lambda, one process per concurrent invocation
 * (here, one per shard), reused while it stays healthy. A process that timed out or died is
 * thrown away and the next invocation gets a fresh one (a cold start), as Lambda does.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import type { CrashPlan } from "./crashes";
import { LambdaProcess, LambdaProcessOptions, RuntimeExitError } from "./process";

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
    /** Invocations whose process the crash plan killed. */
    crashes = 0;

    /** @param crashPlan kills the process in the middle of some invocations (chaos runs) */
    constructor(
        private readonly options: LambdaProcessOptions,
        private readonly timeoutMs: number,
        private readonly crashPlan?: CrashPlan,
    ) {}

    /** Invokes the handler; rejects with the function's error, a FunctionTimeout, or a RuntimeExitError. */
    async invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
        const lambda = this.takeIdle() ?? (await this.start());
        let healthy = true;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new FunctionTimeout(this.timeoutMs / 1000)), this.timeoutMs);
        });
        const started = Date.now();
        const killAfterMs = this.crashPlan?.killAfterMs(event);
        const invocation =
            killAfterMs === undefined
                ? lambda.invoke(event, this.timeoutMs)
                : this.crashDuring(lambda, event, killAfterMs);
        invocation.catch(() => undefined); // settles after a timeout too: nobody waits for it then
        try {
            const response = await Promise.race([invocation, timeout]);
            this.crashPlan?.observe(Date.now() - started);
            return response;
        } catch (error) {
            // A handled error leaves the process usable; a timeout or a crash does not.
            healthy = !(error instanceof FunctionTimeout) && !(error instanceof RuntimeExitError);
            throw error;
        } finally {
            clearTimeout(timer);
            this.release(lambda, healthy);
        }
    }

    /**
     * Invokes, then kills the process with SIGKILL `afterMs` into the invocation, as Lambda ends an
     * environment that runs out of memory or time: the writes it started may or may not have
     * happened. Should the handler answer first, the kill still comes before the answer is
     * delivered, and the answer is lost with the process.
     */
    private async crashDuring(lambda: LambdaProcess, event: KinesisStreamEvent, afterMs: number): Promise<never> {
        const invocation = lambda.invoke(event, this.timeoutMs);
        const settled = invocation.then(
            () => undefined,
            () => undefined,
        );
        await Promise.race([settled, new Promise(resolve => setTimeout(resolve, afterMs))]);
        await lambda.stop("SIGKILL");
        this.crashes++;
        await settled;
        throw new RuntimeExitError(null, "SIGKILL");
    }

    /**
     * Starts one environment ahead of the first invocation (a cold start, with Lambda's init
     * phase): a package that cannot load fails here, once, with no invocation in the logs.
     */
    async warmUp(): Promise<void> {
        this.release(await this.start(), true);
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
