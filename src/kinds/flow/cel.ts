/** CEL for flows: the core's (src/core/cel.ts), shared with ingestion sources' `stop_when`. */
export { compile, evaluate, ExpressionError, fromCel, test, toCel } from '../../core/cel.js';
