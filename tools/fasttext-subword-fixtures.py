"""Helper of tools/fasttext-subword-fixtures.sh (run with Debian's /usr/bin/python3).

`data OUT_DIR`: writes train.txt, generated language-identification-like lines in many
scripts under real OpenLID (lid201) labels, and tests.json, the texts predictions are
recorded for. `expected MODEL_DIR NAME=FILE...`: writes expected.json, what python3-fasttext
0.9.2's `model.predict(text, k, threshold)` returns for every model and test case, every
probability as its float32 bit pattern.
"""
import json
import random
import struct
import sys

# Per label: the characters its generated words are made of, and how often it occurs in the
# training data (unequal, so that the hierarchical softmax's Huffman tree is not balanced).
LANGUAGES = {
    'eng_Latn': ('etaoinshrdlucmfwypvbgkjqxz', 40),
    'deu_Latn': ('enisratdhulcgmobwfkzäöüß', 22),
    'fra_Latn': ('esaitnrulodcmpéèêàçvqfbghjx', 18),
    'spa_Latn': ('eaosrnidlctumpbgvyqhfzjñáéíóú', 15),
    'pol_Latn': ('aioezwnrcyskdtmpuljłbgąęóżśćń', 9),
    'tur_Latn': ('aeinrlıkdmyutsboüşzgçhğvcöp', 7),
    'vie_Latn': ('nhtcgiaươạảốềểộớờợủứừửữ', 5),
    'rus_Cyrl': ('оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё', 30),
    'ukr_Cyrl': ('оанітеирвлкдмпусзяьбгчхйжєїцшщюґф', 8),
    'ell_Grek': ('αοιετνσςρπκμυλδγηχθωφβξζψάέήίόύώ', 10),
    'arb_Arab': ('اليمنوربتعدسفهكقحجشصطخذثزضظغءأإآةى', 12),
    'pes_Arab': ('ایندرهمو بتسلکشزگپچژفعقخحجصطظغ'.replace(' ', ''), 6),
    'heb_Hebr': ('יוהלאבמרנשתדעכחקפסגזצטםןךףץ', 4),
    'hin_Deva': ('कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौंःँ्', 14),
    'mar_Deva': ('अआइईउऊएऐओऔकगचजतदनपबमयरलवशसहळािीुूेैोौं्', 3),
    'zho_Hans': ('的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长', 20),
    'jpn_Jpan': ('のにはをたがでてとしれさあいうえおかきくけこすせそなぬねまみむめもやゆよらりるろわん日本人年大一中出上', 11),
    'kor_Hang': ('이의가는을에하고한다서로지기리사도대자수있부시그나정해아', 8),
}
# Scripts written without spaces: a "word" is a run of characters.
RUNS = {'zho_Hans': (2, 9), 'jpn_Jpan': (2, 8)}
EMOJI = ['😀', '🎉', '👍🏽', '❤️', '🇩🇪', '👨\u200d👩\u200d👧', '🙂', '🔥']


def words_of(rng, label, count):
    chars, _ = LANGUAGES[label]
    low, high = RUNS.get(label, (2, 10))
    out = set()
    while len(out) < count:
        out.add(''.join(rng.choice(chars) for _ in range(rng.randint(low, high))))
    return sorted(out)


def line_of(rng, vocab):
    words = [rng.choice(vocab) for _ in range(rng.randint(2, 14))]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words) + 1), rng.choice(EMOJI))
    return ' '.join(words)


