// ESLint with typescript-eslint's recommended rules, for the program, its runtime code, the harness,
// the tools and the tests; and the architecture's rules: imports point one way,
// tools and tests -> harness -> pipeline, no command imports another's folder, and the Lambda's
// runtime code never loads Pulumi.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const outside = (folders, why) => ({ regex: `(^|/)(${folders.join("|")})/`, message: why });
const PIPELINE_SHIPS_ALONE = outside(
    ["harness", "tools", "test"],
    "pipeline/ is what pulumi up ships: it imports nothing from harness/, tools/ or test/.",
);
const PIPELINE_IS_SELF_CONTAINED = {
    regex: "^\\.\\./\\.\\./",
    message: "pipeline/ imports nothing outside itself.",
};
const RUNTIME_WITHOUT_PULUMI = [
    {
        group: ["@pulumi/*"],
        message: "pipeline/runtime/ runs in Lambda: no @pulumi/* imports (see CONTRIBUTING.md).",
    },
    {
        regex: "^\\.\\./infra(/|$)",
        message: "pipeline/runtime/ runs in Lambda: it does not import the deploy-time components.",
    },
];
const HARNESS_BELOW_TOOLS = outside(
    ["tools", "test"],
    "harness/ is used by tools and tests, never the other way round.",
);
const TOOLS_BELOW_TESTS = outside(["test"], "tools/ do not import tests.");
// A command's folder holds its entry (main.ts) and what only it uses: what two commands share
// lives in harness/, so that changing one command never breaks another.
const COMMANDS_APART = [
    {
        regex: "^\\.\\./[^.]",
        message: "tools/<command>/ imports no other command's folder: move what commands share to harness/.",
    },
    {
        regex: "(^|/)tools/",
        message: "tools/<command>/ imports no other command's folder: move what commands share to harness/.",
    },
];

const restrict = (files, patterns) => ({ files, rules: { "no-restricted-imports": ["error", { patterns }] } });

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "dist/", "scratch/", ".local-data/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        // The Lambda host is plain CommonJS for Node.js, run without TypeScript.
        files: ["**/*.cjs"],
        languageOptions: {
            sourceType: "commonjs",
            globals: {
                require: "readonly",
                process: "readonly",
                console: "readonly",
                module: "writable",
                __dirname: "readonly",
            },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    // Later entries win for the files they match, so each lists every pattern that applies.
    restrict(["pipeline/*.ts"], [PIPELINE_SHIPS_ALONE, { ...PIPELINE_IS_SELF_CONTAINED, regex: "^\\.\\./" }]),
    restrict(["pipeline/*/**/*.ts"], [PIPELINE_SHIPS_ALONE, PIPELINE_IS_SELF_CONTAINED]),
    restrict(
        ["pipeline/*/*/**/*.ts"],
        [PIPELINE_SHIPS_ALONE, { ...PIPELINE_IS_SELF_CONTAINED, regex: "^\\.\\./\\.\\./\\.\\./" }],
    ),
    restrict(
        ["pipeline/runtime/**/*.ts"],
        [PIPELINE_SHIPS_ALONE, PIPELINE_IS_SELF_CONTAINED, ...RUNTIME_WITHOUT_PULUMI],
    ),
    restrict(["harness/**/*.ts", "harness/**/*.cjs"], [HARNESS_BELOW_TOOLS]),
    restrict(["tools/**/*.ts"], [TOOLS_BELOW_TESTS, ...COMMANDS_APART]),
);
