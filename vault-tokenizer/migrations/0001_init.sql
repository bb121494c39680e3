-- The tokenizer's own database (never the shop's). Holds ciphertext and wrapped keys only:
-- every plaintext key lives in memory for a bounded time, every value is AES-256-GCM encrypted.
-- Applied by the owner connection at start; the runtime role gets only what each table needs.

-- Keys wrapped by the key provider (Vault transit or the local file provider):
-- key-encryption keys (purpose 'kek') and the blind-index HMAC key (purpose 'blind_index').
CREATE TABLE provider_wrapped_keys (
  id text PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('kek', 'blind_index')),
  provider_kind text NOT NULL,
  ciphertext text NOT NULL,
  key_version integer NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  rewrapped_at timestamptz
);
-- At most one active key per purpose.
CREATE UNIQUE INDEX provider_wrapped_keys_active ON provider_wrapped_keys (purpose) WHERE active;

-- One data key per subject (customer), wrapped by a KEK. Erasing a subject destroys this
-- row's key material (crypto-shredding): its tokens' ciphertexts stay but can never be read.
CREATE TABLE subject_keys (
  subject_id text PRIMARY KEY,
  kek_id text REFERENCES provider_wrapped_keys (id),
  wrapped_dek bytea,
  dek_version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  erased_at timestamptz,
  CHECK ((erased_at IS NULL) = (wrapped_dek IS NOT NULL AND kek_id IS NOT NULL))
);

CREATE TABLE tokens (
  token text PRIMARY KEY,
  subject_id text NOT NULL REFERENCES subject_keys (subject_id),
  field_type text NOT NULL,
  ciphertext bytea NOT NULL,
  iv bytea NOT NULL,
  -- The data key is the subject's (subject_keys); this is its version, bound into the AAD.
  key_version integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX tokens_subject ON tokens (subject_id);

-- Progress of key rotations, so an interrupted run resumes where it stopped.
CREATE TABLE key_rotations (
  id bigserial PRIMARY KEY,
  provider_kind text NOT NULL,
  target_version integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  rewrapped integer NOT NULL DEFAULT 0,
  finished_at timestamptz,
  min_decryption_version integer
);

-- Append-only audit trail (PCI DSS v4.0.1 10.2, 10.3.2): no values, ever.
CREATE TABLE audit_events (
  seq bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  caller text NOT NULL,
  staff_identity text,
  reason text,
  operation text NOT NULL,
  field_types text[] NOT NULL DEFAULT '{}',
  item_count integer NOT NULL,
  outcome text NOT NULL,
  detail text,
  policy_version integer,
  prev_hash text NOT NULL,
  hash text NOT NULL
);

CREATE TABLE audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, repeat('0', 64));

-- Each row's hash covers its content and the previous row's hash, so a removed, changed or
-- reordered row breaks the chain (tamper evidence, PCI DSS 10.3.4). The head row serialises
-- writers across replicas; SECURITY DEFINER so the runtime role never needs UPDATE on it.
CREATE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head audit_chain_head%ROWTYPE;
BEGIN
  SELECT * INTO head FROM audit_chain_head WHERE singleton FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.hash := encode(sha256(convert_to(concat_ws(E'\x1f',
    NEW.seq::text,
    to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    NEW.caller,
    coalesce(NEW.staff_identity, ''),
    coalesce(NEW.reason, ''),
    NEW.operation,
    array_to_string(NEW.field_types, ','),
    NEW.item_count::text,
    NEW.outcome,
    coalesce(NEW.detail, ''),
    coalesce(NEW.policy_version::text, ''),
    NEW.prev_hash
  ), 'UTF8')), 'hex');
  UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE singleton;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

-- Refused for every role, the owner included: the trail is append-only.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
