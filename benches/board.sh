#!/usr/bin/env bash
# Load test of the board page over 1,000 posts (not run in CI).
#
# Starts the app on a free port with a throwaway SQLite data dir, creates a user, seeds demo
# posts with `admin seed-demo`, signs in with curl and runs wrk against /w/<slug>/board with the
# session cookie, then stops the server.
#
#   BIN=target/release/postmagiq benches/board.sh     (the default; built when missing)
#   BIN=target/debug/postmagiq POSTS=1000 DURATION=15s THREADS=2 CONNECTIONS=20 benches/board.sh
#
# Needs curl and wrk (Debian package `wrk`, installed with apt-get when missing).

set -euo pipefail

cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/postmagiq}
POSTS=${POSTS:-1000}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-20}
EMAIL=bench@example.com
PASSWORD="a long benchmark passphrase"

if [[ ! -x "$BIN" ]]; then
  if [[ "$BIN" == target/release/postmagiq ]]; then
    echo "building $BIN (cargo build --release)..." >&2
    cargo build --release --bin postmagiq
  else
    echo "BIN=$BIN is not an executable file" >&2
    exit 1
  fi
fi

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  if [[ $(id -u) -eq 0 ]]; then
    apt-get install -y wrk >/dev/null
  else
    sudo apt-get install -y wrk >/dev/null
  fi
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

DATA=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export DATABASE_URL="sqlite://$DATA/postmagiq.db" DATA_DIR="$DATA" BIND="127.0.0.1:$PORT" \
  PUBLIC_URL="$BASE" DEPLOYMENT_ENV=development BCRYPT_COST=4 RUST_LOG=warn

created=$(printf '%s\n' "$PASSWORD" | "$BIN" admin create-user --email "$EMAIL" --name "Bench Owner" --system-owner)
SLUG=$(sed -n 's|.*workspace /w/\([a-z0-9-]*\).*|\1|p' <<<"$created")
[[ -n "$SLUG" ]] || { echo "could not read the workspace from: $created" >&2; exit 1; }
"$BIN" admin seed-demo --workspace "$SLUG" --posts "$POSTS"

"$BIN" serve >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fs "$BASE/healthz" >/dev/null || { echo "the server did not start" >&2; cat "$DATA/server.log" >&2; exit 1; }

# Sign in like a browser: the form's CSRF token comes from the sign-in page and its session.
JAR="$DATA/cookies.txt"
TOKEN=$(curl -fs -c "$JAR" -b "$JAR" "$BASE/auth/login" |
  sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
[[ -n "$TOKEN" ]] || { echo "no csrf_token on the sign-in page" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
  --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "csrf_token=$TOKEN" "$BASE/auth/login")
[[ "$status" == 303 ]] || { echo "sign-in answered $status, expected 303" >&2; exit 1; }
COOKIE=$(awk -F '\t' 'NF == 7 { print $6 "=" $7 }' "$JAR" | paste -sd ';' -)

URL="$BASE/w/$SLUG/board"
page=$(curl -fs -H "Cookie: $COOKIE" "$URL")
cards=$(grep -o 'class="board-card[ "]' <<<"$page" | wc -l)
echo "board: $URL, $POSTS posts, $cards cards rendered, $(wc -c <<<"$page") bytes of HTML"
echo "binary: $BIN; wrk: $THREADS threads, $CONNECTIONS connections, $DURATION"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $COOKIE" "$URL"
