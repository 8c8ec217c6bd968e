/**
 * The floor worker's workflows. The floor runs under the device workflow's type name, on a task
 * queue of its own, so the same ingest starts and signals it unchanged: nothing in Vigil's own
 * code or configuration knows of the benchmark.
 */
export { floorWorkflow as deviceWorkflow } from './workflow';
