#!/usr/bin/env bash
# Makes one coding-agent capture again:
#   tests/capture/agents/capture.sh RUN OTELCOST NODE_MODULES [PYTHON]
#     RUN           one of the runs below (testdata/agents/RUN/)
#     OTELCOST      an otelcost binary: `run --no-env --save` is the OTLP sink
#     NODE_MODULES  `npm ci` of this folder's package-lock.json (the agent CLIs)
#     PYTHON        for claude-agent-sdk-*: a Python with requirements-claude-agent-sdk.txt
# The agent runs headless in a scratch folder holding notes.txt, against
# fake_llm_agents.py on loopback, which scripts its tool calls and logs every usage it
# sent; finalize.py then writes testdata/agents/RUN/, tests/capture/agents/RUN/usage.jsonl
# and the truth tests/expected/RUN.json.
set -euo pipefail
run=$1 otelcost=$(realpath "$2") modules=$(realpath "$3") python=${4:-python3}
kit=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$kit/../../.." && pwd)
dir=$(mktemp -d)
mkdir -p "$dir/home" "$dir/work" "$dir/out"
echo "The launch moved to Thursday; the budget is 42 units." >"$dir/work/notes.txt"
bin=$modules/.bin
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
otlp_port=$(free_port)
otlp=http://127.0.0.1:$otlp_port
notes=$dir/work/notes.txt
prompt="List the files here, read notes.txt, then ask a subagent to read it again, and say what it says."

# Per run: the fake server's tool-call script, the agent's environment and its command.
env_common=(HOME="$dir/home" PATH="$PATH" TERM=dumb NO_COLOR=1 CI=true)
fake_args=()
case $run in
gemini-cli-*)
  version=$(node -p "require('$modules/@google/gemini-cli/package.json').version")
  script='[["list_directory",{"dir_path":"."}],["read_file",{"file_path":"notes.txt"}],
           ["invoke_agent",{"agent_name":"generalist","prompt":"Read notes.txt and say what it says."}],
           ["read_file",{"file_path":"notes.txt"}]]'
  mkdir -p "$dir/home/.gemini"
  echo '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' >"$dir/home/.gemini/settings.json"
  agent_env=(GEMINI_CLI_TRUST_WORKSPACE=true GEMINI_API_KEY=fake GOOGLE_GEMINI_BASE_URL=@FAKE@
    GEMINI_TELEMETRY_ENABLED=true GEMINI_TELEMETRY_TARGET=local GEMINI_TELEMETRY_LOG_PROMPTS=false
    GEMINI_TELEMETRY_TRACES_ENABLED=true)
  case $run in
  *-otlp) agent_env+=(GEMINI_TELEMETRY_OTLP_ENDPOINT=$otlp GEMINI_TELEMETRY_OTLP_PROTOCOL=http) ;;
  *-outfile) agent_env+=(GEMINI_TELEMETRY_OUTFILE="$dir/out/gemini-cli-telemetry.log") ;;
  esac
  command=("$bin/gemini" -p "$prompt" -m gemini-2.5-flash --yolo)
  ;;
qwen-code-*)
  version=$(node -p "require('$modules/@qwen-code/qwen-code/package.json').version")
  script='[["glob",{"pattern":"*"}],["read_file",{"file_path":"'$notes'"}],
           ["agent",{"description":"Read the notes","prompt":"Read notes.txt and say what it says.","subagent_type":"general-purpose"}],
           ["read_file",{"file_path":"'$notes'"}]]'
  agent_env=(QWEN_TELEMETRY_ENABLED=true QWEN_TELEMETRY_TARGET=local QWEN_TELEMETRY_LOG_PROMPTS=false
    QWEN_CODE_SUPPRESS_YOLO_WARNING=1)
  # Managed auto-memory (on by default) runs its extractor subagent only after a user
  # query's turn that ends without a tool call: here the model answers at once.
  case $run in
  *-memory-*)
    script='[]'
    prompt="Remember for later: I prefer metric units and short answers." ;;
  esac
  case $run in
  *-openai-same-id-*)
    fake_args=(--same-id)
    agent_env+=(OPENAI_API_KEY=fake OPENAI_BASE_URL=@FAKE@/v1 OPENAI_MODEL=gpt-4.1)
    command=("$bin/qwen" --auth-type openai -p "$prompt" --yolo) ;;
  *-openai-*)
    agent_env+=(OPENAI_API_KEY=fake OPENAI_BASE_URL=@FAKE@/v1 OPENAI_MODEL=gpt-4.1)
    command=("$bin/qwen" --auth-type openai -p "$prompt" --yolo) ;;
  *-anthropic-*)
    agent_env+=(ANTHROPIC_API_KEY=fake ANTHROPIC_BASE_URL=@FAKE@ ANTHROPIC_MODEL=claude-sonnet-4-5)
    command=("$bin/qwen" --auth-type anthropic -m claude-sonnet-4-5 -p "$prompt" --yolo) ;;
  *-gemini-*)
    agent_env+=(GEMINI_API_KEY=fake GOOGLE_GEMINI_BASE_URL=@FAKE@)
    command=("$bin/qwen" --auth-type gemini -m gemini-2.5-flash -p "$prompt" --yolo) ;;
  esac
  case $run in
  *-otlp) agent_env+=(QWEN_TELEMETRY_OTLP_ENDPOINT=$otlp QWEN_TELEMETRY_OTLP_PROTOCOL=http) ;;
  *-outfile) agent_env+=(QWEN_TELEMETRY_OUTFILE="$dir/out/qwen-code-telemetry.log") ;;
  esac
  ;;
