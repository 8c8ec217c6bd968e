import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedWorkflowModules, workflowsPath } from '../../src/workflow-bundle';

const sharedModules = path.join(workflowsPath, 'shared-modules.ts');

/**
 * The modules a file imports, as files, or as package names. Every import but `import type` counts:
 * an import of types only among values may still leave the module in the bundle.
 */
function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  const imports = [...source.matchAll(/^import\s+(?:(type\s+)?[^;]*?\s+from\s+)?'([^']+)';/gms)];
  return imports
    .filter(([, typeOnly]) => typeOnly === undefined)
    .map(([, , module]) => (module!.startsWith('.') ? [`${path.resolve(path.dirname(file), module!)}.ts`, path.resolve(path.dirname(file), module!, 'index.ts')].find((f) => fs.existsSync(f))! : module!));
}

/** Every module the workflow files import, directly or not: files outside src/workflows, the definitions, and packages. */
function workflowImports(): Set<string> {
  const found = new Set<string>();
  const files = fs.readdirSync(workflowsPath).filter((name) => name.endsWith('.ts')).map((name) => path.join(workflowsPath, name));
  const queue = files.filter((file) => file !== sharedModules);
  while (queue.length > 0) {
    for (const module of importsOf(queue.pop()!)) {
      if (found.has(module)) continue;
      found.add(module);
      if (module.endsWith('.ts')) queue.push(module);
    }
  }
  return new Set([...found].filter((module) => !module.startsWith(`${workflowsPath}/`) || module.endsWith('/definitions.ts')).filter((module) => !module.startsWith('@temporalio/')));
}

describe('the workflow bundle', () => {
  it('preloads the shared modules, once per sandbox', () => {
    expect(sharedWorkflowModules).toEqual([sharedModules.replace(/\.ts$/, '')]);
  });

  it('shares exactly the modules the workflows import, so each one’s exports are frozen before the SDK freezes them deeply', () => {
    const needed = workflowImports();
    expect(needed).toContain('zod');
    expect(needed).toContain(path.join(workflowsPath, 'definitions.ts'));
    expect(needed.size).toBeGreaterThan(25);
    expect(new Set(importsOf(sharedModules))).toEqual(needed);
  });
});
