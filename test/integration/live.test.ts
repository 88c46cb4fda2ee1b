// npm run local -- --live: the report served on 127.0.0.1 while the run goes, opened in headless
// Chromium. Its counts and candles grow during the run; once the run is over the page shows the
// final state (the summary's counts), and the command serves it until Ctrl-C, which ends it with
// the run's exit code. Only its own Host is answered, and nothing can be written.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import type { ChildProcess } from "child_process";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../harness/browser/chromium";
import { CommandResult, runTool } from "../support/commands";
import { ensurePackage } from "../support/package";

const RATE = 50;
const DURATION = 6;

/** The page's run counts, its status, and the ticks its candle sections show. */
const READ_PAGE = `(() => {
    const count = name => Number(document.querySelector('#counts [data-count="' + name + '"] b')?.textContent ?? "NaN");
    const ticks = [...document.querySelectorAll("section.symbol")].reduce((sum, s) => sum + Number(s.dataset.ticks), 0);
    return {
        status: document.getElementById("live-status").dataset.status,
        produced: count("produced"), stored: count("stored"), rejected: count("rejected"), inFlight: count("in-flight"),
        ticks,
        interval: document.querySelector("#candles h2")?.textContent ?? "",
    };
})()`;

interface PageReading {
    status: string;
    produced: number;
    stored: number;
    rejected: number;
    inFlight: number;
    ticks: number;
    interval: string;
}

/** A request with a chosen Host header and method: the status the server answers. */
function request(url: string, options: { host?: string; method?: string }): Promise<number> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
        const req = http.request(
            { hostname, port, path: "/state.json", method: options.method ?? "GET", headers: { host: options.host } },
            response => {
                response.resume();
                resolve(response.statusCode ?? 0);
            },
        );
        req.on("error", reject);
        req.end();
    });
}

describe("npm run local -- --live, watched in headless Chromium", function () {
    this.timeout(180_000);
    const report = path.join(os.tmpdir(), `live-report-${process.pid}.html`);
    let browser: Browser;
    let page: Page;
    let child: ChildProcess | undefined;
    let url: string;
    let finishedLine: Promise<void>;
    let command: Promise<CommandResult>;
    const readings: PageReading[] = [];
    let errors: string[];
    /** What the command printed so far. */
    let printed = "";

    before(async function () {
        this.timeout(150_000);
        await ensurePackage();
        let announced: (url: string) => void;
        const urlLine = new Promise<string>(resolve => (announced = resolve));
        let over: () => void;
        finishedLine = new Promise<void>(resolve => (over = resolve));
        command = runTool(
            "local/main.ts",
            ["--live", "--rate", String(RATE), "--duration", String(DURATION), "--skip-build", "--report", report],
            {
                timeoutMs: 170_000,
                onStdout: (stdout, process) => {
                    child = process;
                    printed = stdout;
                    const match = /^live: (http:\/\/127\.0\.0\.1:\d+\/) /m.exec(stdout);
                    if (match) announced(match[1]);
                    if (stdout.includes("live: the run is over")) over();
                },
            },
        );
        url = await urlLine;
        browser = await launchChromium();
        page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        errors = [];
        page.on("console", message => {
            if (message.type() === "error") errors.push(message.text());
        });
        page.on("pageerror", error => errors.push(error.message));
        await page.goto(url);
        // Read the page as a person would watch it, until the run is over.
        for (;;) {
            const reading = (await page.evaluate(READ_PAGE)) as PageReading;
            readings.push(reading);
            if (reading.status === "finished") break;
            await page.waitForTimeout(250);
        }
        await finishedLine;
    });

    after(async () => {
        await browser?.close();
        if (child?.exitCode === null) child.kill("SIGKILL");
        fs.rmSync(report, { force: true });
    });

    it("prints the page's address first, on 127.0.0.1", () => {
        expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    });

    it("shows the counts growing while the run goes, at least once a second", () => {
        const during = readings.filter(r => r.status === "producing" || r.status === "draining");
        const produced = [...new Set(during.map(r => r.produced))];
        expect(produced.length, JSON.stringify(during)).to.be.at.least(DURATION / 2);
        expect(produced).to.deep.equal([...produced].sort((a, b) => a - b));
        expect(Math.min(...produced)).to.be.below(RATE * DURATION);
        // The candles follow the bucket as the function stores ticks.
        const ticks = [...new Set(during.map(r => r.ticks))];
        expect(ticks.length).to.be.at.least(3);
        expect(ticks).to.deep.equal([...ticks].sort((a, b) => a - b));
    });

    it("shows the final state once the run is over: the summary's counts, every stored tick in candles", () => {
        const final = readings[readings.length - 1];
        const [, produced, stored, rejected] =
            /^produced (\d+), stored (\d+), rejected (\d+), in failure destination 0, lost 0$/m.exec(printed)!;
        expect(final).to.include({
            produced: Number(produced),
            stored: Number(stored),
            rejected: Number(rejected),
            inFlight: 0,
            ticks: Number(stored),
        });
        expect(final.produced).to.equal(RATE * DURATION);
        expect(final.interval).to.match(/^\d+-second candles$/);
        expect(errors).to.deep.equal([]);
    });

    it("answers only its own Host, and nothing but GET and HEAD", async () => {
        const { port } = new URL(url);
        expect(await request(url, { host: `127.0.0.1:${port}` })).to.equal(200);
        expect(await request(url, { host: `localhost:${port}` })).to.equal(200);
        expect(await request(url, { host: `attacker.example:${port}` })).to.equal(421);
        expect(await request(url, { host: `127.0.0.1:${port}`, method: "POST" })).to.equal(405);
        expect(await request(url, { host: `127.0.0.1:${port}`, method: "DELETE" })).to.equal(405);
    });

    it("keeps the final state on the page once Ctrl-C stops the command, which exits with the run's code", async () => {
        child!.kill("SIGINT");
        const result = await command;
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.match(/^live: stopped$/m);
        // The page's own poll finds the command gone (the page forbids eval: read it as a script would).
        let after = (await page.evaluate(READ_PAGE)) as PageReading;
        for (let tries = 0; after.status !== "lost" && tries < 40; tries++) {
            await page.waitForTimeout(250);
            after = (await page.evaluate(READ_PAGE)) as PageReading;
        }
        expect(after.status).to.equal("lost");
        expect({ ...after, status: "finished" }).to.deep.equal(readings[readings.length - 1]);
    });
});
