import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { FORM_LIMITS } from '../api/form-limits.js';
import { requestPasswordReset } from '../api/shop.js';
import { ErrorMessage, errorText } from '../components/status.js';
import { useTitle } from '../components/use-title.js';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useTitle('Forgot your password');

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await requestPasswordReset(email);
      setSent(true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="narrow" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      {sent ? (
        // The same words whether or not the address has an account: the api answers alike.
        <div className="status status-ok" role="status">
          <p>
            If an account uses that address, a link to choose a new password is on its way. It works once, for 30
            minutes.
          </p>
          <p>
            <Link to="/login">Back to log in</Link>
          </p>
        </div>
      ) : (
        <>
          {error && <ErrorMessage>{error}</ErrorMessage>}
          <p>Type the email address of your account and we will mail you a link to choose a new password.</p>
          <form onSubmit={onSubmit} className="stacked">
            <label htmlFor="forgot-email">Email</label>
            <input
              id="forgot-email"
              name="email"
              type="email"
              autoComplete="username"
              required
              {...FORM_LIMITS.passwordReset.email}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <button type="submit" disabled={busy}>
              {busy ? 'Sending…' : 'Send the link'}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
