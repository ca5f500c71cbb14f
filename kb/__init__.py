"""kb: a knowledge base and self-service help centre generator for customer-service teams."""

from __future__ import annotations

__version__ = "0.1.0"
