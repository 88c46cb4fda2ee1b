/**
 * The runtime the function runs under on this machine, as in Lambda's nodejs22.x: Node.js 22
 * (`node-linux-<arch>` from the npm registry: its binary and headers) and AWS's runtime interface
 * client, `aws-lambda-ric`, whose native addon (aws-lambda-cpp and curl) is built here with
 * node-gyp against Node 22's headers. Both are pinned, and installed once, on demand (as Chromium
 * is), into `.lambda-runtime/`, which git ignores: `npm ci` stays free of native builds.
 *
 * The install is built in a folder of its own and renamed into place once the addon loads under
 * Node 22, so that an interrupted or concurrent install never leaves a half-built runtime behind.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { displayPath, UserError } from "../cli/cli";

const ROOT = path.resolve(__dirname, "..", "..");
/** Where it is installed: .lambda-runtime/ at the project's root, or LOCAL_LAMBDA_RUNTIME_DIR (one install for several clones). */
export const RUNTIME_DIR = path.resolve(process.env.LOCAL_LAMBDA_RUNTIME_DIR || path.join(ROOT, ".lambda-runtime"));
/** npm's and the build's whole output, beside the install, for when it fails. */
const installLogOf = (dir: string) => `${dir}-install.log`;

/** The versions installed: change one here and the next ensure installs again. */
export const LAMBDA_RUNTIME_PINS = { node: "22.23.5", ric: "4.0.2" } as const;
/** The managed runtime the stack deploys, which this one stands in for. */
const DEPLOYED_RUNTIME = "nodejs22.x";

export interface LambdaRuntime {
    /** Node.js 22's executable. */
    node: string;
    /** aws-lambda-ric's entry point (index.mjs), which Node runs as the runtime. */
    ric: string;
    /** `process.version` of that Node, e.g. v22.23.5. */
    nodeVersion: string;
    ricVersion: string;
    /** For a run's header: `aws-lambda-ric 4.0.2 on Node.js v22.23.5 (as nodejs22.x)`. */
    description: string;
}

/** The install could not be done or checked: `message` is one line that says why and what to do. */
export class LambdaRuntimeUnavailable extends UserError {
    constructor(message: string) {
        super(message);
        this.name = "LambdaRuntimeUnavailable";
    }
}

interface Stamp {
    node: string;
    ric: string;
    nodeVersion: string;
    platform: string;
}

const STAMP = "installed.json";
const platform = () => `${process.platform}-${process.arch}`;
const nodePackage = () => `node-${process.platform}-${process.arch}`;

function layout(dir: string) {
    const nodeDir = path.join(dir, "node_modules", nodePackage());
    const ricDir = path.join(dir, "node_modules", "aws-lambda-ric");
    return {
        nodeDir,
        node: path.join(nodeDir, "bin", "node"),
        ricDir,
        ric: path.join(ricDir, "index.mjs"),
        addon: path.join(ricDir, "rapid-client.node"),
        stamp: path.join(dir, STAMP),
    };
}

function describe(stamp: Stamp, dir: string): LambdaRuntime {
    const files = layout(dir);
    return {
        node: files.node,
        ric: files.ric,
        nodeVersion: stamp.nodeVersion,
        ricVersion: stamp.ric,
        description: `aws-lambda-ric ${stamp.ric} on Node.js ${stamp.nodeVersion} (as ${DEPLOYED_RUNTIME})`,
    };
}

/** The runtime in `dir` when it is the pinned one, complete and for this platform; undefined otherwise. */
export function installedLambdaRuntime(dir = RUNTIME_DIR): LambdaRuntime | undefined {
    const files = layout(dir);
    let stamp: Stamp;
    try {
        stamp = JSON.parse(fs.readFileSync(files.stamp, "utf8")) as Stamp;
    } catch {
        return undefined;
    }
    const current =
        stamp.node === LAMBDA_RUNTIME_PINS.node &&
        stamp.ric === LAMBDA_RUNTIME_PINS.ric &&
        stamp.platform === platform();
    if (!current || ![files.node, files.ric, files.addon].every(file => fs.existsSync(file))) return undefined;
    return describe(stamp, dir);
}

