#!/usr/bin/env node
/**
 * Canvas benchmark runner: builds bench/canvas (Vite, from web/node_modules), serves it with
 * `vite preview`, drives headless Chromium (playwright-core, /usr/bin/chromium) through
 * `window.bench` and prints a table; JSON goes to bench/results/canvas-<UTC stamp>.json.
 *
 *   node bench/canvas/run.mjs                       # 1,000 / 5,000 / 10,000 boxes, full + cached
 *   node bench/canvas/run.mjs --boxes 10000 --modes cached --repeat 3
 *
 * Options: --boxes N[,N…] (default 1000,5000,10000), --polygons N (500), --modes full,cached,
 * --frames N (60), --repeat N (1; per N and mode, best-of is NOT taken: every run is kept and the
 * table shows the median run by pan JS median), --max-load X (1.5: before each run wait, at most
 * --load-wait seconds (90), for the 1-minute load average to drop below X), --no-paint (skip the
 * mask painting run).
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const web = join(repo, 'web');
const vite = await import(pathToFileURL(join(web, 'node_modules/vite/dist/node/index.js')).href);
const { chromium } = await import(pathToFileURL(join(web, 'node_modules/playwright-core/index.mjs')).href);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const BOXES = arg('boxes', '1000,5000,10000').split(',').map(Number);
const POLYGONS = Number(arg('polygons', '500'));
const MODES = arg('modes', 'full,cached').split(',');
const FRAMES = Number(arg('frames', '60'));
const REPEAT = Number(arg('repeat', '1'));
const MAX_LOAD = Number(arg('max-load', '1.5'));
const LOAD_WAIT = Number(arg('load-wait', '90'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PAINT = !process.argv.includes('--no-paint');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const stats = (xs) => ({ median: pct(xs, 50), p95: pct(xs, 95), max: Math.max(...xs) });

async function quiet() {
  const start = Date.now();
  while (loadavg()[0] >= MAX_LOAD && Date.now() - start < LOAD_WAIT * 1000) await sleep(2000);
  return { load1: loadavg()[0], waitedS: Math.round((Date.now() - start) / 1000) };
}

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

// --- build and serve -------------------------------------------------------------------------

const outDir = mkdtempSync(join(tmpdir(), 'accord-canvas-bench-'));
await vite.build({ root: here, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });
const server = await vite.preview({ root: here, configFile: false, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } });
const url = server.resolvedUrls.local[0];

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-precise-memory-info'],
});

const machine = {
  nproc: Number(sh('nproc', [])) || cpus().length,
  cpu: cpus()[0]?.model ?? null,
  chromium: (sh(CHROMIUM, ['--version']) ?? '').split('\n').pop(),
  browserVersion: browser.version(),
  node: process.version,
  date: new Date().toISOString(),
  commit: sh('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']),
  viewport: '1280x720 stage, deviceScaleFactor 1',
};

const runs = [];
let paintRun = null;
try {
  for (const n of BOXES) {
    for (const mode of MODES) {
      for (let rep = 0; rep < REPEAT; rep++) {
        const load = await quiet();
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
        page.on('pageerror', (e) => console.error('page error:', e));
        await page.goto(url);
        await page.waitForFunction(() => 'bench' in window);
        const cdp = await page.context().newCDPSession(page);
        const setup = await page.evaluate(([n, p, cache]) => window.bench.setup(n, p, cache), [n, POLYGONS, mode === 'cached']);
        const pan = await page.evaluate((f) => window.bench.pan(f), FRAMES);
        const zoom = await page.evaluate((f) => window.bench.zoom(f), FRAMES);
        // Pixel check (cached mode) of the raster the sliced settle after the zoom drew.
        const settled = mode === 'cached' ? await page.evaluate(() => window.bench.check()) : null;
        const drag = await page.evaluate((f) => window.bench.drag(f), FRAMES);
        // ... and of a drag's first move (its box erased) and of its end (the box put back).
        const check = mode === 'cached' ? { settled, drag: await page.evaluate(() => window.bench.checkDrag()) } : null;
        await cdp.send('HeapProfiler.collectGarbage');
        const heap = await cdp.send('Runtime.getHeapUsage');
        const perfHeap = await page.evaluate(() => window.bench.heap());
        await page.close();
        const run = {
          boxes: n,
          polygons: POLYGONS,
          mode,
          rep,
          loadBefore: load,
          setup,
          pan: { js: stats(pan.js), interval: stats(pan.interval), settleMs: pan.settle.ms, settleFrames: pan.settle.slices.length, toCrispMs: pan.settle.toCrispMs, wasSettling: pan.settle.wasSettling, raw: pan },
          zoom: { js: stats(zoom.js), interval: stats(zoom.interval), settleMs: zoom.settle.ms, settleFrames: zoom.settle.slices.length, toCrispMs: zoom.settle.toCrispMs, wasSettling: zoom.settle.wasSettling, raw: zoom },
          drag: { js: stats(drag.js), interval: stats(drag.interval), firstMoveMs: drag.js[0], downMs: drag.downMs, upMs: drag.upMs, dragged: drag.dragged, moved: drag.moved, raw: drag },
          check,
          heap: { usedMB: heap.usedSize / 2 ** 20, totalMB: heap.totalSize / 2 ** 20, perfMemoryMB: perfHeap === null ? null : perfHeap / 2 ** 20 },
        };
        runs.push(run);
        const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
        console.log(
          `${String(n).padStart(6)} ${mode.padEnd(6)} load ${load.load1.toFixed(2)} | first ${f(setup.firstRenderMs)} ms (draw ${f(setup.firstDrawJsMs)}) | ` +
            `pan js ${f(run.pan.js.median)}/${f(run.pan.js.p95)} raf ${f(run.pan.interval.median)}/${f(run.pan.interval.p95)} | ` +
            `zoom js ${f(run.zoom.js.median)}/${f(run.zoom.js.p95)} raf ${f(run.zoom.interval.median)}/${f(run.zoom.interval.p95)} | ` +
            `drag js ${f(run.drag.js.median)}/${f(run.drag.js.p95)} raf ${f(run.drag.interval.median)}/${f(run.drag.interval.p95)} | ` +
            `settle ${f(run.pan.settleMs)} down ${f(drag.downMs)} up ${f(drag.upMs)} | heap ${f(run.heap.usedMB)} MB`,
        );
        console.log(
          `${' '.repeat(13)}one-off frames: pan settle ${f(run.pan.settleMs)} (${run.pan.settleFrames} frames, ${f(run.pan.toCrispMs)} ms to crisp) | ` +
            `zoom settle ${f(run.zoom.settleMs)} (${run.zoom.settleFrames} frames, ${f(run.zoom.toCrispMs)} ms) | drag first move ${f(run.drag.firstMoveMs)} | ` +
            `pixel check ${check ? JSON.stringify({ settled: check.settled, during: check.drag.during, after: check.drag.after }) : '-'}`,
        );
      }
    }
  }
  if (PAINT) {
    const load = await quiet();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(url);
    await page.waitForFunction(() => 'bench' in window);
    const paint = await page.evaluate((f) => window.bench.paint(f), FRAMES);
    await page.close();
    const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
    paint.loadBefore = load;
    paint.strokes = paint.strokes.map((st) => ({ ...st, moveJs: stats(st.move.js), moveInterval: stats(st.move.interval) }));
    paintRun = paint;
    paint.strokes.forEach((st, i) =>
      console.log(
        `paint stroke ${i + 1} (worker ${paint.worker}) load ${load.load1.toFixed(2)} | down ${f(st.downMs)} | move js ${f(st.moveJs.median)}/${f(st.moveJs.p95)}/${f(st.moveJs.max)} ` +
          `raf ${f(st.moveInterval.median)}/${f(st.moveInterval.p95)} | up ${f(st.upMs)} | commit after ${f(st.commitMs)} ms | next frame ${f(st.nextFrameMs)}`,
      ),
    );
  }
} finally {
  await browser.close();
  await new Promise((r) => server.httpServer.close(r));
  rmSync(outDir, { recursive: true, force: true });
}

// --- table and JSON -----------------------------------------------------------------------

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
console.log('\nmedian / p95 ms per frame; js = work inside the rAF callback, raf = rAF-to-rAF interval');
console.log('| boxes | mode | first render | pan js | pan raf | zoom js | zoom raf | drag js | drag raf | settle | drag start/end | heap MB | load |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const oneOff = [];
for (const n of BOXES) {
  for (const mode of MODES) {
    const group = runs.filter((r) => r.boxes === n && r.mode === mode).sort((a, b) => a.pan.js.median - b.pan.js.median);
    const r = group[Math.floor((group.length - 1) / 2)];
    if (!r) continue;
    console.log(
      `| ${n} | ${mode} | ${f(r.setup.firstRenderMs)} | ${f(r.pan.js.median)} / ${f(r.pan.js.p95)} | ${f(r.pan.interval.median)} / ${f(r.pan.interval.p95)} | ` +
        `${f(r.zoom.js.median)} / ${f(r.zoom.js.p95)} | ${f(r.zoom.interval.median)} / ${f(r.zoom.interval.p95)} | ` +
        `${f(r.drag.js.median)} / ${f(r.drag.js.p95)} | ${f(r.drag.interval.median)} / ${f(r.drag.interval.p95)} | ${f(r.pan.settleMs)} | ` +
        `${f(r.drag.downMs)} / ${f(r.drag.upMs)} | ${f(r.heap.usedMB)} | ${r.loadBefore.load1.toFixed(2)} |`,
    );
    oneOff.push(
      `| ${n} | ${mode} | ${f(r.pan.settleMs)} / ${r.pan.settleFrames} / ${f(r.pan.toCrispMs)} | ${f(r.zoom.settleMs)} / ${r.zoom.settleFrames} / ${f(r.zoom.toCrispMs)} | ` +
        `${f(r.drag.firstMoveMs)} | ${f(r.drag.downMs)} / ${f(r.drag.upMs)} |`,
    );
  }
}
console.log('\none-off frames: settle = largest JS of one frame / frames / ms from the first slice to crisp');
console.log('| boxes | mode | pan settle | zoom settle | drag first move | drag down / up |');
console.log('|---|---|---|---|---|---|');
for (const line of oneOff) console.log(line);

const dir = join(repo, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = machine.date.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const file = join(dir, `canvas-${stamp}.json`);
const modified = sh('git', ['-C', repo, 'status', '--short', 'web/src/engine', 'web/src/features/workspace-image', 'web/src/features/annotate', 'bench/canvas']);
writeFileSync(file, JSON.stringify({ machine, modified, options: { BOXES, POLYGONS, MODES, FRAMES, REPEAT, MAX_LOAD }, runs, paint: paintRun }, null, 2));
console.log(`\nwrote ${file}`);

