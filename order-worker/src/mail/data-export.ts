import type { DatabaseTx } from '@shop/api/db/client';
import { orderItems, orders, users } from '@shop/api/db/schema';
import { ShippingAddress } from '@shop/shared/shipping-address';
import { asc, eq, inArray } from 'drizzle-orm';
import { Value } from 'typebox/value';
import type { Detokenizer } from '../pii/tokenizer-client.js';

/** Tokens per detokenize call: well under the tokenizer's batch bound. */
const CHUNK = 200;

export interface DataExport {
  exportedAt: string;
  profile: { id: string; email: string; name: string | null; createdAt: string; emailVerifiedAt: string | null };
  /** Each distinct shipping address used at checkout, once. */
  addresses: ShippingAddress[];
  orders: {
    id: string;
    status: string;
    currency: string;
    totalMinor: number;
    refundedMinor: number;
    createdAt: string;
    paidAt: string | null;
    /** What Stripe told us of the card: brand and last 4 only. The shop never holds more. */
    card: { brand: string | null; last4: string | null };
    items: { name: string; quantity: number; unitPriceMinor: number }[];
  }[];
}

/**
 * What the shop holds about one shopper (GDPR art. 15 and 20; issue 11 item 4): the profile,
 * the shipping addresses and the orders, read by the worker and sent to the shopper's own
 * address as a JSON attachment. The values come back from the tokenizer in this one place,
 * each read audited there as a detokenize by `order-worker`; nothing of them is stored. No
 * card data: the shop never had any beyond brand and last 4 (PCI DSS v4.0.1 3.2, 3.3).
 */
export async function assembleDataExport(
  tx: DatabaseTx,
  tokenizer: Detokenizer,
  userId: string,
  known: { email: string; name: string | undefined },
): Promise<DataExport> {
  const [user] = await tx
    .select({ id: users.id, createdAt: users.createdAt, emailVerifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw new Error('user vanished while its export was assembled');
  const rows = await tx
    .select({
      id: orders.id,
      status: orders.status,
      currency: orders.currency,
      totalMinor: orders.totalMinor,
      refundedMinor: orders.refundedMinor,
      createdAt: orders.createdAt,
      paidAt: orders.paidAt,
      cardBrand: orders.cardBrand,
      cardLast4: orders.cardLast4,
      shippingAddressToken: orders.shippingAddressToken,
    })
    .from(orders)
    .where(eq(orders.userId, userId))
    .orderBy(asc(orders.createdAt));
  const items =
    rows.length === 0
      ? []
      : await tx
          .select({
            orderId: orderItems.orderId,
            name: orderItems.name,
            quantity: orderItems.quantity,
            unitPriceMinor: orderItems.unitPriceMinor,
          })
          .from(orderItems)
          .where(
            inArray(
              orderItems.orderId,
              rows.map((r) => r.id),
            ),
          )
          .orderBy(asc(orderItems.name));

  const tokens = [...new Set(rows.flatMap((r) => (r.shippingAddressToken ? [r.shippingAddressToken] : [])))];
  const addresses = new Map<string, ShippingAddress>();
  for (let i = 0; i < tokens.length; i += CHUNK) {
    const chunk = tokens.slice(i, i + CHUNK);
    const values = await tokenizer.detokenize(chunk.map((token) => ({ token, field: 'shipping_address' as const })));
    for (const value of values) {
      const address = parseAddress(value);
      if (address) addresses.set(JSON.stringify(address), address);
    }
  }

  return {
    exportedAt: new Date().toISOString(),
    profile: {
      id: user.id,
      email: known.email,
      name: known.name ?? null,
      createdAt: user.createdAt.toISOString(),
      emailVerifiedAt: user.emailVerifiedAt?.toISOString() ?? null,
    },
    addresses: [...addresses.values()],
    orders: rows.map((r) => ({
      id: r.id,
      status: r.status,
      currency: r.currency,
      totalMinor: r.totalMinor,
      refundedMinor: r.refundedMinor,
      createdAt: r.createdAt.toISOString(),
      paidAt: r.paidAt?.toISOString() ?? null,
      card: { brand: r.cardBrand, last4: r.cardLast4 },
      items: items
        .filter((i) => i.orderId === r.id)
        .map(({ name, quantity, unitPriceMinor }) => ({ name, quantity, unitPriceMinor })),
    })),
  };
}

export function parseAddress(value: string | undefined): ShippingAddress | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Value.Check(ShippingAddress, parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
