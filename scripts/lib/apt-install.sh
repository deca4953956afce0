# Sourced by the ensure-*.sh scripts: installs Debian packages, through sudo when not root.
# Output goes to stderr: the scripts print only the binary's path on stdout.
apt_install() {
  local sudo=""
  if [[ "$(id -u)" != "0" ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2 || true
  $sudo apt-get install -y -qq "$@" >&2
}
