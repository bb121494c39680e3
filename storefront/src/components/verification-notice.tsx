import { useState } from 'react';
import { resendVerificationEmail } from '../api/shop.js';
import { useSession } from './session.js';
import { errorText } from './status.js';

/** For a signed-in shopper whose email is not verified yet: what to do, and a new link on request. */
export function VerificationNotice() {
  const { user } = useSession();
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!user || user.emailVerified) return null;

  async function onResend() {
    setBusy(true);
    setError(null);
    try {
      await resendVerificationEmail();
      setSent(true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="status status-notice" aria-labelledby="verify-notice-title">
      <h2 id="verify-notice-title">Verify your email address</h2>
      <p>
        We sent a link to <strong>{user.email}</strong>. Follow it to verify your address: checkout needs a verified
        email.
      </p>
      {sent ? (
        <p role="status">A new link is on its way. Links stay valid for 24 hours.</p>
      ) : (
        <button type="button" onClick={onResend} disabled={busy}>
          {busy ? 'Sending…' : 'Send a new link'}
        </button>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
