/**
 * A stack's config as the Pulumi CLI hands it to the program, read from the project's files:
 * Pulumi.yaml's defaults, then Pulumi.<stack>.yaml's values, as `namespace:key` → string.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { UsageError, UserError } from "../cli/cli";

export interface StackConfig {
    /** Every key, namespaced, to its value as a string (Pulumi passes structured values as JSON). */
    config: Record<string, string>;
    /** What the reader could not take as the CLI would (secrets it cannot decrypt): one line each. */
    notes: string[];
    /** Keys written in a way the Pulumi CLI refuses: one line each. */
    problems: string[];
}

type YamlConfig = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

function readYaml(file: string): { config?: YamlConfig; name?: string } {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
        parsed = yaml.load(text) ?? {};
    } catch (error) {
        throw new UserError(`${file} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
    }
    // A list or a lone value would read as a file with no config at all: the plan of the defaults.
    if (!isObject(parsed))
        throw new UserError(
            `${file} is not a Pulumi project or stack file: expected a mapping of keys (config: ...), got ${Array.isArray(parsed) ? "a list" : `a ${typeof parsed}`}`,
        );
    return parsed as { config?: YamlConfig; name?: string };
}

/** A config value as the CLI passes it to a program: scalars as text, structures as JSON. */
const asText = (value: unknown) =>
    typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);

/**
 * Pulumi.yaml's config: a project key declares `{type, description, default}` (or just a default
 * value); another namespace's key (aws:region) gives its value, plain or as `{value}`.
 */
function projectDefaults(project: string, declared: YamlConfig): Record<string, string> {
    const config: Record<string, string> = {};
    for (const [key, spec] of Object.entries(declared)) {
        const namespaced = key.includes(":") ? key : `${project}:${key}`;
        const value = isObject(spec) ? (key.includes(":") ? spec.value : spec.default) : spec;
        if (value !== undefined) config[namespaced] = asText(value);
    }
    return config;
}

/**
 * Reads Pulumi.yaml from `projectDir` and the stack's file, the way `pulumi preview` would pass
 * them to the program: the stack's values over the project's defaults.
 */
export function readStackConfig(projectDir: string, stackFile: string): StackConfig {
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    const project = readYaml(projectFile);
    if (!project.name) throw new UserError(`${projectFile} has no project name`);
    const config = projectDefaults(project.name, project.config ?? {});
    const notes: string[] = [];
    const problems: string[] = [];
    const file = path.basename(stackFile);
    const stack = readYaml(stackFile);
    if (stack.config !== undefined && !isObject(stack.config))
        throw new UserError(`${file}: "config" must be a map of keys to values`);
    for (const [key, value] of Object.entries(stack.config ?? {})) {
        if (!key.includes(":")) {
            problems.push(`${file}: config key "${key}" needs its namespace: ${project.name}:${key}`);
        } else if (isObject(value) && "secure" in value) {
            notes.push(`${key} is a secret: npm run plan cannot decrypt it, so the plan leaves it at its default`);
        } else {
            config[key] = asText(value);
        }
    }
    return { config, notes, problems };
}

/** The stack files next to Pulumi.yaml: Pulumi.dev.yaml → "dev". */
function stackNames(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map(name => /^Pulumi\.(.+)\.ya?ml$/.exec(name)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

/** Pulumi.<stack>.yaml (or .yml) in projectDir; a usage error naming the stacks there if none. */
export function stackFile(projectDir: string, stack: string): string {
    for (const ext of ["yaml", "yml"]) {
        const file = path.join(projectDir, `Pulumi.${stack}.${ext}`);
        if (fs.existsSync(file)) return file;
    }
    const known = stackNames(projectDir);
    throw new UsageError(
        `--stack ${stack}: no Pulumi.${stack}.yaml next to Pulumi.yaml (stacks: ${known.join(", ") || "none"})`,
    );
}
