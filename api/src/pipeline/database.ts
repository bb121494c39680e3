import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type * as schema from '../db/schema/index.js';

/** The shop database as drizzle sees it, and one transaction on it. */
export type ShopDb = NodePgDatabase<typeof schema>;
export type ShopTx = Parameters<Parameters<ShopDb['transaction']>[0]>[0];
