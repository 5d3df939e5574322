/**
 * The float32 functions onnxruntime applies after summing tree leaves, written so that every
 * result is the float onnxruntime-node computes on x86-64 Linux, bit for bit:
 *
 * - {@link expf}: glibc's `expf` (`sysdeps/ieee754/flt-32/e_expf.c`, since glibc 2.27), which
 *   onnxruntime's `ComputeLogistic` calls through `std::exp(float)`. It is not correctly rounded
 *   (0.502 ULP), so `Math.fround(Math.exp(x))` differs from it on about one value in a thousand;
 *   its double-precision steps are reproduced here instead.
 * - {@link computeLogistic}: `ComputeLogistic` of onnxruntime's `ml_common.h`, the LOGISTIC
 *   post-transform of the tree ensembles.
 * - {@link mlasLogistic}: MLAS's logistic kernel (`MlasLogisticKernelFma3`, what the `Sigmoid` op
 *   runs on CPUs with AVX2 and FMA): Eigen's rational approximation with fused multiply-adds.
 *
 * @packageDocumentation
 */

const f = Math.fround;

// glibc's __exp2f_data (e_exp2f_data.c): 2^(i/32) as bits, minus i << 47.
const EXP2F_TABLE = new BigUint64Array([
  0x3ff0000000000000n,
  0x3fefd9b0d3158574n,
  0x3fefb5586cf9890fn,
  0x3fef9301d0125b51n,
  0x3fef72b83c7d517bn,
  0x3fef54873168b9aan,
  0x3fef387a6e756238n,
  0x3fef1e9df51fdee1n,
  0x3fef06fe0a31b715n,
  0x3feef1a7373aa9cbn,
  0x3feedea64c123422n,
  0x3feece086061892dn,
  0x3feebfdad5362a27n,
  0x3feeb42b569d4f82n,
  0x3feeab07dd485429n,
  0x3feea47eb03a5585n,
  0x3feea09e667f3bcdn,
  0x3fee9f75e8ec5f74n,
  0x3feea11473eb0187n,
  0x3feea589994cce13n,
  0x3feeace5422aa0dbn,
  0x3feeb737b0cdc5e5n,
  0x3feec49182a3f090n,
  0x3feed503b23e255dn,
  0x3feee89f995ad3adn,
  0x3feeff76f2fb5e47n,
  0x3fef199bdd85529cn,
  0x3fef3720dcef9069n,
  0x3fef5818dcfba487n,
  0x3fef7c97337b9b5fn,
  0x3fefa4afa2a490dan,
  0x3fefd0765b6e4540n,
]);
// The table split into 32-bit halves, so that the hot path needs no BigInt.
const EXP2F_HI = new Uint32Array(32);
const EXP2F_LO = new Uint32Array(32);
for (let i = 0; i < 32; i++) {
  EXP2F_HI[i] = Number(EXP2F_TABLE[i]! >> 32n);
  EXP2F_LO[i] = Number(EXP2F_TABLE[i]! & 0xffffffffn);
}
/**
 * A C99 hexadecimal float literal (`0x1.8p+52`), exactly: JavaScript has no such literals, and the
 * constants below are glibc's, written as glibc writes them.
 */
function hex(literal: string): number {
  const match = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(literal);
  if (match === null) throw new Error(`not a hex float: ${literal}`);
  const [, sign, whole, fraction = '', exponent] = match;
  // At most 53 significant bits, so the mantissa converts to a double exactly.
  const mantissa = Number(BigInt(`0x${whole}${fraction}`));
  const value = mantissa * 2 ** (Number(exponent) - 4 * fraction.length);
  return sign === '-' ? -value : value;
}

const N = 32;
const INV_LN2_N = hex('0x1.71547652b82fep+0') * N;
const SHIFT = hex('0x1.8p+52');
const C0 = hex('0x1.c6af84b912394p-5') / N / N / N;
const C1 = hex('0x1.ebfce50fac4f3p-3') / N / N;
const C2 = hex('0x1.62e42ff0c52d6p-1') / N;
const OVERFLOW = hex('0x1.62e42ep+6');
const UNDERFLOW = hex('-0x1.9fe368p+6');

