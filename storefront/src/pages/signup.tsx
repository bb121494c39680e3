import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { FORM_LIMITS } from '../api/form-limits.js';
import { signup } from '../api/shop.js';
import { useSession } from '../components/session.js';
import { ErrorMessage, errorText } from '../components/status.js';
import { useTitle } from '../components/use-title.js';
import { safeNextPath } from './next-path.js';

export function SignupPage() {
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const navigate = useNavigate();
  const { setUser } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useTitle('Sign up');

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setUser(await signup(email, password, name));
      navigate(next);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="narrow" aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      {error && <ErrorMessage>{error}</ErrorMessage>}
      <form onSubmit={onSubmit} className="stacked">
        <label htmlFor="signup-name">Full name</label>
        <input
          id="signup-name"
          name="name"
          autoComplete="name"
          required
          {...FORM_LIMITS.signup.name}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <label htmlFor="signup-email">Email</label>
        <input
          id="signup-email"
          name="email"
          type="email"
          autoComplete="email"
          required
          {...FORM_LIMITS.signup.email}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="signup-password">Password</label>
        <input
          id="signup-password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          {...FORM_LIMITS.signup.password}
          aria-describedby="signup-password-hint"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <p id="signup-password-hint" className="hint">
          At least 12 characters. A passphrase of several words works well.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <Link to={`/login?next=${encodeURIComponent(next)}`}>Log in</Link>
      </p>
    </section>
  );
}
