// The browser-safe entry (no Node built-in); Node resolves the package to `node.ts`, which adds the CLI's
// argument parser.
export {
  type AverageTrace,
  type AverageTraceOptions,
  averageTraces,
  factSeed,
  type KnownFactsOptions,
  knownFacts,
  TOKEN_GROUPS,
  type TokenGroup,
  type TraceFact,
  tokenGroups,
} from './average.js';
export {
  escapeXml,
  formatTick,
  type HeatmapSpec,
  type Palette,
  paletteColour,
  renderAverageTraceSvg,
  renderHeatmapSvg,
  renderTraceSvg,
  tokenLabel,
} from './svg.js';
export { formatAverageTable, formatTraceTable } from './table.js';
export { promptTokenIds, type TokenizedPrompt, tokenizeWithSubject } from './tokens.js';
export {
  type CausalTrace,
  defaultWindow,
  embeddingStd,
  TRACE_KINDS,
  type TraceFactOptions,
  type TraceKind,
  tokenEmbeddingName,
  traceFact,
  windowLayers,
} from './trace.js';
