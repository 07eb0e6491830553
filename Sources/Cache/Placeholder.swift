// Response cache.
