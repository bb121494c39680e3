import { type FormEvent, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { listProducts, PAGE_SIZE, type ProductPage } from '../api/shop.js';
import { formatMoney } from '../components/money.js';
import { Empty, ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';

export function CataloguePage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [draft, setDraft] = useState(q);
  const [result, setResult] = useState<ProductPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle(q ? `Search: ${q}` : 'Catalogue');

  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    let cancelled = false;
    setResult(null);
    setError(null);
    listProducts(q, page).then(
      (r) => !cancelled && setResult(r),
      (err) => !cancelled && setError(errorText(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [q, page]);

  function onSearch(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (draft.trim()) next.set('q', draft.trim());
    setParams(next);
  }

  function pageLink(n: number): string {
    const next = new URLSearchParams();
    if (q) next.set('q', q);
    if (n > 1) next.set('page', String(n));
    const s = next.toString();
    return s ? `/?${s}` : '/';
  }

  const pages = result ? Math.max(1, Math.ceil(result.total / PAGE_SIZE)) : 1;
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
            Showing {(page - 1) * PAGE_SIZE + 1}–{(page - 1) * PAGE_SIZE + result.items.length} of {result.total}{' '}
            {result.total === 1 ? 'product' : 'products'}
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
          {pages > 1 && (
            <nav className="pagination" aria-label="Pages">
              {page > 1 ? <Link to={pageLink(page - 1)}>← Previous</Link> : <span aria-hidden="true" />}
              <span aria-current="page">
                Page {page} of {pages}
              </span>
              {page < pages ? <Link to={pageLink(page + 1)}>Next →</Link> : <span aria-hidden="true" />}
            </nav>
          )}
        </>
      )}
    </section>
  );
}
