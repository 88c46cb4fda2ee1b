import { expect } from "chai";
import {
    AthenaClient,
    GetQueryExecutionCommand,
    GetQueryResultsCommand,
    StartQueryExecutionCommand,
    StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { findNamedQuery } from "../../pipeline/analytics/queries";
import { UsageError, UserError } from "../../harness/cli/cli";
import { athenaKind, runAthenaQuery } from "../../harness/query/athena";
import { parseQueryOptions, queryCommand } from "../../tools/query/command";

const athena = mockClient(AthenaClient);
const FAST = { pollMs: { first: 1, max: 2 } };
const OHLC_COLUMNS = [
    { Name: "symbol", Type: "varchar" },
    { Name: "minute", Type: "varchar" },
    { Name: "open", Type: "decimal", Precision: 38, Scale: 18 },
    { Name: "high", Type: "decimal" },
    { Name: "low", Type: "decimal" },
    { Name: "close", Type: "decimal" },
    { Name: "tick_count", Type: "bigint" },
];
const row = (...values: (string | null)[]) => ({
    Data: values.map(value => (value === null ? {} : { VarCharValue: value })),
});
const HEADER = row("symbol", "minute", "open", "high", "low", "close", "tick_count");
const AAPL = row(
    "AAPL",
    "2026-11-28T14:30",
    "189.120000000000000000",
    "415.123456789012345679",
    "189.120000000000000000",
    "415.123456789012345679",
    "2",
);
const MSFT = row(
    "MSFT",
    "2026-11-28T14:30",
    "420.500000000000000000",
    "420.500000000000000000",
    "420.500000000000000000",
    "420.500000000000000000",
    "1",
);

/** A query that is queued, runs, then succeeds, with its results on two pages (header on the first). */
function succeedingQuery(): void {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena
        .on(GetQueryExecutionCommand)
        .resolvesOnce({ QueryExecution: { Status: { State: "QUEUED" } } })
        .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
        .resolves({
            QueryExecution: {
                StatementType: "DML",
                Status: { State: "SUCCEEDED" },
                Statistics: { DataScannedInBytes: 2048 },
                ResultConfiguration: { OutputLocation: "s3://results/q-1.csv" },
            },
        });
    athena
        .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined })
        .resolves({
            ResultSet: { ResultSetMetadata: { ColumnInfo: OHLC_COLUMNS }, Rows: [HEADER, AAPL] },
            NextToken: "p2",
        })
        .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "p2" })
        .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: OHLC_COLUMNS }, Rows: [MSFT] } });
}

