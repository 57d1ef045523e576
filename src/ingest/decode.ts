/**
 * Post bytes → text: UTF-8 (with or without BOM), UTF-16 LE/BE with a BOM, and Big5 or
 * GBK/GB18030 without one; binary, oversized and undecidable files are refused with a reason.
 *
 * Legacy encodings are decided by decoding, not by guessing alone: statistical detectors
 * (chardet) are unreliable on a short post, and Big5 and GBK bytes often decode "validly" with
 * the other table (into rare characters, kana, Greek or private-use characters). So: strict
 * UTF-8 first; else each of GB18030 and Big5 that decodes without a replacement character and
 * reads as Chinese (`readsAsChinese`) is a candidate, and the one whose characters fall most
 * often in its table's frequent-character area wins (`commonShare`); chardet's ranking breaks a
 * tie. No candidate: "unknown encoding".
 */
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { IngestError } from './article.js';

/** Posts larger than this are refused before any decoding or parsing. */
export const MAX_POST_BYTES = 5 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true });

/** Legacy encodings tried, as iconv-lite names them, with the name chardet reports. */
const LEGACY = [
  { name: 'GB18030', iconv: 'gb18030' }, // a superset of GBK and GB2312
  { name: 'Big5', iconv: 'big5hkscs' }, // Big5 with the Hong Kong additions
] as const;

/** Share of control bytes (other than tab, line feed, form feed, carriage return) that means binary. */
const MAX_CONTROL_SHARE = 0.1;

/** The reason given for a post over MAX_POST_BYTES. */
export function tooLarge(bytes: number): string {
  return `file too large (${(bytes / 2 ** 20).toFixed(1)} MB; limit 5 MB)`;
}

export function decodePost(raw: Buffer, file: string): string {
  if (raw.length > MAX_POST_BYTES) throw new IngestError(file, tooLarge(raw.length));
  if (raw.length >= 2 && raw[0] === 0xff && raw[1] === 0xfe)
    return fromUtf16(raw.subarray(2), 'LE', file);
  if (raw.length >= 2 && raw[0] === 0xfe && raw[1] === 0xff)
    return fromUtf16(raw.subarray(2), 'BE', file);
  const hasBom = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  const bytes = hasBom ? raw.subarray(3) : raw;
  refuseBinary(bytes, file);
  try {
    return utf8.decode(bytes);
  } catch {
    if (hasBom) throw new IngestError(file, 'not valid UTF-8 (despite its UTF-8 BOM)');
  }
  const decoded = decodeLegacy(bytes);
  if (decoded === null) {
    throw new IngestError(
      file,
      'unknown encoding (not valid UTF-8, and not readable as GB18030/GBK or Big5)',
    );
  }
  return decoded;
}

function fromUtf16(bytes: Buffer, order: 'LE' | 'BE', file: string): string {
  let text: string;
  try {
    if (bytes.length % 2 !== 0) throw new Error('odd length');
    // BE: swap each byte pair into a copy, then decode as LE.
    text = utf16le.decode(order === 'LE' ? bytes : Buffer.from(bytes).swap16());
  } catch {
    throw new IngestError(file, `not valid UTF-16${order}`);
  }
  if (text.includes('\0') || controlShare(text) > MAX_CONTROL_SHARE)
    throw new IngestError(file, 'binary file');
  return text;
}

/** NUL bytes (outside UTF-16) or mostly control bytes: not a text file. */
function refuseBinary(bytes: Buffer, file: string): void {
  if (bytes.includes(0)) throw new IngestError(file, 'binary file (contains NUL bytes)');
  let control = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 12 && b !== 13) || b === 0x7f) control++;
  }
  if (bytes.length > 0 && control / bytes.length > MAX_CONTROL_SHARE) {
    throw new IngestError(file, 'binary file (mostly control characters)');
  }
}

function controlShare(text: string): number {
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || c === 0x7f) control++;
  }
  return text.length === 0 ? 0 : control / text.length;
}

function decodeLegacy(bytes: Buffer): string | null {
  let ranking: string[] | undefined; // chardet's, computed only for a tie
  let best: { text: string; score: number; name: string } | null = null;
  for (const enc of LEGACY) {
    const text = iconv.decode(bytes, enc.iconv);
    if (!readsAsChinese(text)) continue;
    const score = commonShare(bytes, enc.name);
    if (best === null || score > best.score) {
      best = { text, score, name: enc.name };
    } else if (score === best.score) {
      ranking ??= chardet.analyse(bytes).map((m) => m.name as string);
      const rank = (name: string) => {
        const i = ranking!.indexOf(name);
        return i < 0 ? Infinity : i;
      };
      if (rank(enc.name) < rank(best.name)) best = { text, score, name: enc.name };
    }
  }
  return best?.text ?? null;
}

/**
 * No replacement character, and CJK ideographs, CJK punctuation and full-width forms make up
 * at least 80 % of the non-ASCII characters (a wrong decoding gives kana, Greek, Cyrillic,
 * box drawing and private-use characters, or replacement characters).
 */
function readsAsChinese(text: string): boolean {
  if (text.includes('\ufffd')) return false;
  let nonAscii = 0;
  let ideographs = 0;
  let chinese = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) continue;
    nonAscii++;
    if (
      (c >= 0x4e00 && c <= 0x9fff) ||
      (c >= 0x3400 && c <= 0x4dbf) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      c >= 0x20000
    ) {
      ideographs++;
      chinese++;
    } else if (
      (c >= 0x3000 && c <= 0x303f) ||
      (c >= 0xff00 && c <= 0xffef) ||
      (c >= 0x2010 && c <= 0x206f)
    ) {
      chinese++;
    }
  }
  return ideographs > 0 && chinese >= 0.8 * nonAscii;
}

/**
 * Share of the double-byte characters that fall in the encoding's frequent-character area:
 * symbols (lead bytes A1–A3) and GB2312 level 1 (B0–D7, the 3,755 most used Simplified
 * characters) for GB18030; symbols and Big5 level 1 (A4–C6, the 5,401 most used Traditional
 * characters) for Big5. Text decoded with the wrong table lands mostly on rare characters.
 */
function commonShare(bytes: Buffer, encoding: 'GB18030' | 'Big5'): number {
  let pairs = 0;
  let common = 0;
  for (let i = 0; i < bytes.length; i++) {
    const lead = bytes[i];
    if (lead < 0x81 || lead === 0xff) continue;
    const next = bytes[i + 1];
    if (encoding === 'GB18030' && next >= 0x30 && next <= 0x39) {
      i += 3; // a four-byte sequence: rare characters
      pairs++;
      continue;
    }
    i++;
    pairs++;
    if (lead >= 0xa1 && lead <= 0xa3) common++;
    else if (encoding === 'GB18030' ? lead >= 0xb0 && lead <= 0xd7 : lead >= 0xa4 && lead <= 0xc6)
      common++;
  }
  return pairs === 0 ? 0 : common / pairs;
}
