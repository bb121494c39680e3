/**
 * The real order-worker (startOrderWorker: outbox relay + quorum-queue consumer) for
 * bench/pipeline.bench.ts, in its own process. Environment: the worker's own variables
 * (WORKER_DATABASE_URL, AMQP_URL, AMQP_TOPOLOGY_PREFIX, MAIL_DIR, ...), read by loadWorkerConfig.
 * It runs without a tokenizer, so it sends no mail: confirmations are the mail handler's, on
 * their own queue (order-worker/test/mail/ covers them), and this bench measures fulfilment.
 * IPC: sends { prefetch, batchSize } when started; 'stats' -> { stats: { worker } }
 * (worker counts summed over every start); 'cpu' -> { cpuMicros }; 'pause' stops the worker
 * gracefully -> { paused }; 'resume' starts a new one -> { resumed }; 'profile-start' and
 * 'profile-stop' as profile-on-request.ts answers them; SIGTERM stops and exits.
 */
import pino from 'pino';
import { loadWorkerConfig } from '../../order-worker/src/config.js';
import { workerLoggerOptions } from '../../order-worker/src/log-fields.js';
import { type OrderWorker, startOrderWorker } from '../../order-worker/src/server.js';
import { answerProfileRequests } from './profile-on-request.js';

const config = loadWorkerConfig();
// Info level as in production (one line per fulfilled order), written to /dev/null.
const log = pino(workerLoggerOptions(config.LOG_LEVEL), pino.destination({ dest: '/dev/null', sync: false }));
async function start(): Promise<OrderWorker> {
  const started = await startOrderWorker(config, { log });
  if (started.mode !== 'amqp') throw new Error(`worker started in ${started.mode} mode: is AMQP_URL set?`);
  return started;
}
/** Counts of workers already stopped (a pause), added to the running one's. */
const earlier: Record<string, number> = {};
function workerStats(): Record<string, number> {
  const sum = { ...earlier };
  for (const [k, v] of Object.entries(worker?.stats() ?? {})) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}
let worker: OrderWorker | undefined = await start();
process.send?.({ prefetch: config.WORKER_PREFETCH, batchSize: config.OUTBOX_BATCH_SIZE });
process.on('message', (m) => {
  if (m === 'stats') {
    process.send?.({ stats: { worker: workerStats() } });
  }
  if (m === 'pause' && worker) {
    const stopping = worker;
    void stopping.stop().then(() => {
      for (const [k, v] of Object.entries(stopping.stats())) earlier[k] = (earlier[k] ?? 0) + v;
      worker = undefined;
      process.send?.({ paused: true });
    });
  }
  if (m === 'resume' && !worker) {
    void start().then((w) => {
      worker = w;
      process.send?.({ resumed: true });
    });
  }
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  }
});
answerProfileRequests();
process.once('SIGTERM', () => {
  void (worker?.stop() ?? Promise.resolve()).then(() => process.exit(0));
});
