"""HTTP clients of the vendors' APIs (httpx, with retries), used by providers and operator commands."""