copilot-cli-*)
  version=$(node -p "require('$modules/@github/copilot/package.json').version")
  script='[["glob",{"pattern":"*"}],["view",{"path":"'$notes'"}],
           ["task",{"description":"Read the notes","prompt":"Read notes.txt and say what it says.","agent_type":"explore","name":"reader"}],
           ["view",{"path":"'$notes'"}]]'
  agent_env=(COPILOT_OFFLINE=true COPILOT_PROVIDER_API_KEY=fake
    COPILOT_OTEL_EXPORTER_TYPE=file COPILOT_OTEL_FILE_EXPORTER_PATH="$dir/out/copilot-otel.jsonl")
  case $run in
  *-openai-responses-*) agent_env+=(COPILOT_PROVIDER_TYPE=openai COPILOT_PROVIDER_BASE_URL=@FAKE@/v1
    COPILOT_PROVIDER_WIRE_API=responses COPILOT_MODEL=gpt-4.1) ;;
  *-openai-*) agent_env+=(COPILOT_PROVIDER_TYPE=openai COPILOT_PROVIDER_BASE_URL=@FAKE@/v1 COPILOT_MODEL=gpt-4.1) ;;
  *-anthropic-*) agent_env+=(COPILOT_PROVIDER_TYPE=anthropic COPILOT_PROVIDER_BASE_URL=@FAKE@
    COPILOT_MODEL=claude-sonnet-4.5) ;;
  esac
  command=("$bin/copilot" -p "$prompt" --allow-all-tools)
  ;;
opencode-*)
  version=$(node -p "require('$modules/opencode-ai/package.json').version")
  script='[["glob",{"pattern":"*"}],["read",{"filePath":"'$notes'"}],
           ["task",{"description":"Read the notes","prompt":"Read notes.txt and say what it says.","subagent_type":"general"}],
           ["read",{"filePath":"'$notes'"}]]'
  case $run in
  *-openai-*) config='{"provider":{"fake":{"npm":"@ai-sdk/openai-compatible","name":"fake",
    "options":{"baseURL":"@FAKE@/v1","apiKey":"fake"},"models":{"gpt-4.1":{"name":"gpt-4.1"}}}},
    "model":"fake/gpt-4.1","small_model":"fake/gpt-4.1"}' ;;
  *-anthropic-*) config='{"provider":{"anthropic":{"options":{"baseURL":"@FAKE@/v1","apiKey":"fake"}}},
    "model":"anthropic/claude-sonnet-4-5","small_model":"anthropic/claude-sonnet-4-5"}' ;;
  esac
  config=${config/\{/\{\"experimental\":\{\"openTelemetry\":true\},}
  agent_env=(OPENCODE_CONFIG_CONTENT="$config" OTEL_EXPORTER_OTLP_ENDPOINT=$otlp OTEL_BSP_SCHEDULE_DELAY=100)
  command=("$bin/opencode" run "$prompt")
  ;;
claude-agent-sdk-*)
  version=$("$python" -c 'import importlib.metadata as m; print(m.version("claude-agent-sdk"))')
  script='[["Glob",{"pattern":"*"}],["Read",{"file_path":"'$notes'"}],
           ["Agent",{"description":"Read the notes","prompt":"Read notes.txt and say what it says.","subagent_type":"general-purpose"}],
           ["Read",{"file_path":"'$notes'"}]]'
  agent_env=(ANTHROPIC_API_KEY=fake ANTHROPIC_BASE_URL=@FAKE@ CLAUDE_CODE_ENABLE_TELEMETRY=1
    OTEL_METRICS_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp OTEL_TRACES_EXPORTER=otlp CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1
    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
    OTEL_EXPORTER_OTLP_ENDPOINT=$otlp OTEL_METRIC_EXPORT_INTERVAL=1000 OTEL_LOGS_EXPORT_INTERVAL=1000
    DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1)
  command=("$python" "$kit/claude_sdk_session.py" "$prompt")
  ;;
*) echo "unknown run $run" >&2; exit 2 ;;
esac

"$python" "$kit/fake_llm_agents.py" "$dir/fake" --script "$script" "${fake_args[@]}" >"$dir/fake.url" &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
until [ -s "$dir/fake.url" ]; do sleep 0.1; done
fake=$(cat "$dir/fake.url")
agent_env=("${agent_env[@]//@FAKE@/$fake}")

(cd "$dir/work" && "$otelcost" run -q --no-env --http "127.0.0.1:$otlp_port" --no-grpc --save "$dir/sink" --flush 3s -o "$dir/otelcost-report.txt" \
  -- env -i "${env_common[@]}" "${agent_env[@]}" timeout 300 "${command[@]}" >"$dir/agent.stdout" 2>"$dir/agent.stderr")

# What the run was, for the truth file (the fake server's URL and scratch paths vary by run).
printf '%s\n' "${agent_env[@]}" >"$dir/agent.env"
"$python" - "$dir/run.meta.json" "$run" "$version" "$prompt" "$script" "${command[@]##*/}" <<'EOF'
import json, sys
out, run, version, prompt, script, *command = sys.argv[1:]
json.dump({"run": run, "cli_version": version, "prompt": prompt, "command": command,
           "fake_server_tool_script": json.loads(script)}, open(out, "w"), indent=2)
EOF
python3 "$kit/finalize.py" "$run" "$dir" "$repo"
echo "capture in $dir; written under $repo"
