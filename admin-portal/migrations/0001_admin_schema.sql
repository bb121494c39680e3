-- The admin portal's own schema (issue 10, items 2, 5, 7, 8). Its tables live in `admin`, which
-- the shop api's and the worker's roles cannot even look into (no USAGE on the schema).
CREATE SCHEMA IF NOT EXISTS admin;
REVOKE ALL ON SCHEMA admin FROM PUBLIC;

-- One row per person (PCI DSS v4.0.1 8.2.1: unique IDs, no shared accounts).
CREATE TABLE admin.staff (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  handle text NOT NULL UNIQUE CHECK (handle ~ '^[a-z][a-z0-9-]{1,62}$'),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text
);

-- Certificates name a staff row by serial and fingerprint; roles are never read from a certificate.
CREATE TABLE admin.staff_certificates (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9A-F]+$'),
  fingerprint256 text NOT NULL UNIQUE,
  staff_id uuid NOT NULL REFERENCES admin.staff (id),
  not_after timestamptz NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE admin.staff_roles (
  staff_id uuid NOT NULL REFERENCES admin.staff (id),
  role text NOT NULL CHECK (role IN ('support', 'fulfilment', 'finance', 'admin')),
  granted_at timestamptz NOT NULL DEFAULT now(),
  approval_id uuid,
  PRIMARY KEY (staff_id, role)
);

-- TOTP secret encrypted by the portal (AES-256-GCM, key outside the database); last_step makes
-- a code usable once (PCI DSS 8.5.1 replay).
CREATE TABLE admin.totp_factors (
  staff_id uuid PRIMARY KEY REFERENCES admin.staff (id),
  secret_ciphertext text NOT NULL,
  confirmed_at timestamptz,
  last_step bigint NOT NULL DEFAULT 0
);

CREATE TABLE admin.webauthn_credentials (
  id text PRIMARY KEY,
  staff_id uuid NOT NULL REFERENCES admin.staff (id),
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  transports text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Second-factor failures and lockout (PCI DSS 8.3.4).
CREATE TABLE admin.login_failures (
  staff_id uuid PRIMARY KEY REFERENCES admin.staff (id),
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz
);

-- Two-person rule (issue 10, item 5).
CREATE TABLE admin.approvals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('refund', 'role_grant')),
  payload jsonb NOT NULL,
  requested_by uuid NOT NULL REFERENCES admin.staff (id),
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  decided_by uuid REFERENCES admin.staff (id),
  decided_at timestamptz,
  CONSTRAINT approvals_no_self_approval CHECK (decided_by IS NULL OR decided_by <> requested_by),
  CONSTRAINT approvals_decided CHECK ((status = 'pending') = (decided_by IS NULL))
);

-- A decided request is final: nothing about it changes afterwards, for any role.
CREATE FUNCTION admin.approvals_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'pending' THEN
    RAISE EXCEPTION 'approval % is already %', OLD.id, OLD.status USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.kind <> OLD.kind OR NEW.payload <> OLD.payload OR NEW.requested_by <> OLD.requested_by
     OR NEW.requested_at <> OLD.requested_at OR NEW.expires_at <> OLD.expires_at THEN
    RAISE EXCEPTION 'a request cannot be changed, only decided' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER approvals_final BEFORE UPDATE ON admin.approvals FOR EACH ROW EXECUTE FUNCTION admin.approvals_final();

CREATE TABLE admin.refunds (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL,
  amount_minor integer NOT NULL CHECK (amount_minor > 0),
  currency char(3) NOT NULL,
  reason text NOT NULL,
  status text NOT NULL CHECK (status IN ('awaiting_approval', 'processing', 'succeeded', 'failed', 'denied')),
  idempotency_key text NOT NULL UNIQUE,
  stripe_refund_id text,
  failure_code text,
  requested_by uuid NOT NULL REFERENCES admin.staff (id),
  approval_id uuid REFERENCES admin.approvals (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Audit trail (PCI DSS v4.0.1 10.2.1.x, 10.2.2, 10.3.2): who, what, when, where, outcome.
CREATE TABLE admin.audit_events (
  seq bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  staff_id uuid,
  certificate_serial text,
  action text NOT NULL,
  target text,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  source_ip text,
  detail jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_events_staff_idx ON admin.audit_events (staff_id, seq);
CREATE INDEX audit_events_action_idx ON admin.audit_events (action, seq);

CREATE TABLE admin.audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO admin.audit_chain_head (seq, hash) VALUES (0, repeat('0', 64));

-- Each row's hash covers its content and the previous hash (src/audit/chain.ts computes the
-- same canonical form to verify). The head row serialises writers.
CREATE FUNCTION admin.audit_events_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = admin, pg_temp AS $$
DECLARE
  head admin.audit_chain_head%ROWTYPE;
BEGIN
  SELECT * INTO head FROM admin.audit_chain_head WHERE singleton FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
  NEW.prev_hash := head.hash;
  NEW.hash := encode(sha256(convert_to(concat_ws(E'\x1f',
    NEW.seq::text,
    to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    coalesce(NEW.staff_id::text, ''),
    coalesce(NEW.certificate_serial, ''),
    NEW.action,
    coalesce(NEW.target, ''),
    NEW.outcome,
    coalesce(NEW.source_ip, ''),
    NEW.detail::text,
    NEW.prev_hash
  ), 'UTF8')), 'hex');
  UPDATE admin.audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE singleton;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON admin.audit_events
  FOR EACH ROW EXECUTE FUNCTION admin.audit_events_chain();

-- Refused for every role, the owner included: the trail is append-only.
CREATE FUNCTION admin.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON admin.audit_events
  FOR EACH ROW EXECUTE FUNCTION admin.audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON admin.audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION admin.audit_append_only();

-- Signed checkpoints (Ed25519 over entry count and chain head; the key is outside the database).
CREATE TABLE admin.audit_checkpoints (
  id bigserial PRIMARY KEY,
  entry_count bigint NOT NULL,
  head_hash text NOT NULL,
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature text NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON admin.audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION admin.audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON admin.audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION admin.audit_append_only();
