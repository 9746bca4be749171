"""Live collection from Azure Resource Graph: queries, scopes, the HTTP client."""
