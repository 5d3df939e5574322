import { DEFAULTS, ENV, type ModelDefinition } from '@liftwing/core';
import { requestFlags } from './args.js';

const ENVIRONMENT_VARIABLES: [string, string][] = [
  [ENV.cacheDir, 'artifact cache (default $XDG_CACHE_HOME/liftwing, else ~/.cache/liftwing)'],
  [ENV.offline, '1: --offline by default, and --no-download: models run from the cache only'],
  [ENV.modelsUrl, `published model tree (default ${DEFAULTS.modelsUrl})`],
  [ENV.registry, 'your registry file or https URL, merged over the built-in catalogue'],
  [ENV.apiUrl, `Lift Wing gateway (default ${DEFAULTS.apiUrl})`],
  [ENV.apiToken, 'bearer token for the gateway (sent over https only, never logged)'],
  [
    ENV.userAgent,
    'your User-Agent with a contact: "MyTool/1.0 (https://example.org; me@example.org)"',
  ],
  [ENV.mwApiUrl, `MediaWiki API URL template (default ${DEFAULTS.mwApiUrl})`],
  [ENV.catalogueUrl, 'the published catalogue that liftwing models --check compares with'],
  [ENV.eventStreamsUrl, `EventStreams, for stream and watch (default ${DEFAULTS.eventStreamsUrl})`],
  [ENV.noWarnings, '1: no warnings (no contact in the User-Agent, a model trusted on first use)'],
  ['NO_COLOR', 'no colours (colours are only ever used on a terminal)'],
];
const nameWidth = Math.max(...ENVIRONMENT_VARIABLES.map(([name]) => name.length)) + 2;
const ENVIRONMENT = `Environment:\n${ENVIRONMENT_VARIABLES.map(
  ([name, help]) => `  ${name.padEnd(nameWidth)}${help}`,
).join('\n')}`;

