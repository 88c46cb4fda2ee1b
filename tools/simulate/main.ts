/** `npm run simulate`: see command.ts. */
import { runCommand } from "../cli";
import { simulateCommand } from "./command";

runCommand(simulateCommand);
