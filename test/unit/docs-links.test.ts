import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import { lexer, walkTokens, type Token, type Tokens } from 'marked';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The documentation's links hold: every relative link and image in README.md, ARCHITECTURE.md,
 * BENCHMARKS.md and docs/*.md names a file of the repository (never one beside it: a user's
 * clone has nothing there), and every #anchor names a heading of its target as GitHub slugs it.
 * marked parses the Markdown (links in tables and lists included, none in code), github-slugger
 * makes GitHub's heading ids (duplicates get -1, -2, …).
 */

const repoRoot = path.resolve(__dirname, '../..');

/** The documents checked: every Markdown file at the root and in docs/. */
function documentsOf(root: string): string[] {
  const markdownIn = (dir: string) =>
    fs.existsSync(path.join(root, dir))
      ? fs.readdirSync(path.join(root, dir)).filter((name) => name.endsWith('.md')).map((name) => path.posix.join(dir, name))
      : [];
  return [...markdownIn('.').map((file) => file.replace(/^\.\//, '')), ...markdownIn('docs')].sort();
}

/** A heading's text as GitHub renders it: code spans without their backticks, links as their text. */
function plainText(tokens: Token[] | undefined): string {
  return (tokens ?? [])
    .map((token) => {
      if ('tokens' in token && Array.isArray(token.tokens) && token.tokens.length > 0) return plainText(token.tokens);
      if (token.type === 'html') return '';
      return 'text' in token && typeof token.text === 'string' ? unescapeEntities(token.text) : '';
    })
    .join('');
}

/** marked keeps some characters as entities in a token's text; GitHub slugs the characters. */
function unescapeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? '');
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ');

interface Parsed {
  /** `fromRoot`: a path named in code, read from the repository's root as the docs write them. */
  links: Array<{ href: string; label: string; fromRoot?: boolean }>;
  anchors: Set<string>;
}

const parsedCache = new Map<string, Parsed>();

function parse(file: string): Parsed {
  const cached = parsedCache.get(file);
  if (cached) return cached;
  const tokens = lexer(fs.readFileSync(file, 'utf8'), { gfm: true });
  const slugger = new GithubSlugger();
  const parsed: Parsed = { links: [], anchors: new Set() };
  walkTokens(tokens, (token) => {
    if (token.type === 'heading') parsed.anchors.add(slugger.slug(plainText((token as Tokens.Heading).tokens)));
    if (token.type === 'link' || token.type === 'image') {
      const link = token as Tokens.Link | Tokens.Image;
      parsed.links.push({ href: link.href, label: oneLine(token.raw) });
    }
    if (token.type === 'codespan' && /^\.\.\//.test((token as Tokens.Codespan).text)) {
      // A path beside the repository, named in code rather than linked, fails the same way.
      parsed.links.push({ href: (token as Tokens.Codespan).text, label: oneLine(token.raw), fromRoot: true });
    }
    if (token.type === 'html') {
      const html = (token as Tokens.HTML).text;
      for (const match of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) parsed.links.push({ href: match[1]!, label: match[0].trim() });
      for (const match of html.matchAll(/\s(?:id|name)="([^"]*)"/g)) parsed.anchors.add(match[1]!);
    }
  });
  parsedCache.set(file, parsed);
  return parsed;
}

/** What is wrong with the links of `file` (a path relative to `root`), one line each. */
function linkProblems(root: string, file: string): string[] {
  const problems: string[] = [];
  for (const { href, label, fromRoot } of parse(path.join(root, file)).links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue; // https:, mailto:: not ours to check
    const hashAt = href.indexOf('#');
    const target = decodeURIComponent(hashAt === -1 ? href : href.slice(0, hashAt));
    const anchor = hashAt === -1 ? undefined : decodeURIComponent(href.slice(hashAt + 1));
    const base = fromRoot ? root : path.dirname(path.join(root, file));
    const resolved = target === '' ? path.join(root, file) : target.startsWith('/') ? path.join(root, target) : path.resolve(base, target);
    const inRepo = path.relative(root, resolved);
    if (inRepo.startsWith('..') || path.isAbsolute(inRepo)) {
      problems.push(`${file}: ${label} points outside the repository`);
      continue;
    }
    if (!fs.existsSync(resolved)) {
      problems.push(`${file}: ${label}: no file ${inRepo}`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && !parse(resolved).anchors.has(anchor)) {
      problems.push(`${file}: ${label}: no heading #${anchor} in ${inRepo}`);
    }
  }
  return problems;
}

describe('documentation links', () => {
  const documents = documentsOf(repoRoot);

  it('checks the README, ARCHITECTURE.md, BENCHMARKS.md and docs/', () => {
    expect(documents).toEqual(expect.arrayContaining(['README.md', 'ARCHITECTURE.md', 'BENCHMARKS.md']));
    expect(documents.filter((file) => file.startsWith('docs/')).length).toBeGreaterThan(0);
  });

  it.each(documents)('%s: every relative link names a file of the repository, every anchor a heading', (file) => {
    expect(linkProblems(repoRoot, file)).toEqual([]);
  });
});

describe('the link check', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-docs-links-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write(
    'docs/page.md',
    [
      '# A page',
      '## Seed 001’s listings: `violations` and [devices](other.md)',
      '## How to add …',
      '## Twice',
      '## Twice',
    ].join('\n\n'),
  );

  it('finds GitHub’s heading ids: punctuation dropped, code and link text kept, duplicates numbered', () => {
    write('good.md', '[a](docs/page.md#seed-001s-listings-violations-and-devices) [b](docs/page.md#how-to-add-) [c](docs/page.md#twice-1) [d](#top)\n\n# Top\n');
    expect(linkProblems(root, 'good.md')).toEqual([]);
  });

  it('fails on a path beside the repository named in code, from any folder', () => {
    write('docs/other.md', 'The specification is `../shared/SPEC.md`; [up](../docs/page.md) stays inside.');
    expect(linkProblems(root, 'docs/other.md')).toEqual(['docs/other.md: `../shared/SPEC.md` points outside the repository']);
  });

  it('fails on a missing file, a missing heading, a link out of the repository, in tables and lists too', () => {
    write(
      'bad.md',
      [
        '| a | b |',
        '|---|---|',
        '| [gone](docs/gone.md) | ![picture](docs/gone.png) |',
        '',
        '- [no such heading](docs/page.md#twice-2)',
        '- [beside the repo](../shared/SPEC.md) and `../shared/seeds/`',
        '- [same page](#nowhere)',
        '',
        '```',
        '[in code](nothing.md)',
        '```',
      ].join('\n'),
    );
    expect(linkProblems(root, 'bad.md')).toEqual([
      'bad.md: [gone](docs/gone.md): no file docs/gone.md',
      'bad.md: ![picture](docs/gone.png): no file docs/gone.png',
      'bad.md: [no such heading](docs/page.md#twice-2): no heading #twice-2 in docs/page.md',
      'bad.md: [beside the repo](../shared/SPEC.md) points outside the repository',
      'bad.md: `../shared/seeds/` points outside the repository',
      'bad.md: [same page](#nowhere): no heading #nowhere in bad.md',
    ]);
  });
});
