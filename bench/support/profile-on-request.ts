/**
 * The child side of a bench's profiled phase (bench/support/cpu-profile.ts, profileWhile):
 * over the IPC channel, 'profile-start' starts V8's sampling profiler in this process through
 * the inspector (answers { profiling: true }) and 'profile-stop' stops it and answers
 * { profile } with the whole .cpuprofile object. The profiler runs only between the two, so the
 * measured phases of a bench run without it.
 */
import { Session } from 'node:inspector/promises';
import type { CpuProfile } from './cpu-profile.js';

/** V8's default for --cpu-prof, set explicitly so every profile samples alike. */
const SAMPLING_INTERVAL_MICROS = 1000;

export function answerProfileRequests(): void {
  let session: Session | undefined;
  process.on('message', (m) => {
    if (m === 'profile-start' && !session) {
      const started = new Session();
      started.connect();
      session = started;
      void (async () => {
        await started.post('Profiler.enable');
        await started.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_MICROS });
        await started.post('Profiler.start');
        process.send?.({ profiling: true });
      })();
    }
    if (m === 'profile-stop' && session) {
      const stopping = session;
      session = undefined;
      void (async () => {
        const { profile } = await stopping.post('Profiler.stop');
        stopping.disconnect();
        process.send?.({ profile: profile as CpuProfile });
      })();
    }
  });
}
