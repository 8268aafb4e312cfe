"""Course delivery and student tooling: slides, the static site, benchmarks table, student edition, grading."""
