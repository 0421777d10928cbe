"""Setup screens (people, scenes, badges)."""
