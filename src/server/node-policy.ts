/**
 * What every node applies to the code it runs, from the environment, so `runyard up` and
 * `runyard worker` behave alike: the egress guard (`RUNYARD_EGRESS_ALLOW`) and the shell
 * allow-list (`RUNYARD_SHELL_COMMANDS`) and the directory `js` modules must live under
 * (`RUNYARD_JS_DIR`).
 */
import { resolve } from 'node:path';
import { RunyardError } from '../core/errors.js';
import { EgressGuard, parseEgressAllow, type ProducerRegistryOptions } from '../producers/index.js';

/** A comma-separated setting as a list; undefined when unset or blank. */
export function parseList(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Producer options of a node. `jsDir`: `js` modules resolve against it and must live under it
 * (default `RUNYARD_JS_DIR`, else the working directory at start). `loopbackDefault`: with no `RUNYARD_EGRESS_ALLOW`, admit loopback
 * (a server bound to loopback, so the local examples work).
 * @throws RunyardError `validation_failed` naming `egress_allow` for a bad allow-list
 */
export function nodeProducerPolicy(opts: {
  egressAllow?: string | undefined;
  loopbackDefault: boolean;
  shellCommands?: string[] | undefined;
  jsDir?: string | undefined;
}): {
  options: Pick<ProducerRegistryOptions, 'egress' | 'shellCommands' | 'baseDir' | 'jsRoot'>;
  egressNote: string;
  /** The resolved js directory. */
  jsDir: string;
} {
  const jsDir = resolve(opts.jsDir ?? (process.env.RUNYARD_JS_DIR || process.cwd()));
  const text = opts.egressAllow ?? process.env.RUNYARD_EGRESS_ALLOW;
  const defaulted = text === undefined && opts.loopbackDefault;
  let egress: EgressGuard;
  try {
    egress = new EgressGuard(parseEgressAllow(defaulted ? '127.0.0.0/8,::1/128' : text));
  } catch (err) {
    throw new RunyardError('validation_failed', (err as Error).message, { field: 'egress_allow' });
  }
  const shellCommands = opts.shellCommands ?? parseList(process.env.RUNYARD_SHELL_COMMANDS);
  const egressNote = defaulted
    ? 'loopback allowed (default on a loopback address; set RUNYARD_EGRESS_ALLOW to change)'
    : text
      ? `allowed besides public addresses: ${text}`
      : 'public addresses only (RUNYARD_EGRESS_ALLOW admits private ones)';
  return { options: { egress, baseDir: jsDir, jsRoot: jsDir, ...(shellCommands === undefined ? {} : { shellCommands }) }, egressNote, jsDir };
}
