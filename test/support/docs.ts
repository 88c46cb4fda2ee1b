/**
 * Reads the project's documentation (README.md, CONTRIBUTING.md, docs/*.md) for the tests that keep
 * it true: the `npm run` scripts, links, project paths and command flags each page names. Pure
 * text work plus reading files, so the unit suite can use it; the flags are checked against each
 * command's `--help` in the integration suite, which may spawn the commands.
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./commands";

/** The pages, relative to the project: README.md, CONTRIBUTING.md and every docs/*.md. */
export function docPages(root = ROOT): string[] {
    const docs = fs
        .readdirSync(path.join(root, "docs"))
        .filter(name => name.endsWith(".md"))
        .sort()
        .map(name => `docs/${name}`);
    return ["README.md", "CONTRIBUTING.md", ...docs];
}

export function readPage(page: string, root = ROOT): string {
    return fs.readFileSync(path.join(root, page), "utf8");
}

/** The `npm run` scripts package.json defines, and the tools/ file each command script starts. */
export function packageScripts(root = ROOT): { names: string[]; commandFiles: Record<string, string> } {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
    };
    const commandFiles: Record<string, string> = {};
    for (const [name, script] of Object.entries(scripts)) {
        const file = /ts-node .*tools\/(\S+\.ts)$/.exec(script)?.[1];
        if (file) commandFiles[name] = file;
    }
    return { names: Object.keys(scripts), commandFiles };
}

const FENCE = /^ *```[^\n]*\n([\s\S]*?)^ *```[ \t]*$/gm;
const SPAN = /`([^`\n]+)`/g;

/** A page cut into its fenced code blocks, its inline code spans, and its prose (neither). */
export function splitMarkdown(markdown: string): { blocks: string[]; spans: string[]; prose: string } {
    const blocks = [...markdown.matchAll(FENCE)].map(match => match[1]);
    const outsideBlocks = markdown.replace(FENCE, "");
    const spans = [...outsideBlocks.matchAll(SPAN)].map(match => match[1]);
    return { blocks, spans, prose: outsideBlocks.replace(SPAN, "") };
}

/**
 * Every script named as `npm run <name>`, in prose and code alike. A name ends where a script name
 * cannot go on, so `npm run local: --data …` (a command's message) names `local`.
 */
export function npmScriptsNamed(markdown: string): string[] {
    const names = [...markdown.matchAll(/\bnpm run +(?:-[a-z-]+ +)*([a-z][a-z0-9-]*(?::[a-z0-9-]+)*)/g)];
    return [...new Set(names.map(match => match[1]))];
}

/** The targets of the page's Markdown links and images, outside code. */
export function linkTargets(markdown: string): string[] {
    const { prose } = splitMarkdown(markdown);
    return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(match => match[1]);
}

/** True for a link that leaves the project (http:, https:, mailto: …). */
export const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens. */
export function headingAnchors(markdown: string): Set<string> {
    const withoutBlocks = markdown.replace(FENCE, "");
    const seen = new Map<string, number>();
    const anchors = new Set<string>();
    for (const [, heading] of withoutBlocks.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
        const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
        const slug = text
            .trim()
            .toLowerCase()
            .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
            .replace(/ /g, "-");
        const count = seen.get(slug) ?? 0;
        seen.set(slug, count + 1);
        anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    return anchors;
}

/** Folders of the project whose paths, written in a code span, must exist. */
const PROJECT_FOLDERS = ["pipeline", "harness", "tools", "test", "docs", ".github", ".ci"];

/** Paths into the project's folders written as code spans, e.g. `harness/sink/` or `pipeline/schema.ts`. */
export function projectPathsNamed(markdown: string): string[] {
    const pattern = new RegExp(`^(?:${PROJECT_FOLDERS.map(f => f.replace(".", "\\.")).join("|")})/[\\w./-]*$`);
    return [...new Set(splitMarkdown(markdown).spans.filter(span => pattern.test(span)))];
}

/** A flag written after `npm run <script> --` in code: the script, and the flag without its value. */
export interface DocumentedFlag {
    script: string;
    flag: string;
}

/**
 * The flags each `npm run <script> -- …` in a code block or span passes to the command: a block's
 * lines continued with `\` are read as one, and reading stops at a comment, a pipe, a redirection
 * or the next command; `$(…)` substitutions are left out (their flags are another program's).
 */
export function flagsPassed(markdown: string): DocumentedFlag[] {
    const { blocks, spans } = splitMarkdown(markdown);
    const lines = [...blocks.flatMap(block => block.replace(/\\\n/g, " ").split("\n")), ...spans];
    const found: DocumentedFlag[] = [];
    for (const line of lines) {
        for (const command of line.split(/(?=\bnpm run )/)) {
            const match = /^npm run +([a-z][a-z0-9-]*(?::[a-z0-9-]+)*) +-- +(.*)$/.exec(command);
            if (!match) continue;
            const rest = match[2].replace(/\$\([^)]*\)/g, "");
            for (const word of rest.split(/\s+/)) {
                if (/^(#|\||&&|;|>|<|2>)/.test(word)) break;
                const flag = /^--[a-z][a-z0-9-]*/.exec(word)?.[0];
                if (flag) found.push({ script: match[1], flag });
            }
        }
    }
    return found;
}

/** True when a command's help text lists the flag as a word of its own (`--data`, not `--data-dir`). */
export function helpLists(help: string, flag: string): boolean {
    return new RegExp(`(^|[^\\w-])${flag}(?![\\w-])`).test(help);
}
