-- WebAuthn security keys and passkeys: the phishing-resistant second factor beside TOTP
-- (issue 10, item 3; PCI DSS v4.0.1 8.4.2, 8.5.1; ASVS 6.5.x). 0001 made the credential table
-- (public key only: the private key never leaves the authenticator); this adds its bounds, the
-- last use, and the challenges. Counters detect a cloned authenticator.
ALTER TABLE admin.webauthn_credentials
  ADD CONSTRAINT webauthn_credentials_id CHECK (id ~ '^[A-Za-z0-9_-]+$' AND length(id) BETWEEN 16 AND 1400),
  ADD CONSTRAINT webauthn_credentials_public_key CHECK (octet_length(public_key) BETWEEN 16 AND 2048),
  ADD CONSTRAINT webauthn_credentials_counter CHECK (counter >= 0),
  ADD COLUMN last_used_at timestamptz;
CREATE INDEX webauthn_credentials_staff ON admin.webauthn_credentials (staff_id);

-- One outstanding challenge per staff member and ceremony: a new one replaces it, a check
-- deletes it (used once whatever the outcome), and it expires.
CREATE TABLE admin.webauthn_challenges (
  staff_id uuid NOT NULL REFERENCES admin.staff (id),
  ceremony text NOT NULL CHECK (ceremony IN ('registration', 'authentication')),
  challenge text NOT NULL CHECK (challenge ~ '^[A-Za-z0-9_-]+$' AND length(challenge) BETWEEN 16 AND 128),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (staff_id, ceremony)
);

GRANT UPDATE (last_used_at) ON admin.webauthn_credentials TO shop_admin_portal;
GRANT SELECT, INSERT, UPDATE, DELETE ON admin.webauthn_challenges TO shop_admin_portal;
