-- Checkout re-prices the shopper's open order when the cart changed: its old lines are replaced,
-- which needs DELETE on order_items for the api's runtime role (0003 grants SELECT, INSERT).
-- Lines of paid orders never change: checkout only touches orders still awaiting payment.
GRANT DELETE ON order_items TO shop_api;
