/** How config problems are reported: every one at once, one line each, each naming its key. */

/** One bad key: `config NAMESPACE:KEY: what is wrong`. */
export interface ConfigProblem {
    /** The key without its namespace, or with another namespace (`aws:regoin`) when it is not ours. */
    key: string;
    problem: string;
}

/** Thrown with every problem of the stack's config; the message has one line per problem. */
export class ConfigError extends Error {
    constructor(
        readonly namespace: string,
        readonly problems: ConfigProblem[],
    ) {
        super(problems.map(problem => formatProblem(namespace, problem)).join("\n"));
        this.name = "ConfigError";
    }
}

/** One problem (or warning) as a line: `config NAMESPACE:KEY: what is wrong`. */
export function formatProblem(namespace: string, { key, problem }: ConfigProblem): string {
    return `config ${qualified(namespace, key)}: ${problem}`;
}

/** `key` in the project's namespace, unless it names its own (`aws:region`). */
function qualified(namespace: string, key: string): string {
    return key.includes(":") ? key : `${namespace}:${key}`;
}
