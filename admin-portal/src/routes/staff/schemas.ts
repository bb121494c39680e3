import Type, { type Static } from 'typebox';
import { ROLES } from '../../auth/access.js';

export const StaffParams = Type.Object(
  { handle: Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' }) },
  { additionalProperties: false },
);
export type StaffParams = Static<typeof StaffParams>;
export const RoleForm = Type.Object(
  { _csrf: Type.String({ maxLength: 100 }), role: Type.Union(ROLES.map((r) => Type.Literal(r))) },
  { additionalProperties: false },
);
export type RoleForm = Static<typeof RoleForm>;
export const CsrfForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });
