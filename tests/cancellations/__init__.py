"""Tests of the cancellations area."""
