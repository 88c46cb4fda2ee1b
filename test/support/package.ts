/**
 * The processor's deployment package (dist/processor) for the tests that run it: built once, and
 * again only when what it is built from has changed since, rather than in every test file.
 */
import * as fs from "fs";
import * as path from "path";
import { buildLambdaPackage } from "../../harness/lambda/package";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * What the package is built from: the code Pulumi serializes and the components, the build
 * itself, and the installed packages (package-lock.json, and node_modules/.package-lock.json,
 * which npm rewrites on every install).
 */
const SOURCES = [
    "pipeline",
    "harness/lambda/package.ts",
    "harness/pulumi",
    "package-lock.json",
    "node_modules/.package-lock.json",
];

/** Newest modification time of a file, or of the files under a folder; 0 when it does not exist. */
function newestMtime(file: string): number {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return 0;
    if (!stat.isDirectory()) return stat.mtimeMs;
    let newest = 0;
    for (const entry of fs.readdirSync(file, { withFileTypes: true, recursive: true }))
        if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    return newest;
}

/** True when dist/processor must be built (again): missing, or older than anything it is built from. */
export function packageIsStale(root = ROOT): boolean {
    const handler = fs.statSync(path.join(root, "dist", "processor", "__index.js"), { throwIfNoEntry: false });
    if (!handler) return true;
    return SOURCES.some(source => newestMtime(path.join(root, source)) > handler.mtimeMs);
}

/** Builds dist/processor when it is stale; a test that runs the package calls this first. */
export async function ensurePackage(): Promise<void> {
    if (packageIsStale()) await buildLambdaPackage();
}
