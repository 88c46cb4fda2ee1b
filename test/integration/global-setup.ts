/**
 * Once, before the integration suite's files run (in parallel, each in a worker of its own):
 * build the function's package when it is stale, so that no two workers build it at once.
 */
import { ensurePackage } from "../support/package";

export async function mochaGlobalSetup(): Promise<void> {
    await ensurePackage();
}
