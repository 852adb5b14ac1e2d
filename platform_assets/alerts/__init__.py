"""Alerts to the platform's operators: one resource that sends and records them, and the
sensors that raise them."""

from platform_assets.alerts.resource import Alert, AlertsResource, Delivery

__all__ = ["Alert", "AlertsResource", "Delivery"]
