"""Generated from proto/ by scripts/generate_stubs.py. Do not edit."""
