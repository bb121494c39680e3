-- The order-worker's own least-privilege role (PCI DSS v4.0.1 7.2.2, 7.2.5): it reads what
-- fulfilment needs and changes only order status, stock and its own bookkeeping. It cannot read
-- users, carts or Stripe events, and cannot change prices, totals or payment fields.
-- Roles are cluster-wide and test databases migrate concurrently: creation tolerates a racing
-- creator. No password here: operators set one (or use certificate auth) outside the repository.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shop_order_worker') THEN
    CREATE ROLE shop_order_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO shop_order_worker', current_database());
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO shop_order_worker;
--> statement-breakpoint
GRANT SELECT ON orders, order_items TO shop_order_worker;
--> statement-breakpoint
GRANT UPDATE (status, ready_to_ship_at, updated_at) ON orders TO shop_order_worker;
--> statement-breakpoint
GRANT SELECT (id, stock) ON products TO shop_order_worker;
--> statement-breakpoint
GRANT UPDATE (stock) ON products TO shop_order_worker;
--> statement-breakpoint
GRANT SELECT, INSERT ON processed_messages TO shop_order_worker;
--> statement-breakpoint
-- Embedded mode (no broker): the worker claims outbox rows itself and records the outcome.
GRANT SELECT (id, message_id, topic, payload, dispatched_at, attempts, dead_at) ON outbox TO shop_order_worker;
--> statement-breakpoint
GRANT UPDATE (dispatched_at, attempts, dead_at, last_error) ON outbox TO shop_order_worker;
