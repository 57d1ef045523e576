/** Finding posts in a folder and naming them (the `id` contract: docs/api.md, "Document ids"). */
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
  // `rel`: the folder's path relative to `folder`, '/'-separated, so an id is postId(folder,
  // file) without path.relative per file (0.15 s of listing 14,500 posts).
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      // Dot-folders (.git, .github) and node_modules hold no posts; hidden files neither.
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      // What path.join(dir, name) gives (dir is normalized, a name has no separator), faster.
      const full = dir.endsWith(path.sep) ? dir + entry.name : dir + path.sep + entry.name;
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        // Follow links to files only: a linked folder can loop back on itself.
        isFile = (await stat(full).catch(() => null))?.isFile() ?? false;
      } else if (entry.isDirectory()) {
        await walk(full, rel + entry.name + '/');
        continue;
      }
      if (isFile && POST_EXT.test(entry.name))
        posts.push({ file: full, id: rel + entry.name.replace(POST_EXT, '') });
    }
  };
  await walk(path.join(folder), '');
  // Code-unit order, not localeCompare: the same on every machine and locale.
  return posts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.file < b.file ? -1 : 1));
}
