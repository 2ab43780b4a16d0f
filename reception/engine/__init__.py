"""The reception engine: definitions, statutory dates, instantiation and recomputation.

Plain Python: nothing here imports Flask, the database or anything above it.
"""
