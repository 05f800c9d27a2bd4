"""SCIM 2.0 provisioning (RFC 7643/7644) at /scim/v2: an HR system or identity provider
creates, updates and deactivates people and keeps groups (which grant no role), with its own
token."""
