// The admin portal as a child of `npm start` (scripts/start.mjs), like scripts/run-tokenizer.mjs:
// its own process group, so a terminal's Ctrl+C reaches only the parent, which stops it before
// PostgreSQL; if the parent dies without doing so (even by SIGKILL), the IPC channel closes and
// the portal stops itself: no orphan holding a staff port.
import { register } from 'tsx/esm/api';

register();
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
process.channel?.unref();
await import('../admin-portal/src/server.ts');
