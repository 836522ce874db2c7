"""Persistence: the RDB format (rdb.py) with its LZF codec (lzf.py) and CRC64 (crc64.py)."""
