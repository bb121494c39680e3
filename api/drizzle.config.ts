import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema in code (`npm run db:generate -w api`) and
// applied by the api at start, as the migration owner, before the runtime role connects.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/*.ts',
  out: './drizzle',
});
