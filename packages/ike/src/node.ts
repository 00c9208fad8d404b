// The Node entry (the package's `node` export condition, and `@llmedit/ike/node`): the browser-safe entry with
// `ike` and `createIkeMethod` defaulting to llmedit's training splits (explicit exports take precedence over the
// star export of the same names), and `trainingPool`.
export * from './index.js';
export { createIkeMethod, ike } from './method-node.js';
export { trainingPool } from './training-pool.js';
