"""Use cases: each public function is one operation and one transaction."""
