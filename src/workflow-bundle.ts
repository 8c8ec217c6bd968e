import path from 'node:path';

/**
 * How the workflows are bundled for the worker's sandbox.
 *
 * The SDK runs every cached workflow in one reused V8 context, but evaluates the modules a
 * workflow imports afresh for each workflow, so that no workflow sees another's module state.
 * For Vigil that meant zod, every schema and every detector built again for each device: about
 * 2 MB and a schema build per cached device workflow. Those modules hold no state of a workflow
 * (their only module-level mutables are caches of pure functions, such as time-zone formatters),
 * so they are evaluated once per sandbox and shared by all its workflows
 * (src/workflows/shared-modules.ts lists them). The workflow files themselves stay per workflow:
 * they create metrics and activity proxies at module scope, which need a workflow's context.
 */

/** The module the bundle's workflows come from. */
export const workflowsPath = path.join(__dirname, 'workflows');

/** Modules shared by every workflow of a sandbox, as the bundler's `preloadModules` takes them. */
export const sharedWorkflowModules: string[] = [path.join(workflowsPath, 'shared-modules')];
