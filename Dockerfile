# Build a static binary, then run it as a non-root user in a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/accessbot ./cmd/accessbot

# distroless/static has CA certificates and tzdata, no shell, and a nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accessbot /usr/local/bin/accessbot
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
ENV ACCESSBOT_CONFIG=/etc/accessbot/accessbot.yaml
ENTRYPOINT ["/usr/local/bin/accessbot"]
CMD ["run"]
