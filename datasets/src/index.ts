export * from './browser.js';
export * from './node.js';
