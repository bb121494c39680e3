import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../api/client.js';
import { FORM_LIMITS } from '../api/form-limits.js';
import { confirmPasswordReset } from '../api/shop.js';
import { useSession } from '../components/session.js';
import { ErrorMessage, errorText } from '../components/status.js';
import { useTitle } from '../components/use-title.js';

/** Where the mailed reset link leads: `/reset-password?token=…`. */
export function ResetPasswordPage() {
  const [params, setParams] = useSearchParams();
  const { setUser } = useSession();
  // Kept in memory only; the address bar and the history entry lose it at once.
  const token = useRef<string | null>(null);
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useTitle('Choose a new password');

  useEffect(() => {
    if (token.current !== null) return;
    token.current = params.get('token') ?? '';
    setParams({}, { replace: true });
  }, [params, setParams]);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await confirmPasswordReset(token.current ?? '', password);
      // Every session of the account has ended, this one included.
      setUser(null);
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.code.startsWith('account_token_')) {
        setError(`${err.message} You can ask for a new link below.`);
      } else if (err instanceof ApiError && err.code === 'validation_failed') {
        setError('This link is not valid. Copy the whole link from the mail, or ask for a new one below.');
      } else {
        setError(errorText(err));
      }
    } finally {
      setBusy(false);
    }
  }

  if (done)
    return (
      <section className="narrow" aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        <div className="status status-ok" role="status">
          <p>Your password is changed, and you are signed out everywhere.</p>
          <p>
            <Link to="/login">Log in with your new password</Link>
          </p>
        </div>
      </section>
    );

  return (
    <section className="narrow" aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      {error && <ErrorMessage>{error}</ErrorMessage>}
      <form onSubmit={onSubmit} className="stacked">
        <label htmlFor="reset-password">New password</label>
        <input
          id="reset-password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          {...FORM_LIMITS.passwordResetConfirm.password}
          aria-describedby="reset-password-hint"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <p id="reset-password-hint" className="hint">
          At least {FORM_LIMITS.passwordResetConfirm.password.minLength} characters.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save the new password'}
        </button>
      </form>
      <p>
        <Link to="/forgot-password">Ask for a new link</Link>
      </p>
    </section>
  );
}
