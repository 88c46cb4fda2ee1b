/**
 * Loaded before every test file (see the .mocharc.json files). This machine runs Node.js 20: the
 * AWS SDK's notice that its releases from 2027 need Node.js 22 is about the machine, not about the
 * code under test (the function runs on nodejs22.x), and the commands silence it the same way.
 * Set before any SDK client loads; child processes inherit it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
