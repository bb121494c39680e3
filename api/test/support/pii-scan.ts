import pg from 'pg';

export interface PiiHit {
  table: string;
  column: string;
  value: string;
}

/**
 * Looks for each value, case-insensitively, in every text-like column (text, varchar, char,
 * json, jsonb, arrays) of every table of every user schema of a database, as listed by
 * information_schema: a new column or table cannot escape the scan.
 */
export async function findValuesInDatabase(url: string, values: string[]): Promise<PiiHit[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ table_schema: string; table_name: string; column_name: string }>(
      `select c.table_schema, c.table_name, c.column_name
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where t.table_type = 'BASE TABLE'
          and c.table_schema not in ('pg_catalog', 'information_schema')
          and c.table_schema not like 'pg\\_%'
          and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
    );
    if (columns.rows.length === 0) throw new Error('no text columns found: the scan would prove nothing');
    const hits: PiiHit[] = [];
    for (const { table_schema, table_name, column_name } of columns.rows) {
      const table = `${client.escapeIdentifier(table_schema)}.${client.escapeIdentifier(table_name)}`;
      const column = client.escapeIdentifier(column_name);
      for (const value of values) {
        const found = await client.query(
          `select 1 from ${table} where position(lower($1) in lower(${column}::text)) > 0 limit 1`,
          [value],
        );
        if (found.rowCount) hits.push({ table: `${table_schema}.${table_name}`, column: column_name, value });
      }
    }
    return hits;
  } finally {
    await client.end();
  }
}

/** Every text-like column the scan covers, as `schema.table.column` (to show the scan is not empty). */
export async function scannedColumns(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string }>(
      `select c.table_schema || '.' || c.table_name || '.' || c.column_name as name
         from information_schema.columns c
        where c.table_schema not in ('pg_catalog', 'information_schema')
          and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
    );
    return r.rows.map((x) => x.name);
  } finally {
    await client.end();
  }
}
