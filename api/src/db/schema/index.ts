// Every table of the shop database. drizzle-kit reads this folder to generate migrations.
export * from './accounts.js';
export * from './cart.js';
export * from './catalogue.js';
export * from './csp-reports.js';
export * from './orders.js';
export * from './pipeline.js';
