/** Picking files to import: drops of files and folders, file inputs, and the upload form. */

import { formatBinaryBytes, plural } from '../../lib';

/** A file with the path it is uploaded under (`sub/a.jpg` for a file inside a dropped folder). */
export interface PickedFile {
  path: string;
  file: File;
}

/** The parts of `FileSystemEntry` the walker uses (a real entry fits). */
export interface EntryLike {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  file?(success: (f: File) => void, failure?: (e: unknown) => void): void;
  createReader?(): { readEntries(success: (entries: EntryLike[]) => void, failure?: (e: unknown) => void): void };
}

/** The parts of `DataTransferItem` the drop handler uses. */
export interface DropItemLike {
  kind: string;
  webkitGetAsEntry(): EntryLike | null;
  getAsFile(): File | null;
}

function fileOf(entry: EntryLike): Promise<File> {
  return new Promise((resolve, reject) => {
    if (!entry.file) reject(new Error(`${entry.name}: not a file`));
    else entry.file(resolve, reject);
  });
}

async function readAll(entry: EntryLike): Promise<EntryLike[]> {
  const reader = entry.createReader?.();
  if (!reader) return [];
  const out: EntryLike[] = [];
  // readEntries hands out at most ~100 entries per call; call until it returns none.
  for (;;) {
    const batch = await new Promise<EntryLike[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/** Every file under `entry`, with paths relative to where the walk started (`prefix`). */
export async function walkEntry(entry: EntryLike, prefix = ''): Promise<PickedFile[]> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) return [{ path, file: await fileOf(entry) }];
  if (!entry.isDirectory) return [];
  const children = await readAll(entry);
  const nested = await Promise.all(children.map((c) => walkEntry(c, path)));
  return nested.flat();
}

/** The files of a drop, folders walked recursively. Call synchronously in the drop handler:
 * the browser empties `items` once the handler returns, so entries are taken before awaiting. */
export function filesFromDrop(items: ArrayLike<DropItemLike>): Promise<PickedFile[]> {
  const pending: Promise<PickedFile[]>[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!item || item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    if (entry) pending.push(walkEntry(entry));
    else {
      const f = item.getAsFile();
      if (f) pending.push(Promise.resolve([{ path: f.name, file: f }]));
    }
  }
  return Promise.all(pending).then((lists) => lists.flat());
}

/** The files of an `<input type=file>` (with `webkitdirectory`, paths keep their folders). */
export function filesFromInput(files: ArrayLike<File>): PickedFile[] {
  const out: PickedFile[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    if (f) out.push({ path: f.webkitRelativePath || f.name, file: f });
  }
  return out;
}

/** `current` plus `more`, a later pick of the same path replacing the earlier one; sorted by path. */
export function mergePicked(current: readonly PickedFile[], more: readonly PickedFile[]): PickedFile[] {
  const byPath = new Map(current.map((p) => [p.path, p]));
  for (const p of more) byPath.set(p.path, p);
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** What a file becomes on import. */
export type FileKind = 'tasks' | 'media' | 'other' | 'hidden';

const TASK_EXT = new Set(['json', 'jsonl', 'csv', 'tsv']);
const MEDIA_EXT = new Set([
  'jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp', 'tif', 'tiff', 'txt',
  'mp4', 'webm', 'mov', 'mkv', 'avi', 'mp3', 'wav', 'ogg', 'flac', 'm4a',
]);

/** Task file (JSON/JSONL/CSV/TSV: one task per row), media file (one task each), other (sent;
 * the server checks content and reports it), or hidden (`.DS_Store`, `.git/…`: never sent). */
export function fileKind(path: string): FileKind {
  const name = path.split('/').pop() ?? path;
  if (path.split('/').some((part) => part.startsWith('.'))) return 'hidden';
  const ext = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '';
  if (TASK_EXT.has(ext)) return 'tasks';
  if (MEDIA_EXT.has(ext)) return 'media';
  return 'other';
}

const KIND_NOUNS: Record<FileKind, [string, string]> = {
  tasks: ['task file', 'task files'],
  media: ['media file', 'media files'],
  other: ['other file', 'other files'],
  hidden: ['hidden file (not sent)', 'hidden files (not sent)'],
};

/** What the picked files are, e.g. `1 task file, 2 media files`. */
export function kindsText(files: readonly PickedFile[]): string {
  const counts = new Map<FileKind, number>();
  for (const p of files) counts.set(fileKind(p.path), (counts.get(fileKind(p.path)) ?? 0) + 1);
  return [...counts].map(([kind, n]) => plural(n, ...KIND_NOUNS[kind])).join(', ');
}

/** Why the picked files cannot be sent in one upload (the server's limit, in bytes, is for the
 * files of one upload together): each file over it alone, one line each, or else their total;
 * empty when they fit. Checked before sending, so nobody waits for a refusal. */
export function oversized(files: readonly PickedFile[], limit: number | null): string[] {
  if (limit === null) return [];
  const alone = files
    .filter((p) => p.file.size > limit)
    .map((p) => `${p.path} is ${formatBinaryBytes(p.file.size)}, larger than the limit of ${formatBinaryBytes(limit)} for one upload`);
  if (alone.length) return alone;
  // The limit is the files of one upload together (the server refuses a larger body at once).
  const total = files.reduce((n, p) => n + p.file.size, 0);
  if (total <= limit) return [];
  return [`the ${plural(files.length, 'file')} are ${formatBinaryBytes(total)} together, larger than the limit of ${formatBinaryBytes(limit)} for one upload`];
}

/** The multipart body of `POST /projects/{id}/imports/files`. */
export function importForm(files: readonly PickedFile[], options: { batch?: string; skipInvalid?: boolean }): FormData {
  const form = new FormData();
  for (const p of files) form.append('files', p.file, p.path);
  const batch = options.batch?.trim();
  if (batch) form.set('batch', batch);
  form.set('skip_invalid', options.skipInvalid ? 'true' : 'false');
  return form;
}

/** The files worth sending (hidden files dropped with a folder are left out). */
export function uploadable(files: readonly PickedFile[]): PickedFile[] {
  return files.filter((p) => fileKind(p.path) !== 'hidden');
}
