import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv, ResolvedDeps } from './deps.js';

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Each routes/*.ts file exports one of these; app.ts mounts them in order. */
export type RegisterRoutes = (app: ApiApp, deps: ResolvedDeps) => void;
