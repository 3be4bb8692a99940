#!/bin/sh
# Install Debian's headless Chromium and its WebDriver for the report's browser
# test (tests/toolkit/report/test_browser.py). Run as root; does nothing when
# /usr/bin/chromium is already present.
set -eu
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium and chromedriver already installed"
    exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
