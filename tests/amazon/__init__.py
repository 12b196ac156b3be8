"""Tests of the amazon area."""
