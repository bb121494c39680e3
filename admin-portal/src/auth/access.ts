/** Staff roles (issue 10, item 4). Nothing is granted by default. */
export const ROLES = ['support', 'fulfilment', 'finance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route allows, declared on the route itself (`config.access`) so one table of routes
 * and roles can be read and tested:
 * - `certificate`: a verified staff certificate only (health, static files);
 * - `staff`: a registered, active staff member's certificate, before the second factor (login pages);
 * - `session`: a full session (certificate + second factor), any role or none;
 * - a list of roles: a full session holding one of them.
 * A route that declares nothing is refused (default deny, PCI DSS v4.0.1 7.2.1).
 */
export type Access = 'certificate' | 'staff' | 'session' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
