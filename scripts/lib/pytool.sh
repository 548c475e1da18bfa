# Sourced: `pytool NAME VERSION [EXTRA==VERSION ...]` installs a PyPI tool (and
# pinned companions it runs with) into its own venv beside the other tools (once
# per machine; an interrupted install never looks complete) and sets PYTOOL to
# that venv.
pytool() { # name version [extra requirements...]
  local name=$1 version=$2; shift 2
  local suffix=""
  [ $# -eq 0 ] || suffix="+$(echo "$*" | tr ' =' '-_')"
  PYTOOL=${USERS_ORGS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/users-orgs-api/tools}/$name-$version$suffix
  if [ ! -f "$PYTOOL/.complete" ]; then
    echo "$name: installing $name $version $* into $PYTOOL (once per machine)" >&2
    rm -rf "$PYTOOL"
    python3 -m venv "$PYTOOL"
    "$PYTOOL/bin/pip" install -q --disable-pip-version-check "$name==$version" "$@" >&2
    touch "$PYTOOL/.complete"
  fi
}
