/** The defaults a component's args interface documents, for tests that compare them with the config's. */
import * as fs from "fs";
import * as path from "path";

/**
 * Every `@default` tag of the args interfaces in pipeline/infra/<file> whose value is a JSON
 * literal (`"record"`, `512`, `true`), by the optional field it documents, in the order they
 * appear; a default described in words (`${name}-${stack}`) has no value to compare.
 */
export function documentedDefaults(file: string): Record<string, unknown> {
    const source = fs.readFileSync(path.join(__dirname, "..", "..", "pipeline", "infra", file), "utf8");
    const tags = source.matchAll(/@default ("[^"]*"|-?\d+(?:\.\d+)?|true|false)\n\s*\*\/\n\s*(\w+)\?:/g);
    return Object.fromEntries([...tags].map(([, value, field]) => [field, JSON.parse(value)]));
}
