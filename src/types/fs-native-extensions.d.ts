/** The part of fs-native-extensions this project uses (the package ships no types). */
declare module 'fs-native-extensions' {
  /** An advisory lock on the file open as `fd`: true when granted, false when another holds it. */
  export function tryLock(
    fd: number,
    offset?: number,
    length?: number,
    options?: { shared?: boolean },
  ): boolean;
  export function unlock(fd: number, offset?: number, length?: number): void;
}
