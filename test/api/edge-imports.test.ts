// functions/api must run on Lambda, Node and edge runtimes: Web-standard APIs, the AWS SDK (v3 picks its fetch
// handler there) and pure-JS libraries on the allowlist.
// This walks the import graph from every API file (serve.ts, the Node entry, excepted), following relative
// imports into shared/, and fails on node: or builtin imports, packages outside the allowlist, and packages
// that ship native code.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const API = join(ROOT, 'functions/api');
const NODE_ENTRY = join(API, 'serve.ts');
// standardwebhooks (webhook signing, reached through the webhook routes' types) is plain JavaScript: no Node or
// native APIs, only TextEncoder.
const ALLOWED_PACKAGES = [/^hono(\/|$)/, /^@hono\/zod-openapi$/, /^zod(\/|$)/, /^@aws-sdk\//, /^ipaddr\.js$/, /^standardwebhooks(\/|$)/];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

const packageName = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

function shipsNativeCode(pkg: string): boolean {
  const dir = join(ROOT, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) return false;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { gypfile?: boolean; binary?: unknown };
  return manifest.gypfile === true || manifest.binary !== undefined || existsSync(join(dir, 'binding.gyp'));
}

interface Violation {
  file: string;
  spec: string;
  why: string;
}

function walk(entries: string[]): { violations: Violation[]; visited: Set<string> } {
  const visited = new Set<string>();
  const violations: Violation[] = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || visited.has(file)) continue;
    visited.add(file);
    for (const spec of importsOf(file)) {
      const where = relative(ROOT, file);
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (target === NODE_ENTRY) violations.push({ file: where, spec, why: 'imports the Node entry' });
        else if (existsSync(target)) queue.push(target);
        else violations.push({ file: where, spec, why: 'unresolved relative import' });
      } else if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(packageName(spec))) {
        violations.push({ file: where, spec, why: 'Node builtin' });
      } else if (!ALLOWED_PACKAGES.some((re) => re.test(spec))) {
        violations.push({ file: where, spec, why: 'package not on the edge allowlist' });
      } else if (shipsNativeCode(packageName(spec))) {
        violations.push({ file: where, spec, why: 'native module' });
      }
    }
  }
  return { violations, visited };
}

describe('functions/api is edge-clean', () => {
  const entries = sourceFiles(API).filter((f) => f !== NODE_ENTRY);

  it('no node:/builtin imports, no native modules, only allowlisted packages (transitively)', () => {
    const { violations, visited } = walk(entries);
    expect(violations).toEqual([]);
    // The walk really followed the graph into shared/.
    expect([...visited].some((f) => f.includes(`${join(ROOT, 'shared')}`))).toBe(true);
    expect(entries.length).toBeGreaterThan(15);
  });

  it("the API's own files use no Node globals", () => {
    const offenders = entries.filter((f) => /\bBuffer\b|\b__dirname\b|\brequire\(/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('the checker catches what it should (a planted violation)', () => {
    expect(importsOf(join(ROOT, 'test/api/edge-imports.test.ts'))).toContain('node:fs');
    expect(BUILTINS.has('fs')).toBe(true);
    expect(shipsNativeCode('sharp') || shipsNativeCode('onnxruntime-node')).toBe(true);
    expect(walk([join(ROOT, 'test/api/edge-imports.test.ts')]).violations.map((v) => v.why)).toContain('Node builtin');
  });
});
