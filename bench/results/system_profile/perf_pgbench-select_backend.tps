tps = 8098.321256 (without initial connection time)
