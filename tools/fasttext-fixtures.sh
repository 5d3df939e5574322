#!/bin/sh
# Regenerates packages/fasttext/test/fixtures/: small supervised fastText models trained
# with Debian's fastText 0.9.2 CLI on generated outlink-like data (the 64 real topic labels, QID
# tokens, fixed seed), two hand-written models that sweep fastText's sigmoid table and exp, and
# the predictions python3-fasttext 0.9.2 makes for a set of documents, with every probability
# recorded as its float32 bit pattern so tests can compare exactly.
#
# Needs: apt-get install fasttext python3-fasttext (run with Debian's /usr/bin/python3).
# Usage: tools/fasttext-fixtures.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/packages/fasttext/test/fixtures"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.bin "$OUT"/expected.json

FASTTEXT=${FASTTEXT:-/usr/bin/fasttext}
PYTHON=${PYTHON:-/usr/bin/python3}

# 1. Training data: every document is a handful of topics and outlinks mostly drawn from those
# topics' QIDs, with a few unicode words so that multi-byte tokens are in the vocabulary.
"$PYTHON" - "$ROOT/packages/outlink/src/labels.ts" "$WORK/train.txt" "$WORK/vocab.txt" <<'PY'
import random, re, sys
labels = re.findall(r"^\s+'([^']+)',$", open(sys.argv[1], encoding='utf-8').read(), re.M)
assert len(labels) == 64, len(labels)
rng = random.Random(20221111)
unicode_words = ['Zürich', '東京', 'Ωmega', 'naïve', 'Кириллица', '😀']
qids = sorted({'Q%d' % rng.randrange(1, 10_000_000) for _ in range(1400)}) + unicode_words
topic_words = {label: rng.sample(qids, 60) for label in labels}
with open(sys.argv[2], 'w', encoding='utf-8') as out:
    for _ in range(1200):
        topics = rng.sample(labels, rng.randint(1, 3))
        pool = [w for t in topics for w in topic_words[t]]
        words = [rng.choice(pool) if rng.random() < 0.85 else rng.choice(qids)
                 for _ in range(rng.randint(5, 80))]
        out.write(' '.join('__label__' + t for t in topics) + ' ' + ' '.join(words) + '\n')
with open(sys.argv[3], 'w', encoding='utf-8') as out:
    out.write('\n'.join(qids) + '\n')
PY

# 2. Train one model per loss the scorer supports; one thread so that training is deterministic.
for loss in ova softmax ns; do
  "$FASTTEXT" supervised -input "$WORK/train.txt" -output "$WORK/$loss" -loss "$loss" \
    -dim 10 -epoch 10 -lr 0.5 -wordNgrams 1 -minn 0 -maxn 0 -bucket 0 -minCount 1 \
    -thread 1 -seed 7 -verbose 0
  cp "$WORK/$loss.bin" "$OUT/$loss.bin"
done

# 3. Hand-written models (dim 1, no `</s>`): word `x<i>` has the input weight x_i, so that
# predicting `x<i>` scores exactly x_i. `sigmoid.bin` (ova, one label) hits every entry and both
# edges of the sigmoid table; `exp.bin` (softmax, two labels) runs exp over [-17, 0].
# `expected.json` also records glibc's expf for inputs where it is not correctly rounded.
# 4. Predictions of python3-fasttext for every model and document.
"$PYTHON" - "$OUT" "$WORK/vocab.txt" <<'PY'
import ctypes, json, random, struct, sys
import numpy as np
import fasttext

out_dir, vocab_file = sys.argv[1], sys.argv[2]

def write_model(path, loss, values, labels, out_weights):
    words = ['x%d' % i for i in range(len(values))]
    head = struct.pack('<ii', 793712314, 12)
    # dim, ws, epoch, minCount, neg, wordNgrams, loss, model (sup), bucket, minn, maxn, lrUpdateRate, t
    head += struct.pack('<12id', 1, 5, 1, 1, 5, 1, loss, 3, 0, 0, 0, 100, 1e-4)
    head += struct.pack('<iiiqq', len(words) + len(labels), len(words), len(labels), len(words), -1)
    for i, w in enumerate(words + labels):
        head += w.encode() + b'\0' + struct.pack('<qb', 1, 0 if i < len(words) else 1)
    body = struct.pack('<?qq', False, len(values), 1) + np.asarray(values, '<f4').tobytes()
    body += struct.pack('<?qq', False, len(labels), 1) + np.asarray(out_weights, '<f4').tobytes()
    with open(path, 'wb') as f:
        f.write(head + body)
    return words

f32 = np.float32
sweep = []
for i in range(513):
    edge = f32(-8 + i / 32)
    sweep += [edge, np.nextafter(edge, f32(-100)), edge + f32(1 / 64)]
