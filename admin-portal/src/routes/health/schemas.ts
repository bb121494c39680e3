import Type from 'typebox';

export const HealthResponse = Type.Object({ status: Type.String() }, { additionalProperties: false });
