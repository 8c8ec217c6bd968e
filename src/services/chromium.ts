import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Flags for Chromium on a machine with no network but loopback (see the env notes). */
export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Debian's Chromium for the browser tests: the configured path (`CHROMIUM_PATH`) if set, else
 * /usr/bin/chromium, installed with apt-get when missing and we are root (as CI is).
 * Playwright's own browser download cannot reach its servers from here.
 */
export function ensureChromium(configuredPath: string | undefined): string {
  const wanted = configuredPath ?? DEBIAN_CHROMIUM;
  if (fs.existsSync(wanted)) return wanted;
  if (configuredPath || process.getuid?.() !== 0) {
    throw new Error(`Chromium not found at ${wanted}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with ${run.status}`);
  }
  return DEBIAN_CHROMIUM;
}
