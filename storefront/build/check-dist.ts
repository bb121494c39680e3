import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compareInventories, inventoryFromPage, type ScriptInventory } from './script-inventory.js';

/**
 * Checks a built storefront against the approved inventory: every script the page loads is
 * listed, our own files still match their SRI hashes, and nothing inline slipped in.
 * Returns the problems as readable lines; empty means the build is acceptable.
 */
export function checkBuiltPage(distDir: string, inventoryPath: string): string[] {
  const indexPath = join(distDir, 'index.html');
  if (!existsSync(indexPath)) return [`no built page at ${indexPath}: run \`npm run build -w storefront\` first`];
  if (!existsSync(inventoryPath)) return [`no script inventory at ${inventoryPath}`];
  const approved = JSON.parse(readFileSync(inventoryPath, 'utf8')) as ScriptInventory;
  const html = readFileSync(indexPath, 'utf8');
  const files = listFiles(distDir).map((f) => `/${relative(distDir, f).split(sep).join('/')}`);
  const read = (path: string) => {
    if (!files.includes(path)) return undefined;
    return readFileSync(join(distDir, ...path.slice(1).split('/')));
  };
  const { inventory, problems } = inventoryFromPage(
    html,
    read,
    files.filter((f) => f !== '/index.html'),
  );
  return [...problems, ...compareInventories(approved, inventory)];
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}
