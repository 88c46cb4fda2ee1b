// History from CSV: files the tests write themselves, read as npm run local -- --csv and
// npm run produce -- --csv read them.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { expect } from "chai";
import * as FakeTimers from "@sinonjs/fake-timers";
import {
    checkCsvFile,
    CsvFile,
    CsvFileError,
    CsvTick,
    fileTicks,
    mergeByTime,
    resolveColumns,
    wallTimeMs,
} from "../../harness/local-stack/csv-ticks";
import { parseCsvColumns, producerFlags } from "../../harness/cli/producer-flags";
import { UsageError } from "../../harness/cli/cli";
import { emptyStats, runCsvProducer } from "../../harness/local-stack/producer";

async function all<T>(rows: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const row of rows) out.push(row);
    return out;
}

describe("CSV history", () => {
    let dir: string;
    const write = (name: string, text: string | Buffer) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
    };
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-ticks-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("columns", () => {
        const header = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"];

        it("are found by name in any case, or as --csv-columns maps them", () => {
            expect(resolveColumns({ file: "a.csv", columns: {} }, ["Timestamp", "SYMBOL", "price"])).to.deep.equal({
                symbol: 1,
                price: 2,
                timestamp: 0,
            });
            const bars = { file: "bars.csv", columns: parseCsvColumns("price=close,timestamp=Date"), symbol: "AAPL" };
            expect(resolveColumns(bars, header)).to.deep.equal({ price: 4, timestamp: 0 });
        });

        it("missing, get one line naming the file, its columns and the flag to give", () => {
            expect(() => resolveColumns({ file: "bars.csv", columns: {} }, header)).to.throw(
                CsvFileError,
                "bars.csv has no symbol column (its columns: Date, Open, High, Low, Close, Adj Close, Volume): " +
                    "map one with --csv-columns symbol=NAME or --csv-symbol SYMBOL for a file of one symbol",
            );
            expect(() => resolveColumns({ file: "bars.csv", columns: {}, symbol: "AAPL" }, header)).to.throw(
                "bars.csv has no price column (its columns: Date, Open, High, Low, Close, Adj Close, Volume): map one with --csv-columns price=Close",
            );
            expect(() =>
                resolveColumns({ file: "bars.csv", columns: { price: "Last" }, symbol: "AAPL" }, header),
            ).to.throw("--csv-columns price=Last: bars.csv has no such column (its columns: Date, Open,");
            expect(() =>
                resolveColumns({ file: "t.csv", columns: {}, symbol: "AAPL" }, ["symbol", "price", "timestamp"]),
            ).to.throw("t.csv has a symbol column (symbol): --csv-symbol is for files without one");
        });

        it("are mapped role=NAME, a misspelt role answered with the closest", () => {
            expect(parseCsvColumns("Symbol=Ticker, price = Close")).to.deep.equal({ symbol: "Ticker", price: "Close" });
            expect(() => parseCsvColumns("prise=Close")).to.throw(
                UsageError,
                '--csv-columns: no role "prise" (did you mean price?): the roles are symbol, price, timestamp',
            );
            expect(() => parseCsvColumns("price")).to.throw(
                UsageError,
                'expected symbol=NAME,price=NAME,timestamp=NAME, got "price"',
            );
        });
    });

    describe("rows", () => {
        it("become the records module 1 would write: the price as its exact text, BOM, CRLF, quotes and blank lines handled", async () => {
            const file = write(
                "ticks.csv",
                "\ufeffSymbol,Price,Timestamp\r\n" +
                    "AAPL,189.29,2026-11-28T14:30:00.123456\r\n" +
                    "\r\n" +
                    '"BRK.B","410.100000000000000000001","2026-11-28 14:30:01"\r\n' +
                    "  \r\n" +
                    "EURUSD=X, 1.08500 ,2026-11-28T14:30:02Z\r\n",
            );
            const checked = await checkCsvFile({ file, columns: {} });
            expect(checked.rows).to.equal(3);
            const rows = await all(fileTicks(checked));
            expect(rows.map(row => [row.where, row.data.toString(), row.partitionKey])).to.deep.equal([
                [`${file}:2`, '{"symbol":"AAPL","price":189.29,"timestamp":"2026-11-28T14:30:00.123456"}', "AAPL"],
                [
                    `${file}:4`,
                    '{"symbol":"BRK.B","price":410.100000000000000000001,"timestamp":"2026-11-28 14:30:01"}',
                    "BRK.B",
                ],
                [`${file}:6`, '{"symbol":"EURUSD=X","price":1.08500,"timestamp":"2026-11-28T14:30:02Z"}', "EURUSD=X"],
            ]);
            expect(rows.map(row => row.tick)).to.deep.equal([
                { symbol: "AAPL", timestamp: "2026-11-28T14:30:00.123456", price: "189.29" },
                { symbol: "BRK.B", timestamp: "2026-11-28 14:30:01", price: "410.100000000000000000001" },
                { symbol: "EURUSD=X", timestamp: "2026-11-28T14:30:02Z", price: "1.08500" },
            ]);
            expect(rows.map(row => row.time! - rows[0].time!)).to.deep.equal([0, 877, 1877]);
        });

        it("that are no tick are still sent, as the file has them, with why the pipeline will reject them", async () => {
            const file = write(
                "bad.csv",
                [
                    "symbol,price,timestamp",
                    "AAPL,n/a,2026-11-28T14:30:00",
                    "AAPL,189.29,11/28/2026",
                    "AAPL,189.29",
                    ",189.29,2026-11-28",
                    "AAPL,-1,2026-11-28",
                    '"AAPL","1,234.50",2026-11-28',
                    "AAPL,1e2,2026-11-28",
                ].join("\n"),
            );
            const rows = await all(fileTicks(await checkCsvFile({ file, columns: {} })));
            expect(
                rows.map(row => [row.where.replace(file, "bad.csv"), row.data.toString(), row.reason ?? "valid"]),
            ).to.deep.equal([
                [
                    "bad.csv:2",
                    '{"symbol":"AAPL","price":"n/a","timestamp":"2026-11-28T14:30:00"}',
                    'price: not a decimal number: "n/a"',
                ],
                [
                    "bad.csv:3",
                    '{"symbol":"AAPL","price":189.29,"timestamp":"11/28/2026"}',
                    'timestamp: not ISO 8601 (YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]): "11/28/2026"',
                ],
                ["bad.csv:4", '{"symbol":"AAPL","price":189.29}', "timestamp: missing"],
                ["bad.csv:5", '{"symbol":"","price":189.29,"timestamp":"2026-11-28"}', "symbol: empty"],
                ["bad.csv:6", '{"symbol":"AAPL","price":-1,"timestamp":"2026-11-28"}', "price: must not be negative"],
                [
                    "bad.csv:7",
                    '{"symbol":"AAPL","price":"1,234.50","timestamp":"2026-11-28"}',
                    'price: not a decimal number: "1,234.50"',
                ],
                ["bad.csv:8", '{"symbol":"AAPL","price":1e2,"timestamp":"2026-11-28"}', "valid"],
            ]);
            expect(rows.map(row => row.partitionKey)).to.deep.equal([
                "AAPL",
                "AAPL",
                "AAPL",
                "bad.csv",
                "AAPL",
                "AAPL",
                "AAPL",
            ]);
        });

        it("of a daily-bars download take their symbol from --csv-symbol and their line from the file, past a quoted line break", async () => {
            const file = write(
                "AAPL.csv",
                'Date,Open,High,Low,Close,Adj Close,Volume,Note\n2024-01-02,187.15,188.44,183.89,185.64,184.73,82488700,"two\nlines"\n2024-01-03,184.22,185.88,183.43,184.25,183.35,58414500,\n',
            );
            const checked = await checkCsvFile({
                file,
                columns: { price: "Close", timestamp: "Date" },
                symbol: "AAPL",
            });
            const rows = await all(fileTicks(checked));
            expect(rows.map(row => [row.where.replace(file, "AAPL.csv"), row.data.toString()])).to.deep.equal([
                ["AAPL.csv:2", '{"symbol":"AAPL","price":185.64,"timestamp":"2024-01-02"}'],
                ["AAPL.csv:4", '{"symbol":"AAPL","price":184.25,"timestamp":"2024-01-03"}'],
            ]);
            expect(rows[1].time! - rows[0].time!).to.equal(86_400_000);
        });
    });

    describe("files that cannot be sent", () => {
        it("are told in one line before anything is sent: missing, empty, or not CSV (with the line)", async () => {
            const expectError = async (spec: Parameters<typeof checkCsvFile>[0], message: string, kind: string) => {
                const error = await checkCsvFile(spec).then(
                    () => undefined,
                    (e: unknown) => e,
                );
                expect(error).to.be.instanceOf(CsvFileError);
                expect((error as CsvFileError).message).to.equal(message);
                expect((error as CsvFileError).kind).to.equal(kind);
            };
            const missing = path.join(dir, "missing.csv");
            await expectError({ file: missing, columns: {} }, `${missing}: no such file`, "usage");
            const empty = write("empty.csv", "\n\n");
            await expectError(
                { file: empty, columns: {} },
                `${empty}: empty: expected a header line such as symbol,price,timestamp`,
                "content",
            );
            const broken = write(
                "broken.csv",
                'symbol,price,timestamp\nAAPL,1,2026-11-28\n"AAPL"x,1,2026-11-28\nMSFT,2,2026-11-28\n',
            );
            await expectError(
                { file: broken, columns: {} },
                `${broken}:3: not CSV this reader can follow (Invalid Closing Quote: got "x")`,
                "content",
            );
        });
    });

    it("merges several files in time order, each in its own, a row without a time kept in its place", async () => {
        const tick = (where: string, time?: number): CsvTick => ({
            where,
            data: Buffer.from(where),
            partitionKey: "k",
            time,
        });
        async function* rows(...ticks: CsvTick[]) {
            yield* ticks;
        }
        const merged = await all(
            mergeByTime([
                rows(tick("a1", 10), tick("a2"), tick("a3", 30)),
                rows(tick("b1", 5), tick("b2", 20), tick("b3", 40)),
            ]),
        );
        expect(merged.map(row => row.where)).to.deep.equal(["b1", "a1", "a2", "b2", "a3", "b3"]);
        expect(merged.map(row => row.time)).to.deep.equal([5, 10, 10, 20, 30, 40]);
    });

    it("reads a wall time as ms whatever its precision or separator, and nothing from a date it cannot read", () => {
        expect(wallTimeMs("2026-11-28T14:30:00.123456789")).to.equal(Date.UTC(2026, 10, 28, 14, 30, 0, 123));
        expect(wallTimeMs("2026-11-28 14:30")).to.equal(Date.UTC(2026, 10, 28, 14, 30));
        expect(wallTimeMs("2026-11-28")).to.equal(Date.UTC(2026, 10, 28));
        expect(wallTimeMs("11/28/2026")).to.equal(undefined);
    });

    it("streams: rows are read from the file only as fast as they are sent, so a file of any size fits", async () => {
        // An endless file: reading it whole would never end. Count the bytes the reader asked for.
        let bytes = 0;
        let row = 0;
        const endless = () =>
            new Readable({
                read() {
                    const chunk =
                        row === 0
                            ? "symbol,price,timestamp\n"
                            : `AAPL,${100 + (row % 50)}.25,2026-11-28T14:30:00.${String(row).padStart(6, "0")}\n`;
                    row++;
                    bytes += chunk.length;
                    this.push(chunk);
                },
            });
        const file: CsvFile = {
            file: "endless.csv",
            columns: {},
            indexes: { symbol: 0, price: 1, timestamp: 2 },
            rows: Infinity,
        };
        const puts: number[] = [];
        const controller = new AbortController();
        const client = {
            send: async (command: { input: { Records: unknown[] } }) => {
                puts.push(command.input.Records.length);
                if (puts.length === 20) controller.abort();
                return {
                    Records: command.input.Records.map((_, i) => ({
                        SequenceNumber: String(puts.length * 1000 + i),
                        ShardId: "shardId-0",
                    })),
                };
            },
        };
        const stats = emptyStats();
        await runCsvProducer(
            client as never,
            { StreamName: "s" },
            { ticks: fileTicks(file, endless), speed: Infinity, signal: controller.signal },
            stats,
        );
        expect(stats.produced).to.equal(20 * 500);
        expect(puts.every(n => n === 500)).to.equal(true);
        // 10,000 rows sent of ~45 bytes each: what was read is those and a stream buffer or two, not more.
        expect(bytes).to.be.below(10_000 * 45 + 256 * 1024);
    });

    describe("paced by --speed", () => {
        let clock: FakeTimers.Clock;
        beforeEach(() => {
            clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
        });
        afterEach(() => clock.uninstall());

        /** When each row was put, ms after the start, sending rows 10 s apart (one without a time) at `speed`. */
        async function putTimes(speed: number): Promise<[string, number][]> {
            const started = Date.now();
            const rows: CsvTick[] = [0, 10, undefined, 20, 5].map((seconds, i) => ({
                where: `t.csv:${i + 2}`,
                data: Buffer.from("{}"),
                partitionKey: "k",
                time: seconds === undefined ? undefined : Date.UTC(2026, 10, 28) + seconds * 1000,
            }));
            const put: [string, number][] = [];
            const client = {
                send: async (command: { input: { Records: { Data: Buffer }[] } }) => {
                    const first = put.length;
                    command.input.Records.forEach((_, i) => put.push([rows[first + i].where, Date.now() - started]));
                    return {
                        Records: command.input.Records.map((_, i) => ({
                            SequenceNumber: `${put.length}${i}`,
                            ShardId: "s",
                        })),
                    };
                },
            };
            async function* source() {
                yield* rows;
            }
            const producing = runCsvProducer(client as never, { StreamName: "s" }, { ticks: source(), speed });
            await clock.runAllAsync();
            await producing;
            return put;
        }

        it("replays the rows' spacing, speed times faster; a row with no time or an earlier one goes with the row before", async () => {
            expect(await putTimes(1)).to.deep.equal([
                ["t.csv:2", 0],
                ["t.csv:3", 10_000],
                ["t.csv:4", 10_000],
                ["t.csv:5", 20_000],
                ["t.csv:6", 20_000],
            ]);
            expect((await putTimes(10)).map(([, at]) => at)).to.deep.equal([0, 1000, 1000, 2000, 2000]);
        });

        it("sends everything at once with speed max", async () => {
            expect((await putTimes(Infinity)).map(([, at]) => at)).to.deep.equal([0, 0, 0, 0, 0]);
        });
    });

    describe("flags", () => {
        const values = (given: Record<string, unknown>) => ({ shards: "2", ...given });

        it("refuse the synthetic producer's flags with --csv, and the CSV ones without it", () => {
            expect(() => producerFlags(values({ csv: ["a.csv"], rate: "5" }))).to.throw(
                UsageError,
                "--rate: not with --csv, whose rows are the ticks (pace them with --speed)",
            );
            expect(() => producerFlags(values({ speed: "60" }))).to.throw(UsageError, "--speed goes with --csv FILE");
            expect(() => producerFlags(values({ csv: ["a.csv", "b.csv"], "csv-symbol": ["A", "B", "C"] }))).to.throw(
                UsageError,
                "--csv-symbol: give one for every file, or one per --csv (2), not 3",
            );
            expect(() => producerFlags(values({ csv: ["a.csv"], "csv-symbol": ["../x"] }))).to.throw(
                UsageError,
                '--csv-symbol: symbol: must start with a letter, digit or ^, got "../x"',
            );
        });

        it("take --speed 1, 60 or max, and pair --csv-symbol with the files in order", () => {
            const flags = producerFlags(
                values({ csv: ["a.csv", "b.csv"], "csv-symbol": ["AAPL", "MSFT"], speed: "60" }),
            );
            expect(flags.csv!.speed).to.equal(60);
            expect(flags.csv!.specs.map(spec => [spec.file, spec.symbol])).to.deep.equal([
                ["a.csv", "AAPL"],
                ["b.csv", "MSFT"],
            ]);
            expect(producerFlags(values({ csv: ["a.csv"], speed: "max" })).csv!.speed).to.equal(Infinity);
            expect(producerFlags(values({ csv: ["a.csv"] })).csv!.speed).to.equal(Infinity);
            expect(() => producerFlags(values({ csv: ["a.csv"], speed: "0" }))).to.throw(
                UsageError,
                "--speed: expected a number",
            );
        });
    });
});
