-- Personal data leaves the shop database (ARCHITECTURE non-negotiable 2). The plain columns
-- are dropped only once they are empty: a database that still holds plain values stops the
-- start here, unchanged (the migrations run in one transaction), until the backfill has
-- tokenized them. The message names no value.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM "users" WHERE "email" IS NOT NULL OR "name" IS NOT NULL) THEN
    RAISE EXCEPTION 'users still holds plain email or name values: run the pii backfill first: npm run backfill-pii -w api';
  END IF;
END $$;--> statement-breakpoint
DROP INDEX "users_email_key";--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "email";--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "name";
