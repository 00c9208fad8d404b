export {
  buildKnowledgeProbes,
  type KnowledgeProbe,
  type KnowledgeProbeOptions,
  type KnowledgeProbes,
  PROBE_SETS,
  type ProbeSetName,
} from './knowledge-probes.js';
