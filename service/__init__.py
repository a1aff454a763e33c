"""livechat-analytics: Rocket.Chat's department analytics REST API, served from its MongoDB."""
