/**
 * docs/config.md, generated from the one table of settings (pipeline/infra/config/settings.ts), so
 * that the reference can never say another default, type or meaning than the code: a test
 * compares the page with this text, and `npm run config-docs` writes it.
 */
import { DEFAULTS, PROJECT, SettingKey, SETTINGS } from "../../pipeline/infra/config";

export const CONFIG_REFERENCE_FILE = "docs/config.md";

const COMPONENT_NAMES: Record<string, string> = {
    storage: "StockStorage",
    processor: "StockProcessor",
    analytics: "StockAnalytics",
    stack: "the program (index.ts)",
};

/** A Markdown table cell: pipes escaped, never empty. */
const cell = (text: string) => (text === "" ? " " : text.replace(/\|/g, "\\|"));

function defaultOf(key: SettingKey): string {
    if (!(key in DEFAULTS)) return "(required)";
    const value = (DEFAULTS as Record<string, unknown>)[key];
    return value === "" ? "(empty)" : `\`${String(value)}\``;
}

/** The whole page, as docs/config.md holds it. */
export function configReference(): string {
    const keys = Object.keys(SETTINGS) as SettingKey[];
    const rows = keys.map(key => {
        const entry = SETTINGS[key];
        return `| \`${key}\` | ${cell(entry.type)} | ${defaultOf(key)} | ${cell(entry.description)} | ${cell(COMPONENT_NAMES[entry.component])} | ${cell(entry.replaces ?? "in place")} |`;
    });
    return `<!-- Generated from pipeline/infra/config/settings.ts by \`npm run config-docs\`: edit SETTINGS, not this page. -->
# Config reference

Every key the stack's config takes, in the \`${PROJECT}\` namespace:
\`pulumi config set <key> <value>\` writes it to \`Pulumi.<stack>.yaml\`. Pulumi.yaml declares the same
keys with the same defaults. Every value is checked before any resource is touched: \`pulumi up\` and
\`pulumi preview\` (and \`npm run plan\`) list every problem at once, one line per key, and a
misspelt key is refused with the key it most likely meant.

"On change" says what a \`pulumi up\` that changes the key on a deployed stack replaces, and so
what is lost; "in place" means the resource is updated and nothing is lost.

| key | type | default | what it does | taken by | on change |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
`;
}
