/**
 * `npm run build:lambda`: writes the processor's deployment package (see harness/lambda/package.ts)
 * and prints its size.
 */
import * as path from "path";
import { buildLambdaPackage, PACKAGE_DIR, PACKAGE_ZIP } from "../harness/lambda/package";

const mib = (n: number) => (n / 1024 / 1024).toFixed(2);

buildLambdaPackage()
    .then(({ bytes, files, zipBytes }) => {
        console.log(`${path.relative(process.cwd(), PACKAGE_DIR)}/: ${files} files, ${mib(bytes)} MiB unpacked`);
        console.log(`${path.relative(process.cwd(), PACKAGE_ZIP)}: ${mib(zipBytes)} MiB`);
    })
    .catch(err => {
        console.error(err);
        process.exit(1);
    });