def data(out_dir):
    rng = random.Random(201)
    vocab = {label: words_of(rng, label, 120) for label in LANGUAGES}
    labels = list(LANGUAGES)
    weights = [LANGUAGES[l][1] for l in labels]
    with open(f'{out_dir}/train.txt', 'w', encoding='utf-8') as f:
        for _ in range(2500):
            label = rng.choices(labels, weights)[0]
            f.write(f'__label__{label} {line_of(rng, vocab[label])}\n')

    # fastText quantises a classifier (-qout) only with at least 256 rows: this file splits every
    # language into 15 labels (`__label__eng_Latn-r3`), each favouring its own slice of words.
    with open(f'{out_dir}/train-many.txt', 'w', encoding='utf-8') as f:
        for _ in range(4000):
            label = rng.choices(labels, weights)[0]
            region = rng.randrange(15)
            words = vocab[label][region * 8:region * 8 + 8]
            f.write(f'__label__{label}-r{region} {line_of(rng, words + vocab[label][:10])}\n')

    # Test texts: known words of each language, unknown words of the same scripts (only their
    # n-grams score), mixtures, emoji and other 4-byte characters, fastText's separators and
    # its edge cases.
    trng = random.Random(2023)
    unknown = {label: [w for w in words_of(trng, label, 160) if w not in vocab[label]][:20]
               for label in LANGUAGES}
    texts = ['', ' ', '\t \r ', '\x0b\x0c', '</s>', '</s> ' + vocab['eng_Latn'][0],
             vocab['deu_Latn'][0] + ' </s> ' + vocab['rus_Cyrl'][0], vocab['fra_Latn'][1] + '</s>',
             '<' + vocab['eng_Latn'][2] + '>', '__label__eng_Latn', '__label__eng_Latn ' + vocab['ell_Grek'][0],
             '__label__nope ' + vocab['hin_Deva'][0], '__label__', 'a', 'é', '𝕏', '😀', '👨\u200d👩\u200d👧',
             '𠀀𠀁𠀂', vocab['eng_Latn'][3] + '\x00' + vocab['eng_Latn'][4],
             vocab['spa_Latn'][0] + '\u00a0' + vocab['spa_Latn'][1], vocab['pol_Latn'][0] + '\u3000' + vocab['pol_Latn'][1],
             'x' * 3000, ''.join(trng.choice(LANGUAGES['zho_Hans'][0]) for _ in range(1500)),
             '😀' * 400, 'é' * 700 + 'a', ' '.join(vocab['tur_Latn'][:5]) + ' ' + 'ğ' * 200]
    for label in LANGUAGES:
        texts.append(line_of(trng, vocab[label]))
        texts.append(' '.join(trng.sample(unknown[label], 4)))
        texts.append(unknown[label][0])
    for _ in range(12):
        picks = trng.sample(labels, 3)
        texts.append(' '.join(trng.choice(vocab[l] + unknown[l]) for l in picks for _ in range(2)))
    for _ in range(20):
        label = trng.choice(labels)
        texts.append(line_of(trng, vocab[label] + unknown[label] + EMOJI))
    with open(f'{out_dir}/tests.json', 'w', encoding='utf-8') as f:
        json.dump(texts, f, ensure_ascii=False)


def bits(p):
    return '%08x' % struct.unpack('<I', struct.pack('<f', p))[0]


def expected(model_dir, tests_file, specs):
    import fasttext

    texts = json.load(open(tests_file, encoding='utf-8'))
    models, cases = {}, []
    # Every text with k = -1; the first 40 also with k = 1, k = 3 and thresholds, so that the
    # selection and the hierarchical softmax's pruning are exercised.
    variants = [(-1, 0.0, texts), (1, 0.0, texts[:40]), (3, 0.0, texts[:40]),
                (-1, 0.1, texts[:40]), (3, 0.2, texts[:40]), (-1, 0.5, texts[25:60])]
    for spec in specs:
        name, file = spec.split('=')
        m = fasttext.load_model(f'{model_dir}/{file}')
        args = m.f.getArgs()
        labels = list(m.get_labels())
        models[name] = {'file': file, 'labels': labels, 'nwords': len(m.get_words()),
                        'dim': m.get_dimension(), 'loss': str(args.loss).split('.')[-1],
                        'minn': args.minn, 'maxn': args.maxn, 'wordNgrams': args.wordNgrams,
                        'bucket': args.bucket, 'quantised': m.is_quantized()}
        for k, threshold, subset in variants:
            for text in subset:
                got, probs = m.predict(text, k=k, threshold=threshold)
                cases.append({'model': name, 'text': texts.index(text), 'k': k, 'threshold': threshold,
                              'labels': [labels.index(l) for l in got],
                              'bits': ''.join(bits(p) for p in probs)})

    def line(value):
        return json.dumps(value, ensure_ascii=False, separators=(',', ':'))

    with open(f'{model_dir}/expected.json', 'w', encoding='utf-8') as f:
        f.write('{"generator":"tools/fasttext-subword-fixtures.sh","fasttext":"0.9.2 (Debian python3-fasttext)",\n')
        f.write('"models":' + line(models) + ',\n"texts":[\n')
        f.write(',\n'.join(line(t) for t in texts) + '\n],\n"cases":[\n')
        f.write(',\n'.join(line(c) for c in cases) + '\n]}\n')


if __name__ == '__main__':
    if sys.argv[1] == 'data':
        data(sys.argv[2])
    else:
        expected(sys.argv[2], sys.argv[3], sys.argv[4:])
