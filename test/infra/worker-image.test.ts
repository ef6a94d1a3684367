// The GPU image cannot be built here (no Docker, no CUDA), so this pins what would break it: the entry file,
// the files and packages the entry imports (the ignore file's allow-list and `npm ci --omit=dev`), and the
// settings baked into the image, which the worker's own config parser must accept.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../workers/gpu/config.js';

const root = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(root, 'workers/gpu/Dockerfile'), 'utf8');
const ignoreFile = readFileSync(join(root, 'workers/gpu/Dockerfile.dockerignore'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

function entryPoint(): string {
  const match = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!match?.[1]) throw new Error('no exec-form ENTRYPOINT');
  const argv = JSON.parse(match[1]) as string[];
  const script = argv.at(-1);
  if (!script) throw new Error('empty ENTRYPOINT');
  return script;
}

/** Runtime imports (type-only imports are erased by tsx). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) if (match[1]) found.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) if (match[1]) found.push(match[1]);
  return found;
}

function closure(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [join(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || files.has(file)) continue;
    files.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        if (!existsSync(target)) throw new Error(`${relative(root, file)} imports missing ${spec}`);
        queue.push(target);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
      }
    }
  }
  return { files: [...files].map((f) => relative(root, f)), packages };
}

describe('GPU worker image', () => {
  it('starts workers/gpu/main.ts with tsx, which is a runtime dependency', () => {
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "workers\/gpu\/main\.ts"\]$/m);
    expect(existsSync(join(root, entryPoint()))).toBe(true);
    expect(pkg.dependencies).toHaveProperty('tsx');
  });

  it('installs the CUDA 12 execution provider of onnxruntime-node on a CUDA runtime base', () => {
    expect(dockerfile).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install');
    expect(dockerfile).toMatch(/^ARG CUDA_IMAGE=nvidia\/cuda:12\.[0-9.]+-cudnn-runtime-ubuntu[0-9.]+$/m);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=20$/m);
  });

  it('sends every file the entry imports into the build context', () => {
    const allowed = ignoreFile
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1));
    const { files } = closure(entryPoint());
    expect(files.length).toBeGreaterThan(5);
    const outside = files.filter((file) => !allowed.some((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix)));
    expect(outside).toEqual([]);
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)].map((m) => m[1]);
    expect(copied).toEqual(expect.arrayContaining(['shared', 'workers']));
  });

  it('imports only packages that `npm ci --omit=dev` installs', () => {
    const { packages } = closure(entryPoint());
    const missing = [...packages].filter((name) => !(name in pkg.dependencies));
    expect(missing).toEqual([]);
    expect(packages.has('onnxruntime-node')).toBe(true);
  });

  it('bakes in settings the worker config accepts', () => {
    const env = Object.fromEntries(
      [...dockerfile.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)(?:\s*\\)?$/gm)]
        .filter((m) => m[1] !== undefined && m[2] !== undefined && !m[0].includes('RUN') && !m[0].includes('ARG'))
        .map((m) => [m[1] as string, m[2] as string]),
    );
    expect(env).toMatchObject({ EXECUTION_PROVIDERS: 'cuda,cpu', MODEL_BUNDLE_DIR: '/var/lib/nexus/bundle', HEALTH_PORT: '8081' });
    const config = loadWorkerConfig(env);
    expect(config.executionProviders).toEqual(['cuda', 'cpu']);
    expect(config.health.port).toBe(8081);
  });
});
