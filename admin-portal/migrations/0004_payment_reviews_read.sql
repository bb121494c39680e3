-- Payments that staff must review (api migration 0008): the api only inserts them; support and
-- finance read the open ones in the portal. Read-only: resolving a review is not built yet.
GRANT SELECT ON public.payment_reviews TO shop_admin_portal;
