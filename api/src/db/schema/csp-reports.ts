import { date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Content-Security-Policy violation reports sent by shoppers' browsers (PCI DSS v4.0.1
 * 11.6.1: be alerted to unauthorised changes of the payment page as the browser sees it).
 * URLs are stored without query or fragment: a Stripe return URL carries a client secret
 * and other pages may carry personal data in their query.
 */
export const cspReports = pgTable(
  'csp_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** 'csp-report' (report-uri) or 'reports+json' (Reporting API, report-to). */
    format: text('format').notNull(),
    documentUri: text('document_uri').notNull(),
    blockedUri: text('blocked_uri').notNull(),
    effectiveDirective: text('effective_directive').notNull(),
    violatedDirective: text('violated_directive'),
    disposition: text('disposition').notNull(),
    sourceFile: text('source_file'),
    lineNumber: integer('line_number'),
    columnNumber: integer('column_number'),
    statusCode: integer('status_code'),
    /** The browser's first characters of the blocked inline code, card numbers masked. */
    sample: text('sample'),
  },
  (t) => [index('csp_reports_received_idx').on(t.receivedAt)],
);

/**
 * Reports received and stored per client address and UTC day: a client past its daily quota
 * is counted, not stored, so a flood of fake reports cannot push real ones out of the table
 * (routes/csp-reports). Rows older than a week are pruned.
 */
export const cspReportCounts = pgTable(
  'csp_report_counts',
  {
    day: date('day').notNull(),
    client: text('client').notNull(),
    received: integer('received').notNull().default(0),
    stored: integer('stored').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.client] })],
);
