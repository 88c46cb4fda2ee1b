/**
 * Debian's Chromium, headless, driven by playwright-core: to check the report page in a real
 * browser and to picture it. No browser is downloaded: the one on this machine is used (found on
 * PATH, or at CHROMIUM_PATH); `npm run ensure:chromium` installs Debian's when it is missing.
 */
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { Browser, chromium, Page } from "playwright-core";

const NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** Flags for a quiet, reproducible headless run: nothing phones home, nothing is kept. */
const FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/** The Chromium executable: CHROMIUM_PATH when set, else the first of the usual names on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.CHROMIUM_PATH) return fs.existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        for (const name of NAMES) {
            const candidate = path.join(dir, name);
            if (isExecutable(candidate)) return candidate;
        }
    }
    return undefined;
}

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

/**
 * The Chromium to launch; when there is none, an Error with `code: "NO_CHROMIUM"` whose message
 * says how to get one (commands show it as their one line).
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
    const executablePath = findChromium(env);
    if (executablePath) return executablePath;
    const where = env.CHROMIUM_PATH ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist` : "none on PATH";
    throw Object.assign(
        new Error(
            `no Chromium found (${where}): run npm run ensure:chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
        ),
        { code: "NO_CHROMIUM" },
    );
}

/** Headless Chromium, each launch with a fresh temporary profile (playwright's own). */
export async function launchChromium(): Promise<Browser> {
    return chromium.launch({ executablePath: chromiumPath(), headless: true, args: FLAGS });
}

export interface OpenedPage {
    page: Page;
    /** console.error messages and uncaught exceptions, in order. */
    errors: string[];
    /** Every URL the page asked for beyond the file itself (a self-contained page asks for none). */
    requests: string[];
}

/** Opens a local HTML file with every network request refused and recorded, and waits until it has loaded. */
export async function openFile(
    browser: Browser,
    file: string,
    viewport = { width: 1200, height: 900 },
): Promise<OpenedPage> {
    const page = await browser.newPage({ viewport });
    const url = pathToFileURL(path.resolve(file)).href;
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", message => {
        if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", error => errors.push(`${error.name}: ${error.message}`));
    await page.route("**/*", route => {
        if (route.request().url() === url) return route.continue();
        requests.push(route.request().url());
        return route.abort();
    });
    await page.goto(url, { waitUntil: "load" });
    return { page, errors, requests };
}

/** A full-page PNG of an HTML file, once its charts are drawn. Returns the PNG's path. */
export async function screenshotPage(htmlFile: string, pngFile: string): Promise<string> {
    const browser = await launchChromium();
    try {
        const { page } = await openFile(browser, htmlFile);
        await page.waitForFunction(`document.body.dataset.ready === "true"`, undefined, { timeout: 10_000 });
        // Let the charts' first animation frame paint.
        await page.waitForTimeout(300);
        const out = path.resolve(pngFile);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        await page.screenshot({ path: out, fullPage: true });
        return out;
    } finally {
        await browser.close();
    }
}
