import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { carts, products } from '../../../src/db/schema/index.js';
import { loadCart, mergeAnonymousCart, removeCartItem, setCartItem } from '../../../src/routes/cart/cart-service.js';
import { insertUser, type SeededDatabase, seededDatabase } from '../products/seeded-database.js';

let seeded: SeededDatabase;
let catalogue: { id: string; priceMinor: number; stock: number; name: string }[];
let usdProductId: string;

before(async () => {
  seeded = await seededDatabase('cart_service');
  catalogue = await seeded.db
    .select({ id: products.id, priceMinor: products.priceMinor, stock: products.stock, name: products.name })
    .from(products)
    .orderBy(products.sku)
    .limit(6);
  const [usd] = await seeded.db
    .insert(products)
    .values({
      sku: 'TEST-USD-1',
      name: 'Imported Mug',
      description: 'Priced in dollars',
      priceMinor: 1500,
      currency: 'USD',
      stock: 50,
    })
    .returning({ id: products.id });
  usdProductId = usd?.id ?? '';
});

after(() => seeded?.close());

function anonymous() {
  return { userId: null, cartKey: randomUUID() };
}

function product(i: number) {
  const p = catalogue[i];
  if (!p) throw new Error(`fixture product ${i} missing`);
  return p;
}

describe('cart service', () => {
  it('answers an empty cart with no currency and zero totals when nothing was added', async () => {
    assert.deepEqual(await loadCart(seeded.db, anonymous()), {
      items: [],
      currency: null,
      subtotalMinor: 0,
      itemCount: 0,
    });
  });

  it('sets the quantity rather than adding to it, and prices every line from the database', async () => {
    const owner = anonymous();
    const a = product(0);
    const b = product(1);
    await setCartItem(seeded.db, owner, a.id, 2);
    await setCartItem(seeded.db, owner, a.id, 3);
    const cart = await setCartItem(seeded.db, owner, b.id, 1);
    const lineA = cart.items.find((l) => l.productId === a.id);
    assert.equal(lineA?.quantity, 3);
    assert.equal(lineA?.lineTotalMinor, a.priceMinor * 3);
    assert.equal(cart.subtotalMinor, a.priceMinor * 3 + b.priceMinor);
    assert.equal(cart.itemCount, 4);
    assert.equal(cart.currency, 'EUR');
  });

  it('reprices a cart from the current catalogue price, not the price when it was added', async () => {
    const owner = anonymous();
    const [p] = await seeded.db
      .insert(products)
      .values({
        sku: 'TEST-REPRICE',
        name: 'Reprice Test',
        description: 'x',
        priceMinor: 1000,
        currency: 'EUR',
        stock: 10,
      })
      .returning({ id: products.id });
    assert.ok(p);
    await setCartItem(seeded.db, owner, p.id, 2);
    await seeded.db.update(products).set({ priceMinor: 1250 }).where(eq(products.id, p.id));
    const cart = await loadCart(seeded.db, owner);
    assert.equal(cart.subtotalMinor, 2500);
  });

  it('refuses an unknown product with product_not_found', async () => {
    await assert.rejects(setCartItem(seeded.db, anonymous(), randomUUID(), 1), {
      code: 'PRODUCT_NOT_FOUND',
      statusCode: 404,
    });
  });

  it('refuses quantities outside 1..99 before touching the database', async () => {
    for (const q of [0, -1, 100, 1.5]) {
      await assert.rejects(setCartItem(seeded.db, anonymous(), product(0).id, q), RangeError);
    }
  });

  it('refuses more than the stock with insufficient_stock', async () => {
    const p = product(2);
    if (p.stock >= 99) return assert.fail('fixture product must have stock below 99');
    await assert.rejects(setCartItem(seeded.db, anonymous(), p.id, p.stock + 1), {
      code: 'INSUFFICIENT_STOCK',
      statusCode: 409,
    });
  });

  it('keeps one currency per cart: a product in another currency is refused', async () => {
    const owner = anonymous();
    await setCartItem(seeded.db, owner, product(0).id, 1);
    await assert.rejects(setCartItem(seeded.db, owner, usdProductId, 1), {
      code: 'CART_CURRENCY_MISMATCH',
      statusCode: 409,
    });
    // Replacing the only item's quantity is not a currency change.
    const cart = await setCartItem(seeded.db, owner, product(0).id, 2);
    assert.equal(cart.items.length, 1);
  });

  it('keeps one currency under concurrent additions: the cart row lock serialises them', async () => {
    for (let attempt = 0; attempt < 15; attempt++) {
      const owner = anonymous();
      // An existing, empty cart: creating one is already serialised by its unique key.
      await setCartItem(seeded.db, owner, product(1).id, 1);
      await removeCartItem(seeded.db, owner, product(1).id);
      const results = await Promise.allSettled([
        setCartItem(seeded.db, owner, product(0).id, 1),
        setCartItem(seeded.db, owner, usdProductId, 1),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `attempt ${attempt}`);
      const currencies = new Set((await loadCart(seeded.db, owner)).items.map((l) => l.currency));
      assert.equal(currencies.size, 1);
    }
  });

  it('removes an item, and removing it again is not an error', async () => {
    const owner = anonymous();
    await setCartItem(seeded.db, owner, product(0).id, 1);
    await setCartItem(seeded.db, owner, product(1).id, 1);
    const once = await removeCartItem(seeded.db, owner, product(0).id);
    const twice = await removeCartItem(seeded.db, owner, product(0).id);
    assert.deepEqual(once, twice);
    assert.deepEqual(
      once.items.map((l) => l.productId),
      [product(1).id],
    );
    assert.equal((await removeCartItem(seeded.db, anonymous(), product(0).id)).items.length, 0);
  });

  it("never shows one owner's cart to another: a signed-in user is found by user id only", async () => {
    const alice = await insertUser(seeded.db, 'alice');
    const bob = await insertUser(seeded.db, 'bob');
    const sharedKey = randomUUID();
    await setCartItem(seeded.db, { userId: alice, cartKey: sharedKey }, product(0).id, 1);
    assert.equal((await loadCart(seeded.db, { userId: bob, cartKey: sharedKey })).items.length, 0);
    assert.equal((await loadCart(seeded.db, { userId: null, cartKey: sharedKey })).items.length, 0);
    assert.equal((await loadCart(seeded.db, { userId: alice, cartKey: randomUUID() })).items.length, 1);
  });

  it('merges an anonymous cart into the user cart at login, sums quantities up to 99, and deletes the anonymous cart', async () => {
    const user = await insertUser(seeded.db, 'merge');
    const anon = anonymous();
    await seeded.db
      .update(products)
      .set({ stock: 500 })
      .where(eq(products.id, product(3).id));
    await setCartItem(seeded.db, { userId: user, cartKey: 'unused' }, product(3).id, 60);
    await setCartItem(seeded.db, { userId: user, cartKey: 'unused' }, product(4).id, 1);
    await setCartItem(seeded.db, anon, product(3).id, 50);
    await setCartItem(seeded.db, anon, product(5).id, 2);

    await mergeAnonymousCart(seeded.db, anon.cartKey, user);

    const cart = await loadCart(seeded.db, { userId: user, cartKey: anon.cartKey });
    const quantities = Object.fromEntries(cart.items.map((l) => [l.productId, l.quantity]));
    assert.deepEqual(quantities, { [product(3).id]: 99, [product(4).id]: 1, [product(5).id]: 2 });
    assert.equal((await loadCart(seeded.db, anon)).items.length, 0);
    const left = await seeded.db.select().from(carts).where(eq(carts.anonymousKey, anon.cartKey));
    assert.equal(left.length, 0, 'the anonymous cart row is deleted so its key reaches nothing');
  });

  it('merges into a user without a cart, and drops items in another currency than the user cart', async () => {
    const fresh = await insertUser(seeded.db, 'fresh');
    const anon = anonymous();
    await setCartItem(seeded.db, anon, product(1).id, 2);
    await mergeAnonymousCart(seeded.db, anon.cartKey, fresh);
    assert.deepEqual(
      (await loadCart(seeded.db, { userId: fresh, cartKey: 'x' })).items.map((l) => [l.productId, l.quantity]),
      [[product(1).id, 2]],
    );

    const euroUser = await insertUser(seeded.db, 'euro');
    await setCartItem(seeded.db, { userId: euroUser, cartKey: 'x' }, product(0).id, 1);
    const dollars = anonymous();
    await setCartItem(seeded.db, dollars, usdProductId, 1);
    await mergeAnonymousCart(seeded.db, dollars.cartKey, euroUser);
    const merged = await loadCart(seeded.db, { userId: euroUser, cartKey: 'x' });
    assert.deepEqual(
      merged.items.map((l) => l.currency),
      ['EUR'],
    );
  });

  it('does nothing when the session had no anonymous cart', async () => {
    const user = await insertUser(seeded.db, 'nocart');
    await mergeAnonymousCart(seeded.db, randomUUID(), user);
    assert.equal((await seeded.db.select().from(carts).where(eq(carts.userId, user))).length, 0);
  });
});
