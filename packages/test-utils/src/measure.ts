/** Small measuring helpers shared by the benchmarks. */
import { readFileSync } from 'node:fs';

/** The float32 bit pattern of a probability, 8 hex digits: how results are compared exactly. */
export function float32Bits(p: number): string {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, p);
  return view.getUint32(0).toString(16).padStart(8, '0');
}

/**
 * Peak RSS of this process image in MiB, from /proc (VmHWM): unlike getrusage's maxrss, it is
 * not inherited from the parent across fork and exec.
 */
export function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}
