/** What the command tests share: running the commands, a fresh machine's environment, one-line checks. */
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { CommandResult, errorLines, runTool } from "./commands";

export const local = (args: string[], options = {}) =>
    runTool("local/main.ts", args, { timeoutMs: 120_000, ...options });
export const produce = (args: string[], options = {}) =>
    runTool("produce/main.ts", args, { timeoutMs: 60_000, ...options });
export const clean = (args: string[]) => runTool("clean/main.ts", args);

/** No AWS credentials or region from the environment: a fresh machine. */
export const FRESH_MACHINE = {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
};

/** The one line a mistake gets, and no stack trace. */
export function expectOneLine(result: CommandResult, code: number, line: string | RegExp): void {
    const lines = errorLines(result);
    expect(lines, result.stderr).to.have.length(1);
    if (typeof line === "string") expect(lines[0]).to.equal(line);
    else expect(lines[0]).to.match(line);
    expect(result.stderr).not.to.match(/\n\s+at /);
    expect(result.status).to.equal(code);
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise(resolve => server.close(resolve));
    return port;
}

/** The symbol table of a run's summary: the same seed must give the same one. */
export const symbolTable = (stdout: string) => /^symbol .*?\n\n/ms.exec(stdout)?.[0];
export const runSeedOf = (stdout: string) => Number(/^local run: seed (\d+) /m.exec(stdout)?.[1]);
/** Where the runs' report pages go, out of the project's folder. */
export const REPORT = path.join(os.tmpdir(), `commands-test-report-${process.pid}.html`);
/** A daily-bars download (no symbol column), for the --csv mistakes. */
export const BARS = path.join(os.tmpdir(), `commands-test-bars-${process.pid}.csv`);
export const FAST = ["--rate", "50", "--duration", "1", "--skip-build", "--report", REPORT];
