/**
 * Chaos in the local run: `--faults RATE` puts a fault proxy between the function and each of
 * DynamoDB and S3 (errors, throttling, resets, refusals, unprocessed items at that rate per
 * request), `--crash-rate R` kills the function's process in the middle of that share of
 * invocations. Both are drawn from the run's seed (see harness/aws/chaos.ts).
 */
import { FaultInjector, FaultKind } from "../aws/chaos";
import { startFaultProxy } from "../aws/fault-proxy";
import { CrashPlan } from "../lambda/crashes";

export interface ChaosSettings {
    seed: number;
    /** Share of the function's requests to DynamoDB and S3 that get a fault, 0 to 1. */
    faults: number;
    /** Share of invocations whose process is killed midway, 0 to 1. */
    crashRate: number;
}

/** What the chaos did, for the summary. */
export interface ChaosReport {
    faults: { requests: number; injected: number; byKind: Record<FaultKind, number> };
}

export interface Chaos {
    /** Where the function sends its DynamoDB and S3 requests: the proxies, or the emulators when there are no faults. */
    functionEndpoints: { dynamodb: string; s3: string };
    crashPlan?: CrashPlan;
    report(): ChaosReport;
}

type Closer = () => Promise<void> | void;

export async function startChaos(
    settings: ChaosSettings,
    emulators: { dynamodb: string; s3: string },
    closers: Closer[],
): Promise<Chaos> {
    const crashPlan = settings.crashRate > 0 ? new CrashPlan(settings.seed, settings.crashRate) : undefined;
    if (settings.faults <= 0) {
        return { functionEndpoints: emulators, crashPlan, report: () => ({ faults: sumFaults([]) }) };
    }
    const injectors = {
        dynamodb: new FaultInjector({ seed: settings.seed, rate: settings.faults, service: "dynamodb" }),
        s3: new FaultInjector({ seed: settings.seed, rate: settings.faults, service: "s3" }),
    };
    const proxy = (service: "dynamodb" | "s3") =>
        startFaultProxy({ target: emulators[service], service, decide: injectors[service].decide, keepLog: false });
    const dynamoProxy = await proxy("dynamodb");
    closers.push(() => dynamoProxy.close());
    const s3Proxy = await proxy("s3");
    closers.push(() => s3Proxy.close());
    return {
        functionEndpoints: { dynamodb: dynamoProxy.endpoint, s3: s3Proxy.endpoint },
        crashPlan,
        report: () => ({ faults: sumFaults([injectors.dynamodb, injectors.s3]) }),
    };
}

function sumFaults(injectors: FaultInjector[]): ChaosReport["faults"] {
    const byKind: Record<FaultKind, number> = {
        error: 0,
        throttle: 0,
        reset: 0,
        "reset-after-write": 0,
        unprocessed: 0,
        refuse: 0,
    };
    for (const injector of injectors)
        for (const kind of Object.keys(byKind) as FaultKind[]) byKind[kind] += injector.injected[kind];
    return {
        requests: injectors.reduce((sum, injector) => sum + injector.requests, 0),
        injected: Object.values(byKind).reduce((sum, n) => sum + n, 0),
        byKind,
    };
}

/** "412 of 9120 requests to DynamoDB and S3 (error 130, throttle 101, …)". */
export function describeFaults(faults: ChaosReport["faults"]): string {
    const kinds = Object.entries(faults.byKind)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${n}`);
    return `${faults.injected} of ${faults.requests} requests to DynamoDB and S3${kinds.length ? ` (${kinds.join(", ")})` : ""}`;
}
