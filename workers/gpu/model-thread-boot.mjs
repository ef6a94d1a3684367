// Worker-thread entry of the model thread: a thread does not inherit tsx's loader for its own entry file,
// so this plain module registers it, then loads the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./model-thread-entry.ts');
