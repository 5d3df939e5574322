/** Small, structurally valid model files built from bytes, for the format checks. */

/** A supervised fastText 0.9.2 `.bin` with these words and labels, `dim` columns, no buckets. */
export function fastTextModel(words: string[], labels: string[], dim = 2): Buffer {
  const header = Buffer.alloc(92);
  header.writeInt32LE(793712314, 0);
  header.writeInt32LE(12, 4);
  // dim ws epoch minCount neg wordNgrams loss(ova) model(supervised) bucket minn maxn lrUpdateRate
  for (const [i, v] of [dim, 5, 5, 1, 5, 1, 4, 3, 0, 0, 0, 100].entries()) {
    header.writeInt32LE(v, 8 + 4 * i);
  }
  header.writeDoubleLE(1e-4, 56);
  header.writeInt32LE(words.length + labels.length, 64);
  header.writeInt32LE(words.length, 68);
  header.writeInt32LE(labels.length, 72);
  header.writeBigInt64LE(100n, 76);
  header.writeBigInt64LE(-1n, 84);
  const entries = [...words, ...labels].map((word, i) => {
    const tail = Buffer.alloc(10);
    tail.writeBigInt64LE(1n, 1);
    tail[9] = i < words.length ? 0 : 1;
    return Buffer.concat([Buffer.from(word), tail]);
  });
  const matrix = (rows: number) => {
    const head = Buffer.alloc(17);
    head.writeBigInt64LE(BigInt(rows), 1);
    head.writeBigInt64LE(BigInt(dim), 9);
    return Buffer.concat([head, Buffer.alloc(rows * dim * 4, 0x3f)]);
  };
  return Buffer.concat([header, ...entries, matrix(words.length), matrix(labels.length)]);
}

/** `pickle.dumps({'a': [1, 2]}, 4)`. */
export const PICKLE = Buffer.from('80049510000000000000007d948c0161945d94284b014b0265732e', 'hex');

function varint(value: number): Buffer {
  const out: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return Buffer.from(out);
    }
    out.push((v % 128) | 0x80);
  }
}

/** One length-delimited protobuf field. */
export function protoField(field: number, body: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(body.length), body]);
}

/** A ModelProto with an ir_version, a producer name, an opset and a (dummy) graph. */
export function onnxModel(): Buffer {
  return Buffer.concat([
    Buffer.from([0x08, 0x08]),
    protoField(2, Buffer.from('liftwing-tests')),
    protoField(7, protoField(2, Buffer.from('graph'))),
    protoField(8, Buffer.from([0x10, 0x11])),
  ]);
}
