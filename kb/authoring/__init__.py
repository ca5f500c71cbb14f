"""Writing articles: templates, `kb new`, and drafts from tickets and content gaps."""
