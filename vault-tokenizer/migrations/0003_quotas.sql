-- Hourly bounds on the operations whose damage grows with their count (pentest finding 8.9):
-- subject erases per caller, reveals in clear per staff identity and per caller. One row per
-- use granted, kept for the window; shared by every replica, so the bound is the service's,
-- not one process's.
CREATE TABLE quota_uses (
  bucket text NOT NULL,
  used_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX quota_uses_bucket_used_at ON quota_uses (bucket, used_at);

-- Takes one use of every bucket, or of none: answers NULL when granted, else the first bucket
-- whose bound is reached. Sliding window of p_window. The advisory locks (in a fixed order,
-- so two callers never wait on each other) make count-then-insert atomic across replicas.
CREATE FUNCTION take_quota(p_buckets text[], p_limits integer[], p_window interval) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  b text;
  i integer;
  used integer;
BEGIN
  FOR b IN SELECT unnest(p_buckets) ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended('quota:' || b, 0));
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(p_buckets, 1), 0) LOOP
    DELETE FROM quota_uses WHERE bucket = p_buckets[i] AND used_at <= clock_timestamp() - p_window;
    SELECT count(*) INTO used FROM quota_uses WHERE bucket = p_buckets[i];
    IF used >= p_limits[i] THEN
      RETURN p_buckets[i];
    END IF;
  END LOOP;
  INSERT INTO quota_uses (bucket) SELECT unnest(p_buckets);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION take_quota(text[], integer[], interval) FROM PUBLIC;
