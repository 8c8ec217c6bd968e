export { deviceWorkflow } from './device';
