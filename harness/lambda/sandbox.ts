/**
 * A place to run the processor's deployment package as Lambda would: the package alone in a task
 * folder outside the project (so Node.js cannot fall back to the project's node_modules), and a
 * runtime folder on NODE_PATH with only the AWS SDK v3 and what it depends on, which is what the
 * nodejs22.x runtime provides.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const PROJECT_MODULES = path.resolve(__dirname, "..", "..", "node_modules");
/** The SDK packages the handler uses; the runtime ships these (and every other v3 client). */
const RUNTIME_SDK = ["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/client-s3"];

export interface LambdaSandbox {
    /** LAMBDA_TASK_ROOT: a copy of the unpacked package. */
    taskRoot: string;
    /** NODE_PATH: the runtime's own modules, the AWS SDK only. */
    nodePath: string;
    /** Removes both. */
    remove(): void;
}

/** The named packages and everything they depend on, as found in the project's node_modules. */
function withDependencies(names: string[]): Set<string> {
    const seen = new Set<string>();
    const visit = (name: string) => {
        if (seen.has(name)) return;
        const manifest = path.join(PROJECT_MODULES, name, "package.json");
        if (!fs.existsSync(manifest)) return; // optional dependency not installed
        seen.add(name);
        const { dependencies = {} } = JSON.parse(fs.readFileSync(manifest, "utf8")) as {
            dependencies?: Record<string, string>;
        };
        Object.keys(dependencies).forEach(visit);
    };
    names.forEach(visit);
    return seen;
}

export function createLambdaSandbox(packageDir: string): LambdaSandbox {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "stock-processor-"));
    const taskRoot = path.join(root, "task");
    const nodePath = path.join(root, "runtime", "node_modules");
    fs.cpSync(packageDir, taskRoot, { recursive: true });
    for (const name of withDependencies(RUNTIME_SDK)) {
        const link = path.join(nodePath, name);
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.symlinkSync(path.join(PROJECT_MODULES, name), link, "dir");
    }
    return { taskRoot, nodePath, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
