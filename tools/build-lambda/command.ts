/**
 * `npm run build:lambda`: writes the processor's deployment package (see harness/lambda/package.ts)
 * and prints its size.
 */
import { buildLambdaPackage, PACKAGE_DIR, PACKAGE_ZIP } from "../../harness/lambda/package";
import { displayPath, parseFlags, Command } from "../../harness/cli/cli";

const HELP = `Usage: npm run build:lambda

Writes the processor's deployment package, exactly what pulumi up uploads (the program runs under
Pulumi mocks): dist/processor/ unpacked (handler __index.handler) and dist/processor.zip.

  -h, --help   this text`;

const mib = (n: number) => (n / 1024 / 1024).toFixed(2);

async function main(argv: string[]): Promise<number> {
    parseFlags(argv, {});
    const { bytes, files, zipBytes } = await buildLambdaPackage();
    console.log(`${displayPath(PACKAGE_DIR)}/: ${files} files, ${mib(bytes)} MiB unpacked`);
    console.log(`${displayPath(PACKAGE_ZIP)}: ${mib(zipBytes)} MiB`);
    return 0;
}

/** The command; main.ts runs it. */
export const buildLambdaCommand: Command = { name: "npm run build:lambda", help: HELP, run: main };
