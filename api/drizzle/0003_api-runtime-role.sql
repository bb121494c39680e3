-- The api's runtime role (PCI DSS v4.0.1 7.2.2, 7.2.5; ASVS 1.4.5): DML only on the tables it
-- serves, no DDL (no CREATE on the schema, not the owner of any table), no TRUNCATE, and no
-- access to the worker's bookkeeping. Migrations run as the owner; the app connects as this role.
-- Roles are cluster-wide and test databases migrate concurrently: creation tolerates a racing
-- creator. No password here: operators set one outside the repository (the embedded PostgreSQL
-- of `npm start` sets a random one at each start).
-- Tables added later need their own GRANT in their migration: nothing is granted by default.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shop_api') THEN
    CREATE ROLE shop_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO shop_api', current_database());
END
$$;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO shop_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON users TO shop_api;
--> statement-breakpoint
GRANT SELECT ON products TO shop_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON carts, cart_items TO shop_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON orders TO shop_api;
--> statement-breakpoint
GRANT SELECT, INSERT ON order_items TO shop_api;
--> statement-breakpoint
GRANT SELECT, INSERT ON stripe_events TO shop_api;
--> statement-breakpoint
GRANT INSERT ON outbox TO shop_api;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE outbox_id_seq TO shop_api;
