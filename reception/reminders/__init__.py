"""Reminders, overdue notices, escalations, digests and hard-date alerts.

`rules` holds the date arithmetic (plain Python), `sweep` turns it into set-based SQL
that creates each notification exactly once, `delivery` and `mail` send them by e-mail,
`scheduler` runs both with APScheduler. docs/reminders.md explains the design.
"""
