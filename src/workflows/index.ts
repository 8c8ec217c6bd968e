export { deviceWorkflow } from './device';
export { fleetWorkflow } from './fleet';
