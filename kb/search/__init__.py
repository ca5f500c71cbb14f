"""Search: text analysis, synonyms, the Whoosh index per language, queries, the searcher, snippets."""
