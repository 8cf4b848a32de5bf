#!/usr/bin/env bash
# Headless Chromium renders the HTML report to PDF and PNG; Noto fonts give it (and matplotlib)
# Arabic glyphs for the CAP alert preview; poppler-utils (pdftoppm) turns a PDF page into PNG.
# Idempotent: apt-install.sh installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/apt-install.sh chromium fonts-noto-core fonts-dejavu-core poppler-utils
