"""The nouns of kb: settings, schema, front matter, articles, the knowledge base, files and caches.

Nothing here imports another part of kb: every flow (site, search, suggest, stale, server)
starts from `kb.core.collection.KnowledgeBase`."""
