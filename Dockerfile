# syntax=docker/dockerfile:1
# opsbot in two stages: built on Debian 12 with exactly the packages of
# scripts/bootstrap.sh, run on debian:12-slim with only the shared libraries
# the binary links against, as a non-root user, its SQLite database on the
# /data volume (or PostgreSQL: OPSBOT_DATABASE_URL). CI checks both lists (scripts/check-docker-libs.sh), then
# builds and runs the image (scripts/check-docker.sh).
#
#   docker build --build-arg OPSBOT_GIT_DESCRIBE="$(git describe --always --dirty)" -t opsbot .
#   cp config/opsbot.env.example .env    # fill in the tokens
#   docker compose up -d

FROM debian:12 AS build
WORKDIR /src
COPY scripts/bootstrap.sh scripts/bootstrap.sh
RUN bash scripts/bootstrap.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
# No .git in the build context (.dockerignore): pass the description in.
ARG OPSBOT_GIT_DESCRIBE=""
# Only the opsbot target. The image ships it stripped (about a tenth of its
# size); its debug info stays in this stage as /build/opsbot.debug, linked by
# .gnu_debuglink: `docker build --target build -t opsbot-build .` keeps it.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOPSBOT_BUILD_TESTS=OFF \
        -DOPSBOT_WERROR=ON -DOPSBOT_CCACHE=OFF "-DOPSBOT_GIT_DESCRIBE=${OPSBOT_GIT_DESCRIBE}" \
    && cmake --build /build -j"$(nproc)" --target opsbot \
    && cd /build \
    && objcopy --only-keep-debug opsbot opsbot.debug \
    && strip --strip-all opsbot \
    && objcopy --add-gnu-debuglink=opsbot.debug opsbot \
    && ./opsbot --version

FROM debian:12-slim
# The Debian packages holding the libraries in the binary's NEEDED entries,
# no more, no fewer: scripts/check-docker-libs.sh compares this line with
# ldd and dpkg -S on the built binary.
ARG OPSBOT_RUNTIME_LIBS="libc6 libcurl4 libfmt9 libgcc-s1 libpq5 libspdlog1.10 libsqlite3-0 libssl3 libstdc++6 libyaml-cpp0.7"
# Releases run the git program, and ssh for ssh remotes (adapters/git/);
# tzdata holds the IANA zones freeze windows are read in (/usr/share/zoneinfo;
# not right/, the leap-second copies, which no catalogue names).
# opsbot runs only git's C commands and ssh itself: git's Perl side (Perl's
# modules, 50 MB), the programs opsbot never starts (git daemon, shell,
# http-backend, http-push, imap-send, scalar, gitweb, mergetool, difftool,
# instaweb, web--browse; its shell completion and sample hooks; ssh-add,
# scp, sftp and ssh's helpers) and the second copy of git in git-core (a
# symbolic link instead) are left out, as slim leaves out documentation,
# with dpkg's path-exclude. perl-base, which apt uses, has none of these paths.
# The backups apt and debconf leave (templates.dat-old, 750 KB) and the
# install logs go too.
RUN printf 'path-exclude %s\n' '/usr/share/perl/*' '/usr/lib/*/perl/*' '/usr/lib/*/libperl.so*' \
        /usr/lib/git-core/git /usr/lib/git-core/git-daemon /usr/lib/git-core/git-shell \
        /usr/bin/git-shell /usr/lib/git-core/git-http-backend /usr/lib/git-core/git-http-fetch \
        /usr/lib/git-core/git-http-push /usr/lib/git-core/git-imap-send \
        /usr/lib/git-core/scalar /usr/bin/scalar /usr/lib/git-core/git-sh-i18n--envsubst \
        '/usr/share/gitweb/*' /usr/bin/ssh-add /usr/bin/scp /usr/bin/sftp \
        '/usr/lib/openssh/*' '/usr/share/zoneinfo/right/*' \
        '/usr/share/bash-completion/*' '/usr/lib/git-core/mergetools/*' \
        /usr/lib/git-core/git-mergetool /usr/lib/git-core/git-mergetool--lib \
        /usr/lib/git-core/git-difftool--helper /usr/lib/git-core/git-instaweb \
        /usr/lib/git-core/git-web--browse '/usr/share/git-core/templates/hooks/*' \
        >/etc/dpkg/dpkg.cfg.d/opsbot-git \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata git openssh-client \
        ${OPSBOT_RUNTIME_LIBS} \
    && ln -s ../../bin/git /usr/lib/git-core/git \
    && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/lib/dpkg/*-old \
        /var/log/dpkg.log /var/log/apt/* /var/log/alternatives.log \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin opsbot \
    && mkdir -p /data /etc/opsbot \
    && chown opsbot:opsbot /data
COPY --from=build /build/opsbot /usr/local/bin/opsbot
# The example catalogue, runbooks and templates; mount your own config/ over it.
COPY config/ /etc/opsbot/
ENV OPSBOT_CONFIG=/etc/opsbot/opsbot.yaml \
    OPSBOT_DB=/data/opsbot.db \
    OPSBOT_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
USER opsbot
WORKDIR /data
EXPOSE 8080
# GET /healthz on OPSBOT_LISTEN: 200 while the Slack link is up and the
# database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["opsbot", "healthcheck"]
ENTRYPOINT ["opsbot"]
