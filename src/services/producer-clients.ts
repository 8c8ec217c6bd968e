import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { aptInstall, isRoot, requireProgram, runStep } from './processes';

/**
 * The producers the users of the replaced systems already run, installed by the project for the
 * tests that point them at Vigil unchanged: kcat (Debian's package, with apt-get as root, as
 * PostgreSQL is) and Python's confluent-kafka client (PyPI, in the project's virtualenv beside
 * the Temporal CLI), which the meter's producer script uses.
 */
export const CONFLUENT_KAFKA_VERSION = '2.16.1';

const DEBIAN_KCAT = '/usr/bin/kcat';

/** kcat, installed with apt-get when missing and we are root (as CI is). */
export function ensureKcat(): string {
  if (fs.existsSync(DEBIAN_KCAT)) return DEBIAN_KCAT;
  if (!isRoot()) throw new Error(`kcat not found at ${DEBIAN_KCAT}: install Debian's package (apt-get install kcat)`);
  aptInstall('kcat');
  if (!fs.existsSync(DEBIAN_KCAT)) throw new Error(`apt-get installed kcat, but ${DEBIAN_KCAT} is missing`);
  return DEBIAN_KCAT;
}

/** The virtualenv's Python with confluent-kafka, installed once; returns the interpreter's path. */
export function ensureConfluentKafka(config: Config): string {
  const venv = path.join(config.home, 'venv');
  const python = path.join(venv, 'bin', 'python');
  const marker = path.join(venv, `.confluent-kafka-${CONFLUENT_KAFKA_VERSION}`);
  if (fs.existsSync(marker) && fs.existsSync(python)) return python;
  requireProgram('python3', 'to install the confluent-kafka client (PyPI)', 'Install Python 3 with its venv module (Debian: apt-get install python3-venv).');
  fs.mkdirSync(config.home, { recursive: true });
  if (!fs.existsSync(path.join(venv, 'bin', 'pip'))) runStep('Creating the virtualenv', 'python3', ['-m', 'venv', venv], config.home);
  runStep('Installing confluent-kafka', path.join(venv, 'bin', 'pip'), ['install', '--quiet', `confluent-kafka==${CONFLUENT_KAFKA_VERSION}`], config.home);
  fs.writeFileSync(marker, '');
  return python;
}
