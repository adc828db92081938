"""Single sign-on: OpenID Connect and LDAP identities mapped to a workspace and scopes by the
ordered rules of `settings.sso` (docs/sso.md). Every way in ends in the `Principal` the API uses."""
