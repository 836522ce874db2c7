"""Data structures Python lacks, one module per Redis value type.

Importing a type module registers its class in `db.TYPE_NAMES` (the name TYPE answers).
"""
