"""The command line: ``twinnet parity | verify | bench | baseline``."""
