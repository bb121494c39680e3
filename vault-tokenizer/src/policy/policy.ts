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
    // A reveal in clear; the service also requires a staff identity and a reason, and audits it.
    reveal: Allow,
    delete: Allow,
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    callers: Type.Record(
      Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
      Type.Record(Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }), FieldRules),
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

  /** Field types the caller may use for an operation (subject erase needs `delete` on every known field type). */
  fieldsAllowed(caller: string, operation: Operation): string[] {
    const fields = this.isKnownCaller(caller) ? this.document.callers[caller] : undefined;
    return Object.keys(fields ?? {}).filter((f) => this.decide(caller, f, operation) !== 'deny');
  }
}

export function parsePolicy(json: unknown): Policy {
  if (!Value.Check(PolicySchema, json)) {
    const first = [...Value.Errors(PolicySchema, json)][0];
    throw new PolicyError(
      `policy is invalid at ${first?.instancePath || '/'}: ${first?.message ?? 'does not match the schema'}`,
    );
  }
  return new Policy(json);
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
