/** `npm run verify`: see verify.ts. */
import { runCommand } from "../cli";
import { verifyCommand } from "./verify";

runCommand(verifyCommand);
