"""A ticket becomes suggestions: the suggester, embedders, chunks, ticket reading and evaluation."""
