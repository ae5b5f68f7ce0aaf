"""JSON:API 1.1 on request: seed 001's organization documents."""
