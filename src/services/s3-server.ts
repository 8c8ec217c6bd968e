import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { s3ClientOf, s3Sdk } from '../model-store';
import { localS3Server } from '../model-store-settings';
import { ConnectionFailure } from '../security/connection-failure';
import { fetchJars, type MavenService, pinnedVersion } from './maven';
import { type ManagedProcess, portOpen, runningPid, startDetached, stopProcess, waitUntil } from './processes';

const s3ProxyJar: MavenService = { folder: 's3proxy', property: 's3proxy', what: 'the local S3 server' };

/**
 * The local S3-compatible server (S3Proxy, Apache-2.0, a jar from Maven Central run with the
 * Java that Kafka needs), on a folder of the state directory: what an `s3://` model store uses
 * on this machine with VIGIL_S3_SERVER=local. Loopback only, with fixed credentials.
 */
export function s3ServerPaths(config: Config) {
  const dir = path.join(config.home, 's3proxy');
  return {
    dir,
    libs: path.join(dir, 'libs'),
    data: path.join(dir, 'data'),
    properties: path.join(dir, 's3proxy.properties'),
    process: { name: 'S3 server (S3Proxy)', pidFile: path.join(dir, 's3proxy.pid'), logFile: path.join(dir, 's3proxy.log') } satisfies ManagedProcess,
  };
}

export function s3ServerEndpoint(config: Config): string {
  return `http://127.0.0.1:${config.s3Server.port}`;
}

/** The jar, fetched from Maven Central once per pinned version. */
export function installS3Server(config: Config): string {
  const paths = s3ServerPaths(config);
  const jar = path.join(paths.libs, `s3proxy-${pinnedVersion(s3ProxyJar)}-jar-with-dependencies.jar`);
  if (fs.existsSync(jar)) return jar;
  fetchJars(s3ProxyJar, paths.libs);
  if (!fs.existsSync(jar)) throw new Error(`Maven fetched no ${path.basename(jar)} into ${paths.libs}`);
  return jar;
}

function propertiesText(config: Config): string {
  const paths = s3ServerPaths(config);
  return [
    's3proxy.authorization=aws-v2-or-v4',
    `s3proxy.endpoint=${s3ServerEndpoint(config)}`,
    `s3proxy.identity=${localS3Server.accessKeyId}`,
    `s3proxy.credential=${localS3Server.secretAccessKey}`,
    'jclouds.provider=filesystem',
    `jclouds.filesystem.basedir=${paths.data}`,
    '',
  ].join('\n');
}

/** A client of the local server, and the SDK it came from (loaded when first used). */
function localClient(config: Config) {
  const client = s3ClientOf({
    endpoint: s3ServerEndpoint(config),
    region: localS3Server.region,
    forcePathStyle: true,
    checksumsWhenRequired: true,
    credentials: { accessKeyId: localS3Server.accessKeyId, secretAccessKey: localS3Server.secretAccessKey },
  });
  return { client, sdk: s3Sdk() };
}

/** Whether the local S3 server answers an authenticated request; one line when it does not. */
export async function s3ServerHealthy(config: Config): Promise<boolean> {
  if (!(await portOpen('127.0.0.1', config.s3Server.port))) {
    throw new ConnectionFailure({ server: 'S3', where: s3ServerEndpoint(config), what: 'does not answer', hint: 'start it: VIGIL_S3_SERVER=local bin/vigil services up' });
  }
  const { client: s3, sdk } = localClient(config);
  try {
    await s3.send(new sdk.ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(3000) });
    return true;
  } catch (error) {
    throw new ConnectionFailure({ server: 'S3', where: s3ServerEndpoint(config), what: 'refuses the local credentials', detail: error instanceof Error ? error.message : String(error), hint: `is another S3 server on port ${config.s3Server.port}? set VIGIL_S3_PORT` }, error);
  } finally {
    s3.destroy();
  }
}

/** Creates a bucket on the local server unless it exists. Returns whether it created it. */
export async function ensureLocalBucket(config: Config, bucket: string): Promise<boolean> {
  const { client: s3, sdk } = localClient(config);
  try {
    await s3.send(new sdk.CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (error instanceof sdk.S3ServiceException && (error.name === 'BucketAlreadyOwnedByYou' || error.name === 'BucketAlreadyExists')) return false;
    throw error;
  } finally {
    s3.destroy();
  }
}

/** Starts S3Proxy (fetching its jar the first time), then creates the model store's bucket if the store is on it. */
export async function startS3Server(config: Config): Promise<'started' | 'running'> {
  const paths = s3ServerPaths(config);
  let outcome: 'started' | 'running' = 'running';
  if (runningPid(paths.process) === undefined) {
    const jar = installS3Server(config);
    if (await portOpen('127.0.0.1', config.s3Server.port)) {
      throw new Error(`Port ${config.s3Server.port} (the local S3 server's) is taken by another process; stop it, or set VIGIL_S3_PORT to another port.`);
    }
    fs.mkdirSync(paths.data, { recursive: true });
    fs.writeFileSync(paths.properties, propertiesText(config));
    startDetached(paths.process, 'java', ['-Xms64m', '-Xmx256m', '-Djava.awt.headless=true', '-jar', jar, '--properties', paths.properties], paths.dir);
    outcome = 'started';
  }
  await waitUntil(paths.process, 'an answering S3 server', () => s3ServerHealthy(config), 60_000);
  const { location } = config.modelStore;
  if (location.kind === 's3' && location.endpoint === s3ServerEndpoint(config)) await ensureLocalBucket(config, location.bucket);
  return outcome;
}

export async function stopS3Server(config: Config): Promise<boolean> {
  return stopProcess(s3ServerPaths(config).process, 15_000);
}
