-- Mail (issue: shoppers' mail and account lifecycle): the contract shared by the api, which
-- requests mail through the outbox, and the order-worker, which sends it. See shared/src/mail-request.ts.
CREATE TABLE "mail_deliveries" (
	"request_id" uuid PRIMARY KEY NOT NULL,
	"template" text NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "deletion_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "mail_deliveries" ADD CONSTRAINT "mail_deliveries_status_known" CHECK ("status" IN ('sent', 'dead'));--> statement-breakpoint
-- The order-worker records what it mailed (its idempotency record); the api reads only whether
-- a request was finished (account deletion waits for the final mail before erasing the subject).
GRANT SELECT, INSERT ON mail_deliveries TO shop_order_worker;--> statement-breakpoint
GRANT SELECT (request_id, template, user_id, status, finished_at) ON mail_deliveries TO shop_api;
--> statement-breakpoint
-- The order-worker composes each mail: it reads the tokens of the recipient's address and name
-- (values only the tokenizer can give back, to the worker alone) and, for a data export, the
-- account's dates. Never the password hash or the blind index.
GRANT SELECT (id, email_token, name_token, email_verified_at, created_at) ON users TO shop_order_worker;
