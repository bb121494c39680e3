import Type, { type Static } from 'typebox';

export const ApprovalParams = Type.Object(
  { id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }) },
  { additionalProperties: false },
);
export type ApprovalParams = Static<typeof ApprovalParams>;
export const DecisionForm = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });
