// Splitting of an inline command line (`SENTINEL get-master-addr-by-name mymaster\r\n`, what
// telnet and health probes send), following Redis's sdssplitargs so quoting behaves the same:
// "double quotes" with \n \r \t \b \a \xHH escapes, 'single quotes' with \' only, and a closing
// quote must be followed by a space or the end of the line.

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isHex = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexValue = (c: number): number => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10);

const ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07 };

/** The arguments of one line (without its line ending), or null for unbalanced quotes. */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const args: Buffer[] = [];
  const n = line.length;
  // A NUL ends the line as it ends the C string Redis parses.
  const at = (i: number): number => (i < n ? line[i] : 0);
  let p = 0;
  for (;;) {
    while (at(p) !== 0 && isSpace(at(p))) p++;
    if (at(p) === 0) return args;
    const token: number[] = [];
    let mode: 'plain' | 'double' | 'single' = 'plain';
    for (let done = false; !done;) {
      const c = at(p);
      if (mode === 'double') {
        if (c === 0) return null;
        if (c === 0x5c && at(p + 1) === 0x78 && isHex(at(p + 2)) && isHex(at(p + 3))) {
          token.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === 0x5c && at(p + 1) !== 0) {
          p++;
          token.push(ESCAPES[at(p)] ?? at(p));
        } else if (c === 0x22) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else {
          token.push(c);
        }
      } else if (mode === 'single') {
        if (c === 0) return null;
        if (c === 0x5c && at(p + 1) === 0x27) {
          p++;
          token.push(0x27);
        } else if (c === 0x27) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else {
          token.push(c);
        }
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0) {
        done = true;
      } else if (c === 0x22) {
        mode = 'double';
      } else if (c === 0x27) {
        mode = 'single';
      } else {
        token.push(c);
      }
      if (at(p) !== 0) p++;
    }
    args.push(Buffer.from(token));
  }
}
