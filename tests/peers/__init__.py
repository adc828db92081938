"""Real servers the tests start on 127.0.0.1: an OpenID Connect provider (npm `oidc-provider`, run
with Node.js) and an LDAP directory (OpenLDAP's `slapd`). `scripts/install_test_peers.sh` installs
them; where one is missing, `skip_reason()` says why and the tests that need it skip."""
