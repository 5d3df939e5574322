#!/bin/sh
# Regenerates packages/fasttext/test/fixtures/subwords/: small supervised fastText models with
# character n-grams (subwords), word n-grams, every loss and product quantisation, trained with
# Debian's fastText 0.9.2 CLI on generated language-identification-like lines (real OpenLID
# lid201 labels such as __label__eng_Latn, 18 scripts' worth of generated words, emoji), and
# the predictions python3-fasttext 0.9.2 makes for a set of test texts, every probability
# recorded as its float32 bit pattern (tools/fasttext-subword-fixtures.py).
#
# Small on purpose: dim 22 or less and a few thousand to 20,000 hash buckets keep the whole set
# near 2 MB. One thread and a fixed seed make training deterministic.
#
# Needs: apt-get install fasttext python3-fasttext (run with Debian's /usr/bin/python3).
# Usage: tools/fasttext-subword-fixtures.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/packages/fasttext/test/fixtures/subwords"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.bin "$OUT"/*.ftz "$OUT"/expected.json

FASTTEXT=${FASTTEXT:-/usr/bin/fasttext}
PYTHON=${PYTHON:-/usr/bin/python3}
HELPER="$ROOT/tools/fasttext-subword-fixtures.py"

"$PYTHON" "$HELPER" data "$WORK"

train() { # name, then fastText options
  name=$1
  shift
  "$FASTTEXT" supervised -input "$WORK/train.txt" -output "$WORK/$name" -epoch 8 -lr 0.5 \
    -minCount 1 -thread 1 -seed 11 -verbose 0 "$@"
  cp "$WORK/$name.bin" "$OUT/$name.bin"
}

# Character n-grams of 2 to 5 (lid201's own range), softmax as lid201.
train softmax-2-5 -loss softmax -dim 8 -minn 2 -maxn 5 -bucket 20000
# 3 to 6 (fastText's usual range) with one-vs-all.
train ova-3-6 -loss ova -dim 8 -minn 3 -maxn 6 -bucket 10000
# Hierarchical softmax, with character and word n-grams together.
train hs-2-4-w2 -loss hs -dim 8 -minn 2 -maxn 4 -wordNgrams 2 -bucket 10000
# Word n-grams alone (no subwords), negative sampling.
train ns-w2 -loss ns -dim 8 -minn 0 -maxn 0 -wordNgrams 2 -bucket 10000
# Single characters (minn 1, where the lone boundaries are left out) and trigrams of words.
train softmax-1-3-w3 -loss softmax -dim 6 -minn 1 -maxn 3 -wordNgrams 3 -bucket 5000
# dim 22: the SIMD kernels sum 16 columns at a time, then 4, then the last 2 one by one.
train softmax-2-4-d22 -loss softmax -dim 22 -minn 2 -maxn 4 -bucket 5000

# Product quantisation (.ftz). fastText quantises the classifier (-qout) only when it has at
# least 256 rows, so that case is a hierarchical softmax model over 270 labels (each language
# split in 15), with norms apart (-qnorm) and the dictionary pruned to 1,500 rows (-cutoff);
# and the one-vs-all model above, unpruned, in sub-vectors of 3 (dim 8: two of 3, one of 2).
"$FASTTEXT" supervised -input "$WORK/train-many.txt" -output "$WORK/hs-many" -epoch 5 -lr 0.5 \
  -minCount 1 -thread 1 -seed 11 -verbose 0 -loss hs -dim 8 -minn 2 -maxn 4 -wordNgrams 2 \
  -bucket 10000
"$FASTTEXT" quantize -input "$WORK/train-many.txt" -output "$WORK/hs-many" -qnorm -qout \
  -cutoff 1500 -dsub 2 -thread 1 -verbose 0
cp "$WORK/hs-many.ftz" "$OUT/hs-270-qout-cutoff.ftz"
cp "$WORK/ova-3-6.bin" "$WORK/ova-q.bin"
"$FASTTEXT" quantize -input "$WORK/train.txt" -output "$WORK/ova-q" -dsub 3 -thread 1 -verbose 0
cp "$WORK/ova-q.ftz" "$OUT/ova-3-6-dsub3.ftz"

"$PYTHON" "$HELPER" expected "$OUT" "$WORK/tests.json" \
  softmax-2-5=softmax-2-5.bin ova-3-6=ova-3-6.bin hs-2-4-w2=hs-2-4-w2.bin ns-w2=ns-w2.bin \
  softmax-1-3-w3=softmax-1-3-w3.bin softmax-2-4-d22=softmax-2-4-d22.bin hs-q=hs-270-qout-cutoff.ftz ova-q=ova-3-6-dsub3.ftz
ls -l "$OUT"
