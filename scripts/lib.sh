# Shared by scripts/test and scripts/bench-peers (sourced, not run).

# Client environments live outside the work tree and are rebuilt when their pins change.
env_dir="${OMNIGRAPH_TEST_ENV:-$HOME/.cache/omnigraph-sql}"
mkdir -p "$env_dir"

make_venv() { # name requirements-file
  local venv="$env_dir/$1" stamp
  stamp="$(sha256sum "$2" | cut -d' ' -f1)"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$2"
    echo "$stamp" > "$venv/.stamp"
  fi
}

apt_install() { # packages...
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  # (Debian's postgresql-15 also creates and starts a default cluster on port 5432; the
  # benchmarks do not use it: they run their own throw-away cluster on a free port.)
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
