import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { logout } from '../api/shop.js';
import { useSession } from './session.js';

export function Layout() {
  const { user, setUser } = useSession();
  const navigate = useNavigate();
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
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>Card details are entered in Stripe's secure fields and never reach this shop.</p>
      </footer>
    </>
  );
}
