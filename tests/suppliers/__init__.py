"""Tests of the suppliers area."""
