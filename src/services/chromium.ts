import fs from 'node:fs';
import { aptInstall, isRoot } from './processes';

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
  if (configuredPath || !isRoot()) {
    throw new Error(`Chromium not found at ${wanted}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  aptInstall('chromium');
  return DEBIAN_CHROMIUM;
}
