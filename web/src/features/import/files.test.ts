import { describe, expect, it } from 'vitest';
import { fileKind, filesFromDrop, filesFromInput, importForm, kindsText, mergePicked, oversized, uploadable, walkEntry, type DropItemLike, type EntryLike } from './files';

function fileEntry(name: string, body = name): EntryLike {
  return { name, isFile: true, isDirectory: false, file: (ok) => ok(new File([body], name)) };
}

/** A directory whose reader hands out entries two at a time, like browsers do in batches. */
function dirEntry(name: string, children: EntryLike[]): EntryLike {
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let i = 0;
      return {
        readEntries: (ok) => {
          const batch = children.slice(i, i + 2);
          i += 2;
          setTimeout(() => ok(batch), 0);
        },
      };
    },
  };
}

describe('walkEntry', () => {
  it('walks folders recursively, keeping relative paths, across reader batches', async () => {
    const tree = dirEntry('photos', [
      fileEntry('a.jpg'),
      fileEntry('b.jpg'),
      dirEntry('sub', [fileEntry('c.png'), dirEntry('empty', [])]),
      fileEntry('tasks.csv'),
    ]);
    const out = await walkEntry(tree);
    expect(out.map((p) => p.path).sort()).toEqual(['photos/a.jpg', 'photos/b.jpg', 'photos/sub/c.png', 'photos/tasks.csv']);
    expect(out[0]?.file).toBeInstanceOf(File);
  });
});

describe('filesFromDrop', () => {
  it('takes files and folders, falling back to getAsFile, ignoring strings', async () => {
    const items: DropItemLike[] = [
      { kind: 'file', webkitGetAsEntry: () => dirEntry('sub', [fileEntry('a.jpg')]), getAsFile: () => null },
      { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => new File(['x'], 'loose.json') },
      { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null },
    ];
    const out = await filesFromDrop(items);
    expect(out.map((p) => p.path)).toEqual(['sub/a.jpg', 'loose.json']);
  });
});

describe('filesFromInput', () => {
  it('uses webkitRelativePath from a folder input', () => {
    const f = new File(['x'], 'a.jpg');
    Object.defineProperty(f, 'webkitRelativePath', { value: 'dir/sub/a.jpg' });
    const g = new File(['y'], 'b.jpg');
    expect(filesFromInput([f, g]).map((p) => p.path)).toEqual(['dir/sub/a.jpg', 'b.jpg']);
  });
});

describe('mergePicked and fileKind', () => {
  it('replaces same paths and sorts', () => {
    const a = { path: 'b.jpg', file: new File(['1'], 'b.jpg') };
    const b = { path: 'a.jpg', file: new File(['2'], 'a.jpg') };
    const c = { path: 'b.jpg', file: new File(['333'], 'b.jpg') };
    const out = mergePicked([a, b], [c]);
    expect(out.map((p) => [p.path, p.file.size])).toEqual([['a.jpg', 1], ['b.jpg', 3]]);
  });

  it('tells task files, media and junk apart', () => {
    expect(fileKind('x/tasks.JSONL')).toBe('tasks');
    expect(fileKind('a.csv')).toBe('tasks');
    expect(fileKind('sub/a.JPG')).toBe('media');
    expect(fileKind('.DS_Store')).toBe('hidden');
    expect(fileKind('x/.git/config')).toBe('hidden');
    expect(fileKind('README')).toBe('other');
    const f = (path: string) => ({ path, file: new File([''], 'x') });
    expect(uploadable([f('a.png'), f('.DS_Store'), f('b.heic')]).map((p) => p.path)).toEqual(['a.png', 'b.heic']);
  });

  it('says what was picked in words, one in the singular', () => {
    const f = (path: string) => ({ path, file: new File([''], 'x') });
    expect(kindsText([f('t.json'), f('a.png'), f('b.png')])).toBe('1 task file, 2 media files');
    expect(kindsText([f('.DS_Store'), f('README')])).toBe('1 hidden file (not sent), 1 other file');
    expect(kindsText([])).toBe('');
  });
});

describe('oversized', () => {
  const sized = (path: string, size: number) => ({ path, file: { size } as File });
  const limit = 512 * 1024 * 1024;

  it('names each file over the limit in binary units, before anything is sent', () => {
    const files = [sized('small.jpg', 10), sized('big.mp4', 629 * 1024 * 1024), sized('edge.png', limit)];
    expect(oversized(files, limit)).toEqual(['big.mp4 is 629 MiB, larger than the limit of 512 MiB for one upload']);
    expect(oversized(files, null)).toEqual([]);
  });

  it('counts the files of one upload together', () => {
    const half = sized('a.mp4', limit / 2);
    expect(oversized([half, sized('b.mp4', limit / 2)], limit)).toEqual([]);
    expect(oversized([half, sized('b.mp4', limit / 2), sized('c.txt', 1024 * 1024)], limit)).toEqual([
      'the 3 files are 513 MiB together, larger than the limit of 512 MiB for one upload',
    ]);
  });
});

describe('importForm', () => {
  it('sends each file under its relative path, with batch and skip_invalid', () => {
    const form = importForm([{ path: 'sub/a.jpg', file: new File(['x'], 'a.jpg') }, { path: 'b.csv', file: new File(['y'], 'b.csv') }], {
      batch: ' week 1 ',
      skipInvalid: true,
    });
    const files = form.getAll('files') as File[];
    expect(files.map((f) => f.name)).toEqual(['sub/a.jpg', 'b.csv']);
    expect(form.get('batch')).toBe('week 1');
    expect(form.get('skip_invalid')).toBe('true');
    expect(importForm([], {}).get('batch')).toBeNull();
  });
});
