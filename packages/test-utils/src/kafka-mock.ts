import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SOURCE = join(ROOT, 'tools', 'kafka-mock', 'kafka-mock.c');
const BINARY = join(ROOT, 'tools', 'kafka-mock', 'kafka-mock');
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

/**
 * Why the Kafka mock cannot run here, or undefined when it can: the harness of `tools/kafka-mock`
 * (built by `.ci/run`) is built now if it is missing and librdkafka-dev is installed.
 */
export function kafkaMockUnavailable(): string | undefined {
  if (existsSync(BINARY)) return undefined;
  if (!existsSync(HEADER)) {
    return `librdkafka's mock cluster is not installed (${HEADER}): apt-get install librdkafka-dev, as .ci/run does`;
  }
  try {
    execFileSync('cc', ['-O2', '-o', BINARY, SOURCE, '-lrdkafka'], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `the Kafka mock harness did not build (cc ${SOURCE} -lrdkafka): ${(error as Error).message}`;
  }
}

/** A running mock cluster: its bootstrap servers, and how to stop it. */
export interface KafkaMock {
  /** `127.0.0.1:port[,...]` */
  brokers: string;
  close(): Promise<void>;
}

/**
 * Starts librdkafka's mock cluster (a real Kafka-protocol server on loopback) with `topics`
 * (`{name: partitions}`). Call {@link kafkaMockUnavailable} first and skip when it says why not.
 */
export async function startKafkaMock(
  topics: Record<string, number>,
  brokers = 1,
): Promise<KafkaMock> {
  const args = [String(brokers), ...Object.entries(topics).map(([t, n]) => `${t}:${n}`)];
  const child = spawn(BINARY, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (text) => {
      lines.close();
      resolve(text.trim());
    });
    child.once('exit', (code) => reject(new Error(`kafka-mock exited with ${code}`)));
  });
  return {
    brokers: line,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // Closing its stdin stops it, as a test that dies would.
        child.stdin.end();
      }),
  };
}