sweep += [f32(-8.0001), f32(8.0001), f32(-100), f32(100), f32(0), f32(-0.0), f32(1e-30)]
sigmoid_words = write_model(f'{out_dir}/sigmoid.bin', 4, sweep, ['__label__p'], [1])
# Inputs where glibc's float32 expf differs from exp in double rounded to float32 (about 4 in
# 100,000): they pin down which exponential each step of fastText uses.
libm = ctypes.CDLL('libm.so.6')
libm.expf.restype, libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
libm.exp.restype, libm.exp.argtypes = ctypes.c_double, [ctypes.c_double]
hard_rng = random.Random(97)
hard_expf = []
while len(hard_expf) < 150:
    x = float(f32(hard_rng.uniform(-11.6, 0.0001)))
    if libm.expf(x) != float(f32(libm.exp(x))):
        hard_expf.append(x)
exp_values = [f32(-17 + i / 61.3) for i in range(1100)] + [f32(x) for x in hard_expf if x < -0.01]
exp_words = write_model(f'{out_dir}/exp.bin', 3, exp_values, ['__label__a', '__label__b'], [1, 0])

rng = random.Random(4242)
vocab = open(vocab_file, encoding='utf-8').read().split()
def doc(n, oov=0.1):
    return ' '.join(rng.choice(vocab) if rng.random() > oov else 'Q%d' % rng.randrange(10**9, 10**10)
                    for _ in range(n))
a, b, c = vocab[0], vocab[1], vocab[2]
edge_docs = [
    '', ' ', '\t\t  \r', 'Q0000 Qnope 12345', a, f'{a} {a} {a} {a}', f'{a} {b} {c}',
    f'  {a}\t\t{b}\r{c}\x0b{a}\x0c{b}\x00{c}  ',
    f'__label__STEM.Physics {a} {b}', f'__label__Nope __label__ {a}', '__label__STEM.Physics',
    f'{a} </s> {b} {c}', '</s>', f'</s> {a}', f'{a}</s> {b}', 'Zürich 東京 Ωmega naïve Кириллица 😀',
    'zürich Zürich\u00a0東京 東京', f'{a}\u00a0{b}', f'{a}\u2003{b} {c}', doc(2000), doc(5000, 0.5),
]
random_docs = [doc(rng.randint(1, 400)) for _ in range(60)]

cases = []
models = {}
texts = []
text_index = {}
def record(name, m, docs, k=-1, threshold=0.0):
    labels = models[name]['labels']
    for text in docs:
        got_labels, probs = m.predict(text, k=k, threshold=threshold)
        if text not in text_index:
            text_index[text] = len(texts)
            texts.append(text)
        cases.append({
            'model': name, 'text': text_index[text], 'k': k, 'threshold': threshold,
            'labels': [labels.index(l) for l in got_labels],
            'bits': ''.join('%08x' % struct.unpack('<I', struct.pack('<f', p))[0] for p in probs),
        })

for name in ['ova', 'softmax', 'ns', 'sigmoid', 'exp']:
    m = fasttext.load_model(f'{out_dir}/{name}.bin')
    models[name] = {'file': f'{name}.bin', 'labels': list(m.get_labels()),
                    'nwords': len(m.get_words()), 'dim': m.get_dimension()}
    if name == 'sigmoid':
        record(name, m, sigmoid_words + ['', 'x0 x1', 'x1000 x1001 x3'])
    elif name == 'exp':
        record(name, m, exp_words)
    else:
        record(name, m, edge_docs + random_docs)
        record(name, m, edge_docs[:8] + random_docs[:20], k=3)
        record(name, m, random_docs[:20], k=1)
        record(name, m, edge_docs[:8] + random_docs[:20], threshold=0.5)
        record(name, m, random_docs[20:30], k=5, threshold=0.01)

# One case per line keeps the file small and its diffs readable. `text` indexes `texts`;
# `labels` index the model's labels; `bits` is one 8-hex-digit float32 per prediction.
def line(value):
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'))
with open(f'{out_dir}/expected.json', 'w', encoding='utf-8') as f:
    f.write('{"generator":"tools/fasttext-fixtures.sh","fasttext":"0.9.2 (Debian python3-fasttext)",\n')
    f.write('"models":' + line(models) + ',\n')
    f.write('"expf":' + line([['%08x' % struct.unpack('<I', struct.pack('<f', x))[0],
                               '%08x' % struct.unpack('<I', struct.pack('<f', libm.expf(x)))[0]]
                              for x in hard_expf]) + ',\n"texts":[\n')
    f.write(',\n'.join(line(t) for t in texts) + '\n],\n"cases":[\n')
    f.write(',\n'.join(line(c) for c in cases) + '\n]}\n')
PY
ls -l "$OUT"
