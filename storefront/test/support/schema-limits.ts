import type { Page } from 'playwright-core';
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

/** The bounds the browser enforces on each form field of the page, by the field's contract name. */
export async function formLimits(page: Page, ids: Record<string, string>): Promise<Record<string, Limits>> {
  const out: Record<string, Limits> = {};
  for (const [key, id] of Object.entries(ids)) {
    out[key] = await page.locator(`#${id}`).evaluate((el) => {
      const { minLength, maxLength } = el as HTMLInputElement;
      // -1 (or undefined on a select) means the attribute is absent.
      return {
        ...(minLength === undefined || minLength < 0 ? {} : { minLength }),
        ...(maxLength === undefined || maxLength < 0 ? {} : { maxLength }),
      };
    });
  }
  return out;
}
