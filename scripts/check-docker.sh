#!/usr/bin/env bash
# Builds the production image from the Dockerfile and runs it, as the README's
# `docker compose up` would, with no traffic beyond loopback:
#  - the image: classic builder, --network host, stripped binary, its size
#    (at most OPSBOT_IMAGE_MAX_MB, 120);
#  - `opsbot --version`, `check-config` on the shipped catalogue, console help;
#  - a non-root user;
#  - git (a commit pushed to a bare repository, merge-tree) and ssh;
#  - Slack mode against the tests' fake Slack on 127.0.0.1: HEALTHCHECK
#    healthy, `/ops help` answered, `docker stop` exits 0;
#  - the audit chain intact on the volume, and its rows still there in a new
#    container on the same volume;
#  - docker-compose.yml and docker-compose.ha.yml valid (`compose config`).
# Every container runs with --network host. Starts dockerd when none answers
# (and stops it at exit), makes the base images with scripts/docker-base.sh,
# and removes its containers, volume and images at exit (the base images
# stay, so a rerun skips debootstrap).
#
# Needs root, and the fake Slack program from the test build
# (${OPSBOT_BUILD_DIR:-build}/tests/opsbot_fake_slack; built here when the
# build folder exists). Logs: ${OPSBOT_BUILD_DIR:-build}/docker-check/.
# usage: scripts/check-docker.sh
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${OPSBOT_BUILD_DIR:-build}
max_mb=${OPSBOT_IMAGE_MAX_MB:-120}
logs=$build_dir/docker-check
run_id=opsbot-check-$$
image=$run_id:latest
build_image=$run_id-build:latest
volume=$run_id-data
container=$run_id-slack
export DOCKER_BUILDKIT=0

