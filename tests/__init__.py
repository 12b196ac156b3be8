"""Tests of stockguard."""
