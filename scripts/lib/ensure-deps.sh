# Sourced by the set-up scripts: installs the Debian packages proxmux needs when they are missing.
# Needs root or sudo; on a machine that already has them it does nothing.
ensure_deps() {
    local needed=(libedit-dev libcurl4-openssl-dev libssl-dev zlib1g-dev tmux curl "$@")
    local missing=()
    for pkg in "${needed[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "swift is not on PATH: install Swift 6 (https://www.swift.org/install/linux/) and retry" >&2
        exit 1
    fi
}
