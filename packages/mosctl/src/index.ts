export { EXIT, exitCodeOf } from './cli/exit-codes';
