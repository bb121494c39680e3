import { bigint, bigserial, boolean, customType, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Drizzle view of migrations/*.sql (the SQL files are the source of truth: they hold triggers and grants). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const providerWrappedKeys = pgTable('provider_wrapped_keys', {
  id: text('id').primaryKey(),
  purpose: text('purpose').$type<'kek' | 'blind_index'>().notNull(),
  providerKind: text('provider_kind').notNull(),
  ciphertext: text('ciphertext').notNull(),
  keyVersion: integer('key_version').notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  rewrappedAt: timestamp('rewrapped_at', { withTimezone: true }),
});

export const subjectKeys = pgTable('subject_keys', {
  subjectId: text('subject_id').primaryKey(),
  kekId: text('kek_id'),
  wrappedDek: bytea('wrapped_dek'),
  dekVersion: integer('dek_version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  erasedAt: timestamp('erased_at', { withTimezone: true }),
});

export const tokens = pgTable('tokens', {
  token: text('token').primaryKey(),
  subjectId: text('subject_id').notNull(),
  fieldType: text('field_type').notNull(),
  ciphertext: bytea('ciphertext').notNull(),
  iv: bytea('iv').notNull(),
  keyVersion: integer('key_version').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
});

export const keyRotations = pgTable('key_rotations', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  providerKind: text('provider_kind').notNull(),
  targetVersion: integer('target_version').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  rewrapped: integer('rewrapped').notNull().default(0),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  minDecryptionVersion: integer('min_decryption_version'),
  newKekId: text('new_kek_id'),
  subjectKeysRewrapped: integer('subject_keys_rewrapped').notNull().default(0),
});

export const auditEvents = pgTable('audit_events', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  caller: text('caller').notNull(),
  staffIdentity: text('staff_identity'),
  reason: text('reason'),
  operation: text('operation').notNull(),
  fieldTypes: text('field_types').array().notNull(),
  itemCount: integer('item_count').notNull(),
  outcome: text('outcome').notNull(),
  detail: text('detail'),
  policyVersion: integer('policy_version'),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});
