import { useEffect } from 'react';
import { Link } from 'react-router';
import { useSession } from '../components/session.js';
import { useTitle } from '../components/use-title.js';

export function AccountDeletedPage() {
  const { setUser } = useSession();
  useTitle('Account deleted');
  // The api has ended every session of the account.
  useEffect(() => setUser(null), [setUser]);
  return (
    <section className="narrow" aria-labelledby="deleted-title">
      <h1 id="deleted-title">Your account is deleted</h1>
      <div className="status status-ok" role="status">
        <p>
          You are signed out everywhere. A last mail confirms the deletion; then your personal data is erased and cannot
          be read by anyone, this shop included.
        </p>
      </div>
      <p>
        <Link to="/">Back to the catalogue</Link>
      </p>
    </section>
  );
}
