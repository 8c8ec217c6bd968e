import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config';
import { chromiumArgs, ensureChromium } from '../../src/services/chromium';
import { artifactsDir, type Pipeline } from './pipeline';

/** Debian's Chromium for one test file (installed when missing), closed after it: returns the getter. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: ensureChromium(loadConfig().chromiumPath), args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not running: call useChromium() at the top of the test file');
    return browser;
  };
}

/** Starts `vigil board` on a free port and returns its URL (it logs `board running` with it). */
export async function startBoardProcess(p: Pipeline, args: string[] = []): Promise<string> {
  await p.start('board', ['--port', '0', ...args]);
  const url = [...boardLog(p).matchAll(/"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/g)].at(-1)?.[1];
  if (!url) throw new Error('the board did not say its URL');
  return url;
}

export function boardLog(p: Pipeline): string {
  return fs.readFileSync(path.join(artifactsDir, `${p.name}-board.log`), 'utf8');
}

/** A page on the board; dialogs (a script the page should never run) are recorded and dismissed. */
export async function openBoard(browser: Browser, url: string): Promise<{ page: Page; dialogs: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, dialogs };
}

/** How the page writes a time (app.js `time`). */
export const boardTime = (ts: number) => new Date(ts).toISOString().replace('T', ' ').replace('.000Z', 'Z');