// A double's two 32-bit words, without DataView (in the hot path); which one is high depends on
// the platform's byte order.
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** glibc's `expf(x)` for a float32 `x`, as a float32 (in a JS number). */
export function expf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 88) {
    if (x === Number.NEGATIVE_INFINITY) return 0;
    if (x === Number.POSITIVE_INFINITY) return x;
    if (x > OVERFLOW) return Number.POSITIVE_INFINITY;
    if (x < UNDERFLOW) return 0;
  }
  const z = INV_LN2_N * x;
  // kd = z + SHIFT rounds z to an integer in its low mantissa bits (ties to even), as glibc does.
  const shifted = z + SHIFT;
  scratch[0] = shifted;
  const ki = words[LO]!; // low 32 bits of the shifted value: k mod 2^32
  const kd = shifted - SHIFT;
  const r = z - kd;
  // t = T[k % 32] + (k << 47), in uint64 arithmetic. k << 47 has nothing in the low 32 bits, so
  // only the high word changes, by (k << 15) mod 2^32; the table entries are 2^(i/32) minus
  // i << 47, which the low five bits of k put back.
  const index = ki & 31;
  const hi = (EXP2F_HI[index]! + (ki << 15)) >>> 0;
  words[HI] = hi;
  words[LO] = EXP2F_LO[index]!;
  const s = scratch[0]!;
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  return f(y * s);
}

/** `ComputeLogistic` of onnxruntime's `ml_common.h`, in float32. */
export function computeLogistic(value: number): number {
  const v = f(1 / f(1 + expf(-Math.abs(value))));
  return value < 0 ? f(1 - v) : v;
}

/**
 * `fmaf(a, b, c)`: a * b + c rounded once to float32. The product of two floats is exact in a
 * double; the sum is rounded to a double, and rounding that to a float gives the wrong answer
 * only when the double lands exactly halfway between two floats while the exact sum does not:
 * then the sum's rounding error (two-sum) says which way the exact sum lies.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const rounded = f(s);
  if (rounded === s) return rounded;
  // s is halfway exactly when the point as far beyond s as `rounded` is before it is a float
  // (that is then the other neighbour); s - rounded and the sum are exact in that case.
  const other = s + (s - rounded);
  if (f(other) !== other) return rounded;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  if (err === 0) return rounded; // a true tie: f() rounded it to even, as fmaf does
  return err > 0 === rounded > s ? rounded : other;
}

// MlasLogisticConstants (onnxruntime/core/mlas/lib/logistic.cpp), as floats.
const LOWER = -18;
const UPPER = 18;
const ALPHA_9 = f(4.37031012579801e-11);
const ALPHA_7 = f(1.15627324459942e-7);
const ALPHA_5 = f(6.08574864600143e-5);
const ALPHA_3 = f(8.51377133304701e-3);
const ALPHA_1 = f(2.48287947061529e-1);
const BETA_10 = f(6.10247389755681e-13);
const BETA_8 = f(5.76102136993427e-9);
const BETA_6 = f(6.2910678501704e-6);
const BETA_4 = f(1.70198817374094e-3);
const BETA_2 = f(1.16817656904453e-1);
const BETA_0 = f(9.9315192102318e-1);

/**
 * The `Sigmoid` op's float32 result: `MlasLogisticKernelFma3` (x86_64/LogisticKernelFma3.S), step
 * by step: clamp to [-18, 18], two polynomials in x² by fused multiply-adds, p/q + 0.5, and only
 * a lower clamp at 0 (that kernel has no upper one).
 */
export function mlasLogistic(value: number): number {
  if (Number.isNaN(value)) return value;
  const x = Math.max(LOWER, Math.min(UPPER, value));
  const x2 = f(x * x);
  let p = fmaf(x2, ALPHA_9, ALPHA_7);
  p = fmaf(x2, p, ALPHA_5);
  p = fmaf(x2, p, ALPHA_3);
  p = fmaf(x2, p, ALPHA_1);
  let q = fmaf(x2, BETA_10, BETA_8);
  q = fmaf(x2, q, BETA_6);
  q = fmaf(x2, q, BETA_4);
  q = fmaf(x2, q, BETA_2);
  q = fmaf(x2, q, BETA_0);
  p = f(x * p);
  const result = f(f(p / q) + 0.5);
  return Math.max(result, 0);
}
