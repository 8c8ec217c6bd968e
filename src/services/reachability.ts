import { createHash } from 'node:crypto';
import path from 'node:path';

/** A folder's owner and permission bits, as `stat` gives them. */
export interface FolderMode {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Who a server runs as. A process started with a uid and gid from root has no supplementary
 * groups (libuv calls setgroups(0) before setuid), so the primary group is the only one.
 */
export interface Account {
  uid: number;
  gid: number;
}

/** `/a/b/c` → `/`, `/a`, `/a/b`, `/a/b/c`: every folder a path lookup of it passes through. */
export function foldersOnTheWay(folder: string): string[] {
  const resolved = path.resolve(folder);
  const folders: string[] = [];
  for (let at = resolved; ; at = path.dirname(at)) {
    folders.unshift(at);
    if (path.dirname(at) === at) return folders;
  }
}

/** Search (execute) permission on a folder, as the kernel decides it from the mode bits: owner, else group, else others. */
export function maySearch(folder: FolderMode, account: Account): boolean {
  if (account.uid === 0) return true;
  const bit = folder.uid === account.uid ? 0o100 : folder.gid === account.gid ? 0o010 : 0o001;
  return (folder.mode & bit) !== 0;
}

/** The first folder on the way (from `/` down) that the account may not enter, or undefined when it reaches the end. */
export function firstBlocking(folders: FolderMode[], account: Account): FolderMode | undefined {
  return folders.find((folder) => !maySearch(folder, account));
}

/** `/tmp/locked (mode 700, owner uid 0)`: a blocking folder, for a message. */
export function describeFolder(folder: FolderMode): string {
  return `${folder.path} (mode ${(folder.mode & 0o777).toString(8)}, owner uid ${folder.uid})`;
}

/**
 * The name of a checkout's cluster folder among others: the checkout folder's name (readable)
 * and a hash of its state folder's full path (unique), e.g. `vigil-3fa29c1e07b2`. Two checkouts
 * never get the same name; the same checkout always gets the same one.
 */
export function clusterFolderName(home: string): string {
  const resolved = path.resolve(home);
  const checkout = path.basename(resolved) === '.vigil' ? path.basename(path.dirname(resolved)) : path.basename(resolved);
  const readable = checkout.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'vigil';
  const hash = createHash('sha256').update(resolved).digest('hex').slice(0, 12);
  return `${readable}-${hash}`;
}
