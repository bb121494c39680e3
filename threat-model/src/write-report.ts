import { writeFileSync } from 'node:fs';
import { model } from './model.js';
import { renderReport } from './report.js';

// npm run threat-model:report: rewrites threat-model/REPORT.md from the model.
const target = new URL('../REPORT.md', import.meta.url);
writeFileSync(target, renderReport(model));
console.log(`wrote ${target.pathname}`);