describe("npm run query on Athena (a stubbed Athena client)", () => {
    beforeEach(() => athena.reset());

    it("starts the named query's own SQL in the workgroup, the day as a quoted execution parameter", async () => {
        succeedingQuery();
        const ohlc = findNamedQuery("ohlc-minute")!;
        await runAthenaQuery(
            new AthenaClient({}),
            { sql: ohlc.sql, values: ["2026-11-28"], workgroup: "wg", database: "stock_market_dev" },
            FAST,
        );
        const [start] = athena.commandCalls(StartQueryExecutionCommand);
        expect(start.args[0].input).to.deep.equal({
            QueryString: ohlc.sql,
            WorkGroup: "wg",
            QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: "stock_market_dev" },
            ExecutionParameters: ["'2026-11-28'"],
        });
    });

    it("polls until the query succeeds, then reads every page, dropping the header row", async () => {
        succeedingQuery();
        const states: string[] = [];
        const result = await runAthenaQuery(
            new AthenaClient({}),
            { sql: "SELECT 1", values: [], workgroup: "wg", database: "db" },
            { ...FAST, onProgress: progress => states.push(progress.state) },
        );
        expect(states).to.deep.equal(["QUEUED", "RUNNING", "SUCCEEDED"]);
        expect(athena.commandCalls(GetQueryResultsCommand)).to.have.length(2);
        expect(result.rows.map(r => r[0])).to.deep.equal(["AAPL", "MSFT"]);
        expect(result.columns.map(c => c.kind)).to.deep.equal([
            "string",
            "string",
            "decimal",
            "decimal",
            "decimal",
            "decimal",
            "integer",
        ]);
        expect(result).to.include({ queryExecutionId: "q-1", bytesScanned: 2048 });
        expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input.ExecutionParameters).to.equal(
            undefined,
        );
    });

    it("answers a failed query with Athena's reason", async () => {
        athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-2" });
        athena.on(GetQueryExecutionCommand).resolves({
            QueryExecution: {
                Status: {
                    State: "FAILED",
                    StateChangeReason: "Query exhausted resources: bytes scanned limit was exceeded",
                },
            },
        });
        const failed = await runAthenaQuery(
            new AthenaClient({}),
            { sql: "SELECT 1", values: [], workgroup: "wg", database: "db" },
            FAST,
        ).catch(error => error);
        expect(failed.message).to.equal(
            "Athena query q-2 failed: Query exhausted resources: bytes scanned limit was exceeded",
        );
        expect(athena.commandCalls(GetQueryResultsCommand)).to.have.length(0);
    });

    it("stops the query on Athena when interrupted", async () => {
        athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-3" });
        athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "RUNNING" } } });
        athena.on(StopQueryExecutionCommand).resolves({});
        const controller = new AbortController();
        const running = runAthenaQuery(
            new AthenaClient({}),
            { sql: "SELECT 1", values: [], workgroup: "wg", database: "db" },
            { ...FAST, signal: controller.signal, onProgress: () => controller.abort() },
        );
        const error = await running.catch(e => e);
        expect(error.name).to.equal("AbortError");
        expect(athena.commandCalls(StopQueryExecutionCommand)[0].args[0].input).to.deep.equal({
            QueryExecutionId: "q-3",
        });
    });

    it("maps Athena's type names to the output formats' kinds", () => {
        expect(
            ["decimal(38,18)", "bigint", "integer", "double", "varchar", "boolean", "date"].map(athenaKind),
        ).to.deep.equal(["decimal", "integer", "integer", "double", "string", "boolean", "other"]);
    });

    describe("the command", () => {
        const run = async (argv: string[]) => {
            const printed: string[] = [];
            const notes: string[] = [];
            const command = queryCommand({
                athenaClient: () => new AthenaClient({ region: "us-east-1" }),
                print: text => printed.push(text),
                note: line => notes.push(line),
            });
            const code = await command.run(argv);
            return { code, printed, notes };
        };
        const ON_ATHENA = ["--athena-workgroup", "wg", "--athena-database", "db"];

        it("prints Athena's rows in the same formats as the local engine: JSON with exact decimals, no padding", async () => {
            succeedingQuery();
            const { code, printed, notes } = await run([
                ...ON_ATHENA,
                "--named",
                "ohlc-minute",
                "--param",
                "day=2026-11-28",
                "--format",
                "json",
            ]);
            expect(code).to.equal(0);
            expect(JSON.parse(printed[0])).to.deep.equal([
                {
                    symbol: "AAPL",
                    minute: "2026-11-28T14:30",
                    open: "189.12",
                    high: "415.123456789012345679",
                    low: "189.12",
                    close: "415.123456789012345679",
                    tick_count: 2,
                },
                {
                    symbol: "MSFT",
                    minute: "2026-11-28T14:30",
                    open: "420.5",
                    high: "420.5",
                    low: "420.5",
                    close: "420.5",
                    tick_count: 1,
                },
            ]);
            expect(notes.at(-1)).to.equal("athena: 2 rows, 2.0 KiB scanned, results in s3://results/q-1.csv");
        });

        it("answers an error from AWS (no such workgroup) with one line the user can act on", async () => {
            const refused = Object.assign(new Error("WorkGroup wg is not found.\nmore"), {
                name: "InvalidRequestException",
                $metadata: { httpStatusCode: 400 },
            });
            athena.on(StartQueryExecutionCommand).rejects(refused);
            const error = await run([...ON_ATHENA, "--named", "latest-price"]).catch(e => e);
            expect(error).to.be.instanceOf(UserError);
            expect(error.message).to.equal("InvalidRequestException: WorkGroup wg is not found.");
        });

        it("answers a failed query with one line, exit 1", async () => {
            athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-4" });
            athena
                .on(GetQueryExecutionCommand)
                .resolves({ QueryExecution: { Status: { State: "FAILED", StateChangeReason: "SYNTAX_ERROR" } } });
            const error = await run([...ON_ATHENA, "--sql", "SELEKT"]).catch(e => e);
            expect(error).to.be.instanceOf(UserError);
            expect(error.message).to.equal("Athena query q-4 failed: SYNTAX_ERROR");
        });
    });

    describe("its flags", () => {
        const mistakes: [string[], RegExp][] = [
            [["--athena-workgroup", "wg", "--named", "latest-price"], /go together/],
            [
                ["--athena-workgroup", "wg", "--athena-database", "db", "--data", "x", "--named", "latest-price"],
                /not both/,
            ],
            [
                [
                    "--athena-workgroup",
                    "wg",
                    "--athena-database",
                    "db",
                    "--days",
                    "2026-11-28",
                    "--named",
                    "latest-price",
                ],
                /--days is for local sources/,
            ],
            [["--named", "latest-price"], /give a source/],
            [["--data", "x"], /^give one of --sql, --named or --list$/],
            [
                ["--data", "x", "--sql", "SELECT 1", "--named", "latest-price"],
                /^give only one of --sql, --named or --list, not --sql and --named$/,
            ],
        ];
        for (const [argv, message] of mistakes)
            it(`refuses ${argv.join(" ")} as a usage error`, () => {
                expect(() => parseQueryOptions(argv)).to.throw(UsageError, message);
            });
    });
});
