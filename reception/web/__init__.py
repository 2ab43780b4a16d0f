"""Browser-facing blueprints (pages and feeds)."""
