"""Fuzzing: the atheris harness (fuzz_twins.py), its shared cases (twin_cases.py) and its
bounded run in the test suite (test_fuzz_bounded.py)."""
