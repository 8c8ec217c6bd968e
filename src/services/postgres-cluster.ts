import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { type Account, clusterFolderName, describeFolder, firstBlocking, type FolderMode, foldersOnTheWay } from './reachability';

/** Where the server's files are: its data folder, and the folder it runs in. Its user can reach both. */
export interface ClusterPlace {
  data: string;
  cwd: string;
}

/** In a cluster folder outside the checkout: the state folder it belongs to. */
const OWNER_FILE = 'checkout';

function modesOnTheWay(folder: string): FolderMode[] {
  return foldersOnTheWay(folder).map((at) => {
    const stat = fs.statSync(at);
    return { path: at, mode: stat.mode, uid: stat.uid, gid: stat.gid };
  });
}

/** The folders on the way to `folder` that exist already (a missing one is created enterable). */
function existingOnTheWay(folder: string): FolderMode[] {
  return modesOnTheWay(foldersOnTheWay(folder).filter((at) => fs.existsSync(at)).at(-1) ?? '/');
}

/** Creates the folder and its missing parents with mode 755, whatever the umask. */
function makeEnterable(folder: string): void {
  for (const at of foldersOnTheWay(folder)) {
    if (fs.existsSync(at)) continue;
    fs.mkdirSync(at);
    fs.chmodSync(at, 0o755);
  }
}

function ownerOf(outside: string): string | undefined {
  try {
    return fs.readFileSync(path.join(outside, OWNER_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Where a checkout's PostgreSQL cluster lives when the server runs as another user (`server`,
 * when we are root):
 * - in the state folder (`<home>/postgres/data`) when that user may enter every folder on the way;
 * - otherwise in `<clustersDir>/<checkout>-<hash of the state folder's path>` (by default under
 *   /var/lib/vigil/postgres), with `<home>/postgres/data` a symbolic link to its `data` and a
 *   `checkout` file there naming the state folder it belongs to. So `services down` and `status`
 *   (pid file and log stay in the state folder) work as before, and two checkouts never share one.
 * Throws one line saying what to do when neither place is reachable, or when the link is a copied
 * or moved checkout's.
 */
export function placeCluster(config: Config, dir: string, data: string, server?: Account & { name: string }): ClusterPlace {
  fs.mkdirSync(dir, { recursive: true });
  if (!server) return { data, cwd: dir };
  const home = path.resolve(config.home);
  const found = lstat(data);

  if (found?.isSymbolicLink()) {
    const target = path.resolve(dir, fs.readlinkSync(data));
    const outside = path.dirname(target);
    if (fs.existsSync(outside)) {
      const owner = ownerOf(outside);
      if (owner !== home) {
        throw new Error(
          `${data} links to ${outside}, the PostgreSQL cluster of ${owner ?? 'an unknown checkout'} (a copied or moved checkout?): remove the link to create this checkout's own cluster, or write ${home} into ${path.join(outside, OWNER_FILE)} to take that one over.`,
        );
      }
      const blocking = firstBlocking(modesOnTheWay(outside), server);
      if (blocking) throw new Error(`PostgreSQL's user ${server.name} cannot enter ${describeFolder(blocking)}, on the way to its cluster ${target}: give that folder o+x.`);
      return { data: target, cwd: outside };
    }
    fs.rmSync(data); // its cluster is gone: this checkout gets a new one below
  } else if (found?.isDirectory()) {
    const blocking = firstBlocking(modesOnTheWay(dir), server);
    if (!blocking) return { data, cwd: dir };
    if (fs.existsSync(path.join(data, 'PG_VERSION'))) {
      const outside = path.join(config.postgres.clustersDir, clusterFolderName(home));
      throw new Error(
        `PostgreSQL's user ${server.name} cannot enter ${describeFolder(blocking)}, on the way to the cluster ${data}: give that folder o+x, or move the cluster out (mkdir -p ${outside} && echo ${home} > ${path.join(outside, OWNER_FILE)} && mv ${data} ${outside}/ && ln -s ${path.join(outside, 'data')} ${data}).`,
      );
    }
    fs.rmSync(data, { recursive: true, force: true }); // an empty one, left by a start that failed
  }

  const blockingHere = firstBlocking(modesOnTheWay(dir), server);
  if (!blockingHere) return { data, cwd: dir };

  const outside = path.join(config.postgres.clustersDir, clusterFolderName(home));
  const blockingOutside = firstBlocking(existingOnTheWay(outside), server);
  if (blockingOutside) {
    throw new Error(
      `PostgreSQL's user ${server.name} can enter neither ${describeFolder(blockingHere)}, on the way to ${dir}, nor ${describeFolder(blockingOutside)}, on the way to ${outside}: give one of them o+x, set VIGIL_POSTGRES_CLUSTERS_DIR to a folder that user can reach, or set DATABASE_URL to use another server.`,
    );
  }
  makeEnterable(outside);
  const owner = ownerOf(outside);
  if (owner !== undefined && owner !== home) throw new Error(`${outside} holds the PostgreSQL cluster of ${owner}, not of ${home}: set VIGIL_POSTGRES_CLUSTERS_DIR to another folder.`);
  if (owner === undefined) fs.writeFileSync(path.join(outside, OWNER_FILE), `${home}\n`);
  const outsideData = path.join(outside, 'data');
  fs.symlinkSync(outsideData, data);
  return { data: outsideData, cwd: outside };
}
