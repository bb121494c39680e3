import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../api/client.js';
import { FORM_LIMITS } from '../api/form-limits.js';
import { verifyEmail } from '../api/shop.js';
import { useSession } from '../components/session.js';
import { ErrorMessage, errorText, Loading } from '../components/status.js';
import { useTitle } from '../components/use-title.js';
import { VerificationNotice } from '../components/verification-notice.js';

type State = { kind: 'working' } | { kind: 'done' } | { kind: 'failed'; message: string };

const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Where the mailed verification link leads: `/verify-email?token=…`. */
export function VerifyEmailPage() {
  const [params, setParams] = useSearchParams();
  const { user, refresh } = useSession();
  const [state, setState] = useState<State>({ kind: 'working' });
  // The token is posted once, however often the effect runs.
  const taken = useRef<string | null>(null);
  useTitle('Verify your email');

  useEffect(() => {
    if (taken.current !== null) return;
    const token = params.get('token') ?? '';
    taken.current = token;
    // The one-time token leaves the address bar and the history entry at once.
    setParams({}, { replace: true });
    const { minLength, maxLength } = FORM_LIMITS.verifyEmail.token;
    if (token.length < minLength || token.length > maxLength || !TOKEN_PATTERN.test(token)) {
      setState({ kind: 'failed', message: 'This link is not valid. Copy the whole link from the mail.' });
      return;
    }
    verifyEmail(token).then(
      () => {
        setState({ kind: 'done' });
        void refresh();
      },
      (err) => {
        const message =
          err instanceof ApiError && err.code === 'account_token_used'
            ? 'This link has already been used.'
            : errorText(err);
        setState({ kind: 'failed', message });
      },
    );
  }, [params, setParams, refresh]);

  return (
    <section className="narrow" aria-labelledby="verify-title">
      <h1 id="verify-title">Verify your email</h1>
      {state.kind === 'working' && <Loading label="Verifying your email…" />}
      {state.kind === 'done' && (
        <div className="status status-ok" role="status">
          <p>Your email address is verified. You can now check out.</p>
          <p>
            <Link to="/cart">Go to your cart</Link> or <Link to="/">keep shopping</Link>.
          </p>
        </div>
      )}
      {state.kind === 'failed' && (
        <>
          <ErrorMessage>{state.message}</ErrorMessage>
          {user && !user.emailVerified && <VerificationNotice />}
          {!user && (
            <p>
              <Link to="/login?next=/account">Log in</Link> to ask for a new link.
            </p>
          )}
        </>
      )}
    </section>
  );
}
