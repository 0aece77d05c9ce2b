"""Notification channels beyond in-app: preferences and quiet hours, the dispatcher that turns stored
notifications into persisted push and mail jobs, Web Push (VAPID, RFC 8291 and the legacy aesgcm draft) and
mail over SMTP (per-type mails, digests, sign-up confirmation and password reset)."""
