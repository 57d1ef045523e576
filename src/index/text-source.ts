/** Code points of a field, read by range: a long body is only decoded where a snippet comes from. */
export interface TextSource {
  /** Length in code points. */
  length: number;
  /** Code points [from, to): a string when each is one code unit, else one string each. */
  slice(from: number, to: number): string | string[];
}

export function textSource(text: string): TextSource {
  const chars = Array.from(text);
  return { length: chars.length, slice: (from, to) => chars.slice(from, to) };
}
