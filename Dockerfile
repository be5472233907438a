# accessbot: a static binary in a distroless image, run as a non-root user.
#
#   docker build -t accessbot --build-arg VERSION=$(git describe --always) .
#   docker run --rm accessbot demo        # no credentials needed
#
# Running it for real (see README, "Running in production"): mount the config
# at /etc/accessbot/accessbot.yaml (read-only), a volume for the store at
# /data, and pass the tokens as environment variables.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: a static binary, which distroless/static needs (no libc there).
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/accessbot ./cmd/accessbot \
 && mkdir -p /out/data

# distroless/static: CA certificates and tzdata, no shell, no package manager,
# and the nonroot user (uid and gid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accessbot /usr/local/bin/accessbot
# /data belongs to the nonroot user, so a fresh Docker volume mounted there
# (which takes the image directory's owner) is writable by the bot.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# The store (store.path: accessbot.db) and the audit file land in /data, the
# working directory. The health and metrics endpoints listen where
# http.listen says; inside a container that must be 0.0.0.0:9090 or :9090.
ENV ACCESSBOT_CONFIG=/etc/accessbot/accessbot.yaml
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/accessbot"]
CMD ["run"]
