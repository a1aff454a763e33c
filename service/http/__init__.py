"""HTTP plumbing shared by every route: middleware, errors, rendering, caches, OpenAPI."""
