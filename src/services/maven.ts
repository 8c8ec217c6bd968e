import fs from 'node:fs';
import path from 'node:path';
import { requireProgram, runStep } from './processes';

/**
 * The Java services Vigil runs (the Kafka broker, S3Proxy) come as jars from Maven Central, each
 * pinned by a pom under `services/<name>/`: Maven resolves the jars and their dependencies, the
 * pom's `<name.version>` property says which version is installed.
 */
const repoRoot = path.resolve(__dirname, '..', '..');

export interface MavenService {
  /** The folder under `services/` that holds the pom. */
  folder: string;
  /** The pom property `<{property}.version>` that pins the version. */
  property: string;
  /** What the jars are, for messages: "the Kafka broker", "the S3 server". */
  what: string;
}

export const pomFileOf = (service: MavenService) => path.join(repoRoot, 'services', service.folder, 'pom.xml');

export function pinnedVersion(service: MavenService): string {
  const pomFile = pomFileOf(service);
  const version = new RegExp(`<${service.property}\\.version>([^<]+)</${service.property}\\.version>`).exec(fs.readFileSync(pomFile, 'utf8'))?.[1];
  if (!version) throw new Error(`${pomFile} names no ${service.property}.version`);
  return version;
}

/** Replaces `libs` with the pom's runtime jars, fetched from Maven Central; Java must be there to run them. */
export function fetchJars(service: MavenService, libs: string): void {
  requireProgram('java', `to run ${service.what}`, 'Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jre-headless).');
  requireProgram('mvn', `to fetch ${service.what}'s jars from Maven Central`, 'Install Maven (Debian: apt-get install maven).');
  fs.rmSync(libs, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  runStep(`Fetching ${service.what}'s jars`, 'mvn', ['-q', '-B', '-f', pomFileOf(service), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], repoRoot);
}
