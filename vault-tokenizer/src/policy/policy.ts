import { readFile } from 'node:fs/promises';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';

/**
 * The access policy: per caller (the service name in its client certificate), per field
 * type, per operation. A versioned JSON file in the repo, reviewed like code, validated at
 * start (an invalid file stops the service). Anything not written down is denied.
 */
export const OPERATIONS = ['tokenize', 'blind_index', 'detokenize', 'reveal', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Decision = 'allow' | 'masked' | 'deny';

const Allow = Type.Union([Type.Literal('allow'), Type.Literal('deny')]);
const FieldRules = Type.Object(
  {
    tokenize: Allow,
    blind_index: Allow,
    // Only detokenize knows "masked": the caller sees a masked form, never the clear value.
    detokenize: Type.Union([Type.Literal('allow'), Type.Literal('masked'), Type.Literal('deny')]),
    // A reveal in clear; the service also requires a staff identity and a reason, bounds it
    // per hour (`revealBounds`) and audits it.
    reveal: Allow,
    // Deleting one token. Erasing a whole subject is a right of its own (`eraseSubject`).
    delete: Allow,
  },
  { additionalProperties: false },
);

const CallerName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });
const PerHour = Type.Integer({ minimum: 1, maximum: 100_000 });

export const PolicySchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    callers: Type.Record(CallerName, Type.Record(Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }), FieldRules)),
    /**
     * Who may erase a subject (crypto-shred every value of one customer at once), and how many
     * per hour: a compromised caller can then destroy at most that many customers' data an
     * hour, and reaching the bound is audited and logged as an alert. Not listed: denied.
     */
    eraseSubject: Type.Record(CallerName, Type.Object({ perHour: PerHour }, { additionalProperties: false })),
    /**
     * Hourly bounds of reveals in clear, per staff identity and per caller in all; required for
     * every caller the field rules allow to reveal (the staff identity is asserted by the
     * caller, so the per-caller bound holds even if the caller makes identities up).
     */
    revealBounds: Type.Record(
      CallerName,
      Type.Object({ perStaffIdentityPerHour: PerHour, perHour: PerHour }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export type PolicyDocument = Static<typeof PolicySchema>;

export class PolicyError extends Error {
  override name = 'PolicyError';
}

export class Policy {
  constructor(readonly document: PolicyDocument) {}

  get version(): number {
    return this.document.version;
  }

  isKnownCaller(caller: string | undefined): caller is string {
    return caller !== undefined && Object.hasOwn(this.document.callers, caller);
  }

  listsField(caller: string | undefined, field: string): boolean {
    return this.isKnownCaller(caller) && Object.hasOwn(this.document.callers[caller] ?? {}, field);
  }

  /** Unknown caller, unknown field or unlisted operation: deny. */
  decide(caller: string | undefined, field: string, operation: Operation): Decision {
    if (!this.isKnownCaller(caller)) return 'deny';
    const fields = this.document.callers[caller];
    if (!fields || !Object.hasOwn(fields, field)) return 'deny';
    const decision = fields[field]?.[operation];
    return decision === 'allow' || decision === 'masked' ? decision : 'deny';
  }

  /** Field types the caller may use for an operation. */
  fieldsAllowed(caller: string, operation: Operation): string[] {
    const fields = this.isKnownCaller(caller) ? this.document.callers[caller] : undefined;
    return Object.keys(fields ?? {}).filter((f) => this.decide(caller, f, operation) !== 'deny');
  }

  /** Subject erases the caller may make per hour; undefined: it may not erase subjects. */
  eraseSubjectPerHour(caller: string | undefined): number | undefined {
    if (!this.isKnownCaller(caller) || !Object.hasOwn(this.document.eraseSubject, caller)) return undefined;
    return this.document.eraseSubject[caller]?.perHour;
  }

  /** The caller's hourly reveal bounds (present for every caller allowed to reveal, see parsePolicy). */
  revealBounds(caller: string | undefined): { perStaffIdentityPerHour: number; perHour: number } | undefined {
    if (!this.isKnownCaller(caller) || !Object.hasOwn(this.document.revealBounds, caller)) return undefined;
    return this.document.revealBounds[caller];
  }
}

export function parsePolicy(json: unknown): Policy {
  if (!Value.Check(PolicySchema, json)) {
    const first = [...Value.Errors(PolicySchema, json)][0];
    throw new PolicyError(
      `policy is invalid at ${first?.instancePath || '/'}: ${first?.message ?? 'does not match the schema'}`,
    );
  }
  const policy = new Policy(json);
  for (const caller of Object.keys(json.callers)) {
    if (policy.fieldsAllowed(caller, 'reveal').length > 0 && !policy.revealBounds(caller)) {
      throw new PolicyError(`policy is invalid at /revealBounds: ${caller} may reveal but has no hourly bound`);
    }
  }
  for (const caller of [...Object.keys(json.eraseSubject), ...Object.keys(json.revealBounds)]) {
    if (!policy.isKnownCaller(caller)) throw new PolicyError(`policy is invalid: ${caller} is not among the callers`);
  }
  return policy;
}

export async function loadPolicy(file: string): Promise<Policy> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new PolicyError(`cannot read the policy file ${file}: ${(err as Error).message}`);
  }
  return parsePolicy(json);
}
