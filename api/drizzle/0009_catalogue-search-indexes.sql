-- Catalogue search that does not grow with the catalogue (the api README, "Catalogue search").
-- Indexes only, on a table the api already reads (0003 grants SELECT on products): no new grant.
-- A plain CREATE INDEX blocks writes to products, not reads, while it builds; on a large live
-- catalogue build them beforehand with CREATE INDEX CONCURRENTLY under these names and this
-- migration's IF NOT EXISTS leaves them as they are.
CREATE INDEX IF NOT EXISTS "products_name_id_idx" ON "products" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "products_name_search_idx" ON "products" USING gin (to_tsvector('english', "name"));
