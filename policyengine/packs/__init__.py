"""Rule packs: the model, loading, inheritance, checks, lint and the witness search."""
