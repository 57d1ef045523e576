/** Finding posts in a folder and naming them (the `id` contract in DESIGN.md). */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export const POST_EXT = /\.(?:md|markdown)$/i;

/**
 * Path relative to `folder`, `.md`/`.markdown` dropped, `/`-separated on every platform.
 * Only the post extension goes: titles hold dots ("U.S.-China ….md").
 */
export function postId(folder: string, file: string): string {
  return path.relative(folder, file).replace(POST_EXT, '').split(path.sep).join('/');
}

/** Every post under `folder`, sorted by id so indexing order (and doc numbers) is stable. */
export async function listPosts(folder: string): Promise<{ file: string; id: string }[]> {
  const posts: { file: string; id: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      // Dot-folders (.git, .github) and node_modules hold no posts; hidden files neither.
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        // Follow links to files only: a linked folder can loop back on itself.
        isFile = (await stat(full).catch(() => null))?.isFile() ?? false;
      } else if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      if (isFile && POST_EXT.test(entry.name)) posts.push({ file: full, id: postId(folder, full) });
    }
  };
  await walk(folder);
  // Code-unit order, not localeCompare: the same on every machine and locale.
  return posts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.file < b.file ? -1 : 1));
}
