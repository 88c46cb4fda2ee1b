/** `npm run replay`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { replayCommand } from "./command";

runCommand(replayCommand);
