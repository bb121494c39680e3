CREATE TABLE "csp_report_counts" (
	"day" date NOT NULL,
	"client" text NOT NULL,
	"received" integer DEFAULT 0 NOT NULL,
	"stored" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "csp_report_counts_day_client_pk" PRIMARY KEY("day","client")
);
--> statement-breakpoint
-- The api counts reports per client and day (a flood is counted, not stored) and keeps the
-- table bounded; reading stored reports stays for operators (least privilege, PCI DSS 7.2.2).
GRANT SELECT, INSERT, UPDATE, DELETE ON csp_report_counts TO shop_api;--> statement-breakpoint
-- Pruning the oldest reports needs to read received_at: a function owned by the migration
-- owner does it, so the api still cannot read what browsers reported.
CREATE FUNCTION prune_csp_reports(keep integer) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  DELETE FROM public.csp_reports
  WHERE received_at < (SELECT received_at FROM public.csp_reports ORDER BY received_at DESC OFFSET greatest(keep - 1, 0) LIMIT 1);
$$;--> statement-breakpoint
REVOKE ALL ON FUNCTION prune_csp_reports(integer) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION prune_csp_reports(integer) TO shop_api;
