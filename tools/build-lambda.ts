/**
 * `npm run build:lambda`: writes the processor's deployment package (see harness/lambda/package.ts)
 * and prints its size.
 */
import * as path from "path";
import { buildLambdaPackage, PACKAGE_DIR, PACKAGE_ZIP } from "../harness/lambda/package";
import { parseFlags, runCommand } from "./cli";

const HELP = `Usage: npm run build:lambda

Writes the processor's deployment package, exactly what pulumi up uploads (the program runs under
Pulumi mocks): dist/processor/ unpacked (handler __index.handler) and dist/processor.zip.`;

const mib = (n: number) => (n / 1024 / 1024).toFixed(2);

async function main(argv: string[]): Promise<number> {
    parseFlags(argv, {});
    const { bytes, files, zipBytes } = await buildLambdaPackage();
    console.log(`${path.relative(process.cwd(), PACKAGE_DIR)}/: ${files} files, ${mib(bytes)} MiB unpacked`);
    console.log(`${path.relative(process.cwd(), PACKAGE_ZIP)}: ${mib(zipBytes)} MiB`);
    return 0;
}

runCommand({ name: "npm run build:lambda", help: HELP, run: main });
