import { and, asc, eq, ne, type SQL, sql } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import * as schema from '../../db/schema/index.js';
import { CartCurrencyMismatchError, InsufficientStockError, ProductNotFoundError } from '../../errors.js';
import type { Cart, CartLine } from './schemas.js';

const { cartItems, carts, products } = schema;

/** The shop database or a transaction on it: every function here works inside either. */
export type CartDatabase = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/**
 * Who a cart belongs to. A signed-in shopper's cart is keyed by user id; an anonymous
 * shopper's by the opaque cart key held in their server-side session. The session id
 * itself is never used, so it stays in Redis only.
 */
export interface CartOwner {
  userId: string | null;
  cartKey: string;
}

/** A cart priced from the database, never from anything the client sent. */
export type PricedCart = Cart;

export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;

/**
 * The owner rule, in one place: a signed-in user's cart is found by user id only (the
 * session's anonymous key is ignored, so a key from another session cannot reach into it),
 * an anonymous shopper's by the session's cart key only, and never one that a user owns.
 */
function ownedBy(owner: CartOwner): SQL {
  if (owner.userId !== null) return eq(carts.userId, owner.userId);
  return and(eq(carts.anonymousKey, owner.cartKey), sql`${carts.userId} is null`) as SQL;
}

/** Items of the owner's cart with current prices and server-computed totals. */
export async function loadCart(db: CartDatabase, owner: CartOwner): Promise<PricedCart> {
  const rows = await db
    .select({
      productId: cartItems.productId,
      name: products.name,
      unitPriceMinor: products.priceMinor,
      currency: products.currency,
      quantity: cartItems.quantity,
    })
    .from(carts)
    .innerJoin(cartItems, eq(cartItems.cartId, carts.id))
    .innerJoin(products, eq(products.id, cartItems.productId))
    .where(ownedBy(owner))
    .orderBy(asc(products.name), asc(products.id));
  return priceLines(rows);
}

function priceLines(rows: Omit<CartLine, 'lineTotalMinor'>[]): PricedCart {
  const items = rows.map((r) => ({ ...r, lineTotalMinor: r.unitPriceMinor * r.quantity }));
  return {
    items,
    currency: items[0]?.currency ?? null,
    subtotalMinor: items.reduce((sum, line) => sum + line.lineTotalMinor, 0),
    itemCount: items.reduce((sum, line) => sum + line.quantity, 0),
  };
}

/** Returns the owner's cart id, creating the cart if needed, and locks it until the transaction ends. */
async function lockCartFor(tx: CartDatabase, owner: CartOwner): Promise<string> {
  if (owner.userId !== null) {
    await tx.insert(carts).values({ userId: owner.userId }).onConflictDoNothing({ target: carts.userId });
  } else {
    await tx.insert(carts).values({ anonymousKey: owner.cartKey }).onConflictDoNothing({ target: carts.anonymousKey });
  }
  const [cart] = await tx.select({ id: carts.id }).from(carts).where(ownedBy(owner)).for('update');
  // Only reachable if an anonymous key were reused by a cart that a user now owns.
  if (!cart) throw new Error('cart could not be created for this owner');
  return cart.id;
}

/** Currency of the items already in a cart, other than `exceptProductId`; null if none. */
async function cartCurrency(tx: CartDatabase, cartId: string, exceptProductId?: string): Promise<string | null> {
  const where = exceptProductId
    ? and(eq(cartItems.cartId, cartId), ne(cartItems.productId, exceptProductId))
    : eq(cartItems.cartId, cartId);
  const [row] = await tx
    .select({ currency: products.currency })
    .from(cartItems)
    .innerJoin(products, eq(products.id, cartItems.productId))
    .where(where)
    .limit(1);
  return row?.currency ?? null;
}

/**
 * Sets the quantity of one product in the owner's cart (not adds to it): repeating the
 * same request leaves the same cart, so a retried or replayed request cannot inflate it.
 */
export async function setCartItem(
  db: CartDatabase,
  owner: CartOwner,
  productId: string,
  quantity: number,
): Promise<PricedCart> {
  if (!Number.isInteger(quantity) || quantity < MIN_QUANTITY || quantity > MAX_QUANTITY) {
    throw new RangeError(`quantity must be an integer between ${MIN_QUANTITY} and ${MAX_QUANTITY}`);
  }
  return db.transaction(async (tx) => {
    const [product] = await tx
      .select({ currency: products.currency, stock: products.stock })
      .from(products)
      .where(eq(products.id, productId));
    if (!product) throw new ProductNotFoundError();
    const cartId = await lockCartFor(tx, owner);
    const existing = await cartCurrency(tx, cartId, productId);
    if (existing !== null && existing !== product.currency) throw new CartCurrencyMismatchError();
    if (quantity > product.stock) throw new InsufficientStockError();
    await tx
      .insert(cartItems)
      .values({ cartId, productId, quantity })
      .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity } });
    await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cartId));
    return loadCart(tx, owner);
  });
}

/** Removes one product from the owner's cart. Idempotent: removing an absent product is not an error. */
export async function removeCartItem(db: CartDatabase, owner: CartOwner, productId: string): Promise<PricedCart> {
  return db.transaction(async (tx) => {
    const [cart] = await tx.select({ id: carts.id }).from(carts).where(ownedBy(owner)).for('update');
    if (cart) {
      await tx.delete(cartItems).where(and(eq(cartItems.cartId, cart.id), eq(cartItems.productId, productId)));
      await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cart.id));
    }
    return loadCart(tx, owner);
  });
}

/**
 * Called at login and signup: moves the anonymous session's cart into the user's cart and
 * deletes the anonymous one, so the old cart key (from a session that is being rotated)
 * points at nothing afterwards. A product in both carts gets the sum of the quantities,
 * capped at the maximum. Items in another currency than the user's cart are dropped, to
 * keep one currency per cart.
 */
export async function mergeAnonymousCart(db: CartDatabase, anonymousKey: string, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [anonymous] = await tx
      .select({ id: carts.id })
      .from(carts)
      .where(ownedBy({ userId: null, cartKey: anonymousKey }))
      .for('update');
    if (!anonymous) return;
    const userCartId = await lockCartFor(tx, { userId, cartKey: anonymousKey });
    const currency = await cartCurrency(tx, userCartId);
    await tx.execute(sql`
      insert into ${cartItems} (cart_id, product_id, quantity)
      select ${userCartId}, ci.product_id, ci.quantity
        from ${cartItems} ci
        join ${products} p on p.id = ci.product_id
       where ci.cart_id = ${anonymous.id}
         and (${currency}::text is null or p.currency = ${currency})
      on conflict (cart_id, product_id)
      do update set quantity = least(${MAX_QUANTITY}, ${cartItems}.quantity + excluded.quantity)
    `);
    await tx.delete(carts).where(eq(carts.id, anonymous.id));
    await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, userCartId));
  });
}
