# Sourced: `pytool NAME VERSION` installs a PyPI tool into its own venv beside
# the other tools (once per machine; an interrupted install never looks complete)
# and sets PYTOOL to that venv.
pytool() { # name version
  PYTOOL=${USERS_ORGS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/users-orgs-api/tools}/$1-$2
  if [ ! -f "$PYTOOL/.complete" ]; then
    echo "$1: installing $1 $2 into $PYTOOL (once per machine)" >&2
    rm -rf "$PYTOOL"
    python3 -m venv "$PYTOOL"
    "$PYTOOL/bin/pip" install -q --disable-pip-version-check "$1==$2" >&2
    touch "$PYTOOL/.complete"
  fi
}
