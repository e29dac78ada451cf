//! `--help` examples, a few per command (shown after the options).

pub const TOP: &str = "\
Examples:
  otelcost report dump/                               every OTLP file below dump/, by model
  otelcost run --budget 2.50 -- python my_agent.py    an agent's session, priced; exit 4 over budget
  otelcost listen --idle 30s                          an OTLP receiver for one session
  otelcost inspect dump/                              what is in the dump and what was counted
Each command has its own examples: otelcost help COMMAND.";

pub const REPORT: &str = "\
Examples:
  otelcost report dump/                                 every OTLP file below dump/, by model
  otelcost report dump/ --since 7d --by day,model       the last week, per day
  otelcost report dump/ --by team,model --rules rules.toml -o chargeback.csv
  otelcost report dump/ --what-if model=claude-sonnet-4-5:claude-haiku-4-5
  otelcost report dump/ --strict                        exit 3 if anything was unreadable or unpriced
A rules file to start from: `otelcost example rules`; price overrides: `otelcost example prices`.";

pub const INSPECT: &str = "\
Examples:
  otelcost inspect dump/              signals, emitters, models; what was counted and why not
  otelcost inspect traces.jsonl.zst";

pub const PRICES: &str = "\
Examples:
  otelcost prices match \"us.anthropic.claude-sonnet-4-5-20250929-v1:0\"   which entry, and why
  otelcost prices show claude-sonnet-4-5                  price history and tiers
  otelcost prices list --provider anthropic --search sonnet
  otelcost prices update                                  fetch the newest price data";

pub const LISTEN: &str = "\
Examples:
  otelcost listen                          OTLP/HTTP 127.0.0.1:4318, gRPC :4317; Ctrl-C to report
  otelcost listen --idle 30s --by model,service
  otelcost listen --save session/ && otelcost report session/";

pub const DIMENSIONS: &str = "\
Examples:
  otelcost dimensions
  otelcost dimensions --rules rules.toml       what the rules define, in order";

pub const MERGE: &str = "\
Examples:
  otelcost report shard-1/ --format json -o 1.json; otelcost report shard-2/ --format json -o 2.json
  otelcost merge 1.json 2.json
  otelcost merge out/*.json --split-unallocated team --top 20 --format csv -o chargeback.csv";

pub const COMPARE_BILL: &str = "\
Examples:
  otelcost compare-bill dump/ --bill openai-costs.json --bill anthropic-cost.json
  otelcost compare-bill dump/ --bill focus-2026-11.csv --format csv -o coverage.csv
  otelcost compare-bill dump/ --bill openai-costs.json --min-coverage 95     exit 5 below 95%";

pub const BUILT_IN: &str = "\
Examples:
  otelcost completions bash > ~/.local/share/bash-completion/completions/otelcost
  otelcost completions zsh > ~/.zfunc/_otelcost
  otelcost completions fish > ~/.config/fish/completions/otelcost.fish
  otelcost man > otelcost.1 && man ./otelcost.1
  otelcost example rules > rules.toml && otelcost example teams > teams.csv
  otelcost schema report > report.schema.json";
