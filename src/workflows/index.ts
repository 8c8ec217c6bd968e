export { deviceWorkflow } from './device';
export { fleetWorkflow } from './fleet';
export { floorWorkflow } from './floor';
