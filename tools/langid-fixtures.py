"""The languages table and the test expectations of @liftwing/langid, from Lift Wing's own server code.

Run with Debian's python3 (it has python3-fasttext 0.9.2 and numpy):

    /usr/bin/python3 tools/langid-fixtures.py <inference-services git dir> [<commit>]

The git dir is a clone of wikimedia/machinelearning-liftwing-inference-services (bare or not);
the commit defaults to HEAD. The script copies the server's `src/models/langid/model.py`,
`src/models/langid/languages.tsv` and `python/preprocess_utils.py` at that commit into a
temporary directory and runs that code itself, so the expectations are what the server computes,
not a re-implementation of it. Only KServe is replaced (it is not installed here, and the
langid code uses nothing of it but the `Model` base class and the `InvalidInput` exception,
which KServe answers as 400 {"error": message}).

It writes:

- packages/langid/src/languages.json: the server's table (label -> wikicode, languagename), read
  with the server's csv.DictReader call but without its off-by-one that drops the first row
  (see the package README), with the repository, path and commit it came from;
- packages/langid/test/fixtures/expected.json: for each request body, what the server answers
  with the fastText fixture packages/fasttext/test/fixtures/subwords/softmax-2-5.bin (real
  lid201 labels, minn 2 / maxn 5 like lid201): status and response, or status and error; and for
  labels the server's table lacks, what the server's predict does with them.
"""
import csv
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = 'packages/fasttext/test/fixtures/subwords/softmax-2-5.bin'
REPO = 'wikimedia/machinelearning-liftwing-inference-services'
FILES = ['src/models/langid/model.py', 'src/models/langid/languages.tsv', 'python/preprocess_utils.py']


def git(git_dir, *args):
    return subprocess.run(['git', '-C', git_dir, *args], check=True, capture_output=True).stdout