export interface EnsureOptions {
    /** Progress lines while it installs; nothing is said when the runtime is already there. */
    log?: (line: string) => void;
    /** Default `.lambda-runtime/` at the project's root. */
    dir?: string;
    /** The npm command (tests point it at one that fails). */
    npm?: string;
}

/**
 * The pinned runtime, installed first when it is missing or another version (with progress; said
 * nothing when it is there). Throws LambdaRuntimeUnavailable, a command's one line, when it cannot.
 */
export async function ensureLambdaRuntime(options: EnsureOptions = {}): Promise<LambdaRuntime> {
    const dir = options.dir ?? RUNTIME_DIR;
    try {
        return installedLambdaRuntime(dir) ?? (await install(dir, options));
    } catch (error) {
        if (!(error instanceof LambdaRuntimeUnavailable)) throw error;
        throw new LambdaRuntimeUnavailable(
            `the Lambda runtime (Node.js 22 and aws-lambda-ric) is not installed: ${error.message}`,
        );
    }
}

async function install(dir: string, options: EnsureOptions): Promise<LambdaRuntime> {
    const log = options.log ?? (() => undefined);
    const installLog = installLogOf(dir);
    const npm = options.npm ?? "npm";
    const started = Date.now();
    checkPlatform();
    checkBuildTools();
    log(
        `installing the Lambda runtime into ${displayPath(dir)}/, once: ` +
            `Node.js ${LAMBDA_RUNTIME_PINS.node} and aws-lambda-ric ${LAMBDA_RUNTIME_PINS.ric} (about a minute)`,
    );
    const staging = `${dir}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(installLog, "");
    try {
        const files = layout(staging);
        fs.writeFileSync(
            path.join(staging, "package.json"),
            `${JSON.stringify(
                {
                    private: true,
                    description:
                        "The Lambda runtime for local runs (harness/lambda/runtime-install.ts): not the project's",
                    dependencies: {
                        [nodePackage()]: LAMBDA_RUNTIME_PINS.node,
                        "aws-lambda-ric": LAMBDA_RUNTIME_PINS.ric,
                    },
                },
                null,
                4,
            )}\n`,
        );
        log(`  fetching ${nodePackage()}@${LAMBDA_RUNTIME_PINS.node} and aws-lambda-ric@${LAMBDA_RUNTIME_PINS.ric}`);
        // Scripts off: the addon is built next, with Node 22 first on PATH and its headers.
        await run(npm, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", staging], {
            cwd: staging,
            installLog,
            what: "npm install",
        });
        log("  building aws-lambda-ric's native addon against Node.js 22's headers");
        await run(npm, ["rebuild", "aws-lambda-ric", "--foreground-scripts", `--nodedir=${files.nodeDir}`], {
            cwd: staging,
            installLog,
            what: "building aws-lambda-ric",
            path: path.dirname(files.node),
            // The build's own milestones, as progress.
            onLine: line => {
                if (/^(Building (curl|aws-lambda-cpp|native addon)|rapid-client\.node copied)/.test(line))
                    log(`    ${line.replace(/\.\.\.$/, "")}`);
            },
        });
        const nodeVersion = checkAddonLoads(files.node, files.ricDir);
        const stamp: Stamp = { ...LAMBDA_RUNTIME_PINS, nodeVersion, platform: platform() };
        fs.writeFileSync(files.stamp, `${JSON.stringify(stamp, null, 4)}\n`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(staging, dir);
        const runtime = describe(stamp, dir);
        log(`installed the Lambda runtime in ${Math.round((Date.now() - started) / 1000)} s: ${runtime.description}`);
        return runtime;
    } catch (error) {
        fs.rmSync(staging, { recursive: true, force: true });
        // Another process may have installed it meanwhile (two commands started at once).
        const installed = installedLambdaRuntime(dir);
        if (installed) return installed;
        throw error;
    }
}

function checkPlatform(): void {
    // aws-lambda-cpp builds on Linux only (its install script skips macOS), as Lambda runs Linux.
    if (process.platform !== "linux" || !["x64", "arm64"].includes(process.arch))
        throw new LambdaRuntimeUnavailable(
            `the Lambda runtime client (aws-lambda-ric) builds on Linux x64 or arm64 only, and this is ${platform()}`,
        );
}

const onPath = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

/** What aws-lambda-ric's install scripts and node-gyp call: without one, the build fails after a long wait. */
function checkBuildTools(): void {
    const missing = [
        onPath("cmake3") || onPath("cmake") ? undefined : "cmake",
        onPath("make") ? undefined : "make",
        onPath("c++") || onPath("g++") ? undefined : "g++",
        onPath("python3") ? undefined : "python3",
        onPath("xz") || onPath("unxz") ? undefined : "xz-utils",
    ].filter(Boolean);
    if (missing.length > 0)
        throw new LambdaRuntimeUnavailable(
            `building the Lambda runtime client needs ${missing.join(", ")}: install ${missing.length > 1 ? "them" : "it"} ` +
                `(apt-get install -y ${missing.join(" ")}), then run npm run ensure:lambda-runtime`,
        );
}

interface RunOptions {
    cwd: string;
    installLog: string;
    /** Named in the one line a failure gets. */
    what: string;
    /** Put first on PATH. */
    path?: string;
    onLine?: (line: string) => void;
}

/** Runs a step with its output in the install log; a failure names the step and its last error line. */
function run(command: string, args: string[], options: RunOptions): Promise<void> {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: [options.path, process.env.PATH].filter(Boolean).join(path.delimiter),
    };
    // Set by `npm run` for the project: the runtime's install is a project of its own.
    delete env.npm_config_local_prefix;
    delete env.npm_config_nodedir;
    fs.appendFileSync(options.installLog, `$ ${command} ${args.join(" ")}\n`);
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let tail = "";
        let partial = "";
        const collect = (chunk: Buffer) => {
            const text = chunk.toString();
            fs.appendFileSync(options.installLog, text);
            tail = (tail + text).slice(-4000);
            const lines = (partial + text).split("\n");
            partial = lines.pop() ?? "";
            lines.forEach(line => options.onLine?.(line.trim()));
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        child.on("error", error =>
            reject(
                new LambdaRuntimeUnavailable(`${options.what} could not start (${error.message})${seeLog(options)}`),
            ),
        );
        child.on("close", code => {
            if (code === 0) return resolve();
            reject(
                new LambdaRuntimeUnavailable(`${options.what} failed (${lastErrorLine(tail, code)})${seeLog(options)}`),
            );
        });
    });
}

const seeLog = (options: Pick<RunOptions, "installLog">) => `; its output is in ${displayPath(options.installLog)}`;

/** The line of a failed step's output that best says why: npm's or the compiler's error, else its last line. */
function lastErrorLine(output: string, code: number | null): string {
    const lines = output
        .split("\n")
        .map(line => line.trim())
        .filter(Boolean);
    const errors = lines.filter(line =>
        /^npm error (?!(code|path|command|A complete log|cwd)\b)|error:|Error:/.test(line),
    );
    const line = errors[0] ?? lines[lines.length - 1];
    return line ? line.slice(0, 300) : `exit ${code}`;
}

/**
 * Loads the addon under Node 22, as the runtime will: it reads AWS_LAMBDA_RUNTIME_API when it
 * loads (and aborts without it), but connects only when asked for an invocation.
 */
function checkAddonLoads(node: string, ricDir: string): string {
    const probe = spawnSync(
        node,
        [
            "-e",
            "const c = require(process.argv[1]); " +
                "if (typeof c.next !== 'function') throw new Error('no next() in the addon'); " +
                "process.stdout.write(process.version)",
            path.join(ricDir, "rapid-client.node"),
        ],
        { env: { AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9" }, encoding: "utf8", timeout: 30_000 },
    );
    const version = probe.stdout?.trim() ?? "";
    if (probe.status !== 0 || !version.startsWith("v22."))
        throw new LambdaRuntimeUnavailable(
            `aws-lambda-ric's addon does not load under Node.js 22 (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split("\n")[0]})`,
        );
    return version;
}