/** `--help` of each command, and of liftwing itself under `''`. */
export const HELP: Readonly<Record<string, string>> = {
  '': `liftwing: the Wikimedia Lift Wing models on the command line, online or offline

Usage: liftwing <command> [options]

Commands:
  models               list the models, their packages and versions
  pull <model>         download and verify a model's offline artifacts
  predict <model>      one prediction, or a JSONL batch with --input-file
  evaluate <model>     a model's metrics on your labelled requests (JSON, an HTML report)
  compare <A> <B>      two versions of a model on the same requests, for a pin bump
  drift <model>        a model's inputs and scores now against a reference sample (PSI, KS)
  serve                a local HTTP server speaking Lift Wing's protocol (KServe v1)
  cache <action>       ls | verify | prune | path | add | rm of the artifact cache
  stream <model>       score a stream of wiki changes: EventStreams, a JSONL file or stdin
  watch <stream>       Lift Wing's own predictions, from Wikimedia's public prediction streams

Options:
  --json               machine-readable output (and errors as JSON on stderr)
  -h, --help           help of liftwing or of a command (liftwing predict --help)
  -V, --version        the version of liftwing

Exit codes: 0 success, 1 failure, 2 bad usage.

${ENVIRONMENT}

Examples:
  liftwing models                          the models, and the alias to name each by
  liftwing predict <model> --help          a model's request flags and examples
  liftwing predict <model> --offline ...   runs it here, downloading it on first use
  liftwing serve --offline --port 8080     every installed model that can run offline
  liftwing pull <model>                    download now; then --no-download never needs to
`,

  models: `Usage: liftwing models [--check] [--json]

Lists the models liftwing knows: name, alias, package (and whether it is installed), modes, the
version Lift Wing runs in production, and whether that version is in the local cache.

Options:
  --check              whether Lift Wing now runs a newer production version than the one
                       installed or cached (reads ${ENV.catalogueUrl}, default main's catalogue)
  --json               a JSON array instead of a table

Examples:
  liftwing models
  liftwing models --json | jq '.[].name'
  liftwing models --check --json | jq .updatesAvailable
`,

  pull: `Usage: liftwing pull <model>[@<version>] [--json]

Downloads the artifacts a model needs offline into the cache and verifies them. <model> is a name
or alias; <version> a registry version id, a model version string, or production, staging,
latest (default: the version the installed model package pins, else production).
Progress is a bar on a terminal and plain lines otherwise (logs, CI).

Options:
  --json               the result as JSON

Examples:
  liftwing pull <model>
  liftwing pull <model>@production
  LIFTWING_CACHE_DIR=/data/liftwing liftwing pull <model>
`,

  evaluate: `Usage: liftwing evaluate <model>[@<version>] [--offline [--no-download]|--online] --input <labelled.jsonl|->
                         [--report <out.html>] [--thresholds <t,...>] [--bins <n>] [--threshold <t>] [--curves]

Scores every line of --input (a request, as predict --input takes it, plus its "label") and
measures the scores against the labels; prints the metrics as JSON. What a label is comes from the
model's package: true or false for a yes/no model (the probability of yes is its score), a list
of labels for a model of many labels (each label's score). Yes/no models: ROC AUC, PR AUC
(average precision, as scikit-learn's average_precision_score), precision, recall, F1 and the
share flagged at each threshold (flagged: score >= threshold), calibration in bins, Brier score.
Models of many labels: micro and macro precision, recall and F1 at a threshold, and a table per
label. A metric the data cannot define (ROC AUC when every label is the same) is null. Lines that
fail are counted and the first listed in "failed"; the metrics are over the others.

Options:
  --input <path>       JSONL of labelled requests, - for stdin
  --report <path>      also write a self-contained HTML report: ROC and PR curves (SVG), tables
  --thresholds <t,...> yes/no models: thresholds of the table (default 0.5,0.6,0.7,0.8,0.9,0.95,
                       0.975,0.98,0.985,0.99)
  --bins <n>           yes/no models: calibration bins of equal width (default 10)
  --threshold <t>      models of many labels: a label is given at this score (default: the
                       model server's)
  --curves             include the curves' points in the JSON (they are in the HTML report)
  --offline, --online, --no-download, --workers <n>: as for predict

Examples:
  liftwing evaluate <model> --offline --input labelled.jsonl --report report.html
  liftwing evaluate <model>@<version> --offline --input labelled.jsonl | jq .binary.rocAuc
`,

  compare: `Usage: liftwing compare <model>@<A> <model>@<B> --input <requests.jsonl|-> [--threshold <t>] [--top <n>]

Scores every request of --input with both versions and says how far they differ: the share of
requests whose decision at the threshold is the same (for a model of many labels: the same labels
given, and the share of label decisions), the score differences B - A (mean, mean and largest
absolute, quantiles of the absolute difference) and the requests that changed most. Each version
runs offline (downloaded on first use); the version online is what the Lift Wing gateway serves.
Lines may carry a "label" (evaluate's files): it is not sent.

Options:
  --input <path>       JSONL of requests, - for stdin
  --threshold <t>      the decision threshold (default: the model server's)
  --top <n>            how many of the most changed requests to list (default 10)
  --no-download, --workers <n>: as for predict --offline

Examples:
  liftwing compare <model>@<pinned version> <model>@production --input requests.jsonl
  liftwing compare <model>@<version> <model>@online --input requests.jsonl | jq .agreement
`,

  drift: `Usage: liftwing drift <model>[@<version>] [--reference <ref.jsonl>] --current <cur.jsonl|-> [--features-only]
                      [--fail-on moderate|major] [--offline [--no-download]|--online]

How far the requests of now (--current) have moved from a reference sample (--reference): for
each numeric feature the model's package computes from a request without the model (which ones,
and from which request form, its package says), and for the model's scores (each label's, for a
model of many labels), the population stability index (PSI, on the reference's deciles) and the
two-sample Kolmogorov-Smirnov test. A series is flagged moderate at PSI >= 0.1 and major at
PSI >= 0.25, the rule of thumb of credit scoring where PSI comes from (Siddiqi, Credit Risk
Scorecards, 2006); "ksDiffers" is KS at 5%, divided by the number of series (Bonferroni).
Without --reference, the reference sample recorded in the registry for the version
(reference-sample.jsonl, an artifact like the model's files) is used, when there is one.
JSON on stdout; a summary on stderr.

Options:
  --reference <path>   JSONL of reference requests (default: the version's recorded sample)
  --current <path>     JSONL of current requests, - for stdin
  --features-only      measure the features only; the model is not run
  --fail-on <level>    exit 1 when a series is flagged at this level or above
  --offline, --online, --no-download, --workers <n>: as for predict

Examples:
  liftwing drift <model> --offline --reference last-year.jsonl --current this-week.jsonl
  liftwing drift <model>@<version> --offline --current this-week.jsonl --fail-on major
`,

  predict: `Usage: liftwing predict <model>[@<version>] [--offline [--no-download]|--online] (<request flags> | --input <json>)
       liftwing predict <model> --input-file <requests.jsonl|-> [--output-file <results.jsonl>] [--resume]

Prints the Lift Wing response JSON of one request, given with flags or as JSON. With
--input-file, answers one request per line (JSONL; - reads stdin) and writes one result per line
in input order. A line that fails becomes a line {"line", "input", "error", "code", "status"} and
the run carries on. Progress and throughput go to stderr. After an interruption, --resume skips
the lines the output file already has (a partly written last line is written again).

Options:
  --offline            run the model on this machine; one not cached yet is downloaded and
                       verified first, with liftwing pull's progress on stderr
  --no-download        with --offline: never download; a model not cached fails at once with
                       the liftwing pull command to run (${ENV.offline}=1 does the same)
  --online             ask the Lift Wing gateway (the default unless ${ENV.offline}=1)
  --input <json>       the request body as JSON
  --input-file <path>  JSONL requests, - for stdin
  --output-file <path> JSONL results (default stdout); never overwritten without --resume
  --resume             continue an interrupted run into --output-file
  --batch-size <n>     lines handed to the model at once (default 50, at most 10000): the
                       model groups them into as few server requests as its server allows
  --concurrency <n>    batches in flight at once (default 4, at most 256)
  --max-line <bytes>   longest input line (default 16777216); a longer one gets an error line
  --workers <n>        --offline: threads scoring on this machine's cores, sharing one copy of
                       the model (default: the cores available, or ${ENV.workers}; 0: none)
  --json               errors and the batch summary as JSON

Request flags: each model's own, one per request field (liftwing predict <model> --help).

Examples:
  liftwing predict <model> --help
  liftwing predict <model> --input '<request JSON>'
  liftwing predict <model> --input-file requests.jsonl --output-file results.jsonl
  liftwing predict <model> --input-file requests.jsonl --output-file results.jsonl --resume
  cat requests.jsonl | liftwing predict <model> --input-file - > results.jsonl
`,

  serve: `Usage: liftwing serve [--host 127.0.0.1] [--port 8080] [--offline [--no-download]|--online] [--models <names>]

Serves models over HTTP with Lift Wing's own protocol (KServe v1), so code written for Lift Wing
works against it unchanged:
  POST /v1/models/<name>:predict   the Lift Wing request and response bodies
  GET  /v1/models/<name>           readiness: {"name": ..., "ready": true}
  GET  /v1/models                  {"models": [...]}
  GET  /                           {"status": "alive"}
  GET  /health                     the models served, their modes and versions
  GET  /metrics                    Prometheus text format
  POST /v1/models/<name>:evaluate  {"instances": [<request with "label">, ...], "thresholds"?,
                                   "threshold"?, "bins"?}: what liftwing evaluate prints
  POST /v1/models/<name>:drift     {"reference"?: [<request>, ...], "current": [...],
                                   "features_only"?}: what liftwing drift prints; without
                                   "reference", the version's recorded reference sample
One JSON access-log line per request goes to stderr. SIGTERM or SIGINT stops accepting
connections, lets requests in flight finish, and exits 0.

Options:
  --host <address>       address to listen on (default 127.0.0.1)
  --port <port>          port (default 8080; 0 picks a free one)
  --offline              run the models on this machine, downloading (with progress) any not
                         cached yet
  --no-download          with --offline: never download; serve cached models only
                         (${ENV.offline}=1 does the same)
  --online               forward to the Lift Wing gateway (the default unless ${ENV.offline}=1)
  --models <names>       comma-separated models to serve, each of which must load (default:
                         every installed model package; with --offline, every one that can run
                         here, and one line on stderr for each skipped: online only, not cached,
                         or its load error)
  --max-body <bytes>     largest request body (default 1048576); larger gets 413
  --request-timeout <s>  seconds a prediction may take before 504 (default 30, or longer
                         where a model served says it is slower)
  --workers <n>          --offline: threads scoring requests side by side, sharing one copy of
                         each model (default: the cores available, or ${ENV.workers}; 0: none)
  --quiet                no access log
  --json                 the startup line (and each model skipped) as JSON

Examples:
  liftwing serve --offline
  liftwing serve --offline --no-download --models <model>
  curl -s localhost:8080/v1/models/<model name>:predict -d '<request JSON>'
`,

  cache: `Usage: liftwing cache <ls|verify|prune|path> [--json] [--dry-run]
       liftwing cache add <model>@<version> <file-or-directory> [--json]
       liftwing cache rm <model>@<version> [--json]

  ls        the cached model versions, their sizes and paths
  verify    checks every cached file against its recorded checksum, and files trusted on first
            use against their format (exit 1 if any fails)
  prune     removes cached versions that no registry knows any more, unreferenced files and
            abandoned partial downloads (--dry-run: only list them)
  path      the cache directory
  add       records a local file, or every file of a directory (e.g. a converted ONNX bundle:
            model.onnx + manifest.json), as a version of a model; it then loads offline like a
            downloaded one. A single file is recorded under the name the registry gives that
            model's file (that of the version, else of its latest published version), whatever
            it is called on disk
  rm        removes one cached version: its files, and the checksums recorded on first use, so
            that the next pull downloads and checks it afresh

Options:
  --json               machine-readable output
  --dry-run            prune: list what would be removed, remove nothing

Examples:
  liftwing cache ls
  liftwing cache verify --json
  liftwing cache add <model>@local-1 ./converted-model
  liftwing cache rm <model>@<version>
  liftwing predict <model>@local-1 --offline <request flags>
  du -sh "$(liftwing cache path)"
`,
  stream: `Usage: liftwing stream <model>[@<version>] --from <source> [--to <sink>] [--checkpoint <file>]
         [--filter key=value,...] [--limit <n>] [--since <time>] [--offline|--online]

Scores every change event of a source with the model, one JSON line per event, in the order of
the source: {"event", "request", "prediction"}, or {"event", "request", "error", "code"} for an
event the model failed on (the run carries on). The model's package says which events it scores
and how an event becomes its request; the others are counted, not written. Delivery is at least
once: the checkpoint moves only past events whose line the sink has, and SIGTERM or SIGINT
finishes what was read, writes the checkpoint and exits 0.

Sources (--from):
  eventstreams:<stream>[,<stream>]   Wikimedia's EventStreams (${ENV.eventStreamsUrl}), e.g.
                                     eventstreams:mediawiki.recentchange or
                                     eventstreams:mediawiki.page_change.v1
  kafka://<brokers>/<topic>?group=<id>
                                     a Kafka topic shared by the workers of a consumer group
                                     (&from=earliest|latest, &session=<ms>); offsets are
                                     committed after the sink has the results
  <file>                             a JSONL file of events (a replay, an export)
  -                                  JSONL events on stdin
Sinks (--to): stdout (the default), a JSONL file (appended to), or kafka://<brokers>/<topic>
(one message per event, keyed by page).

Options:
  --checkpoint <file>    where the run stands (an EventStreams position, a line count): a run
                         with the same file carries on after the last event it wrote (Kafka
                         keeps its group's offsets instead)
  --filter <k=v,...>     keep only these events; keys: wiki (enwiki or en.wikipedia.org),
                         namespace (0: articles), type (edit, new, log...), bot (true or false);
                         several values with |: wiki=enwiki|dewiki
  --limit <n>            stop after n events the filter keeps
  --since <time>         EventStreams: start at this time (ISO 8601), not now; a checkpoint wins
  --offline              run the model on this machine (downloading it on first use)
  --no-download          with --offline: only a cached model
  --online               ask the Lift Wing gateway (the default unless ${ENV.offline}=1)
  --batch-size <n>       events handed to the model at once (default 50)
  --concurrency <n>      batches in flight at once (default 4); the source is read no faster
  --workers <n>          --offline: threads scoring (default: the cores available)
  --json                 the summary as JSON

Examples:
  liftwing stream <model> --offline --from eventstreams:mediawiki.page_change.v1 \\
    --filter wiki=enwiki,namespace=0 --checkpoint enwiki.checkpoint --to scores.jsonl
  liftwing stream <model> --from edits.jsonl --limit 100
`,

  watch: `Usage: liftwing watch <prediction-stream> [--filter key=value,...] [--limit <n>] [--since <time>]
         [--checkpoint <file>]

Prints what Lift Wing predicted for each edit, as Wikimedia publishes it on a public stream (no
gateway quota spent), one JSON line each: {"dt", "wiki", "page_title", "page_id", "rev_id",
"model", "model_version", "predictions", "probabilities"}. Reconnects when the server ends the
stream; SIGINT or SIGTERM stops it, after writing the checkpoint.

Prediction streams:
  mediawiki.page_revert_risk_prediction_change.v1
  mediawiki.page_outlink_topic_prediction_change.v1

Options:
  --filter <k=v,...>     as liftwing stream's, and: prediction (a label the model predicted),
                         score (the lowest probability of those labels): prediction=true,score=0.9
  --limit <n>            stop after n predictions
  --since <time>         start at this time (ISO 8601), not now; a checkpoint wins
  --checkpoint <file>    where the watch stands (an EventStreams position, kept at least once a
                         second and on stop): a watch with the same file carries on after the
                         last line it printed

Examples:
  liftwing watch mediawiki.page_revert_risk_prediction_change.v1 --filter wiki=enwiki,score=0.9
  liftwing watch mediawiki.page_revert_risk_prediction_change.v1 --checkpoint rr.checkpoint >> rr.jsonl
`,
};

