#!/usr/bin/env bash
# Installs the real peers some tests start (a browser, directory and identity servers) where this
# machine can: Debian packages with apt-get (as root), npm packages with npm. Whatever cannot be
# installed is reported, and the tests that need it skip with that reason.
set -uo pipefail
cd "$(dirname "$0")/.."

apt_missing=()
need_apt() { # need_apt PACKAGE PATH: install PACKAGE unless PATH exists
  [ -e "$2" ] || apt_missing+=("$1")
}

# -- what the tests need ------------------------------------------------------------------------

# The console's browser tests (tests/console/test_browser.py): Debian's Chromium, driven by Playwright.
need_apt chromium /usr/bin/chromium

# Single sign-on (tests/auth/sso): OpenLDAP's slapd, and panva's oidc-provider run with Node.js.
need_apt slapd /usr/sbin/slapd
oidc_peer=tests/peers/oidc
if ! command -v npm > /dev/null; then
  echo "warning: no npm: the OpenID Connect tests skip"
elif [ ! -d "$oidc_peer/node_modules/oidc-provider" ] \
    || [ "$oidc_peer/package-lock.json" -nt "$oidc_peer/node_modules/.package-lock.json" ]; then
  (cd "$oidc_peer" && npm ci --no-audit --no-fund --loglevel=error > /dev/null) \
    || echo "warning: npm ci in $oidc_peer failed: the OpenID Connect tests skip"
fi
# SAML 2.0 (tests/auth/sso/test_saml.py): SimpleSAMLphp as the identity provider, served by
# php-cli's built-in server; xmlsec1 checks the signatures on Interlink's side (pysaml2).
need_apt simplesamlphp /usr/share/simplesamlphp/www
need_apt php-cli /usr/bin/php
need_apt xmlsec1 /usr/bin/xmlsec1
php_has() { command -v php > /dev/null && php -r "exit($1 ? 0 : 1);" 2> /dev/null; }
php_has 'class_exists("DOMDocument")' || apt_missing+=(php-xml)
php_has 'function_exists("mb_strlen")' || apt_missing+=(php-mbstring)

# -----------------------------------------------------------------------------------------------

if [ "${#apt_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "installing Debian packages: ${apt_missing[*]}"
    # No package may start its service (slapd, the web server SimpleSAMLphp pulls in): the tests
    # start their own, on free loopback ports.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
      trap 'rm -f "$policy"' EXIT
    fi
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${apt_missing[@]}" > /dev/null 2>&1 \
        || { apt-get update -q > /dev/null 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${apt_missing[@]}" > /dev/null 2>&1; }; } \
      || echo "warning: could not install ${apt_missing[*]}: the tests that need them skip"
  else
    echo "warning: not root or no apt-get; missing ${apt_missing[*]}: the tests that need them skip"
  fi
fi
