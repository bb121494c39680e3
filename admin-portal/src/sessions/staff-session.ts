import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { type AuditEntry, recordAudit } from '../audit/audit-trail.js';
import type { Access, Role } from '../auth/access.js';
import {
  CsrfInvalid,
  RoleRequired,
  RouteUndeclared,
  SessionExpired,
  SessionRequired,
  StaffUnknown,
} from '../errors.js';
import { findStaffByCertificate, type StaffMember } from '../staff/staff-directory.js';
import type { SessionData, SessionStore } from './session-store.js';

/** `__Host-`: Secure, Path=/, no Domain, so no other host can set or read it. */
export const SESSION_COOKIE = '__Host-admin-session';

export interface SessionOptions {
  db: pg.Pool;
  store: SessionStore;
  idleMs: number;
  absoluteMs: number;
  now: () => number;
}

export interface OpenSession {
  idHash: string;
  data: SessionData;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The registered staff member of the connection's certificate (looked up unless the route needs only a certificate). */
    staff: StaffMember | undefined;
    session: OpenSession | undefined;
  }
  interface FastifyInstance {
    sessions: {
      /** A fresh session (new id: no fixation) at the given stage; the previous one is destroyed. */
      open(request: FastifyRequest, reply: FastifyReply, stage: SessionData['stage']): Promise<OpenSession>;
      close(request: FastifyRequest, reply: FastifyReply): Promise<void>;
      csrfToken(request: FastifyRequest): string;
      audit(
        request: FastifyRequest,
        entry: Omit<AuditEntry, 'staffId' | 'certificateSerial' | 'sourceIp'>,
      ): Promise<void>;
    };
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');
const csrfFor = (secret: string) => createHmac('sha256', secret).update('admin-portal csrf').digest('base64url');

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function accessOf(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config?.access;
}

/**
 * Staff identity, sessions, access and CSRF, in that order (issue 10, items 3-4):
 * 1. the certificate's registration gives the staff member (never the certificate's subject);
 * 2. the session cookie must belong to that certificate, within the idle (15 min, PCI DSS
 *    8.2.8) and absolute timeouts;
 * 3. the route's declared access is enforced, default deny (PCI DSS 7.2.1);
 * 4. every POST carries the session's CSRF token.
 */
export const staffSession = fp(
  async (app: FastifyInstance, opts: SessionOptions) => {
    await app.register(cookie);
    app.decorateRequest('staff', undefined);
    app.decorateRequest('session', undefined);

    // The store keeps an entry a minute past its deadline so the next request can say
    // "expired" (and audit it) instead of silently starting over; the deadline is checked below.
    const ttl = (data: SessionData) =>
      Math.max(1, Math.min(opts.idleMs, data.createdAt + opts.absoluteMs - opts.now()) + 60_000);

    const setCookie = (reply: FastifyReply, value: string, maxAgeSeconds?: number) =>
      reply.setCookie(SESSION_COOKIE, value, {
        path: '/',
        httpOnly: true,
        secure: true,
        sameSite: 'strict',
        ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
      });

    const audit = (request: FastifyRequest, entry: Omit<AuditEntry, 'staffId' | 'certificateSerial' | 'sourceIp'>) =>
      recordAudit(opts.db, {
        ...entry,
        staffId: request.staff?.id,
        certificateSerial: request.staffCertificate?.serial,
        sourceIp: request.ip,
      });

    app.decorate('sessions', {
      async open(request, reply, stage) {
        if (request.session) await opts.store.destroy(request.session.idHash);
        const staff = request.staff;
        if (!staff) throw new StaffUnknown();
        const id = randomBytes(32).toString('base64url');
        const now = opts.now();
        const data: SessionData = {
          staffId: staff.id,
          certificateSerial: staff.certificateSerial,
          stage,
          createdAt: now,
          lastSeenAt: now,
          csrfSecret: randomBytes(32).toString('base64url'),
        };
        const session = { idHash: hashId(id), data };
        await opts.store.set(session.idHash, data, ttl(data));
        setCookie(reply, id);
        request.session = session;
        return session;
      },
      async close(request, reply) {
        if (request.session) await opts.store.destroy(request.session.idHash);
        request.session = undefined;
        setCookie(reply, '', 0);
      },
      csrfToken(request) {
        const secret = request.session?.data.csrfSecret;
        if (!secret) throw new SessionRequired();
        return csrfFor(secret);
      },
      audit,
    });

    app.addHook('onRequest', async (request, reply) => {
      // Unknown paths go to the not-found page (rate of audit entries bounded by real routes).
      if (request.is404) return;
      const access = accessOf(request);
      if (access === undefined) {
        await audit(request, {
          action: 'access.undeclared_route',
          target: request.url.slice(0, 200),
          outcome: 'denied',
        });
        throw new RouteUndeclared();
      }
      if (access === 'certificate') return;
      const cert = request.staffCertificate;
      request.staff = cert ? await findStaffByCertificate(opts.db, cert) : undefined;
      if (!request.staff) {
        await audit(request, { action: 'login.unknown_certificate', outcome: 'denied' });
        throw new StaffUnknown();
      }

      const id = request.cookies[SESSION_COOKIE];
      if (id && id.length <= 100) {
        const idHash = hashId(id);
        const data = await opts.store.get(idHash);
        const now = opts.now();
        if (data && (data.staffId !== request.staff.id || data.certificateSerial !== request.staff.certificateSerial)) {
          // A cookie presented with another person's (or another) certificate: stolen or stale.
          await opts.store.destroy(idHash);
          await audit(request, { action: 'session.certificate_mismatch', outcome: 'denied' });
        } else if (data && (now - data.lastSeenAt > opts.idleMs || now - data.createdAt > opts.absoluteMs)) {
          await opts.store.destroy(idHash);
          await audit(request, { action: 'session.expired', outcome: 'denied' });
          if (access !== 'staff') {
            setCookie(reply, '', 0);
            throw new SessionExpired();
          }
        } else if (data) {
          data.lastSeenAt = now;
          await opts.store.set(idHash, data, ttl(data));
          request.session = { idHash, data };
        }
      }
      if (access === 'staff') return;
      if (request.session?.data.stage !== 'active') {
        if (request.method === 'GET') return reply.redirect('/login', 303);
        throw new SessionRequired();
      }
      if (access === 'session') return;
      const roles = access as readonly Role[];
      if (!roles.some((r) => request.staff?.roles.includes(r))) {
        await audit(request, {
          action: 'access.role_denied',
          target: request.routeOptions.url ?? '',
          outcome: 'denied',
          detail: { method: request.method },
        });
        throw new RoleRequired();
      }
    });

    // After the body is parsed, before its schema is checked: a forged POST is refused as such.
    app.addHook('preValidation', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD' || accessOf(request) === 'certificate') return;
      const sent = (request.body as { _csrf?: unknown } | undefined)?._csrf;
      const secret = request.session?.data.csrfSecret;
      if (typeof sent !== 'string' || !secret || !equal(sent, csrfFor(secret))) {
        await audit(request, {
          action: 'access.csrf_refused',
          target: request.routeOptions.url ?? '',
          outcome: 'denied',
        });
        throw new CsrfInvalid();
      }
    });
  },
  { name: 'staff-session', fastify: '5.x', dependencies: ['staff-certificate'] },
);
