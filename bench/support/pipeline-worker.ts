/**
 * The real order-worker (startOrderWorker: outbox relay + quorum-queue consumer) for
 * bench/pipeline.bench.ts, in its own process. Environment: the worker's own variables
 * (WORKER_DATABASE_URL, AMQP_URL, AMQP_TOPOLOGY_PREFIX, MAIL_DIR, ...), read by loadWorkerConfig.
 * The mail transport is the folder transport wrapped in a counter of send() calls per order,
 * so the bench can tell a doubled confirmation mail (the folder transport itself drops a
 * second file for the same key, which would hide it).
 * IPC: sends { prefetch, batchSize } when started; 'stats' -> { stats: { worker, mail } };
 * 'cpu' -> { cpuMicros }; SIGTERM stops the worker gracefully and exits.
 */
import { loggerOptions } from '@shop/shared/logger';
import pino from 'pino';
import { FolderMailTransport, type MailMessage, type MailTransport } from '../../api/src/pipeline/mail-transport.js';
import { loadWorkerConfig } from '../../api/src/pipeline/worker-config.js';
import { startOrderWorker } from '../../api/src/worker.js';

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
const worker = await startOrderWorker(config, { log, mail });
if (worker.mode !== 'amqp') throw new Error(`worker started in ${worker.mode} mode: is AMQP_URL set?`);
process.send?.({ prefetch: config.WORKER_PREFETCH, batchSize: config.OUTBOX_BATCH_SIZE });
process.on('message', (m) => {
  if (m === 'stats') {
    let sends = 0;
    const multiple: string[] = [];
    for (const [orderId, n] of mail.sendsPerOrder) {
      sends += n;
      if (n > 1) multiple.push(orderId);
    }
    process.send?.({ stats: { worker: worker.stats(), mail: { sends, orders: mail.sendsPerOrder.size, multiple } } });
  }
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  }
});
process.once('SIGTERM', () => {
  void worker.stop().then(() => process.exit(0));
});
