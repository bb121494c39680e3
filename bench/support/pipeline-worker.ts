/**
 * The real order-worker (startOrderWorker: outbox relay + quorum-queue consumer) for
 * bench/pipeline.bench.ts, in its own process. Environment: the worker's own variables
 * (WORKER_DATABASE_URL, AMQP_URL, AMQP_TOPOLOGY_PREFIX, MAIL_DIR, ...), read by loadWorkerConfig.
 * The mail transport is the folder transport wrapped in a counter of send() calls per order,
 * so the bench can tell a doubled confirmation mail (the folder transport itself drops a
 * second file for the same key, which would hide it).
 * IPC: sends { prefetch, batchSize } when started; 'stats' -> { stats: { worker, mail } }
 * (worker counts summed over every start); 'cpu' -> { cpuMicros }; 'pause' stops the worker
 * gracefully -> { paused }; 'resume' starts a new one -> { resumed }; SIGTERM stops and exits.
 */
import { loggerOptions } from '@shop/shared/logger';
import pino from 'pino';
import { loadWorkerConfig } from '../../order-worker/src/config.js';
import {
  FolderMailTransport,
  type MailMessage,
  type MailTransport,
} from '../../order-worker/src/mail/mail-transport.js';
import { type OrderWorker, startOrderWorker } from '../../order-worker/src/server.js';

class CountingMailTransport implements MailTransport {
  readonly sendsPerOrder = new Map<string, number>();
  constructor(private readonly inner: MailTransport) {}

  async send(message: MailMessage): Promise<void> {
    await this.inner.send(message);
    this.sendsPerOrder.set(message.orderId, (this.sendsPerOrder.get(message.orderId) ?? 0) + 1);
  }
}

const config = loadWorkerConfig();
// Info level as in production (one line per fulfilled order), written to /dev/null.
const log = pino(
  loggerOptions({ service: 'order-worker', level: config.LOG_LEVEL }),
  pino.destination({ dest: '/dev/null', sync: false }),
);
const mail = new CountingMailTransport(new FolderMailTransport(config.MAIL_DIR));
async function start(): Promise<OrderWorker> {
  const started = await startOrderWorker(config, { log, mail });
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
    let sends = 0;
    const multiple: string[] = [];
    for (const [orderId, n] of mail.sendsPerOrder) {
      sends += n;
      if (n > 1) multiple.push(orderId);
    }
    process.send?.({ stats: { worker: workerStats(), mail: { sends, orders: mail.sendsPerOrder.size, multiple } } });
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
process.once('SIGTERM', () => {
  void (worker?.stop() ?? Promise.resolve()).then(() => process.exit(0));
});
