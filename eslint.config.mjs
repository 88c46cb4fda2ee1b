// ESLint with typescript-eslint's recommended rules, for the program, its runtime code, scripts and tests.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
);
