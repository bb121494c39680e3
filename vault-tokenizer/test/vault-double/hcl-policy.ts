import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A parser and evaluator for the subset of Vault's policy HCL that vault/*.hcl uses:
 * `path "<exact path>" { capabilities = [...]  allowed_parameters = { "name" = [] } }`
 * with `#`, `//` and block comments. Anything outside that subset is an error, so a policy
 * that grows a construct this code does not understand fails the tests instead of being
 * half-read. The Vault double enforces the parsed policy, so the provider tests run under
 * exactly the policy that ships.
 */
export interface PathRule {
  path: string;
  capabilities: string[];
  allowedParameters?: Record<string, string[]>;
  deniedParameters?: Record<string, string[]>;
  requiredParameters?: string[];
}

export const TOKENIZER_POLICY_FILE = fileURLToPath(new URL('../../../vault/tokenizer-policy.hcl', import.meta.url));

type Token = { kind: 'string' | 'ident' | 'punct'; value: string; line: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`line ${line}: unterminated comment`);
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (c === '"') {
      let value = '';
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' || text[i] === '\n')
          throw new Error(`line ${line}: escapes and newlines in strings are outside the subset`);
        value += text[i];
        i += 1;
      }
      if (text[i] !== '"') throw new Error(`line ${line}: unterminated string`);
      i += 1;
      tokens.push({ kind: 'string', value, line });
    } else if ('{}[]=,'.includes(c)) {
      tokens.push({ kind: 'punct', value: c, line });
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let value = '';
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i] as string)) {
        value += text[i];
        i += 1;
      }
      tokens.push({ kind: 'ident', value, line });
    } else {
      throw new Error(`line ${line}: unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

export function parsePolicy(text: string): PathRule[] {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const next = (kind?: Token['kind'], value?: string): Token => {
    const token = tokens[at];
    if (!token) throw new Error('unexpected end of policy');
    if ((kind && token.kind !== kind) || (value !== undefined && token.value !== value)) {
      throw new Error(`line ${token.line}: expected ${value ?? kind}, found ${JSON.stringify(token.value)}`);
    }
    at += 1;
    return token;
  };
  const stringList = (): string[] => {
    next('punct', '[');
    const values: string[] = [];
    while (peek()?.value !== ']') {
      values.push(next('string').value);
      if (peek()?.value === ',') next('punct', ',');
    }
    next('punct', ']');
    return values;
  };
  const parameterMap = (): Record<string, string[]> => {
    next('punct', '{');
    const map: Record<string, string[]> = {};
    while (peek()?.value !== '}') {
      const name = next('string').value;
      next('punct', '=');
      map[name] = stringList();
      if (peek()?.value === ',') next('punct', ',');
    }
    next('punct', '}');
    return map;
  };

  const rules: PathRule[] = [];
  while (at < tokens.length) {
    next('ident', 'path');
    const rule: PathRule = { path: next('string').value, capabilities: [] };
    if (rules.some((r) => r.path === rule.path)) throw new Error(`path "${rule.path}" appears twice`);
    next('punct', '{');
    let sawCapabilities = false;
    while (peek()?.value !== '}') {
      const field = next('ident');
      next('punct', '=');
      switch (field.value) {
        case 'capabilities':
          rule.capabilities = stringList();
          sawCapabilities = true;
          break;
        case 'allowed_parameters':
          rule.allowedParameters = parameterMap();
          break;
        case 'denied_parameters':
          rule.deniedParameters = parameterMap();
          break;
        case 'required_parameters':
          rule.requiredParameters = stringList();
          break;
        default:
          throw new Error(`line ${field.line}: "${field.value}" is outside the supported policy subset`);
      }
    }
    next('punct', '}');
    if (!sawCapabilities) throw new Error(`path "${rule.path}" has no capabilities`);
    rules.push(rule);
  }
  return rules;
}

/** The same substitution vault/setup-approle.sh makes for a non-default mount or key name. */
export function renderTokenizerPolicy(mount = 'transit', key = 'tokenizer-kek'): string {
  return readFileSync(TOKENIZER_POLICY_FILE, 'utf8')
    .replaceAll('"transit/', `"${mount}/`)
    .replaceAll('tokenizer-kek', key);
}

/**
 * Whether the policy lets a request through, as Vault's ACL would for these exact-path
 * rules: POST/PUT need `update`, GET needs `read`; `deny` wins; with allowed_parameters,
 * every body field must be listed (an empty list allows any value).
 */
export function allows(rules: PathRule[], method: string, path: string, body: Record<string, unknown>): boolean {
  const rule = rules.find((r) => r.path === path);
  if (!rule || rule.capabilities.includes('deny')) return false;
  const capability =
    method === 'GET' ? 'read' : method === 'POST' || method === 'PUT' ? 'update' : method.toLowerCase();
  if (!rule.capabilities.includes(capability)) return false;
  for (const [name, value] of Object.entries(body)) {
    if (rule.allowedParameters) {
      const allowed = rule.allowedParameters[name];
      if (!allowed) return false;
      if (allowed.length > 0 && !allowed.includes(String(value))) return false;
    }
    const denied = rule.deniedParameters?.[name];
    if (denied && (denied.length === 0 || denied.includes(String(value)))) return false;
  }
  return (rule.requiredParameters ?? []).every((name) => name in body);
}
