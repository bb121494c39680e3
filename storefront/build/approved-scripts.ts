// The approved sources of script on the payment page (PCI DSS v4.0.1 6.4.3: each script
// is authorised, its integrity assured, and an inventory kept with a written justification).
// Adding a source here is a reviewed change; a script from any other source fails the build.

export interface ApprovedSource {
  /** 'self' for files the build emits, otherwise the exact origin. */
  origin: string;
  /** Which URLs of that origin are approved. */
  matches(src: string): boolean;
  /** For third-party scripts loaded at run time by our code: the exact URL it loads. */
  runtimeSrc?: string;
  purpose: string;
  owner: string;
  justification: string;
  /** Why a third-party script carries no SRI hash, when it cannot. */
  integrityNote?: string;
}

export const APPROVED_SOURCES: readonly ApprovedSource[] = [
  {
    origin: 'self',
    matches: (src) => /^\/assets\/[\w.-]+\.js$/.test(src),
    purpose: 'The storefront application (React), built from storefront/src by Vite',
    owner: 'Shop engineering: storefront maintainers',
    justification:
      'Renders the shop and starts the payment; it never handles card data, which is typed into Stripe-hosted iframes',
  },
  {
    origin: 'https://js.stripe.com',
    matches: (src) => /^https:\/\/js\.stripe\.com\/(v3\/?|[a-z]+\/stripe\.js)(\?.*)?$/.test(src),
    // The versioned Stripe.js URL that @stripe/stripe-js (pinned in storefront/package.json) injects.
    runtimeSrc: 'https://js.stripe.com/endive/stripe.js',
    purpose: 'Stripe.js: renders the Payment Element (card fields in Stripe iframes) and confirms the payment',
    owner: 'Stripe, Inc. (third party); reviewed by shop engineering',
    justification:
      'Required by Stripe for the Payment Element; keeps card data out of our pages and servers (SAQ A eligibility)',
    integrityNote:
      'Stripe.js is versionless at a fixed URL and does not support SRI (stripe/stripe-js#167); it is allowed by exact origin in the CSP script-src and watched by the change-detection command',
  },
];

export function approvedSourceFor(src: string): ApprovedSource | undefined {
  const origin = src.startsWith('/') && !src.startsWith('//') ? 'self' : safeOrigin(src);
  return APPROVED_SOURCES.find((s) => s.origin === origin && s.matches(src));
}

function safeOrigin(src: string): string | undefined {
  try {
    return new URL(src).origin;
  } catch {
    return undefined;
  }
}
