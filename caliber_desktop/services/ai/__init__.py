"""The AI assistant (no Qt): grounded insights, streamed chat, cache and rate limits."""
