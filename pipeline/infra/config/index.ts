/**
 * The stack's settings: parsed and validated up front, so that a wrong value fails `pulumi up`
 * (and `pulumi preview`) before any resource is touched.
 *
 *   settings.ts  the one table of keys (SETTINGS): kind, default, component, description
 *   kinds.ts     the kinds of value a key takes, and how each is checked
 *   rules.ts     checks across keys
 *   parse.ts     reading a stack's config into settings, every problem reported at once
 *   errors.ts    how problems are reported;  suggest.ts  "did you mean …?"
 */
export * from "./errors";
export * from "./parse";
export * from "./settings";
