tps = 13498.765816 (without initial connection time)