mkdir -p "$logs"
logs=$(cd "$logs" && pwd)
rm -f "$logs"/*.log "$logs"/slack.env
started_dockerd=""
fake_pid=""
script_start=$SECONDS

say() { echo "check-docker: $*"; }
ok() { echo "check-docker: ok: $*"; }
fail() {
  echo "check-docker: FAILED: $*" >&2
  exit 1
}
# Times each part for the summary line.
timings=()
part_start=$SECONDS
part_done() {
  timings+=("$1 $((SECONDS - part_start)) s")
  part_start=$SECONDS
}

cleanup() {
  local status=$?
  set +e
  if [ -n "$fake_pid" ]; then
    kill -KILL "$fake_pid" 2>/dev/null
    wait "$fake_pid" 2>/dev/null
  fi
  if docker info >/dev/null 2>&1; then
    docker ps -aq --filter "name=^$run_id" | xargs -r docker rm -f -v >/dev/null
    docker volume rm -f "$volume" >/dev/null 2>&1
    docker image rm -f "$image" "$build_image" >/dev/null 2>&1
  fi
  if [ -n "$started_dockerd" ]; then
    kill -TERM "$started_dockerd" 2>/dev/null
    wait "$started_dockerd" 2>/dev/null
    say "stopped the dockerd it started"
  fi
  [ $status -eq 0 ] || say "logs in $logs"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "needs root (dockerd, debootstrap)"

# 1. Docker itself.
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  say "installing docker.io"
  "${apt[@]}" install docker.io >/dev/null 2>&1 ||
    { "${apt[@]}" update && "${apt[@]}" install docker.io >/dev/null; } ||
    fail "cannot install docker.io"
fi

# 1b. The compose files parse, variables and all (`config` builds and pulls
# nothing; Debian's docker-compose when the compose plugin is absent). Their
# env_file, .env, is made empty for the check when there is none.
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  command -v docker-compose >/dev/null || "${apt[@]}" install docker-compose >/dev/null 2>&1 ||
    { "${apt[@]}" update && "${apt[@]}" install docker-compose >/dev/null; } ||
    fail "cannot install docker-compose"
  compose=(docker-compose)
fi
made_env=""
[ -e .env ] || { : >.env && made_env=1; }
for file in docker-compose.yml docker-compose.ha.yml; do
  checked=$(OPSBOT_DB_PASSWORD=check "${compose[@]}" -f "$file" config -q 2>&1) || {
    [ -z "$made_env" ] || rm -f .env
    fail "$file: $checked"
  }
done
[ -z "$made_env" ] || rm -f .env
ok "docker-compose.yml and docker-compose.ha.yml are valid (${compose[*]} config)"
part_done "compose files"

start_dockerd() {
  # No bridge and no iptables rules: every container uses the host network.
  dockerd --iptables=false --bridge=none "$@" >>"$logs/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$started_dockerd" 2>/dev/null || break
    sleep 0.5
  done
  kill -TERM "$started_dockerd" 2>/dev/null
  wait "$started_dockerd" 2>/dev/null || true
  started_dockerd=""
  return 1
}
if docker info >/dev/null 2>&1; then
  say "using the running Docker daemon"
elif [ -n "${OPSBOT_DOCKER_STORAGE_DRIVER:-}" ]; then
  start_dockerd --storage-driver="$OPSBOT_DOCKER_STORAGE_DRIVER" ||
    fail "dockerd did not start with --storage-driver=$OPSBOT_DOCKER_STORAGE_DRIVER: $(tail -n 3 "$logs/dockerd.log")"
elif start_dockerd; then
  :
else
  say "dockerd did not start with its default storage driver; trying vfs"
  start_dockerd --storage-driver=vfs || fail "dockerd did not start: $(tail -n 3 "$logs/dockerd.log")"
fi
[ -z "$started_dockerd" ] ||
  say "started dockerd (pid $started_dockerd, storage driver $(docker info -f '{{.Driver}}'))"
part_done "dockerd"

# 2. The base images (a CI run may have started this script already).
bash scripts/docker-base.sh || fail "no base images (scripts/docker-base.sh)"
part_done "base images"

# The fake Slack from the test build; built here if only it is missing.
fake_slack=$build_dir/tests/opsbot_fake_slack
if [ ! -x "$fake_slack" ] && [ -f "$build_dir/CMakeCache.txt" ]; then
  say "building opsbot_fake_slack in $build_dir"
  cmake --build "$build_dir" -j2 --target opsbot_fake_slack >"$logs/fake-slack-build.log" 2>&1 ||
    fail "cannot build opsbot_fake_slack: see $logs/fake-slack-build.log"
fi
[ -x "$fake_slack" ] ||
  fail "no $fake_slack: configure $build_dir with OPSBOT_BUILD_TESTS=ON (scripts/test.sh) first"

# 3. The image: the build stage tagged too, so that cleanup can remove it.
describe=$(git describe --always --dirty --tags 2>/dev/null || echo "")
build_args=(--network host --build-arg "OPSBOT_GIT_DESCRIBE=$describe")
say "building the image (classic builder, --network host; log in $logs/build.log)"
if ! docker build "${build_args[@]}" --target build -t "$build_image" . >"$logs/build.log" 2>&1 ||
  ! docker build "${build_args[@]}" -t "$image" . >>"$logs/build.log" 2>&1; then
  tail -n 30 "$logs/build.log" >&2
  fail "docker build failed: see $logs/build.log"
fi
part_done "image build"
size=$(docker image inspect -f '{{.Size}}' "$image")
size_mb=$(((size + 999999) / 1000000))
[ "$size_mb" -le "$max_mb" ] || fail "the image is $size bytes ($size_mb MB), over $max_mb MB"
ok "image $image is $size bytes ($size_mb MB, at most $max_mb MB)"

run() { docker run --rm --network host "$@"; }

# The binary: stripped, its debug info left in the build stage.
probe=$(docker create --name "$run_id-probe" --network host "$image")
docker cp "$probe:/usr/local/bin/opsbot" "$logs/opsbot" >/dev/null
docker rm -v "$probe" >/dev/null
sections=$(readelf -S -W "$logs/opsbot")
! grep -q '\.debug_info' <<<"$sections" || fail "the image's binary keeps its debug info"
! grep -q '\.symtab' <<<"$sections" || fail "the image's binary is not stripped (it has a .symtab)"
grep -q '\.gnu_debuglink' <<<"$sections" || fail "the image's binary has no .gnu_debuglink"
ok "the binary is stripped ($(stat -c %s "$logs/opsbot") bytes), its debug file linked"
rm -f "$logs/opsbot"

# 4. The commands a person runs first.
version=$(run "$image" --version) || fail "opsbot --version exited non-zero: $version"
grep -q '^opsbot [0-9]' <<<"$version" || fail "opsbot --version printed: $version"
ok "opsbot --version: $(head -n 1 <<<"$version")"

config=$(run "$image" check-config 2>&1) || fail "opsbot check-config on the shipped catalogue failed: $config"
ok "opsbot check-config: $(head -n 1 <<<"$config")"

console=$(echo help | run -i "$image" console 2>&1) || fail "opsbot console exited non-zero: $console"
for expected in "opsbot commands" "deploy" "purge" "whoami"; do
  grep -q "$expected" <<<"$console" || fail "console help does not mention '$expected': $console"
done
ok "console help lists the commands ($(grep -c . <<<"$console") lines)"

# 5. Non-root.
user=$(docker image inspect -f '{{.Config.User}}' "$image")
uid=$(run --entrypoint id "$image" -u)
if [ -z "$user" ] || [ "$uid" = "0" ]; then fail "the image runs as root (User '$user', uid $uid)"; fi
ok "runs as user $user (uid $uid)"

# 5b. git and ssh, for releases: the git commands opsbot runs work in the
# image as shipped (its Perl side and unused programs left out).
git_check=$(run --entrypoint sh "$image" -c '
  set -e; cd /tmp; export HOME=/tmp GIT_CONFIG_NOSYSTEM=1
  export GIT_AUTHOR_NAME=c GIT_AUTHOR_EMAIL=c@c GIT_COMMITTER_NAME=c GIT_COMMITTER_EMAIL=c@c
  git config --global init.defaultBranch master
  git init -q --bare origin.git && git init -q work && cd work && echo a >a && git add a
  git commit -qm a && git push -q ../origin.git HEAD:refs/heads/master
  git --git-dir=../origin.git merge-tree --write-tree master master >/dev/null
  git --version; ssh -V 2>&1' 2>&1) || fail "git in the image: $git_check"
ok "git and ssh in the image: $(tr '\n' ' ' <<<"$git_check")"

# 6. Slack mode against the fake Slack on loopback.
"$fake_slack" --env-file "$logs/slack.env" --timeout 120 >"$logs/fake-slack.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do
  grep -q '^api_url=' "$logs/fake-slack.log" && break
  kill -0 "$fake_pid" 2>/dev/null || fail "the fake Slack exited: $(cat "$logs/fake-slack.log")"
  sleep 0.1
done
grep -q '^api_url=' "$logs/fake-slack.log" || fail "the fake Slack printed no address"
# The intake and /healthz: the first free port from 18080 (nothing answers on it).
port=18080
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
docker volume create "$volume" >/dev/null
docker run -d --name "$container" --network host -v "$volume:/data" \
  --env-file "$logs/slack.env" -e "OPSBOT_LISTEN=127.0.0.1:$port" \
  --health-interval 1s --health-timeout 5s --health-retries 3 --health-start-period 60s \
  "$image" >/dev/null || fail "docker run in Slack mode failed"
health=""
for _ in $(seq 120); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$container")
  [ "$health" = healthy ] && break
  [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] ||
    fail "opsbot in Slack mode exited: $(docker logs "$container" 2>&1 | tail -n 10)"
  sleep 1
done
[ "$health" = healthy ] || fail "the HEALTHCHECK says '$health' after 120 s: $(docker logs "$container" 2>&1 | tail -n 10)"
ok "Slack mode: HEALTHCHECK healthy"

for _ in $(seq 120); do
  grep -Eq '^(answered|failed):' "$logs/fake-slack.log" && break
  sleep 1
done
grep -q '^answered:' "$logs/fake-slack.log" ||
  fail "/ops help: $(grep -E '^(answered|failed):' "$logs/fake-slack.log" || echo 'no answer in 120 s')"
ok "Slack mode: /ops help answered ($(sed -n 's/^answered: //p' "$logs/fake-slack.log"))"

docker stop -t 30 "$container" >/dev/null
docker logs "$container" >"$logs/opsbot-slack.log" 2>&1
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
[ "$exit_code" = 0 ] || fail "docker stop: opsbot exited $exit_code: $(tail -n 10 "$logs/opsbot-slack.log")"
ok "docker stop: opsbot exited 0 ($(tail -n 1 "$logs/opsbot-slack.log" | cut -c1-120))"
kill -TERM "$fake_pid"
wait "$fake_pid" || fail "the fake Slack exited non-zero: $(cat "$logs/fake-slack.log")"
fake_pid=""

# 7. The database outlives the container: a new one on the same volume.
docker rm "$container" >/dev/null
verify=$(run -v "$volume:/data" "$image" audit verify 2>&1) || fail "opsbot audit verify: $verify"
grep -q '^audit chain intact' <<<"$verify" || fail "opsbot audit verify: $verify"
ok "audit on the volume: $verify"
rows=$(run -v "$volume:/data" "$image" audit --json 2>&1) || fail "opsbot audit: $rows"
grep -q '"command":"help"' <<<"$rows" ||
  fail "the first container's /ops help is not in the audit log of a new container: $rows"
ok "the database outlived its container: a new container reads the /ops help audit row"

part_done "checks"
summary=$(printf '%s, ' "${timings[@]}")
say "passed in $((SECONDS - script_start)) s (${summary%, }); image $size bytes"
