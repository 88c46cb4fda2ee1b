/** `npm run build:lambda`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { buildLambdaCommand } from "./command";

runCommand(buildLambdaCommand);
