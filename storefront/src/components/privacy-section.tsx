import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { FORM_LIMITS } from '../api/form-limits.js';
import { deleteAccount, requestDataExport } from '../api/shop.js';
import { errorText } from './status.js';

/** One form that asks for the password again before it acts (the api checks it, ASVS 3.7.1). */
function PasswordForm(props: {
  id: string;
  title: string;
  description: string;
  button: string;
  busyLabel: string;
  danger?: boolean;
  onConfirm(password: string): Promise<string | null>;
}) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await props.onConfirm(password));
      setPassword('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="stacked" aria-labelledby={`${props.id}-title`}>
      <h3 id={`${props.id}-title`}>{props.title}</h3>
      <p id={`${props.id}-description`}>{props.description}</p>
      <label htmlFor={`${props.id}-password`}>Your password</label>
      <input
        id={`${props.id}-password`}
        name="password"
        type="password"
        autoComplete="current-password"
        required
        {...FORM_LIMITS.passwordConfirmation.password}
        aria-describedby={`${props.id}-description`}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" disabled={busy} className={props.danger ? 'danger' : undefined}>
        {busy ? props.busyLabel : props.button}
      </button>
      {done && <p role="status">{done}</p>}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** "Download my data" and "delete my account", each after the password is typed again. */
export function PrivacySection() {
  const navigate = useNavigate();
  return (
    <section className="privacy" aria-labelledby="privacy-title">
      <h2 id="privacy-title">Privacy</h2>
      <PasswordForm
        id="export"
        title="Download my data"
        description="We mail you a copy of what this shop holds about you: your profile, addresses and orders. Card details are held by our payment provider only."
        button="Email me my data"
        busyLabel="Asking…"
        onConfirm={async (password) => {
          await requestDataExport(password);
          return 'Your data is on its way to your email address.';
        }}
      />
      <PasswordForm
        id="delete"
        title="Delete my account"
        description="This signs you out everywhere and erases your name, email and addresses for good. Orders are kept only as the law requires, without your personal data. It cannot be undone."
        button="Delete my account"
        busyLabel="Deleting…"
        danger
        onConfirm={async (password) => {
          await deleteAccount(password);
          // The next page forgets the user: forgetting it here would make this signed-in page
          // send the shopper to log in first.
          navigate('/account-deleted', { replace: true });
          return null;
        }}
      />
    </section>
  );
}
