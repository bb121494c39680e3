-- A mail request carries its one-time token (verification, password reset) to the order-worker
-- in the outbox row's payload; the outbox keeps rows once they are done. Only the token's hash
-- is stored anywhere else (account_tokens, migration 0011), so a done row must not keep the
-- token either: the moment a row is marked dispatched (the broker confirmed it, or an embedded
-- worker handled it) or dead, this trigger removes the payload's `token` key. It runs whoever
-- marks the row and whatever the code says: the relay, the claimer and an operator's UPDATE alike.
-- A row still pending keeps its token (the worker needs it to build the link).
CREATE FUNCTION outbox_scrub_token() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF (NEW.dispatched_at IS NOT NULL OR NEW.dead_at IS NOT NULL) AND NEW.payload ? 'token' THEN
    NEW.payload := NEW.payload - 'token';
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER outbox_scrub_token BEFORE INSERT OR UPDATE OF dispatched_at, dead_at ON outbox
  FOR EACH ROW EXECUTE FUNCTION outbox_scrub_token();--> statement-breakpoint
-- Rows already done when this migration runs.
UPDATE outbox SET payload = payload - 'token'
  WHERE payload ? 'token' AND (dispatched_at IS NOT NULL OR dead_at IS NOT NULL);
