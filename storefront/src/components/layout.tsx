import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { logout } from '../api/shop.js';
import { useSession } from './session.js';

export function Layout() {
  const { user, setUser } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  // A client-side page change is silent for screen readers and keeps the scroll position:
  // move to the top and put focus on the new content, as a full page load would (WCAG 2.4.3).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every change of page.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    window.scrollTo(0, 0);
    mainRef.current?.focus();
  }, [location.pathname, location.search]);
  async function onLogout() {
    try {
      await logout();
    } finally {
      setUser(null);
      navigate('/');
    }
  }
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Hardened Shop
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Catalogue
              </NavLink>
            </li>
            <li>
              <NavLink to="/cart">Cart</NavLink>
            </li>
            {user ? (
              <>
                <li>
                  <NavLink to="/account">Your account</NavLink>
                </li>
                <li>
                  <button type="button" className="link-button" onClick={onLogout}>
                    Log out
                  </button>
                </li>
              </>
            ) : (
              <>
                <li>
                  <NavLink to="/login">Log in</NavLink>
                </li>
                <li>
                  <NavLink to="/signup">Sign up</NavLink>
                </li>
              </>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1} ref={mainRef}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>Card details are entered in Stripe's secure fields and never reach this shop.</p>
      </footer>
    </>
  );
}
