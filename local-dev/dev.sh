#!/usr/bin/env bash
# `just dev`: the local stack in one command. Starts moto (AWS, seeded with an RDS MySQL
# instance and a Kinesis stream), an SMTP sink (aiosmtpd, messages printed to its log),
# a bare IaC repository made from local-dev/iac-repo, and `aiops serve --watch` on a
# config derived from config/config.local.yaml (plus the `aws` source on moto and an
# email channel to the sink). Prints the console/API URL; Ctrl-C stops all it started.
#
# Environment: AIOPS_BIN (the aiops binary; default: `cargo build -p aiops`),
# AIOPS_MOTO_VENV (default target/moto-venv, as the tests and .ci/run make it),
# AIOPS_DEV_DIR (state, logs, the bare repository; default target/dev), AIOPS_DEV_PORT
# (the API's port; default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${AIOPS_MOTO_VENV:-$ROOT/target/moto-venv}"
WORK="${AIOPS_DEV_DIR:-$ROOT/target/dev}"
PORT="${AIOPS_DEV_PORT:-8080}"
MOTO_VERSION=5.2.5       # keep in step with .ci/run
AIOSMTPD_VERSION=1.4.6

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "dev: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$VENV/bin/moto_server" ]; then
  echo "dev: making $VENV (moto $MOTO_VERSION, aiosmtpd $AIOSMTPD_VERSION)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  touch "$VENV/.aiops-moto-$MOTO_VERSION"
fi
if ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
  touch "$VENV/.aiops-aiosmtpd-$AIOSMTPD_VERSION"
fi
PY="$VENV/bin/python"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

AIOPS="${AIOPS_BIN:-}"
if [ -z "$AIOPS" ]; then
  cargo build -p aiops
  AIOPS="$ROOT/target/debug/aiops"
fi
mkdir -p "$WORK"

MOTO_PORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
pids+=($!)
SMTP_PORT=$(free_port)
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Debugging >"$WORK/smtp.log" 2>&1 &
pids+=($!)

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
for _ in $(seq 100); do
  "$PY" -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
# Seed moto: an RDS MySQL instance (known problems: no deletion protection, one AZ)
# and a Kinesis stream.
"$PY" - <<'SEED'
import boto3
rds = boto3.client("rds")
if not rds.describe_db_instances()["DBInstances"]:
    rds.create_db_instance(DBInstanceIdentifier="orders-db", Engine="mysql",
        EngineVersion="8.0.35", DBInstanceClass="db.t3.medium", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="not-a-secret-0", MultiAZ=False)
kinesis = boto3.client("kinesis")
if not kinesis.list_streams()["StreamNames"]:
    kinesis.create_stream(StreamName="clickstream", ShardCount=2)
SEED

# The dev config: config.local.yaml with absolute paths, the aws source, the SMTP sink.
"$PY" - "$ROOT" "$WORK" "$PORT" "$SMTP_PORT" <<'CONFIG'
import os, sys, yaml
root, work, port, smtp = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
base = os.path.join(root, "config")
config = yaml.safe_load(open(os.path.join(base, "config.local.yaml")))
beside = lambda p: os.path.normpath(os.path.join(base, p))
def source(s):
    kind, _, path = s.partition(":")
    return f"{kind}:{beside(path)}" if kind in ("manifests", "snapshot") else s
config["sources"] = [source(s) for s in config.get("sources", [])] + ["aws"]
config["data_dir"] = os.path.join(work, "data")
repo = config.setdefault("gitops", {}).setdefault("repo", {})
repo["url"] = os.path.join(work, "iac-remote.git")
repo["seed"] = beside(repo.get("seed", "../local-dev/iac-repo"))
config.setdefault("collectors", {})["aws"] = {"regions": ["eu-west-1"]}
config["notifications"] = {
    "console_url": f"http://127.0.0.1:{port}",
    "channels": {"dev-mail": {"type": "email",
        "smtp": {"host": "127.0.0.1", "port": smtp, "tls": "none"},
        "from": "aiops@localhost", "to": ["you@localhost"]}},
    "default_channel": "dev-mail"}
config["api"] = {"listen": f"127.0.0.1:{port}", "read_open": True}
yaml.safe_dump(config, open(os.path.join(work, "config.yaml"), "w"), sort_keys=False)
CONFIG

mkdir -p "$WORK/plugins"
"$AIOPS" serve --watch --config "$WORK/config.yaml" --plugins "$WORK/plugins" \
  >"$WORK/serve.log" 2>&1 &
serve=$!
pids+=($serve)
for _ in $(seq 600); do
  kill -0 "$serve" 2>/dev/null || { echo "dev: aiops serve exited; see $WORK/serve.log"; tail -20 "$WORK/serve.log"; exit 1; }
  "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/readyz')" 2>/dev/null && break
  sleep 0.2
done
echo "dev: moto on $AWS_ENDPOINT_URL, SMTP sink on 127.0.0.1:$SMTP_PORT ($WORK/smtp.log), IaC remote $WORK/iac-remote.git"
echo "dev: aiops console and API on http://127.0.0.1:$PORT/ (logs: $WORK/serve.log; drop .wasm files into $WORK/plugins; Ctrl-C stops)"
wait "$serve"
