/**
 * The user dictionary: words jieba should keep whole (new names, coined terms), one per line in
 * a text file, Simplified (segmentation runs on normalized text; other input is normalized).
 * Loaded at start, before an index is built or loaded, since it is part of the analyzer.
 */
import { existsSync, readFileSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { normalize } from './normalize.js';
import { isWordCodePoint } from './analyzer.js';
import { addUserWords } from './segment.js';
import { userDictionaryPath } from '../config.js';

export const MAX_WORD_LENGTH = 20;

/** The user dictionary of an index directory (USER_DICT overrides). */
export function userDictionaryFile(indexDir: string): string {
  return userDictionaryPath() ?? join(indexDir, 'user-dict.txt');
}

/** The normalized form of a candidate word, or an explanation of why it is not one. */
export function checkWord(raw: unknown): { word: string } | { error: string } {
  if (typeof raw !== 'string') return { error: 'every word must be a string' };
  const word = normalize(raw.trim());
  const chars = Array.from(word);
  if (chars.length === 0) return { error: 'a word must not be empty' };
  if (chars.length > MAX_WORD_LENGTH)
    return { error: `"${raw.slice(0, 30)}" is longer than ${MAX_WORD_LENGTH} characters` };
  if (!chars.every((c) => isWordCodePoint(c.codePointAt(0)!)))
    return {
      error: `"${raw.slice(0, 30)}" must be letters or digits only (no spaces or punctuation)`,
    };
  return { word };
}

/** Words in the file (missing file: none). Lines may be "word" or jieba's "word freq tag". */
export function readUserDictionary(file: string): string[] {
  if (!existsSync(file)) return [];
  const words: string[] = [];
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const first = line.trim().split(/\s+/)[0];
    if (!first || first.startsWith('#')) continue;
    const checked = checkWord(first);
    if ('word' in checked) words.push(checked.word);
  }
  return words;
}

/** Load the file's words into jieba; returns them. */
export function loadUserDictionary(file: string): string[] {
  const words = readUserDictionary(file);
  addUserWords(words);
  return words;
}

/** Append words to the file, flushed to disk before returning. */
export function appendUserDictionary(file: string, words: string[]): void {
  if (words.length === 0) return;
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, words.join('\n') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
