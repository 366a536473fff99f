# syntax=docker/dockerfile:1
#
# Two stages: compile the release binary on the full Rust image, then copy
# only that binary into a small Debian runtime. Templates, static files and
# database migrations are embedded in the binary, so nothing else is needed.
#
#   docker build -t postmagiq .
#   docker run -p 8080:8080 -v postmagiq-data:/app/data postmagiq

############################ build ############################
FROM rust:1-bookworm AS builder

# SQLite and libpq are compiled from source by their -sys crates (bundled);
# libpq links against OpenSSL.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        pkg-config libssl-dev build-essential \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /build
COPY . .

# The cache mounts keep the crate registry and compiled dependencies between
# builds; the binary is copied out of the cached target dir in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked --bin postmagiq \
 && install -m 0755 target/release/postmagiq /usr/local/bin/postmagiq

############################ runtime ############################
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 postmagiq \
 && useradd --system --uid 10001 --gid postmagiq --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin postmagiq \
 && mkdir -p /app/data \
 && chown -R postmagiq:postmagiq /app

COPY --from=builder /usr/local/bin/postmagiq /usr/local/bin/postmagiq

WORKDIR /app
USER postmagiq:postmagiq

# SQLite database, generated secret key (development only) and the mail outbox
# live here unless DATABASE_URL / DATA_DIR point elsewhere.
VOLUME ["/app/data"]

ENV BIND=0.0.0.0:8080
EXPOSE 8080

# No HEALTHCHECK: the image has no curl/wget. Probe the HTTP port from the
# orchestrator (e.g. a Kubernetes httpGet probe) instead.

ENTRYPOINT ["/usr/local/bin/postmagiq"]
CMD ["serve"]
