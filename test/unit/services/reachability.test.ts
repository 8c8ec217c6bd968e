import { describe, expect, it } from 'vitest';
import { clusterFolderName, firstBlocking, foldersOnTheWay, maySearch } from '../../../src/services/reachability';

const postgres = { uid: 101, gid: 104 };
const folder = (path: string, mode: number, uid = 0, gid = 0) => ({ path, mode: 0o40000 | mode, uid, gid });

describe('whether the server user can reach a folder', () => {
  it('lists every folder a lookup passes through', () => {
    expect(foldersOnTheWay('/root/vigil/.vigil/postgres')).toEqual(['/', '/root', '/root/vigil', '/root/vigil/.vigil', '/root/vigil/.vigil/postgres']);
    expect(foldersOnTheWay('/')).toEqual(['/']);
  });

  it('reads the owner bits for the owner, else the group bits for the group, else the others bits', () => {
    expect(maySearch(folder('/root', 0o700), postgres)).toBe(false);
    expect(maySearch(folder('/srv', 0o701), postgres)).toBe(true);
    expect(maySearch(folder('/srv', 0o710, 0, 104), postgres)).toBe(true);
    expect(maySearch(folder('/srv', 0o701, 0, 104), postgres)).toBe(false); // the group's bits apply to the group, not the others'
    expect(maySearch(folder('/srv', 0o077, 101, 104), postgres)).toBe(false); // the owner's bits apply to the owner
    expect(maySearch(folder('/root', 0o700), { uid: 0, gid: 0 })).toBe(true);
  });

  it('names the first folder on the way that it may not enter', () => {
    const way = [folder('/', 0o755), folder('/root', 0o700), folder('/root/vigil', 0o755)];
    expect(firstBlocking(way, postgres)?.path).toBe('/root');
    expect(firstBlocking([folder('/', 0o755), folder('/var', 0o755)], postgres)).toBeUndefined();
  });

  it('gives each checkout its own cluster folder name, always the same one', () => {
    expect(clusterFolderName('/root/vigil/.vigil')).toMatch(/^vigil-[0-9a-f]{12}$/);
    expect(clusterFolderName('/root/vigil/.vigil')).toBe(clusterFolderName('/root/vigil/.vigil/'));
    expect(clusterFolderName('/root/vigil/.vigil')).not.toBe(clusterFolderName('/home/ci/vigil/.vigil'));
    expect(clusterFolderName('/srv/state')).toMatch(/^state-[0-9a-f]{12}$/);
    expect(clusterFolderName('/srv/my checkout/.vigil')).toMatch(/^my_checkout-[0-9a-f]{12}$/);
  });
});