/** A value as a command-line word. */
function word(value: unknown): string {
  const text = String(value);
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** `liftwing predict <model> --help`: the model's request flags and examples, from its definition. */
export function modelHelp(definition: ModelDefinition): string {
  const flags = requestFlags(definition);
  const required = new Set(definition.request.required ?? []);
  const width = Math.max(...flags.map(({ flag, spec }) => flag.length + spec.type.length + 5), 0);
  const lines = flags.map(({ flag, field, spec }) => {
    const head = `--${flag} <${spec.type}>`.padEnd(width);
    const notes = [
      required.has(field) ? 'required' : undefined,
      spec.default === undefined ? undefined : `default ${JSON.stringify(spec.default)}`,
    ].filter(Boolean);
    return `  ${head} ${spec.description}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  });
  const examples = definition.request.examples.map((example) => {
    const byField = new Map(flags.map((flag) => [flag.field, flag]));
    const asFlags = Object.entries(example).every(
      ([field, value]) => byField.has(field) && typeof value !== 'object',
    );
    const request = asFlags
      ? Object.entries(example)
          .map(([field, value]) => {
            const { flag, spec } = byField.get(field)!;
            return spec.type === 'boolean'
              ? value
                ? `--${flag}`
                : ''
              : `--${flag} ${word(value)}`;
          })
          .filter(Boolean)
          .join(' ')
      : `--input ${word(JSON.stringify(example))}`;
    return `  liftwing predict ${definition.alias} ${request}`;
  });
  return `Usage: liftwing predict ${definition.alias}[@<version>] [--offline [--no-download]|--online] (<flags> | --input <json>)

${definition.name} (${definition.package}): ${definition.description}
Modes: ${definition.modes.join(', ')}.${definition.request.description ? `\n${definition.request.description}` : ''}

Request flags:
${lines.join('\n')}

The options of every model (--input, --input-file, ...): liftwing predict --help.

Examples:
${examples.join('\n')}
  liftwing predict ${definition.alias} --input-file requests.jsonl --output-file results.jsonl
`;
}
