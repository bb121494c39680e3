// The vault-tokenizer as a child of `npm start` (scripts/start.mjs): its own process, in its
// own process group, so a terminal's Ctrl+C reaches only the parent, which stops the
// tokenizer after the api and before PostgreSQL. If the parent dies without doing so (even
// by SIGKILL), the IPC channel closes and the tokenizer stops itself: no orphan.
import { register } from 'tsx/esm/api';

register();
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
process.channel?.unref();
await import('../vault-tokenizer/src/server.ts');
