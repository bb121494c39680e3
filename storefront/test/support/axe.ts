import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/**
 * WCAG 2.1 AA through axe-core: audits the page as it stands and adds each serious or critical
 * violation to `problems` as `label: rule (impact) targets`, so one assertion at the end lists
 * every page that failed.
 */
export async function auditAccessibility(page: Page, label: string, problems: string[]): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      problems.push(`${label}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
}
