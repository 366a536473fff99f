# Postmagiq task runner. `just --list` shows the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# PostgreSQL used by `just test-pg` unless TEST_DATABASE_URL is already set.
test_database_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Pinned front-end dependencies (see static/vendor/VERSIONS).
htmx_version := "2.0.11"
htmx_sha256 := "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
htmx_license_sha256 := "d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38"
sse_version := "2.2.4"
sse_sha256 := "98a46496de0c3605fbffdce9167ba427bdd9553184f83f149c261891a92c0136"
sse_license_sha256 := "a17d224ce9afdc21ec9491b76a2f5d036d19aa641ac4f85ca29c21f9f7e54fdf"

# Show the available recipes.
default:
    @just --list

# Run the server (release build).
run:
    cargo run --release

# Run the test suite against SQLite.
test:
    cargo test

# Run the test suite against PostgreSQL (override with TEST_DATABASE_URL=...).
test-pg:
    TEST_DATABASE_URL='{{test_database_url}}' cargo test

# Measure the workflow engine against a fake LLM (debug build; see README, Performance).
bench-engine runs="100" latency="200" workers="8":
    cargo run -- bench engine --runs {{runs}} --latency-ms {{latency}} --workers {{workers}}

# Check formatting and run clippy with warnings as errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

# Re-download the pinned htmx files from npm, verify their SHA-256 and copy them into static/vendor/.
vendor:
    #!/usr/bin/env bash
    set -euo pipefail
    dest='{{justfile_directory()}}/static/vendor'
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT

    # fetch PACKAGE VERSION: npm pack into $work and unpack into $work/PACKAGE
    fetch() {
        local pkg="$1" version="$2" tarball
        echo "fetching ${pkg}@${version}"
        tarball="$(cd "$work" && npm pack --silent "${pkg}@${version}" | tail -n 1)"
        mkdir -p "$work/$pkg"
        tar -xzf "$work/$tarball" -C "$work/$pkg"
    }

    # check FILE EXPECTED_SHA256: abort unless the file has exactly this digest
    check() {
        local file="$1" want="$2" got
        got="$(sha256sum "$file" | cut -d' ' -f1)"
        if [[ "$got" != "$want" ]]; then
            echo "SHA-256 MISMATCH for ${file#"$work"/}" >&2
            echo "  expected: $want" >&2
            echo "  got:      $got" >&2
            echo "refusing to update static/vendor/" >&2
            exit 1
        fi
        echo "  ok  $want  ${file#"$work"/}"
    }

    fetch htmx.org '{{htmx_version}}'
    fetch htmx-ext-sse '{{sse_version}}'

    htmx_js="$work/htmx.org/package/dist/htmx.min.js"
    htmx_license="$work/htmx.org/package/LICENSE"
    sse_js="$work/htmx-ext-sse/package/dist/sse.min.js"
    sse_license="$work/htmx-ext-sse/package/LICENSE"

    check "$htmx_js" '{{htmx_sha256}}'
    check "$htmx_license" '{{htmx_license_sha256}}'
    check "$sse_js" '{{sse_sha256}}'
    check "$sse_license" '{{sse_license_sha256}}'

    mkdir -p "$dest"
    install -m 0644 "$htmx_js" "$dest/htmx.min.js"
    install -m 0644 "$htmx_license" "$dest/LICENSE.htmx.org"
    install -m 0644 "$sse_js" "$dest/htmx-ext-sse.min.js"
    install -m 0644 "$sse_license" "$dest/LICENSE.htmx-ext-sse"

    row() { printf '%-22s %-22s %-26s %s\n' "$@"; }
    {
        echo "# Vendored front-end files. Regenerate with 'just vendor'; do not edit by hand."
        row '# file' package 'path in npm tarball' sha256
        row htmx.min.js 'htmx.org@{{htmx_version}}' package/dist/htmx.min.js '{{htmx_sha256}}'
        row LICENSE.htmx.org 'htmx.org@{{htmx_version}}' package/LICENSE '{{htmx_license_sha256}}'
        row htmx-ext-sse.min.js 'htmx-ext-sse@{{sse_version}}' package/dist/sse.min.js '{{sse_sha256}}'
        row LICENSE.htmx-ext-sse 'htmx-ext-sse@{{sse_version}}' package/LICENSE '{{sse_license_sha256}}'
    } > "$dest/VERSIONS"
    echo "static/vendor/ updated"
