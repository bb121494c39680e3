import type { FastifyInstance } from 'fastify';
import { html, layout } from '../../views/html.js';

export async function homeRoutes(app: FastifyInstance) {
  app.get('/', { config: { access: 'session' } }, async (request, reply) => {
    const staff = request.staff;
    return reply.type('text/html; charset=utf-8').send(
      layout(
        { title: 'Home', staff: staff && { handle: staff.handle, csrfToken: app.sessions.csrfToken(request) } },
        html`<p>Logged in as <strong id="staff-handle">${staff?.handle}</strong>.</p>
<p>Your roles: <span id="staff-roles">${staff?.roles.length ? staff.roles.join(', ') : 'none'}</span></p>`,
      ),
    );
  });
}
