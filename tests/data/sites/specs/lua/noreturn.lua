loadedNoReturn = (loadedNoReturn or 0) + 1
