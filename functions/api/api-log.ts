// The API's log (shared/log.ts conventions). Only warnings and errors are logged, to stderr; a request's own
// outcome is in the platform's access logs.
import { createLogger } from '../../shared/log.js';

export const apiLog = createLogger({ component: 'api', write: (line) => console.error(line) });
