// Redis's glob patterns (PSUBSCRIBE, SENTINEL CONFIG GET): `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
// Matched iteratively with backtracking to the last `*` only, so a hostile pattern such as
// `*a*a*a*a*b` costs O(pattern x text) instead of Redis's exponential recursion.

type Token =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'char'; readonly code: number }
  | {
      readonly kind: 'class';
      readonly negate: boolean;
      readonly ranges: readonly (readonly [number, number])[];
    };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0x2a /* * */) {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === 0x3f /* ? */) {
      tokens.push({ kind: 'any' });
    } else if (c === 0x5b /* [ */) {
      i = readClass(pattern, i + 1, tokens);
    } else if (c === 0x5c /* \ */ && i + 1 < pattern.length) {
      tokens.push({ kind: 'char', code: pattern.charCodeAt(++i) });
    } else {
      tokens.push({ kind: 'char', code: c });
    }
  }
  return tokens;
}

/** Parses a class starting after `[`; returns the index of its `]` (or the pattern's end). */
function readClass(pattern: string, start: number, tokens: Token[]): number {
  let i = start;
  const negate = pattern[i] === '^';
  if (negate) i++;
  const ranges: [number, number][] = [];
  for (; i < pattern.length && pattern[i] !== ']'; i++) {
    if (pattern[i] === '\\' && i + 1 < pattern.length) {
      i++;
      ranges.push([pattern.charCodeAt(i), pattern.charCodeAt(i)]);
    } else if (i + 2 < pattern.length && pattern[i + 1] === '-' && pattern[i + 2] !== ']') {
      const a = pattern.charCodeAt(i);
      const b = pattern.charCodeAt(i + 2);
      ranges.push(a <= b ? [a, b] : [b, a]);
      i += 2;
    } else {
      ranges.push([pattern.charCodeAt(i), pattern.charCodeAt(i)]);
    }
  }
  tokens.push({ kind: 'class', negate, ranges });
  return i;
}

function matchesOne(token: Token, code: number): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'char':
      return token.code === code;
    case 'class': {
      const inside = token.ranges.some(([a, b]) => code >= a && code <= b);
      return token.negate ? !inside : inside;
    }
    case 'star':
      return false;
  }
}

export function globMatch(pattern: string, text: string): boolean {
  return matchTokens(tokenize(pattern), text);
}

/** A pattern parsed once, for a pattern matched many times (a PSUBSCRIBE against each event). */
export function compileGlob(pattern: string): (text: string) => boolean {
  const tokens = tokenize(pattern);
  return (text) => matchTokens(tokens, text);
}

function matchTokens(tokens: readonly Token[], text: string): boolean {
  let t = 0;
  let s = 0;
  let starToken = -1;
  let starText = 0;
  while (s < text.length) {
    const token = tokens[t];
    if (token !== undefined && token.kind === 'star') {
      starToken = t++;
      starText = s;
    } else if (token !== undefined && matchesOne(token, text.charCodeAt(s))) {
      t++;
      s++;
    } else if (starToken >= 0) {
      t = starToken + 1;
      s = ++starText;
    } else {
      return false;
    }
  }
  while (t < tokens.length && tokens[t].kind === 'star') t++;
  return t === tokens.length;
}
