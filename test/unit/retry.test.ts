import * as FakeTimers from "@sinonjs/fake-timers";
import { expect } from "chai";
import { invocationLimits } from "../../pipeline/runtime/handler";
import { isTransient, writeAll } from "../../pipeline/runtime/retry";

describe("retries", () => {
    const withStatus = (name: string, status?: number) =>
        Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    const cases: [string, unknown, boolean][] = [
        ["a 500", withStatus("InternalError", 500), true],
        ["a 503 SlowDown", withStatus("SlowDown", 503), true],
        ["DynamoDB throttling (400)", withStatus("ProvisionedThroughputExceededException", 400), true],
        ["a 429", withStatus("TooManyRequestsException", 429), true],
        [
            "a connection reset (no HTTP status)",
            Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
            true,
        ],
        ["a socket timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" }), true],
        ["AccessDenied (403)", withStatus("AccessDenied", 403), false],
        ["a bug in our own code (TypeError)", new TypeError("Cannot read properties of undefined"), false],
        ["NoSuchBucket (404)", withStatus("NoSuchBucket", 404), false],
        ["a ValidationException (400)", withStatus("ValidationException", 400), false],
    ];
    for (const [what, error, transient] of cases) {
        it(`${transient ? "retries" : "does not retry"} ${what}`, () => {
            expect(isTransient(error)).to.equal(transient);
        });
    }

    it("stops starting requests early enough for one more to connect and time out before Lambda's own timeout", () => {
        expect(invocationLimits({ getRemainingTimeInMillis: () => 60_000 }, 0).deadline).to.equal(52_000);
        expect(invocationLimits({ getRemainingTimeInMillis: () => 2_000 }, 0).deadline).to.equal(1_000);
    });

    it("aborts the requests still in flight in time to answer before Lambda's own timeout, however short", () => {
        const at = (remaining: number) => invocationLimits({ getRemainingTimeInMillis: () => remaining }, 0);
        expect(at(60_000)).to.deep.equal({ deadline: 52_000, stopAt: 59_000 });
        expect(at(3_000)).to.deep.equal({ deadline: 1_500, stopAt: 2_700 });
        expect(at(500)).to.deep.equal({ deadline: 250, stopAt: 450 });
        expect(invocationLimits(undefined, 0), "without a context: 30 s").to.deep.equal({
            deadline: 22_000,
            stopAt: 29_000,
        });
    });

    it("retries a request aborted when the invocation's time ran out (by the redelivery)", () => {
        const aborted = Object.assign(new Error("Request aborted"), { name: "AbortError" });
        expect(isTransient(aborted)).to.equal(true);
    });
});

describe("writing with retries", () => {
    const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
    /** A clock that moves only when told: the deadline is kept however busy the machine is. */
    let clock: FakeTimers.Clock;
    beforeEach(() => {
        clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    });
    afterEach(() => clock.uninstall());
    /** Runs the clock until every timer has fired, then the write's result. */
    const settle = async <T>(writing: Promise<T>): Promise<T> => {
        await clock.runAllAsync();
        return writing;
    };

    it("starts no request after the deadline and returns the items it did not get to", async () => {
        const started = Date.now();
        const sent: [item: number, atMs: number][] = [];
        const left = await settle(
            writeAll({
                items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                deadline: started + 250,
                concurrency: 2,
                onError: () => undefined,
                send: async ([item]) => {
                    sent.push([item, Date.now() - started]);
                    await sleep(100);
                },
            }),
        );
        // Two at a time, 100 ms each: requests start at 0, 100 and 200 ms; none at 300 ms.
        expect(sent).to.deep.equal([
            [1, 0],
            [2, 0],
            [3, 100],
            [4, 100],
            [5, 200],
            [6, 200],
        ]);
        expect(left).to.deep.equal([7, 8, 9, 10]);
        // Done once the last requests answer: no backoff waited past the deadline.
        expect(Date.now() - started).to.equal(300);
    });

    it("retries transient failures and gives up on permanent ones at once", async () => {
        const attempts = new Map<string, number>();
        const errors: unknown[] = [];
        const left = await settle(
            writeAll({
                items: ["flaky", "refused", "fine"],
                deadline: Date.now() + 5_000,
                concurrency: 3,
                onError: error => errors.push(error),
                send: async ([item]) => {
                    const n = (attempts.get(item) ?? 0) + 1;
                    attempts.set(item, n);
                    if (item === "flaky" && n < 3)
                        throw Object.assign(new Error("busy"), {
                            name: "SlowDown",
                            $metadata: { httpStatusCode: 503 },
                        });
                    if (item === "refused")
                        throw Object.assign(new Error("no"), {
                            name: "AccessDenied",
                            $metadata: { httpStatusCode: 403 },
                        });
                },
            }),
        );
        expect(left).to.deep.equal(["refused"]);
        expect(Object.fromEntries(attempts)).to.deep.equal({ flaky: 3, refused: 1, fine: 1 });
        expect(errors).to.have.length(3);
    });

    it("resends only what a request reports as unprocessed", async () => {
        const requests: string[][] = [];
        const left = await settle(
            writeAll({
                items: ["a", "b", "c"],
                deadline: Date.now() + 5_000,
                concurrency: 1,
                group: items => [items],
                onError: () => undefined,
                send: async group => {
                    requests.push(group);
                    return { retry: requests.length === 1 ? group.filter(item => item !== "a") : [], failed: [] };
                },
            }),
        );
        expect(left).to.deep.equal([]);
        expect(requests).to.deep.equal([
            ["a", "b", "c"],
            ["b", "c"],
        ]);
    });
});
