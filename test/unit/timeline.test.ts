// What a local run records each second for the report's Run section and the live page.
import { expect } from "chai";
import type { ProgressSnapshot } from "../../harness/local-stack/progress";
import { RunTimeline } from "../../harness/local-stack/timeline";

describe("a local run's timeline", () => {
    let now: number;
    let counts: ProgressSnapshot;
    let latencies: number[];
    const source = {
        snapshot: () => ({ ...counts }),
        latenciesFrom: (start: number) => latencies.slice(start),
    };

    beforeEach(() => {
        now = 1_795_876_200_000;
        counts = { produced: 0, stored: 0, rejected: 0, inFlight: 0, failedToDestination: 0, iteratorAgeMs: 0 };
        latencies = [];
    });

    it("records, each second, what was produced, stored and rejected in it, and the latencies acknowledged in it", () => {
        const timeline = new RunTimeline(() => now);
        timeline.start(source, 3_600_000);
        now += 1000;
        counts = { ...counts, produced: 100, stored: 60, rejected: 1, inFlight: 39, iteratorAgeMs: 250 };
        latencies.push(...Array.from({ length: 61 }, (_, i) => 100 + i));
        timeline.record();
        now += 1000;
        counts = { ...counts, produced: 200, stored: 159, rejected: 1, inFlight: 40, iteratorAgeMs: 0 };
        latencies.push(...Array.from({ length: 99 }, () => 2000));
        timeline.record();
        expect(timeline.state().timeline).to.deep.equal([
            {
                at: 1_795_876_201,
                produced: 100,
                stored: 60,
                rejected: 1,
                latencyP50Ms: 130,
                latencyP99Ms: 160,
                iteratorAgeMs: 250,
            },
            {
                at: 1_795_876_202,
                produced: 100,
                stored: 99,
                rejected: 0,
                latencyP50Ms: 2000,
                latencyP99Ms: 2000,
                iteratorAgeMs: 0,
            },
        ]);
    });

    it("has no latency for a second in which nothing was acknowledged, and never repeats a second", () => {
        const timeline = new RunTimeline(() => now);
        timeline.start(source, 3_600_000);
        timeline.record();
        timeline.record();
        const [first, second] = timeline.state().timeline;
        expect(first).to.include({ latencyP50Ms: null, latencyP99Ms: null, produced: 0 });
        expect(second.at).to.equal(first.at + 1);
    });

    it("goes from starting to producing, draining, reconciling and finished, its elapsed time stopped with the recording", () => {
        const timeline = new RunTimeline(() => now);
        expect(timeline.state()).to.include({ status: "starting", elapsedSeconds: 0, produced: 0 });
        timeline.start(source, 3_600_000);
        expect(timeline.state().status).to.equal("producing");
        now += 2500;
        timeline.draining();
        expect(timeline.state()).to.include({ status: "draining", elapsedSeconds: 2.5 });
        counts = { ...counts, produced: 5, stored: 5 };
        timeline.stop();
        now += 9000;
        expect(timeline.state()).to.include({ status: "reconciling", elapsedSeconds: 2.5, produced: 5, stored: 5 });
        expect(timeline.state().timeline).to.have.length(1);
        timeline.finished();
        expect(timeline.state()).to.include({ status: "finished", elapsedSeconds: 2.5 });
        expect(timeline.state().timeline).to.have.length(1);
    });
});
