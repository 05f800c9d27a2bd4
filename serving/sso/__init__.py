"""Single sign-on with OpenID Connect (Authorization Code with PKCE): the web app's sign-in goes
to the company's identity provider; the person comes back matched to an employee, with the role
their groups give, in the same HTTP-only server-side session a token sign-in opens.

- `provider.py`: the provider's discovery document and signing keys (fetched, cached).
- `id_token.py`: the ID token's checks (signature against the provider's keys, issuer,
  audience, expiry, nonce), each failure a refusal of its own kind.
- `people.py`: who the claims name (the configured claim against email or employee id) and the
  role and permissions their groups map to.
- `flow.py`: start (state, nonce, PKCE S256), finish (single-use state, code exchange), end.
- `pages.py`: the refusal pages a person sees; `routes.py`: the endpoints.
"""
