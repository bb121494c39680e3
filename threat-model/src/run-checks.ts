import type { CheckInput, CheckResult } from './checks.js';
import { runModelChecks } from './checks.js';
import { checkMapping, checkPolicies, loadMapping } from './pci-checks.js';

/** The model checks, the policy checks and the PCI DSS mapping checks, as npm test runs them. */
export function runAllChecks(input: CheckInput): CheckResult[] {
  return [
    ...runModelChecks(input),
    checkPolicies(input.root, input.model, input.today),
    checkMapping(loadMapping(input.root), input.model, input.root, input.results),
  ];
}
