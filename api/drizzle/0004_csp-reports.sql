CREATE TABLE "csp_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"format" text NOT NULL,
	"document_uri" text NOT NULL,
	"blocked_uri" text NOT NULL,
	"effective_directive" text NOT NULL,
	"violated_directive" text,
	"disposition" text NOT NULL,
	"source_file" text,
	"line_number" integer,
	"column_number" integer,
	"status_code" integer,
	"sample" text
);
--> statement-breakpoint
CREATE INDEX "csp_reports_received_idx" ON "csp_reports" USING btree ("received_at");--> statement-breakpoint
-- The api only records reports; reading them is for operators (least privilege, PCI DSS 7.2.2).
GRANT INSERT ON csp_reports TO shop_api;