def server_code(git_dir, commit, into):
    for path in FILES:
        os.makedirs(os.path.join(into, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(into, path), 'wb') as f:
            f.write(git(git_dir, 'show', f'{commit}:{path}'))
    open(os.path.join(into, 'python', '__init__.py'), 'w').close()


class InvalidInput(Exception):
    """KServe's `InvalidInput`: the server answers it as 400 {"error": str(exception)}."""


def stub_kserve():
    kserve = types.ModuleType('kserve')

    class Model:
        def __init__(self, name):
            self.name = name

    kserve.Model = Model
    kserve.ModelServer = object
    errors = types.ModuleType('kserve.errors')
    errors.InvalidInput = InvalidInput
    kserve.errors = errors
    sys.modules['kserve'] = kserve
    sys.modules['kserve.errors'] = errors


def load_server(into):
    stub_kserve()
    sys.path.insert(0, into)
    os.environ['MODEL_PATH'] = os.path.join(ROOT, FIXTURE)
    os.environ.pop('MAX_TEXT_LENGTH', None)
    spec = importlib.util.spec_from_file_location('langid_model', os.path.join(into, FILES[0]))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LanguageIdentificationModel('langid')


def answer(server, body):
    """What the server answers for a request body: preprocess, then predict, as KServe calls them."""
    try:
        text = server.preprocess(body)
    except InvalidInput as error:
        return {'status': 400, 'error': str(error)}
    except Exception as error:  # KServe answers any other exception with a 500
        return {'status': 500, 'exception': f'{type(error).__name__}: {error}'}
    try:
        response = server.predict(text)
    except Exception as error:
        return {'status': 500, 'normalized': text, 'exception': f'{type(error).__name__}: {error}'}
    # score is a numpy.float64 (a float32 probability widened); KServe's orjson writes it as the
    # shortest repr of that double, as json.dumps does.
    response['score'] = float(response['score'])
    return {'status': 200, 'normalized': text, 'response': response}


def label_answer(server, label, score):
    """The server's predict for a model that answers `label`: its table lookup alone."""
    import numpy as np

    real = server.model
    server.model = types.SimpleNamespace(predict=lambda text: ((label,), np.array([score])))
    try:
        return answer(server, {'text': 'x'})
    finally:
        server.model = real


def bodies():
    subwords = json.load(open(os.path.join(ROOT, 'packages/fasttext/test/fixtures/subwords/expected.json'), encoding='utf-8'))
    # The engine's test texts: every script of the fixture, emoji, 4-byte characters, empty and
    # whitespace-only text, `</s>`, label tokens, fastText's separators, long words.
    texts = list(subwords['texts'])
    word = 'aбγ'
    texts += [
        # Newlines, carriage returns and tabs inside and around, which the server collapses.
        'fjtmresm\nbjtzam\r\nftjkej', '\n\nоеаинт срвлк\n', 'ann\t\tacfbnhso\v', ' \n\t\r\v ',
        # What Python's strip removes at the ends but the collapse leaves inside.
        '\u3000\x1c kßdsbh eamßg \x1f\u00a0', 'kßdsbh\u00a0eamßg\u2003bllo',
        # The length cut: exactly 100 characters, 101, a cut that ends on a space, a cut inside an
        # emoji ZWJ sequence and inside 4-byte characters, long text after collapsing.
        'x' * 100, 'x' * 101, ('abcd ' * 20)[:100] + 'zz', 'ab ' * 40,
        'q' * 97 + '👨\u200d👩\u200d👧' + ' tail', '𝕏' * 150, ('é  \n' * 60),
        ' ' * 150 + 'ифxàiêdxmh', word * 40,
    ]
    cases = [{'text': text} for text in texts]
    # Request checks: missing or falsy text, and text of other types.
    cases += [{}, {'text': None}, {'text': 0}, {'text': False}, {'text': []}, {'text': {}},
              {'text': 42}, {'text': 1.5}, {'text': True}, {'text': ['a']}, {'text': {'a': 1}},
              {'text': 'ann', 'extra': 1}, {'other': 'ann'}]
    return cases


def table(path):
    # The server's reader, without `if index == 0: continue` (DictReader has already read the
    # header, so that line drops ace_Arab, the first language).
    rows = csv.DictReader(open(path, encoding='utf-8'), delimiter='\t')
    return {row['lid_language']: {'wikicode': row['wikicode'], 'languagename': row['language_name']}
            for row in rows}


def main(git_dir, commit):
    commit = git(git_dir, 'rev-parse', commit).decode().strip()
    # The server logs every refused request; here that is noise.
    logging.disable(logging.ERROR)

    with tempfile.TemporaryDirectory() as into:
        server_code(git_dir, commit, into)
        server = load_server(into)
        languages = table(os.path.join(into, FILES[1]))
        cases = [{'body': body, **answer(server, body)} for body in bodies()]
        labels = [
            # The first row of languages.tsv, which the server's reader skips.
            '__label__ace_Arab',
            # A label of the table with an empty wikicode, and one of another model entirely.
            '__label__apc_Arab', '__label__xxx_Latn',
        ]
        label_cases = [{'label': label, 'score': 0.5, **label_answer(server, label, 0.5)} for label in labels]
    source = {'repository': REPO, 'path': FILES[1], 'commit': commit,
              'generator': 'tools/langid-fixtures.py'}
    # One language a line, as Biome lays the file out (it checks src/).
    with open(os.path.join(ROOT, 'packages/langid/src/languages.json'), 'w', encoding='utf-8') as f:
        f.write('{\n  "source": {\n')
        f.write(',\n'.join(f'    {json.dumps(k)}: {json.dumps(v)}' for k, v in source.items()))
        f.write('\n  },\n  "languages": {\n')
        f.write(',\n'.join(f'    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(", ", ": ")).replace("{", "{ ").replace("}", " }")}'
                            for k, v in languages.items()))
        f.write('\n  }\n}\n')

    def line(value):
        return json.dumps(value, ensure_ascii=False, separators=(',', ':'))

    out = os.path.join(ROOT, 'packages/langid/test/fixtures/expected.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        meta = {**source, 'path': FILES[0], 'model': FIXTURE,
                'fasttext': '0.9.2 (Debian python3-fasttext; the server pins 0.9.3, whose predict is the same)'}
        f.write('{"source":' + line(meta) + ',\n"cases":[\n')
        f.write(',\n'.join(line(c) for c in cases) + '\n],\n"labels":[\n')
        f.write(',\n'.join(line(c) for c in label_cases) + '\n]}\n')


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else 'HEAD')
