import { type SQL, sql } from 'drizzle-orm';

/**
 * What a shopper typed, read the way search boxes are read (as `websearch_to_tsquery` does):
 * words must all match, `"a phrase"` matches the words in order, `-word` excludes, and `or`
 * between two terms matches either. Parsed here, in bounded steps, instead of by PostgreSQL:
 * `websearch_to_tsquery` answers "tsquery stack too small" (a 500) to 33 dashes, and any
 * operator-heavy input risked the same. Each term reaches PostgreSQL as a bound parameter of
 * `plainto_tsquery` or `phraseto_tsquery`, which read no operators at all, and the terms are
 * joined with the tsquery operators `&&`, `||`, `!!`: no user text is ever parsed as tsquery
 * syntax, and the tree has at most MAX_TERMS leaves.
 */
export interface SearchTerm {
  text: string;
  phrase: boolean;
  /** The last word of the box, still being typed: matched as a prefix too (see below). */
  prefix: boolean;
}

export interface ParsedSearch {
  /** Every group must match; inside a group, any term (the `or` alternatives). */
  required: SearchTerm[][];
  excluded: SearchTerm[];
}

/** Enough for any real query; more terms are dropped, so the tsquery stays small. */
export const MAX_TERMS = 8;
/** Shorter prefixes match too many words to be worth their cost (an index range per letter). */
export const MIN_PREFIX_LENGTH = 3;

// Letters, marks and digits of any script: what the English parser turns into words.
const PREFIXABLE = /^[\p{L}\p{M}\p{N}]+$/u;

interface Token {
  text: string;
  phrase: boolean;
  negated: boolean;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length && tokens.length < MAX_TERMS * 2) {
    while (i < input.length && /\s/u.test(input[i] as string)) i++;
    if (i >= input.length) break;
    let negated = false;
    // Dashes only negate at the start of a term; a run of them is one negation.
    while (input[i] === '-') {
      negated = true;
      i++;
    }
    if (input[i] === '"') {
      const end = input.indexOf('"', i + 1);
      const stop = end === -1 ? input.length : end;
      tokens.push({ text: input.slice(i + 1, stop), phrase: true, negated });
      i = stop + 1;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/u.test(input[j] as string) && input[j] !== '"') j++;
    if (j > i) tokens.push({ text: input.slice(i, j), phrase: false, negated });
    i = j;
  }
  return tokens;
}

/** Parses the search box text into required groups and exclusions, at most MAX_TERMS terms. */
export function parseSearch(input: string): ParsedSearch {
  const tokens = tokenize(input);
  const endsInWord = input.length > 0 && !/[\s"]$/u.test(input);
  const required: SearchTerm[][] = [];
  const excluded: SearchTerm[] = [];
  let terms = 0;
  let joinNext = false;
  tokens.forEach((token, index) => {
    if (terms >= MAX_TERMS) return;
    const isLast = index === tokens.length - 1;
    if (!token.phrase && !token.negated && token.text.toLowerCase() === 'or') {
      // `or` joins the terms either side of it; leading or trailing, it is just a word.
      if (required.length > 0 && !isLast) {
        joinNext = true;
        return;
      }
    }
    const term: SearchTerm = {
      text: token.text,
      phrase: token.phrase,
      prefix:
        isLast &&
        endsInWord &&
        !token.phrase &&
        !token.negated &&
        token.text.length >= MIN_PREFIX_LENGTH &&
        PREFIXABLE.test(token.text),
    };
    terms++;
    if (token.negated) {
      excluded.push(term);
      joinNext = false;
      return;
    }
    const last = required[required.length - 1];
    if (joinNext && last) last.push(term);
    else required.push([term]);
    joinNext = false;
  });
  return { required, excluded };
}

function termQuery(term: SearchTerm, withPrefix: boolean): SQL {
  if (term.phrase) return sql`phraseto_tsquery('english', ${term.text})`;
  const exact = sql`plainto_tsquery('english', ${term.text})`;
  // Only letters and digits reach to_tsquery (PREFIXABLE), so the text cannot carry an operator.
  // The exact form is kept beside the prefix one: ts_rank counts both, so a product with the
  // whole word ranks above one that only starts with it.
  return term.prefix && withPrefix ? sql`(${exact} || to_tsquery('english', ${term.text} || ':*'))` : exact;
}

function joined(parts: SQL[], operator: '&&' | '||'): SQL {
  return sql`(${sql.join(parts, sql.raw(` ${operator} `))})`;
}

function tsqueryOf(search: ParsedSearch, withPrefix: boolean): SQL {
  const parts = search.required.map((group) =>
    joined(
      group.map((t) => termQuery(t, withPrefix)),
      '||',
    ),
  );
  for (const term of search.excluded) parts.push(sql`(!! ${termQuery(term, withPrefix)})`);
  return joined(parts, '&&');
}

export interface SearchTsquery {
  /** What the search matches and ranks by: the last word also as a prefix when it is one. */
  query: SQL;
  /**
   * The same search with whole words only, when the last word is matched as a prefix too.
   * Tried first: a prefix is the costliest scan of the GIN index (every word sharing it), and
   * when the whole words alone fill the candidate set the prefix is not looked up (searchStatement).
   */
  wholeWords?: SQL;
}

/**
 * The tsquery for a parsed search, or undefined when nothing is required. An exclusion alone
 * would match nearly the whole catalogue and could use no index, so it selects nothing.
 */
export function searchTsquery(search: ParsedSearch): SearchTsquery | undefined {
  if (search.required.length === 0) return undefined;
  const query = tsqueryOf(search, true);
  const hasPrefix = search.required.some((group) => group.some((t) => t.prefix));
  return hasPrefix ? { query, wholeWords: tsqueryOf(search, false) } : { query };
}
