// The Node entry (the package's `node` export condition, and `@llmedit/trace/node`): the browser-safe entry
// plus the `llmedit-trace` command line's argument parser (node:util parseArgs).
export { parseTraceArgs, type TraceCommand, USAGE } from './cli-args.js';
export * from './index.js';
