#!/usr/bin/env bash
# Install bedtools with apt-get when it is missing (Debian/Ubuntu, as root or with sudo).
set -euo pipefail
if command -v bedtools >/dev/null 2>&1; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "bedtools is missing and this user cannot install packages: install bedtools (apt-get install bedtools, or conda install -c bioconda bedtools) and run again." >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "bedtools is missing and apt-get is not available: install bedtools (conda install -c bioconda bedtools, or your system's package manager) and run again." >&2
    exit 1
fi
echo "Installing bedtools with apt-get..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends bedtools >/dev/null
bedtools --version
