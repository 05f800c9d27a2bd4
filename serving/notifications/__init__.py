"""Notifications: a transactional outbox written with each event, a delivery worker with
retries and back-off, e-mail (SMTP) and chat (Slack, Microsoft Teams) channels, and each
person's choice of channels, digest frequency and quiet (docs/notifications.md)."""
