/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { describeViolations, importsOf, targetOf, violations } from './test/boundaries';

// Every source file under src/ as text, keyed by its path relative to src/ ("core/document.ts").
const raw = import.meta.glob(['./**/*.ts', './**/*.svelte'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const SOURCES = Object.fromEntries(Object.entries(raw).map(([path, text]) => [path.replace(/^\.\//, ''), text]));

describe('layer boundaries of src/', () => {
  it('sees the whole tree', () => {
    expect(Object.keys(SOURCES)).toContain('core/document.ts');
    expect(Object.keys(SOURCES)).toContain('features/annotate/AnnotatePage.svelte');
    expect(Object.keys(SOURCES).length).toBeGreaterThan(100);
  });

  it('core imports no engine, features, lib or Svelte; engine no features; lib no engine', () => {
    const found = violations(SOURCES);
    expect(found, `forbidden imports:\n${describeViolations(found)}`).toEqual([]);
  });
});

describe('the boundary check', () => {
  it('finds static, type-only, multi-line, side-effect, re-export and dynamic imports', () => {
    const text = [
      "import { a } from '../engine';",
      "import type {\n  B,\n  C,\n} from \"../features/x\";",
      "import '../lib/side-effect';",
      "export * from './local';",
      "export { d } from 'svelte/store';",
      "const m = await import('../engine/keymap');",
      '// import { no } from "../commented-out";',
      '/* import { no } from "../block-comment"; */',
      "const s = 'from here';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['../engine', '../features/x', '../lib/side-effect', './local', 'svelte/store', '../engine/keymap']);
  });

  it('finds imports in a Svelte component but not in its markup comments', () => {
    const text = "<script lang=\"ts\">\n  import { x } from '../../engine';\n</script>\n<!-- import { y } from '../../core'; -->\n<p>from '../nowhere'</p>";
    expect(importsOf(text)).toEqual(['../../engine']);
  });

  it('resolves relative paths to layers', () => {
    expect(targetOf('core/document.ts', '../engine')).toBe('engine');
    expect(targetOf('core/document.ts', './geometry')).toBe('core');
    expect(targetOf('engine/tools/select.ts', '../../core')).toBe('core');
    expect(targetOf('lib/router.ts', 'svelte/store')).toBe('svelte');
    expect(targetOf('lib/x.ts', './Thing.svelte')).toBe('svelte');
    expect(targetOf('engine/spatial.ts', 'rbush')).toBeNull();
    expect(targetOf('App.svelte', './features/auth')).toBe('features');
  });

  it('fails on a deliberately bad import and names the file and the import', () => {
    const fixture = {
      ...SOURCES,
      'core/bad.ts': "import { Keymap } from '../engine';\nexport const k = Keymap;\n",
      'engine/bad.ts': "import { AnnotatePage } from '../features/annotate';\n",
      'lib/bad.ts': "export { Viewport } from '../engine/viewport';\n",
      'core/bad-svelte.ts': "import { writable } from 'svelte/store';\n",
      'engine/Widget.svelte': '<script lang="ts">\n</script>\n',
    };
    const found = violations(fixture);
    expect(found.map((v) => [v.file, v.specifier, v.to])).toEqual([
      ['core/bad.ts', '../engine', 'engine'],
      ['engine/bad.ts', '../features/annotate', 'features'],
      ['lib/bad.ts', '../engine/viewport', 'engine'],
      ['core/bad-svelte.ts', 'svelte/store', 'svelte'],
      ['engine/Widget.svelte', '(a .svelte component)', 'svelte'],
    ]);
    expect(describeViolations(found)).toContain("src/core/bad.ts imports '../engine' (core must not import engine)");
  });

  it('allows what the layering allows', () => {
    const fine = {
      'engine/a.ts': "import { AnnotationDocument } from '../core';",
      'lib/a.ts': "import { readable } from 'svelte/store';\nimport type { paths } from '../api/schema';",
      'features/x/a.ts': "import { Keymap } from '../../engine';\nimport { api } from '../../lib';",
    };
    expect(violations(fine)).toEqual([]);
  });
});
