import { writeFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { inventoryFromPage } from './script-inventory.js';
import { sriHash } from './sri.js';

export interface PaymentPagePluginOptions {
  /** Where the generated inventory is written (storefront/payment-page-scripts.json by default). */
  inventoryPath: string;
}

/**
 * Adds Subresource Integrity to every script and stylesheet the build emits, refuses a page
 * with inline code or style or a script from an unapproved source, and writes the script
 * inventory (PCI DSS v4.0.1 6.4.3). A build that breaks any of these fails.
 */
export function paymentPageIntegrity(options: PaymentPagePluginOptions): Plugin {
  return {
    name: 'shop:payment-page-integrity',
    apply: 'build',
    enforce: 'post',
    generateBundle(_output, bundle) {
      const files = new Map<string, string | Uint8Array>();
      for (const item of Object.values(bundle)) {
        files.set(`/${item.fileName}`, item.type === 'chunk' ? item.code : item.source);
      }
      const page = bundle['index.html'];
      if (page?.type !== 'asset') return this.error('index.html was not emitted');
      const withSri = addIntegrity(String(page.source), (path) => files.get(path));
      page.source = withSri;
      const emitted = [...files.keys()].filter((f) => f !== '/index.html');
      const { inventory, problems } = inventoryFromPage(withSri, (path) => files.get(path), emitted);
      if (problems.length > 0) {
        return this.error(`the payment page is not acceptable:\n  - ${problems.join('\n  - ')}`);
      }
      writeFileSync(options.inventoryPath, `${JSON.stringify(inventory, null, 2)}\n`);
    },
  };
}

/** Puts `integrity` on each local <script src> and <link href> whose file the build emitted. */
export function addIntegrity(html: string, read: (path: string) => string | Uint8Array | undefined): string {
  return html.replace(/<(script|link)\b([^>]*?)(\/?)>/gi, (tag, name: string, attrs: string, slash: string) => {
    if (/\sintegrity\s*=/i.test(attrs)) return tag;
    const ref = /\s(?:src|href)\s*=\s*"([^"]+)"/i.exec(attrs)?.[1];
    if (!ref?.startsWith('/') || ref.startsWith('//')) return tag;
    const content = read(ref);
    if (content === undefined) return tag;
    const cors = /\scrossorigin\b/i.test(attrs) ? '' : ' crossorigin';
    return `<${name}${attrs}${cors} integrity="${sriHash(content)}"${slash}>`;
  });
}
