import Type, { type Static } from 'typebox';

/** Every form carries the CSRF token; unknown fields are refused (ASVS 5.1.2). */
export const CodeForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    code: Type.String({ minLength: 1, maxLength: 12 }),
  },
  { additionalProperties: false },
);
export type CodeForm = Static<typeof CodeForm>;

export const CsrfOnlyForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });
