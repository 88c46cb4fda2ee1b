/** `npm run verify`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { verifyCommand } from "./command";

runCommand(verifyCommand);
