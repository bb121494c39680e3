import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

// Validates the pack's OSCAL documents against the schema subset in oscal-schemas/.
const load = (name: string) => JSON.parse(readFileSync(new URL(`oscal-schemas/${name}`, import.meta.url), 'utf8'));

const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: true });
ajv.addSchema(load('oscal-common.json'));
const validators = {
  'component-definition': ajv.compile(load('component-definition.json')),
  'assessment-results': ajv.compile(load('assessment-results.json')),
};

export function validateOscal(model: keyof typeof validators, document: unknown): string[] {
  const validate = validators[model];
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
