import type { KinesisStreamEvent } from "aws-lambda";
import { expect } from "chai";
import { FaultInjector, FaultKind } from "../../harness/aws/chaos";
import type { Fault, ProxiedRequest } from "../../harness/aws/fault-proxy";
import { CrashPlan } from "../../harness/lambda/crashes";

const s3Put = (key: string): ProxiedRequest => ({
    method: "PUT",
    url: `/bucket/${key}`,
    headers: {},
    body: Buffer.from(`{"key":"${key}"}`),
});
const batchWrite = (...symbols: string[]): ProxiedRequest => ({
    method: "POST",
    url: "/",
    operation: "BatchWriteItem",
    headers: {},
    body: Buffer.from(
        JSON.stringify({
            RequestItems: {
                T: symbols.map(symbol => ({ PutRequest: { Item: { symbol: { S: symbol }, timestamp: { S: "t" } } } })),
            },
        }),
    ),
});
const kindOf = (fault: Fault) => (typeof fault === "object" ? "unprocessed" : fault);

describe("faults injected at a rate (the local run's --faults)", () => {
    it("passes everything at rate 0 and faults everything at rate 1", () => {
        const none = new FaultInjector({ seed: 1, rate: 0, service: "s3" });
        const all = new FaultInjector({ seed: 1, rate: 1, service: "s3" });
        for (let i = 0; i < 200; i++) {
            expect(none.decide(s3Put(`k${i}`))).to.equal("pass");
            expect(all.decide(s3Put(`k${i}`))).to.not.equal("pass");
        }
        expect(none.total).to.equal(0);
        expect(all.total).to.equal(200);
    });

    it("faults about the given share of requests", () => {
        const injector = new FaultInjector({ seed: 7, rate: 0.2, service: "s3" });
        for (let i = 0; i < 10_000; i++) injector.decide(s3Put(`k${i}`));
        expect(injector.total / injector.requests).to.be.closeTo(0.2, 0.02);
    });

    it("gives a request the same fate under the same seed, whatever other requests came before", () => {
        const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
        const fates = (seed: number, order: string[]) => {
            const injector = new FaultInjector({ seed, rate: 0.3, service: "s3" });
            return new Map(order.map(key => [key, kindOf(injector.decide(s3Put(key)))]));
        };
        const forward = fates(3, keys);
        const backward = fates(3, [...keys].reverse());
        expect(keys.map(key => backward.get(key))).to.deep.equal(keys.map(key => forward.get(key)));
        const otherSeed = fates(4, keys);
        expect(keys.filter(key => otherSeed.get(key) !== forward.get(key))).to.have.length.above(0);
    });

    it("draws again for a retry of the same request, so a retried write gets through", () => {
        const injector = new FaultInjector({ seed: 5, rate: 0.5, service: "s3" });
        const fates = Array.from({ length: 40 }, () => kindOf(injector.decide(s3Put("same"))));
        expect(fates).to.include("pass");
        expect(fates.filter(fate => fate !== "pass")).to.have.length.above(0);
    });

    it("mixes every kind of fault, leaving items unprocessed only in DynamoDB's BatchWriteItem", () => {
        const dynamo = new FaultInjector({ seed: 9, rate: 1, service: "dynamodb" });
        const s3 = new FaultInjector({ seed: 9, rate: 1, service: "s3" });
        for (let i = 0; i < 500; i++) {
            dynamo.decide(batchWrite(`A${i}`, `B${i}`, `C${i}`));
            s3.decide(s3Put(`k${i}`));
        }
        const kinds: FaultKind[] = ["error", "throttle", "reset", "reset-after-write", "refuse", "unprocessed"];
        for (const kind of kinds) expect(dynamo.injected[kind], kind).to.be.above(0);
        expect(s3.injected.unprocessed).to.equal(0);
        for (const kind of kinds.filter(kind => kind !== "unprocessed")) expect(s3.injected[kind], kind).to.be.above(0);
    });

    it("leaves at least one item of a BatchWriteItem unprocessed, and not always all of them", () => {
        const injector = new FaultInjector({
            seed: 2,
            rate: 1,
            service: "dynamodb",
            mix: { unprocessed: 1, error: 0, throttle: 0, reset: 0, "reset-after-write": 0, refuse: 0 },
        });
        const held: number[] = [];
        for (let i = 0; i < 100; i++) {
            const request = batchWrite(...Array.from({ length: 10 }, (_, j) => `S${i}-${j}`));
            const fault = injector.decide(request) as { unprocessed: (item: Record<string, unknown>) => boolean };
            const items = JSON.parse(request.body.toString()).RequestItems.T.map(
                (write: { PutRequest: { Item: Record<string, unknown> } }) => write.PutRequest.Item,
            );
            held.push(items.filter(fault.unprocessed).length);
        }
        expect(Math.min(...held)).to.be.at.least(1);
        expect(held.some(n => n < 10)).to.equal(true);
    });
});

describe("crashes planned at a rate (the local run's --crash-rate)", () => {
    const event = (first: number, size = 10): KinesisStreamEvent =>
        ({
            Records: Array.from({ length: size }, (_, i) => ({ kinesis: { sequenceNumber: String(first + i) } })),
        }) as unknown as KinesisStreamEvent;

    it("never kills at rate 0, nor an empty batch; always at rate 1, within the expected duration", () => {
        const never = new CrashPlan(1, 0);
        const always = new CrashPlan(1, 1);
        always.observe(200);
        for (let i = 0; i < 100; i++) {
            expect(never.killAfterMs(event(i * 10))).to.equal(undefined);
            expect(always.killAfterMs(event(i * 10)))
                .to.be.at.least(0.2 * 200)
                .and.at.most(0.8 * 200);
        }
        expect(always.killAfterMs({ Records: [] })).to.equal(undefined);
    });

    it("kills the given share of invocations, spread out, the same ones under the same seed", () => {
        const picks = (seed: number, rate: number) => {
            const plan = new CrashPlan(seed, rate);
            return Array.from({ length: 4000 }, (_, i) => plan.killAfterMs(event(i * 10)) !== undefined);
        };
        for (const rate of [0.05, 0.2, 0.5]) {
            const kills = picks(11, rate);
            expect(kills.filter(Boolean).length / kills.length, `rate ${rate}`).to.be.closeTo(rate, 0.01);
            const positions = kills.flatMap((kill, i) => (kill ? [i] : []));
            const gaps = positions.slice(1).map((position, i) => position - positions[i]);
            expect(Math.max(positions[0], ...gaps), `rate ${rate}`).to.be.at.most(Math.round(1.5 / rate));
        }
        expect(picks(11, 0.05)).to.deep.equal(picks(11, 0.05));
        expect(picks(12, 0.05)).to.not.deep.equal(picks(11, 0.05));
    });
});
