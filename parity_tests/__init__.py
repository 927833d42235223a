"""The parity harness: one registry of components, the checks that apply to each, and the tests."""
