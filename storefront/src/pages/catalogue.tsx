import { type FormEvent, useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import {
  listProducts,
  MAX_OFFSET,
  PAGE_SIZE,
  type ProductPage,
  SEARCH_RESULTS_MAX,
  TOTAL_EXACT_UP_TO,
} from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { Empty, ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';

/**
 * Pages are reached by cursor: "Next" carries the api's `nextCursor` in the address (`after`),
 * so page 5,000 costs the api what page 2 does. The cursors of the pages before this one ride
 * in the history entry's state (not in storage), which is what "Previous" goes back to; an
 * address opened directly has no such trail, and offers the first page instead.
 */
interface Trail {
  /** `after` of the pages before this one, the nearest last (null: page 1 has none). */
  trail?: (string | null)[];
}

/** Enough to step back a long way; bounded so the history entry stays small. */
const TRAIL_MAX = 100;

function readTrail(state: unknown): (string | null)[] | undefined {
  const trail = (state as Trail | null)?.trail;
  return Array.isArray(trail) && trail.every((c) => c === null || typeof c === 'string') ? trail : undefined;
}

export function CataloguePage() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const q = params.get('q') ?? '';
  const after = params.get('after');
  const requested = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  // Without a cursor only the pages within the api's offset bound can be asked for.
  const page = after || (requested - 1) * PAGE_SIZE <= MAX_OFFSET ? requested : 1;
  const trail = readTrail(location.state);
  const [draft, setDraft] = useState(q);
  const [result, setResult] = useState<ProductPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle(q ? `Search: ${q}` : 'Catalogue');

  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    let cancelled = false;
    setResult(null);
    setError(null);
    listProducts(q, after ? { after } : { offset: (page - 1) * PAGE_SIZE }).then(
      (r) => !cancelled && setResult(r),
      (err) => !cancelled && setError(errorText(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [q, page, after]);

  function onSearch(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (draft.trim()) next.set('q', draft.trim());
    setParams(next);
  }

  function pageLink(n: number, cursor: string | null): string {
    const next = new URLSearchParams();
    if (q) next.set('q', q);
    if (n > 1) next.set('page', String(n));
    if (n > 1 && cursor) next.set('after', cursor);
    const s = next.toString();
    return s ? `/?${s}` : '/';
  }

  // Previous: the cursor this page was reached from, else by offset while within its bound.
  const back = trail?.at(-1);
  const previous: { to: string; state?: Trail; label: string } | null =
    page <= 1
      ? null
      : trail && back !== undefined
        ? { to: pageLink(page - 1, back), state: { trail: trail.slice(0, -1) }, label: '← Previous' }
        : (page - 2) * PAGE_SIZE <= MAX_OFFSET
          ? { to: pageLink(page - 1, null), label: '← Previous' }
          : { to: pageLink(1, null), label: '← First page' };
  const nextState: Trail = { trail: [...(trail ?? []), after].slice(-TRAIL_MAX) };
  // A page count only for pages that can be reached: a search stops at SEARCH_RESULTS_MAX.
  const reachable = result ? (q ? Math.min(result.total, SEARCH_RESULTS_MAX) : result.total) : 0;
  const exactPages = result && !result.totalIsEstimate ? Math.max(1, Math.ceil(reachable / PAGE_SIZE)) : null;
  const totalText = result
    ? result.totalIsEstimate
      ? `${TOTAL_EXACT_UP_TO.toLocaleString('en-GB')}+ products`
      : `${result.total} ${result.total === 1 ? 'product' : 'products'}`
    : '';
  return (
    <section aria-labelledby="catalogue-title">
      <h1 id="catalogue-title">{q ? `Results for “${q}”` : 'Catalogue'}</h1>
      <form className="search" onSubmit={onSearch}>
        <label htmlFor="search-input">Search products</label>
        <div className="search-row">
          <input
            id="search-input"
            type="search"
            name="q"
            value={draft}
            maxLength={100}
            autoComplete="off"
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit">Search</button>
        </div>
      </form>
      {error && <ErrorMessage>Products could not be loaded. {error}</ErrorMessage>}
      {!error && !result && <Loading label="Loading products…" />}
      {result && result.items.length === 0 && (
        <Empty>
          {q ? (
            <p>
              No products match “{q}”. <Link to="/">Show all products</Link>
            </p>
          ) : (
            <p>The catalogue is empty right now.</p>
          )}
        </Empty>
      )}
      {result && result.items.length > 0 && (
        <>
          <p className="result-count">
            Showing {((page - 1) * PAGE_SIZE + 1).toLocaleString('en-GB')}–
            {((page - 1) * PAGE_SIZE + result.items.length).toLocaleString('en-GB')} of {totalText}
          </p>
          <ul className="product-grid">
            {result.items.map((p) => (
              <li key={p.id} className="product-card">
                <h2>
                  <Link to={`/products/${p.id}`}>{p.name}</Link>
                </h2>
                <p className="description">{p.description}</p>
                <p className="price">{formatMoney(p.priceMinor, p.currency)}</p>
              </li>
            ))}
          </ul>
          {(previous || result.nextCursor) && (
            <nav className="pagination" aria-label="Pages">
              {previous ? (
                <Link to={previous.to} state={previous.state}>
                  {previous.label}
                </Link>
              ) : (
                <span aria-hidden="true" />
              )}
              <span aria-current="page">
                Page {page.toLocaleString('en-GB')}
                {exactPages ? ` of ${exactPages}` : ''}
              </span>
              {result.nextCursor ? (
                <Link to={pageLink(page + 1, result.nextCursor)} state={nextState}>
                  Next →
                </Link>
              ) : (
                <span aria-hidden="true" />
              )}
            </nav>
          )}
        </>
      )}
    </section>
  );
}
