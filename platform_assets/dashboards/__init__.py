"""Dashboards: materialized views in `analytics` refreshed concurrently, their charts and a
static HTML report (`dashboards/<view>`, `dashboards/report`)."""
