"""Reaching people outside the app (issue 14): Web Push, e-mail, SMS."""
