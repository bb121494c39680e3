-- Wakes the outbox relay (the order-worker LISTENs on shop_outbox) from the statement that
-- inserts the outbox rows, so writers no longer send a pg_notify of their own: one round
-- trip less per event, and no writer can forget it. NOTIFY is transactional: it is delivered
-- at commit, never for a rolled-back row (and identical notifications of one transaction are
-- folded into one). The relay's polling still covers a wake-up lost to a dropped LISTEN.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_notify('shop_outbox', '');
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
