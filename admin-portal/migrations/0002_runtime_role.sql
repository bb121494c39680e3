-- The portal's runtime role (issue 10, item 7; PCI DSS v4.0.1 7.2.2, 7.2.5): read what staff
-- look at, change only the columns its actions change, append to its audit trail, nothing else.
-- Roles are cluster-wide and test databases migrate concurrently: creation tolerates a racing
-- creator. No password here: operators set one outside the repository.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shop_admin_portal') THEN
    CREATE ROLE shop_admin_portal LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO shop_admin_portal', current_database());
END
$$;

-- The shop's tables: reads, and the status and refund columns of orders only. Customers are
-- read by id and tokens (the tokenizer holds the values); never a password hash.
GRANT USAGE ON SCHEMA public TO shop_admin_portal;
GRANT SELECT ON public.orders, public.order_items, public.products TO shop_admin_portal;
GRANT SELECT (id, email_blind_index, email_token, name_token, created_at) ON public.users TO shop_admin_portal;
GRANT UPDATE (status, refunded_minor, updated_at) ON public.orders TO shop_admin_portal;

-- Its own tables.
GRANT USAGE ON SCHEMA admin TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.staff TO shop_admin_portal;
GRANT UPDATE (display_name, status, last_login_at, disabled_at, disabled_reason) ON admin.staff TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.staff_certificates TO shop_admin_portal;
GRANT UPDATE (revoked_at) ON admin.staff_certificates TO shop_admin_portal;
GRANT SELECT, INSERT, DELETE ON admin.staff_roles TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.totp_factors TO shop_admin_portal;
GRANT UPDATE (secret_ciphertext, confirmed_at, last_step) ON admin.totp_factors TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.webauthn_credentials TO shop_admin_portal;
GRANT UPDATE (counter) ON admin.webauthn_credentials TO shop_admin_portal;
GRANT SELECT, INSERT, UPDATE ON admin.login_failures TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.approvals TO shop_admin_portal;
GRANT UPDATE (status, decided_by, decided_at) ON admin.approvals TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.refunds TO shop_admin_portal;
GRANT UPDATE (status, stripe_refund_id, failure_code, updated_at) ON admin.refunds TO shop_admin_portal;
-- Audit trail: append and read, never change (the trigger refuses it even to the owner).
GRANT SELECT, INSERT ON admin.audit_events TO shop_admin_portal;
GRANT SELECT ON admin.audit_chain_head TO shop_admin_portal;
GRANT SELECT, INSERT ON admin.audit_checkpoints TO shop_admin_portal;
GRANT USAGE ON SEQUENCE admin.audit_checkpoints_id_seq TO shop_admin_portal;
