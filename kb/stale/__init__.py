"""A ticket history becomes a staleness report: findings, rules, drift, gaps, KCS, reports."""
