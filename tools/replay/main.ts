/** `npm run replay`: see replay.ts. */
import { runCommand } from "../cli";
import { replayCommand } from "./replay";

runCommand(replayCommand);
