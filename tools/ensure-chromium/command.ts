/**
 * `npm run ensure:chromium`, run by `npm run test:integration`: the report's browser test needs a
 * real Chromium, and a fresh machine has none. Installs Debian's with apt-get when it is missing
 * (as root, or through passwordless sudo), saying so; fails in one line when it cannot.
 */
import { spawnSync } from "child_process";
import { findChromium } from "../../harness/browser/chromium";
import { Command, parseFlags, UserError } from "../../harness/cli/cli";

const HELP = `Usage: npm run ensure:chromium

Finds Chromium (CHROMIUM_PATH, or chromium on PATH) for the report's browser test; when there is
none, installs Debian's package with apt-get install -y chromium (as root or with sudo -n).

  -h, --help   this text`;

function onPath(command: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function aptGet(args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [command, ...rest] = asRoot ? ["apt-get", ...args] : ["sudo", "-n", "apt-get", ...args];
    // apt-get's own output (hundreds of lines, debconf notices among them) is shown only when it fails.
    const result = spawnSync(command, rest, {
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.status !== 0) {
        const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-20);
        if (output.length > 0) console.error(output.join("\n"));
        throw new UserError(
            `${[command, ...rest].join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}): ` +
                "install Chromium yourself (apt-get install -y chromium) or set CHROMIUM_PATH",
        );
    }
}

async function main(argv: string[]): Promise<number> {
    // It takes no flag: a mistyped one is refused (with the flag it most likely meant), not ignored.
    parseFlags(argv, {});
    if (findChromium()) return 0;
    if (process.env.CHROMIUM_PATH)
        throw new UserError(`CHROMIUM_PATH is ${process.env.CHROMIUM_PATH}, which does not exist`);
    if (!onPath("apt-get"))
        throw new UserError(
            "no Chromium for the report's browser test and no apt-get to install it: install Chromium or set CHROMIUM_PATH",
        );
    if (process.getuid?.() !== 0 && !onPath("sudo"))
        throw new UserError(
            "no Chromium for the report's browser test, and installing it needs root: run apt-get install -y chromium as root, or set CHROMIUM_PATH",
        );
    console.log("no Chromium for the report's browser test: installing Debian's (apt-get install -y chromium)...");
    aptGet(["update", "-qq"]);
    aptGet(["install", "-y", "-qq", "chromium"]);
    const installed = findChromium();
    if (!installed) throw new UserError("apt-get installed chromium but it is not on PATH: set CHROMIUM_PATH");
    console.log(`installed ${installed}`);
    return 0;
}

/** The command; main.ts runs it. */
export const ensureChromiumCommand: Command = { name: "npm run ensure:chromium", help: HELP, run: main };
