/**
 * Builds the processor's deployment package: exactly the archive `pulumi up` uploads, taken from
 * the CallbackFunction itself (the program runs under Pulumi mocks), so the two cannot drift.
 *
 *   dist/processor/      unpacked, handler `__index.handler`
 *   dist/processor.zip   the same files, zipped
 */
import * as fs from "fs";
import * as path from "path";
import AdmZip from "adm-zip";
import { runProgram, STREAM_ARN } from "../pulumi/program-under-mocks";

const ROOT = path.resolve(__dirname, "..", "..");
export const PACKAGE_DIR = path.join(ROOT, "dist", "processor");
export const PACKAGE_ZIP = path.join(ROOT, "dist", "processor.zip");

interface PulumiAsset {
    text?: Promise<string> | string;
    path?: Promise<string> | string;
}

/** Copies each entry of the function's AssetArchive to `dir`, as the engine would pack it. */
async function materialize(assets: Record<string, PulumiAsset>, dir: string): Promise<void> {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, asset] of Object.entries(assets)) {
        const target = path.join(dir, name);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        if (asset.text !== undefined) {
            fs.writeFileSync(target, await asset.text);
        } else if (asset.path !== undefined) {
            fs.cpSync(path.resolve(ROOT, await asset.path), target, { recursive: true, dereference: true });
        } else {
            throw new Error(`unsupported asset in the function's archive: ${name}`);
        }
    }
}

function directorySize(dir: string): { bytes: number; files: number } {
    let bytes = 0;
    let files = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) {
            bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
            files++;
        }
    }
    return { bytes, files };
}

export async function buildLambdaPackage(): Promise<{ bytes: number; files: number; zipBytes: number }> {
    // Any valid stream will do: the package does not depend on the stack's settings.
    const run = await runProgram({ streamArn: STREAM_ARN });
    const code = run.one("aws:lambda/function:Function").inputs.code as {
        assets: Promise<Record<string, PulumiAsset>>;
    };
    await materialize(await code.assets, PACKAGE_DIR);

    const zip = new AdmZip();
    zip.addLocalFolder(PACKAGE_DIR);
    zip.writeZip(PACKAGE_ZIP);
    return { ...directorySize(PACKAGE_DIR), zipBytes: fs.statSync(PACKAGE_ZIP).size };
}
