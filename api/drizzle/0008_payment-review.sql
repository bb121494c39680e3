-- Payments that staff must review (findings 8.2, 8.7): a status that is never fulfilled and a
-- table of review rows. The card columns get checks behind the api's Stripe schemas; a
-- database that already holds a card value they refuse stops the start here, unchanged (the
-- migrations run in one transaction), naming the query that finds the rows. The message
-- names no value.
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM "orders"
     WHERE "card_last4" !~ '^[0-9]{4}$' OR "card_brand" !~ '^[a-z][a-z0-9_]{0,31}$'
  ) THEN
    RAISE EXCEPTION 'orders holds card_last4 or card_brand values that are not a last 4 and a brand: find them with select id from orders where card_last4 !~ ''^[0-9]{4}$'' or card_brand !~ ''^[a-z][a-z0-9_]{0,31}$'', set them to null, then start again';
  END IF;
END $$;--> statement-breakpoint
CREATE TYPE "public"."payment_review_reason" AS ENUM('amount_mismatch', 'currency_mismatch', 'unexpected_stripe_data', 'payment_intent_missing', 'unknown_order');--> statement-breakpoint
ALTER TYPE "public"."order_status" ADD VALUE 'payment_review';--> statement-breakpoint
CREATE TABLE "payment_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reason" "payment_review_reason" NOT NULL,
	"order_id" uuid,
	"event_id" text NOT NULL,
	"payment_intent_id" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "payment_reviews_event_id_bounded" CHECK (length("payment_reviews"."event_id") between 1 and 255),
	CONSTRAINT "payment_reviews_intent_id_bounded" CHECK (length("payment_reviews"."payment_intent_id") between 1 and 255)
);
--> statement-breakpoint
ALTER TABLE "payment_reviews" ADD CONSTRAINT "payment_reviews_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_reviews_open_idx" ON "payment_reviews" USING btree ("created_at") WHERE "payment_reviews"."resolved_at" is null;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_card_last4_digits" CHECK ("orders"."card_last4" ~ '^[0-9]{4}$');--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_card_brand_bounded" CHECK ("orders"."card_brand" ~ '^[a-z][a-z0-9_]{0,31}$');--> statement-breakpoint
-- The api records reviews and never reads, changes or deletes them: staff tools do that.
GRANT INSERT ON payment_reviews TO shop_api;
