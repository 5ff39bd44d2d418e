"""Readers of exchange files, one per format, sharing the safe XML helpers of xmlsafe."""
