#!/usr/bin/env bash
# ensure-chromium.sh: the browser tests drive Debian's Chromium (/usr/bin/chromium). Install the
# package when it is missing (as root, or through sudo); test tools' own browser downloads do not
# work on machines without internet access, Debian's package does.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "ensure-chromium: /usr/bin/chromium is missing and we are not root: install Debian's 'chromium' package" >&2; exit 1; }
	sudo="sudo"
fi
echo "ensure-chromium: installing Debian's chromium package for the browser tests" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
