import type { TObject } from 'typebox';

export interface Limits {
  minLength?: number;
  maxLength?: number;
}

/** The length bounds the api's schema sets on each field (absent bounds left out). */
export function schemaLimits(schema: TObject): Record<string, Limits> {
  const out: Record<string, Limits> = {};
  for (const [key, prop] of Object.entries(schema.properties) as [string, Limits][]) {
    out[key] = {
      ...(prop.minLength === undefined ? {} : { minLength: prop.minLength }),
      ...(prop.maxLength === undefined ? {} : { maxLength: prop.maxLength }),
    };
  }
  return out;
}
