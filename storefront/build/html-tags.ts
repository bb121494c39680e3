// Finds the tags of an HTML page that can bring code or styles into it. The pages read
// here are our own build output and our own served payment page: a small scanner is
// enough, and it errs on the side of reporting (any <script> or <style>, whatever its case).

export interface HtmlTag {
  name: 'script' | 'link' | 'style';
  attrs: Record<string, string>;
  /** Text between <script> and </script> (inline code); empty for external scripts. */
  body: string;
  raw: string;
}

const TAG = /<(script|style)\b([^>]*)>([\s\S]*?)<\/\1\s*>|<(link)\b([^>]*)>/gi;
const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

export function parseAttributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of source.matchAll(ATTR)) {
    const name = m[1]?.toLowerCase();
    if (!name || name in attrs) continue;
    attrs[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function decodeEntities(value: string): string {
  return value.replace(/&(amp|quot|#39|lt|gt);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'quot' ? '"' : e === '#39' ? "'" : e === 'lt' ? '<' : '>',
  );
}

export function findTags(html: string): HtmlTag[] {
  const tags: HtmlTag[] = [];
  for (const m of html.matchAll(TAG)) {
    if (m[1]) {
      tags.push({
        name: m[1].toLowerCase() as 'script' | 'style',
        attrs: parseAttributes(m[2] ?? ''),
        body: m[3] ?? '',
        raw: m[0],
      });
    } else {
      tags.push({ name: 'link', attrs: parseAttributes(m[5] ?? ''), body: '', raw: m[0] });
    }
  }
  return tags;
}

/** Event-handler and style attributes are inline code and inline style: the CSP forbids both. */
export function findInlineAttributes(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/<([a-z][\w-]*)\b([^>]*)>/gi)) {
    const attrs = parseAttributes(m[2] ?? '');
    for (const name of Object.keys(attrs)) {
      if (name.startsWith('on') || name === 'style') found.push(`<${m[1]} ${name}=…>`);
    }
    for (const value of Object.values(attrs)) {
      if (/^\s*javascript:/i.test(value)) found.push(`<${m[1]} …="javascript:…">`);
    }
  }
  return found;
}

export interface PageResource {
  kind: 'script' | 'style';
  /** The URL as written in the page; undefined for inline code. */
  src?: string;
  integrity?: string;
  inline: boolean;
  raw: string;
}

/** Every script and stylesheet a page loads by markup (module preloads count as scripts). */
export function pageResources(html: string): PageResource[] {
  const out: PageResource[] = [];
  for (const tag of findTags(html)) {
    if (tag.name === 'script') {
      const src = tag.attrs.src;
      out.push({ kind: 'script', src, integrity: tag.attrs.integrity, inline: src === undefined, raw: tag.raw });
    } else if (tag.name === 'style') {
      out.push({ kind: 'style', inline: true, raw: tag.raw });
    } else {
      const rel = (tag.attrs.rel ?? '').toLowerCase().split(/\s+/);
      const href = tag.attrs.href;
      if (!href) continue;
      if (rel.includes('modulepreload') || (rel.includes('preload') && tag.attrs.as === 'script')) {
        out.push({ kind: 'script', src: href, integrity: tag.attrs.integrity, inline: false, raw: tag.raw });
      } else if (rel.includes('stylesheet')) {
        out.push({ kind: 'style', src: href, integrity: tag.attrs.integrity, inline: false, raw: tag.raw });
      }
    }
  }
  return out;
}
