import type { Queryable } from '../audit/audit-trail.js';
import type { Role } from '../auth/access.js';
import type { StaffCertificate } from '../plugins/staff-certificate.js';

export interface StaffMember {
  id: string;
  handle: string;
  displayName: string;
  roles: Role[];
  certificateSerial: string;
  /** Last completed login (or creation, for someone who never logged in): PCI DSS 8.2.6. */
  lastActiveAt: Date;
}

/**
 * Who a verified certificate belongs to, and their roles, from the portal's own tables
 * (issue 10, item 2). Serial and fingerprint must both match a current, unrevoked registration
 * of an active staff member: a staff-CA certificate nobody registered, or one whose subject
 * names an admin, grants nothing.
 */
export async function findStaffByCertificate(db: Queryable, cert: StaffCertificate): Promise<StaffMember | undefined> {
  const { rows } = await db.query<{
    id: string;
    handle: string;
    display_name: string;
    roles: Role[];
    last_active_at: Date;
  }>(
    `SELECT s.id, s.handle, s.display_name, coalesce(s.last_login_at, s.created_at) AS last_active_at,
            coalesce(array_agg(r.role ORDER BY r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
     FROM admin.staff_certificates c
     JOIN admin.staff s ON s.id = c.staff_id
     LEFT JOIN admin.staff_roles r ON r.staff_id = s.id
     WHERE c.serial = $1 AND c.fingerprint256 = $2 AND c.revoked_at IS NULL AND c.not_after > now()
       AND s.status = 'active'
     GROUP BY s.id`,
    [cert.serial, cert.fingerprint256],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    handle: row.handle,
    displayName: row.display_name,
    roles: row.roles,
    certificateSerial: cert.serial,
    lastActiveAt: row.last_active_at,
  };
}
