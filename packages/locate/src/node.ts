// The Node entry (the package's `node` export condition, and `@llmedit/locate/node`): the browser-safe entry
// with `layerStats` backed by the cache folder and the default corpus (an explicit export takes precedence
// over the star export of the same name).
export * from './index.js';
export { defaultStatsDir, layerStats, layerStatsPath } from './layer-stats-node.js';
