/** `npm run ensure:lambda-runtime`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { ensureLambdaRuntimeCommand } from "./command";

runCommand(ensureLambdaRuntimeCommand);
