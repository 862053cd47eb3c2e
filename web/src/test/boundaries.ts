/**
 * The web app's layer rules, checked on source text (DESIGN.md "Where the next capabilities
 * live": checked by a test, not by memory). `core` is framework-free data, `engine` is
 * framework-free canvas and input over `core`, `lib` is the app's HTTP / routing / utilities, and
 * `features` are the Svelte screens on top of all three.
 */

/** Top-level folder (or root file) of `src/` a module belongs to. */
export type Layer = 'core' | 'engine' | 'lib' | 'api' | 'features' | 'test' | 'app' | 'svelte';

/** What each layer must not import. Layers not listed may import anything. */
export const FORBIDDEN: Readonly<Partial<Record<Layer, readonly Layer[]>>> = {
  core: ['engine', 'features', 'lib', 'api', 'app', 'svelte'],
  engine: ['features', 'lib', 'api', 'app', 'svelte'],
  lib: ['engine', 'features', 'app'],
};

/** One forbidden import. */
export interface Violation {
  file: string;
  specifier: string;
  from: Layer;
  to: Layer;
}

/** The module specifiers a TypeScript or Svelte source imports (static, re-exports, dynamic). */
export function importsOf(text: string): string[] {
  const code = text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of code.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

/** The layer of a path relative to `src/` ("core/document.ts", "App.svelte"). */
export function layerOf(path: string): Layer {
  const head = path.split('/')[0] ?? '';
  if (head === 'core' || head === 'engine' || head === 'lib' || head === 'api' || head === 'features' || head === 'test') return head;
  return 'app';
}

/** `spec` imported from `file` (both relative to `src/`) as a path under `src/`, or null if it leaves `src/`. */
function resolve(file: string, spec: string): string | null {
  const parts = file.split('/').slice(0, -1);
  for (const seg of spec.split('/')) {
    if (seg === '.' || seg === '') continue;
    if (seg === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

/** The layer an import of `spec` from `file` reaches, or null for other packages. */
export function targetOf(file: string, spec: string): Layer | null {
  if (spec === 'svelte' || spec.startsWith('svelte/')) return 'svelte';
  if (!spec.startsWith('.')) return null;
  // A component is Svelte whatever folder it sits in.
  if (spec.endsWith('.svelte')) return 'svelte';
  const path = resolve(file, spec);
  return path === null ? null : layerOf(path);
}

/** Every forbidden import in `files` (path relative to `src/` -> source text). */
export function violations(files: Readonly<Record<string, string>>): Violation[] {
  const out: Violation[] = [];
  for (const [file, text] of Object.entries(files)) {
    const from = layerOf(file);
    const banned = FORBIDDEN[from] ?? [];
    // A Svelte component in a framework-free layer is itself a crossing.
    if (file.endsWith('.svelte') && banned.includes('svelte')) out.push({ file, specifier: '(a .svelte component)', from, to: 'svelte' });
    for (const specifier of importsOf(text)) {
      const to = targetOf(file, specifier);
      if (to && to !== from && banned.includes(to)) out.push({ file, specifier, from, to });
    }
  }
  return out;
}

/** One line per violation, naming the file and the import. */
export function describeViolations(list: readonly Violation[]): string {
  return list.map((v) => `src/${v.file} imports '${v.specifier}' (${v.from} must not import ${v.to})`).join('\n');
}
