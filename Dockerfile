# syntax=docker/dockerfile:1
#
# procos in one image. The same binary is the engine (`procos serve`) and the bundled
# workers (`procos worker ai`, `procos worker generic`); docker-compose.yml and
# deploy/k8s/ run it with different arguments.
#
#   docker build -t procos .
#   docker run --rm -p 8080:8080 procos            # SQLite in /var/lib/procos/data
#   docker run --rm procos worker generic           # a worker (PROCOS_ENGINE_URL=...)
#
# The image has no HEALTHCHECK of its own: the engine answers GET /health, a worker has
# no port at all, so each deployment checks what fits the role (see docker-compose.yml
# and deploy/k8s/).

# Keep in step with rust-toolchain.toml (tests/compose.rs checks it). The toolchain
# file itself is left out of the build context (.dockerignore): it would make rustup
# fetch rustfmt and clippy, which a release build does not need.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the target folder between builds; the binary is
# copied out of the cached target folder before the mount goes away.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p procos \
    && install -D -m 0755 target/release/procos /out/procos

FROM debian:bookworm-slim AS runtime
# ca-certificates: HTTPS to OpenAI, to SMTP servers with TLS and to http_request targets.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 procos \
    && useradd --system --uid 10001 --gid procos --home-dir /var/lib/procos --shell /usr/sbin/nologin procos \
    && install -d -o procos -g procos /var/lib/procos /var/lib/procos/data /var/lib/procos/files
COPY --from=builder /out/procos /usr/local/bin/procos
# The bundled processes; mount another folder over it (or set PROCOS_PROCESSES) to
# deploy your own.
COPY processes /etc/procos/processes
ENV PROCOS_PROCESSES=/etc/procos/processes \
    PROCOS_DATA_DIR=/var/lib/procos/data \
    FILES_DIR=/var/lib/procos/files
WORKDIR /var/lib/procos
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["procos"]
CMD ["serve", "--bind", "0.0.0.0:8080"]
